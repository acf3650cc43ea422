//! Weft's viewer library: the trace model and the analysis that the GUI and the `weft`
//! command line share.
//!
//! - [`model`] decodes a [`Trace`](weft_recorder::format::Trace) once into columnar, time-sorted
//!   timelines per task, worker and object, plus the causal links between tasks. Nothing
//!   downstream parses bytes or recomputes states.
//! - [`analysis`] reaches verdicts over a model: blocking profiles, leaked tasks, deadlocks,
//!   lock-order inversions and lints, each serialisable, and the `stats --json` report.
//! - [`diff`] compares two runs: blocking and spawn sites, findings and throughput in A against
//!   B (`weft diff`), plus lane matching and time alignment for the compare view.
//!
//! - `two_cores` runs two independent parts of loading and analysing a trace side by side.
//!
//! None of these modules knows about any GUI toolkit: the desktop viewer (`ui`) is a separate
//! layer on top, so the verdicts can be tested, scripted and diffed without a window.

#![deny(missing_docs)]

pub mod analysis;
pub mod diff;
pub mod model;
pub(crate) mod two_cores;

#[cfg(test)]
pub(crate) mod testkit;

#[cfg(feature = "gui")]
pub mod ui;
