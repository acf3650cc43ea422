//! `weft`: record a Rust program's threads, channels and locks, then inspect, check or export
//! the trace. The commands live in [`cli`]; this file only hands over the exit status.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
