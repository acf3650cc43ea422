//! `weft gen`: a synthetic trace of a given size, for benchmarks and scale tests.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use weft_recorder::synth::{self, SynthConfig};

pub fn run(events: u64, tasks: u32, seed: u64, output: &Path) -> anyhow::Result<ExitCode> {
    let cfg = SynthConfig {
        events,
        tasks: tasks.max(1),
        seed,
        ..SynthConfig::default()
    };
    let file =
        File::create(output).with_context(|| format!("cannot create {}", output.display()))?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(events), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("generating [{bar:30}] {percent:>3}% {per_sec}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = Instant::now();
    let out = synth::generate(&cfg, BufWriter::new(file), |done| bar.set_position(done))
        .with_context(|| format!("writing {}", output.display()))?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|mut f| f.flush().map(|_| f))
        .with_context(|| format!("writing {}", output.display()))?;
    bar.finish_and_clear();
    let bytes = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    println!(
        "wrote {} (about {events} events, {:.1} MB, {:.2} B/event) in {:.1} s",
        output.display(),
        bytes as f64 / 1e6,
        bytes as f64 / events.max(1) as f64,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
