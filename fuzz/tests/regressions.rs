//! Replays every input a fuzz target ever failed on (`fuzz/regressions/`, minimised, named
//! after the bug) through the same checks as the targets: the reader's always, the model's and
//! the analysis' with `--features model`. Run with `cargo test --features model` in `fuzz/`.
//! Reader bugs also have a test of their own in `recorder/tests/fuzz_regressions.rs`.

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;

#[test]
fn every_saved_failure_now_passes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fuzz/regressions exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "weft"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    let mut failing = Vec::new();
    for path in &inputs {
        let data = std::fs::read(path).expect("read a saved input");
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(&data)));
        if outcome.is_err() {
            failing.push(path.file_name().expect("a file name").to_string_lossy());
        }
    }
    assert!(failing.is_empty(), "still failing: {failing:?}");
}

fn check(data: &[u8]) {
    let Some(_trace) = weft_fuzz::read_and_check(data) else {
        return;
    };
    #[cfg(feature = "model")]
    {
        let model = weft_fuzz::model_checks::build_and_walk(&_trace);
        weft_fuzz::model_checks::analyse(&model);
    }
}
