//! The reader on arbitrary bytes: never a panic, a hang or an outsized allocation, whatever the
//! input. libFuzzer's own byte mutations; seeds are the asset traces (see scripts/fuzz.sh).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = weft_fuzz::read_and_check(data);
});
