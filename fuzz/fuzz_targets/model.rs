//! Building the viewer's model from whatever the reader makes of a mutated trace, and reading
//! every lane of it: never a panic, a hang or an outsized allocation. Same structure-aware
//! mutator as `read_mutated`, so most inputs decode to plausible-but-wrong event streams: waits
//! that never end, ends without begins, unknown ids, tasks whose start was lost, huge times.
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|data: &[u8]| {
    if let Some(trace) = weft_fuzz::read_and_check(data) {
        if !weft_fuzz::model_checks::trips_a_known_viewer_bug(&trace) {
            weft_fuzz::model_checks::build_and_walk(&trace);
        }
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    weft_fuzz::mutate::mutate_trace(data, size, max_size, seed, &mut |buf, len| {
        let room = buf.len();
        fuzzer_mutate(buf, len, room)
    })
});
