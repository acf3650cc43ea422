//! `weft record -- CMD ARGS...`: run a program with recording on and report where the trace
//! went.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};
use weft_recorder::TRACE_ENV;

use super::load::load;

pub fn run(output: Option<PathBuf>, command: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let Some((program, args)) = command.split_first() else {
        bail!("no program to run: give it after `--`, as in `weft record -- ./my-program`");
    };
    let output = output.unwrap_or_else(|| default_output(program));
    let output = if output.is_absolute() {
        output
    } else {
        std::env::current_dir()
            .context("cannot find the current directory")?
            .join(output)
    };
    // An old trace left at the same path must not pass for this run's.
    if output.exists() {
        std::fs::remove_file(&output)
            .with_context(|| format!("cannot replace the old trace {}", output.display()))?;
    }

    let status = Command::new(program)
        .args(args)
        .env(TRACE_ENV, &output)
        .status()
        .with_context(|| format!("cannot run {}", Path::new(program).display()))?;

    if !output.exists() {
        bail!(
            "{} ({status}) wrote no trace to {}: does it start recording with \
             `let _guard = weft_recorder::init();` at the top of main?",
            Path::new(program).display(),
            output.display()
        );
    }
    let loaded = load(&output)?;
    let report = loaded.analysis.report(&loaded.model);
    eprintln!("weft: trace written to {}", output.display());
    eprintln!("weft: {}", report.summary());
    eprintln!(
        "weft: next: `weft stats {0}`, `weft check {0}` or `weft view {0}`",
        output.display()
    );
    if status.success() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "weft: {} exited with {status}",
        Path::new(program).display()
    );
    let code = status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(1);
    Ok(ExitCode::from(code.max(1)))
}

/// `PROGRAM.weft` in the current directory.
fn default_output(program: &OsString) -> PathBuf {
    let stem = Path::new(program)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "trace".to_string());
    PathBuf::from(format!("{stem}.weft"))
}
