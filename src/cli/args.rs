//! The flags of every command, parsed once (clap derive).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Parser, Subcommand, ValueEnum};
use weft_viewer::analysis::LintKind;

/// What `--allow` accepts besides the lint names: lock-order inversions that did not hang.
pub const ALLOW_POTENTIAL_DEADLOCKS: &str = "potential_deadlocks";

/// Weft: a visual concurrency tracer for Rust.
///
/// Record a program built with `weft_recorder` (`weft record -- cargo run`), then look at what
/// its threads did: `weft stats` for a report, `weft check` as a CI gate, `weft diff` to compare
/// two runs, `weft export` for Perfetto, `weft view` for the desktop viewer. With no command, the
/// viewer opens on a demo.
#[derive(Debug, Parser)]
#[command(name = "weft", version, propagate_version = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open one trace in the viewer, or two to compare them.
    View {
        /// The trace file(s).
        #[arg(required = true, num_args = 1..=2, value_name = "TRACE")]
        traces: Vec<PathBuf>,
    },
    /// Run a program with recording on (WEFT_TRACE set) and say where its trace went.
    Record {
        /// Where to write the trace [default: PROGRAM.weft in the current directory].
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The program and its arguments, after `--`.
        #[arg(required = true, last = true, value_name = "CMD")]
        command: Vec<OsString>,
    },
    /// Print blocking profiles, leaks, deadlocks, lints and what the trace lost.
    Stats {
        /// The trace file.
        trace: PathBuf,
        /// Print the report as JSON (a stable format for scripts).
        #[arg(long)]
        json: bool,
    },
    /// Exit with status 1 if the trace shows leaks, deadlocks, lock-order inversions or lints.
    ///
    /// A CI gate, like goleak for tests. Tasks still running or still wakeable at the end are
    /// not failures.
    Check {
        /// The trace file.
        trace: PathBuf,
        /// Do not fail on this lint (repeatable); `potential_deadlocks` allows lock-order
        /// inversions that did not hang.
        #[arg(long, value_name = "LINT", value_parser = allow_values())]
        allow: Vec<String>,
    },
    /// Compare two runs: blocking and spawn sites, findings and throughput, biggest change first.
    ///
    /// Sites are matched by `file:line`, findings by names and sites (ids differ between runs).
    Diff {
        /// The first run (the baseline, "before").
        a: PathBuf,
        /// The second run ("after").
        b: PathBuf,
        /// Print the comparison as JSON (a stable format for scripts and CI).
        #[arg(long)]
        json: bool,
    },
    /// Convert a trace for other tools.
    Export {
        /// The trace file.
        trace: PathBuf,
        /// The output format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// The output file.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Measure loading a trace: decode, model, analysis — time, events/s and memory per event.
    Bench {
        /// The trace file (make a big one with `weft gen`).
        trace: PathBuf,
        /// Load it this many times and print the spread of the load time: a shared machine's
        /// noise shows in one run's figure (memory and the other phases are from the first).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        runs: u32,
    },
    /// Write a synthetic trace of about N events (a busy pool: channels, locks, sleeps), for
    /// benchmarks and scale tests.
    Gen {
        /// How many events (suffixes k and M accepted: 10M).
        #[arg(long, value_name = "N", value_parser = parse_count)]
        events: u64,
        /// Tasks, each on its own worker.
        #[arg(long, default_value_t = GEN_DEFAULT_TASKS)]
        tasks: u32,
        /// Seed for the simulation's choices (the same seed gives the same trace).
        #[arg(long, default_value_t = 0x5eed)]
        seed: u64,
        /// The output file.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

/// `10M`, `500k`, `1000000`.
fn parse_count(s: &str) -> Result<u64, String> {
    let (digits, scale) = match s.trim().as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 1_000),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 1_000_000),
        _ => (s, 1),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("`{s}` is not a count (examples: 1000000, 500k, 10M)"))
}

/// Defaults of `weft gen`.
pub const GEN_DEFAULT_TASKS: u32 = 64;

/// Formats `weft export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Chrome trace-event JSON, for Perfetto (ui.perfetto.dev) and chrome://tracing.
    Chrome,
}

fn allow_values() -> PossibleValuesParser {
    let mut names: Vec<&'static str> = LintKind::ALL.iter().map(|l| l.as_str()).collect();
    names.push(ALLOW_POTENTIAL_DEADLOCKS);
    PossibleValuesParser::new(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn counts_accept_suffixes_and_reject_garbage() {
        assert_eq!(parse_count("10M"), Ok(10_000_000));
        assert_eq!(parse_count("500k"), Ok(500_000));
        assert_eq!(parse_count("42"), Ok(42));
        assert!(parse_count("ten").is_err());
        assert!(parse_count("99999999999999999999M").is_err());
    }

    #[test]
    fn the_flags_are_consistent() {
        Args::command().debug_assert();
    }
}
