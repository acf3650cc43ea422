//! `weft view` and `weft` alone: the desktop viewer.

use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(traces: Vec<PathBuf>) -> anyhow::Result<ExitCode> {
    for path in &traces {
        if !path.is_file() {
            anyhow::bail!("cannot open {}: no such file", path.display());
        }
    }
    open_viewer(traces)?;
    Ok(ExitCode::SUCCESS)
}

/// Whether a windowing system is reachable. Checked before eframe starts so that a terminal
/// without one (ssh, CI) gets a sentence and the commands that work there, not winit's error.
#[cfg(feature = "gui")]
fn display_available() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY", "WAYLAND_SOCKET"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// Opens the viewer on `traces` (none: the bundled demo trace).
#[cfg(feature = "gui")]
fn open_viewer(traces: Vec<PathBuf>) -> anyhow::Result<()> {
    if !display_available() {
        anyhow::bail!(
            "no display to open the viewer on (neither DISPLAY nor WAYLAND_DISPLAY is set); \
             in a terminal use `weft stats`, `weft check` or `weft diff`, or \
             `weft export --format chrome` and open the result in Perfetto"
        );
    }
    weft_viewer::ui::run(traces).map_err(|e| anyhow::anyhow!("the viewer could not start: {e}"))
}

#[cfg(not(feature = "gui"))]
fn open_viewer(traces: Vec<PathBuf>) -> anyhow::Result<()> {
    let _ = traces;
    anyhow::bail!(
        "this weft was built without the `gui` feature; use `weft stats`, `weft check`, or \
         `weft export --format chrome` and open the result in Perfetto"
    )
}
