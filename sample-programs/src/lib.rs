//! Weft's sample programs — the patterns and pitfalls of concurrent Rust, recorded with Weft —
//! and the ground truth about each.
//!
//! Every sample is a binary in `src/bin/` (`cargo run -p weft-samples --bin busy_wait`) that uses
//! `weft_recorder`'s `thread`, `sync` and `channel` in place of std's and crossbeam's, records a
//! trace when `WEFT_TRACE` names an output file, finishes on its own in well under two seconds
//! (one demonstrating a hang gives up waiting and returns, leaving the stuck threads blocked),
//! and prints a one-line summary that starts with its name. The `tokio_*` samples are tokio
//! programs recorded through `weft_recorder::tokio`; build them with
//! `RUSTFLAGS="--cfg tokio_unstable"` to record their tasks (their truth depends on it: see
//! [`truth_for`]).
//!
//! This library says what a correct analysis of each sample's trace must find — [`truth()`] — so
//! the analysis can be tested against programs whose verdict is known. Sites in the truth come
//! from marker comments in the samples (see [`site`]), never from hard-coded line numbers.
//!
//! Recorded traces of every sample live in `assets/traces/NAME.weft` (plus
//! `worker_pool_2_workers.weft` and `worker_pool_8_workers.weft` for comparisons); regenerate
//! them with `sample-programs/record-assets.sh` (add `--release` for the release build).

pub mod site;
pub mod truth;
pub mod work;

mod catalog;

pub use site::SourceSite;
pub use truth::{
    BlockedOn, Deadlock, DeadlockObject, ExpectedLint, Leak, Lint, ObjectKind, Truth, WaitKind,
};

/// The name of every sample binary: the patterns first, then the pitfalls.
pub const SAMPLES: &[&str] = &{
    let mut names = [""; catalog::SAMPLES.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = catalog::SAMPLES[i].name;
        i += 1;
    }
    names
};

/// True when this crate — and so its sample binaries, built with the same flags — is built with
/// `--cfg tokio_unstable`, which makes tokio report its tasks, wakes and resources.
pub const TOKIO_UNSTABLE: bool = cfg!(tokio_unstable);

/// What a correct analysis must find in a trace of the sample `name` as built alongside this
/// crate (see [`TOKIO_UNSTABLE`]); `None` for an unknown name.
pub fn truth(name: &str) -> Option<Truth> {
    truth_for(name, TOKIO_UNSTABLE)
}

/// What a correct analysis must find in a trace of the sample `name` recorded by a build with
/// (`tokio_unstable = true`) or without `--cfg tokio_unstable`: the two differ for the tokio
/// samples whose findings only tokio's unstable instrumentation records (a trace says which it
/// is: only an unstable build records `PollBegin`). `None` for an unknown name.
pub fn truth_for(name: &str, tokio_unstable: bool) -> Option<Truth> {
    catalog::SAMPLES
        .iter()
        .find(|sample| sample.name == name)
        .map(|sample| sample.truth(tokio_unstable))
}

/// The source text of the sample `name` (its `src/bin/<name>.rs`), as compiled.
pub fn source(name: &str) -> Option<&'static str> {
    catalog::SAMPLES
        .iter()
        .find(|sample| sample.name == name)
        .map(|sample| sample.source)
}
