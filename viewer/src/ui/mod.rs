//! The desktop viewer: an egui/eframe window over the [model](crate::model) and
//! [analysis](crate::analysis) of a trace.
//!
//! The UI never parses bytes or derives task states: it reads the model's lanes (sorted,
//! binary-searchable timelines) and the analysis' verdicts, and draws only what is visible.
//! Module map:
//!
//! - [`app`]: the window — opening traces, layout, applying [`view::Command`]s;
//! - [`compare`]: two runs side by side — stacked timelines on one axis, the difference panel;
//! - [`timeline`]: overview strip, time ruler, lanes and navigation; [`paint`] draws one lane,
//!   [`lod`] decides which spans to draw (level of detail), [`arrows`] the causal links;
//! - [`lanes`]: which lanes exist, grouped and filtered; [`view`]: what the user looks at;
//! - [`details`], [`findings`], [`plots`], [`tables`]: the side and bottom panels;
//! - [`document`], [`loader`]: an open trace and how it is loaded; [`recent`]: recent files;
//! - [`time`], [`palette`], [`describe`], [`activity`]: units, colours, words and display
//!   aggregates shared by the panels.

pub mod activity;
pub mod app;
pub mod arrows;
pub mod compare;
pub mod describe;
pub mod details;
pub mod document;
pub mod findings;
pub mod lanes;
pub mod loader;
pub mod lod;
pub mod paint;
pub mod palette;
pub mod plots;
pub mod recent;
pub mod tables;
pub mod time;
pub mod timeline;
pub mod view;

use std::path::PathBuf;

pub use app::App;

/// Why the viewer could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The window could not be created (no display, no usable graphics).
    #[error("could not open the viewer window: {0}")]
    Window(#[from] eframe::Error),
}

/// Opens the viewer window on `paths`: one trace, or two to compare (the first is run A, the
/// baseline; the second run B). With no path it shows the demo trace built into the viewer.
/// Returns when the window is closed.
pub fn run(paths: Vec<PathBuf>) -> Result<(), RunError> {
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("Weft")
            .with_app_id("weft")
            .with_inner_size([1440.0, 900.0])
            .with_min_inner_size([800.0, 500.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "Weft",
        options,
        Box::new(move |cc| {
            let mut app = App::new(cc.storage);
            let mut paths = paths.into_iter();
            match (paths.next(), paths.next()) {
                (Some(a), Some(b)) => app.compare_in_background(a, b, &cc.egui_ctx),
                (Some(path), None) => app.open_in_background(path, &cc.egui_ctx),
                (None, _) => app.open_demo(),
            }
            Ok(Box::new(app))
        }),
    )?;
    Ok(())
}

/// The demo trace built into the viewer (`weft` with no arguments shows it): the `pipeline`
/// sample — stages connected by bounded channels, with backpressure to see.
pub const DEMO_TRACE: &[u8] = include_bytes!("../../../assets/traces/pipeline.weft");
/// The file the demo trace was built from.
pub const DEMO_TRACE_NAME: &str = "pipeline.weft";
