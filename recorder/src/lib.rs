//! Weft's recorder: what a traced program links.
//!
//! It offers drop-in replacements for the concurrency primitives a program already uses —
//! [`thread`], [`sync`] and [`channel`] mirror `std::thread`, `std::sync` and crossbeam-channel —
//! plus a `tracing` [`layer()`] for user annotations, and writes what they do into a compact,
//! crash-tolerant trace file that the `weft` viewer and command line read through [`format`].
//!
//! ```no_run
//! let _guard = weft_recorder::init(); // records when WEFT_TRACE=path/to/trace.weft
//! let (tx, rx) = weft_recorder::channel::bounded(1);
//! let worker = weft_recorder::thread::spawn(move || tx.send(42).unwrap());
//! assert_eq!(rx.recv().unwrap(), 42);
//! worker.join().unwrap();
//! ```
//!
//! Design, in the order data flows:
//! - [`event`]: the event model, one flat shape shared by the hot path and the file;
//! - `record`: the hot path — per-thread rings, no locks or allocation per event;
//! - `writer`: the thread that drains every ring (so even a thread blocked forever gets its last
//!   wait written), encodes and writes batches;
//! - [`format`]: the file layout, and the one reader everyone uses;
//! - [`thread`], [`sync`], [`channel`], [`layer`]: what programs call;
//! - `tokio` (feature `tokio`): runtime hooks, tokio's own instrumentation and `tokio::sync`
//!   wrappers, for tokio programs.
//!
//! When no session records, an instrumented primitive costs one relaxed atomic load over the
//! primitive it wraps.

#![deny(missing_docs)]

pub mod channel;
pub mod event;
pub mod format;
pub mod layer;
mod record;
mod ring;
mod session;
pub mod sync;
pub mod synth;
pub mod testing;
pub mod thread;
#[cfg(feature = "tokio")]
pub mod tokio;
mod writer;

pub use layer::WeftLayer;
pub use session::{Builder, Guard, RecordError, Recorder, TRACE_ENV};
pub use writer::Summary;

/// Starts recording when the `WEFT_TRACE` environment variable names an output file; otherwise
/// returns a guard that records nothing. Keep the guard alive for the whole run: dropping it
/// flushes and closes the trace. A trace that cannot be created is reported on stderr and the
/// program runs untraced — tracing never stops a program from running.
pub fn init() -> Guard {
    let Some(path) = std::env::var_os(TRACE_ENV).filter(|p| !p.is_empty()) else {
        return Guard::disabled();
    };
    match Recorder::builder().path(path).start() {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("weft: not recording: {e}");
            Guard::disabled()
        }
    }
}

/// The `tracing_subscriber::Layer` that records spans as regions and events as instants on the
/// current task.
pub fn layer() -> WeftLayer {
    WeftLayer::new()
}

/// Doc-hidden hooks for the benchmarks, which need the hot path without a primitive around it.
#[doc(hidden)]
pub mod bench {
    /// Records one `Yield` event with a call site: the cheapest full event.
    #[inline]
    #[track_caller]
    pub fn emit_event() {
        crate::record::emit(
            crate::event::EventKind::Yield,
            Some(std::panic::Location::caller()),
        );
    }
}
