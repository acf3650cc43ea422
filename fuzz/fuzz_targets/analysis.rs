//! The analysis (blocking profile, leaks, deadlocks, lock order, lints) and its report over the
//! model of a mutated trace: never a panic, a hang or an outsized allocation.
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|data: &[u8]| {
    if let Some(trace) = weft_fuzz::read_and_check(data) {
        let model = weft_fuzz::model_checks::build_and_walk(&trace);
        weft_fuzz::model_checks::analyse(&model);
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    weft_fuzz::mutate::mutate_trace(data, size, max_size, seed, &mut |buf, len| {
        let room = buf.len();
        fuzzer_mutate(buf, len, room)
    })
});
