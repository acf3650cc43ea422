//! The reader on valid traces with structure-aware mutations: frames stay checksummed, so the
//! mutations reach the MessagePack payloads and the event chunk codec (see `weft_fuzz::mutate`).
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|data: &[u8]| {
    let _ = weft_fuzz::read_and_check(data);
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    weft_fuzz::mutate::mutate_trace(data, size, max_size, seed, &mut |buf, len| {
        let room = buf.len();
        fuzzer_mutate(buf, len, room)
    })
});
