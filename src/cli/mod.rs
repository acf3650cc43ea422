//! The command line: flags are parsed once into [`args::Command`], then each command module
//! loads what it needs and prints.
//!
//! Exit status: 0 success; 1 `weft check` found problems (or the recorded program failed, for
//! `weft record`, which passes its status on); 2 an error (bad flags, unreadable trace), printed
//! with the file it concerns and what is wrong.

mod args;
mod bench;
mod check;
mod diff;
mod export;
mod gen;
mod load;
mod record;
mod stats;
mod view;

use std::process::ExitCode;

use clap::Parser;

use args::{Args, Command};

/// Exit status for errors (bad flags use clap's, also 2).
const ERROR: u8 = 2;

/// Runs the command line.
pub fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("weft: error: {e:#}");
            ExitCode::from(ERROR)
        }
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        None => view::run(Vec::new()),
        Some(Command::View { traces }) => view::run(traces),
        Some(Command::Record { output, command }) => record::run(output, command),
        Some(Command::Stats { trace, json }) => stats::run(&trace, json),
        Some(Command::Check { trace, allow }) => check::run(&trace, &allow),
        Some(Command::Diff { a, b, json }) => diff::run(&a, &b, json),
        Some(Command::Export {
            trace,
            format,
            output,
        }) => export::run(&trace, format, &output),
        Some(Command::Bench { trace, runs }) => bench::run(&trace, runs),
        Some(Command::Gen {
            events,
            tasks,
            seed,
            output,
        }) => gen::run(events, tasks, seed, &output),
    }
}
