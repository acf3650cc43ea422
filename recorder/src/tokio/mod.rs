//! Recording tokio programs (feature `tokio`): workers, tasks, polls, wakes and what each task
//! waits on.
//!
//! # Set-up
//!
//! `#[tokio::main]` builds a runtime Weft cannot hook into. Replace it by [`run`], which
//! records when `WEFT_TRACE=path/to/trace.weft` is set:
//!
//! ```no_run
//! # async fn async_main() {}
//! fn main() {
//!     weft_recorder::tokio::run(async_main())
//! }
//! ```
//!
//! or, to configure the runtime, by two lines:
//!
//! ```no_run
//! # async fn async_main() {}
//! fn main() {
//!     let _weft = weft_recorder::tokio::init();
//!     weft_recorder::tokio::runtime().worker_threads(4).build().unwrap().block_on(async_main());
//! }
//! ```
//!
//! [`runtime`] is `Builder::new_multi_thread().enable_all()` with Weft's hooks
//! ([`current_thread`] for the current-thread flavour; [`instrument`] adds the hooks to a
//! builder of your own). Mind the `;`: it drops the runtime before the guard, so the runtime's
//! shutdown is recorded too (as the tail expression of `main`, without `;`, the runtime would
//! outlive the guard). For channels and `Notify`, swap `tokio::sync` for
//! [`weft_recorder::tokio::sync`](sync): it re-exports the rest of `tokio::sync` unchanged.
//!
//! # What is recorded
//!
//! Always (tokio's stable hooks, and the [`sync`] wrappers):
//! - each runtime thread, marked by `RuntimeThreadStart`/`RuntimeThreadStop`, and each worker's
//!   idle time between `WorkerPark` and `WorkerUnpark`;
//! - sends, receives, waits (with their call site) and disconnections of [`sync::mpsc`],
//!   [`sync::broadcast`], [`sync::watch`] and [`sync::Notify`], as channel events.
//!
//! With `--cfg tokio_unstable` (put `rustflags = ["--cfg", "tokio_unstable"]` under `[build]`
//! in `.cargo/config.toml`):
//! - every task of the program, modified or not: `TaskSpawn` at its spawn site, each poll
//!   (`PollBegin`/`PollEnd`: which worker, how long), `TaskTerminate` — from tokio's task hooks;
//! - with the Weft layer installed ([`init`] installs it; or add [`layer()`] to your own
//!   subscriber), tokio's own instrumentation: `TaskWake` (who woke whom: scheduling latency is
//!   wake → `PollBegin`), waker clones and drops (a task left with no waker is lost), task
//!   names, and waits on tokio's `Mutex`, `RwLock`, `Semaphore`, `Barrier`, `oneshot`, `Sleep`
//!   and `Interval` (`ResourceCreate`, `ResourceWait`, `ResourceReady`, lock holds).
//!
//! Without `tokio_unstable` the recorder says once, on stderr, what it cannot see.
//!
//! Events a tokio task causes are attributed to it because the worker records `PollBegin`
//! before polling it and `PollEnd` after (see [`crate::event::attribute`]); tokio task ids are
//! tokio's own plus [`crate::event::TOKIO_TASK_BASE`].

mod layer;
mod runtime;
pub mod sync;

pub use layer::TokioLayer;
pub use runtime::{current_thread, instrument, runtime};

use std::sync::Once;

/// True when this build sees tokio's unstable hooks and instrumentation (`--cfg tokio_unstable`).
pub const UNSTABLE: bool = cfg!(tokio_unstable);

/// Starts recording like [`crate::init`] (when `WEFT_TRACE` names an output file) and, under
/// `tokio_unstable`, installs a global tracing subscriber with the Weft [`layer()`] so tokio's
/// wakes and resource waits are recorded. A program that installs its own subscriber should
/// call [`crate::init`] and add [`layer()`] to it instead (a second global subscriber cannot be
/// installed: this one is skipped, with a note on stderr). Keep the guard alive until the
/// runtime has been dropped.
pub fn init() -> crate::Guard {
    let guard = crate::init();
    if guard.is_recording() {
        #[cfg(tokio_unstable)]
        install_subscriber();
        announce();
    }
    guard
}

/// Runs `future` to completion the way `#[tokio::main]` would — on a multi-thread runtime with
/// every driver enabled — with Weft's hooks, recording when `WEFT_TRACE` names an output file:
/// [`init`], [`runtime`], `block_on`, then the runtime's shutdown (cancelling the tasks still
/// running, in the trace) and the end of the recording, in that order.
///
/// # Panics
/// If the runtime cannot be built, as `#[tokio::main]` does.
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    let guard = init();
    let runtime = runtime()
        .build()
        .expect("failed to build the tokio runtime");
    let output = runtime.block_on(future);
    drop(runtime);
    drop(guard);
    output
}

/// The tracing layer for tokio programs: records tokio's own instrumentation (wakes, task
/// names, resource waits) and, like [`crate::layer()`], the program's own spans and events.
/// Use it instead of [`crate::layer()`], not beside it.
pub fn layer() -> TokioLayer {
    TokioLayer::new()
}

#[cfg(tokio_unstable)]
fn install_subscriber() {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(layer());
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        eprintln!(
            "weft: a tracing subscriber is already installed: add `weft_recorder::tokio::layer()` \
             to it to record tokio's wakes and resource waits"
        );
    }
}

/// Says once, on stderr, what this build cannot record (only while recording).
pub(crate) fn announce() {
    static ONCE: Once = Once::new();
    if UNSTABLE || !crate::record::enabled() {
        return;
    }
    ONCE.call_once(|| {
        eprintln!(
            "weft: recording tokio without `--cfg tokio_unstable`: worker threads, their idle \
             time and the weft_recorder::tokio::sync channels are recorded, but not tasks (spawn \
             sites, polls), wakes, or waits on tokio's Mutex/RwLock/Semaphore/Barrier/oneshot/\
             Sleep. To record them, add to .cargo/config.toml:\n  [build]\n  rustflags = \
             [\"--cfg\", \"tokio_unstable\"]"
        );
    });
}
