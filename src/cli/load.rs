//! Loading a trace for a command: decode, build the model, analyse (for the commands that
//! report findings) — with a progress bar on a terminal.

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use weft_recorder::format;
use weft_viewer::analysis::Analysis;
use weft_viewer::model::Model;

/// A trace ready for any command.
pub struct Loaded {
    pub model: Model,
    pub analysis: Analysis,
}

/// Reads, indexes and analyses `path`. Errors name the file.
pub fn load(path: &Path) -> anyhow::Result<Loaded> {
    let bar = progress_bar();
    let model = model_with(&bar, path)?;
    bar.set_message("analysing");
    let analysis = Analysis::run(&model);
    bar.finish_and_clear();
    Ok(Loaded { model, analysis })
}

/// Reads and indexes `path`, for a command that needs no analysis. Errors name the file.
pub fn load_model(path: &Path) -> anyhow::Result<Model> {
    let bar = progress_bar();
    let model = model_with(&bar, path)?;
    bar.finish_and_clear();
    Ok(model)
}

fn model_with(bar: &ProgressBar, path: &Path) -> anyhow::Result<Model> {
    bar.set_message(format!("reading {}", path.display()));
    // Events are decoded as the model indexes them: they never all exist at once.
    let stream = format::open_file_with_progress(path, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
        ControlFlow::Continue(())
    })
    // The reader's errors name the file and already include their cause.
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.set_message("indexing");
    bar.set_position(0);
    let model = Model::from_stream_with_progress(stream, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
        ControlFlow::Continue(())
    })
    .with_context(|| format!("loading {}", path.display()))?;
    Ok(model)
}

/// A bar on stderr when it is a terminal; hidden otherwise (pipes, CI, tests).
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg:30!} [{bar:30}] {percent:>3}%") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
