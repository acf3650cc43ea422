//! The compare view's timelines: A above, B below, each under a line naming its file and run,
//! on the shared aligned axis; and the toolbar that chooses the anchor.
//!
//! Only one half takes the navigation keys in a frame — the one under the pointer (A when the
//! pointer is elsewhere) — so a key press moves the shared window once.

use eframe::egui::{self, Color32, Pos2, Rect, RichText, Sense, Stroke, Ui, UiBuilder, Vec2};

use crate::diff::{Anchor, Run};

use super::super::palette;
use super::super::time::format_duration;
use super::super::timeline;
use super::Compare;

/// Space between the halves.
const GAP: f32 = 8.0;

/// The colour that marks run A's and run B's things (headers, plot lines).
pub fn run_colour(run: Run) -> Color32 {
    match run {
        Run::A => Color32::from_rgb(120, 180, 255),
        Run::B => Color32::from_rgb(255, 170, 90),
    }
}

/// The anchor chooser, zoom-out, and the state legend (which sets the highlight of both halves).
pub fn toolbar(ui: &mut Ui, compare: &mut Compare) {
    let mut chosen: Option<Anchor> = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Comparing A with B").strong());
        ui.separator();
        let current = compare.anchor().clone();
        egui::ComboBox::from_label("Align at")
            .selected_text(current.describe())
            .width(260.0)
            .show_ui(ui, |ui| {
                for anchor in compare.anchors() {
                    if ui
                        .selectable_label(*anchor == current, anchor.describe())
                        .clicked()
                    {
                        chosen = Some(anchor.clone());
                    }
                }
            })
            .response
            .on_hover_text(
                "Pin both timelines at the first time each run reaches this: \
                 the start, a mark, a region, a task or a blocking site",
            );
        if ui
            .button("Both runs whole")
            .on_hover_text("Zoom out to both runs (0)")
            .clicked()
        {
            compare.zoom_all();
        }
        if let Some(problem) = compare.problem() {
            ui.label(RichText::new(problem).color(Color32::from_rgb(230, 200, 120)));
        }
    });
    let mut highlight = compare.doc(Run::A).view.highlight;
    let mut present = compare.doc(Run::A).states_present;
    for (p, b) in present.iter_mut().zip(compare.doc(Run::B).states_present) {
        *p |= b;
    }
    palette::legend(ui, &mut highlight, &present);
    if highlight != compare.doc(Run::A).view.highlight {
        compare.apply(Run::A, super::Command::Highlight(highlight));
    }
    if let Some(anchor) = chosen {
        // A run without the anchor is said in the toolbar (`problem`).
        let _ = compare.align_at(anchor);
    }
}

/// Both halves, stacked, in all the space `ui` gives.
pub fn show(ui: &mut Ui, compare: &mut Compare) {
    let full = ui.available_rect_before_wrap();
    let half = ((full.height() - GAP) / 2.0).max(0.0);
    let rect_a = Rect::from_min_size(full.min, Vec2::new(full.width(), half));
    let rect_b = Rect::from_min_size(
        Pos2::new(full.left(), rect_a.bottom() + GAP),
        Vec2::new(full.width(), half),
    );
    let pointer = ui.input(|i| i.pointer.hover_pos());
    let keys = if pointer.is_some_and(|p| rect_b.contains(p)) {
        Run::B
    } else {
        Run::A
    };
    compare.push_window();
    for (run, rect) in [(Run::A, rect_a), (Run::B, rect_b)] {
        let axis = compare.axis(run, keys == run);
        let mut commands = Vec::new();
        let geometry = ui
            .scope_builder(
                UiBuilder::new()
                    .max_rect(rect)
                    .id_salt(("compare half", run.as_str())),
                |ui| {
                    header(ui, compare, run);
                    timeline::show_on(ui, compare.doc_mut(run), axis, &mut commands)
                },
            )
            .inner;
        compare.geometry[super::run_slot(run)] = geometry;
        for command in commands {
            compare.apply(run, command);
        }
        compare.pull_window();
    }
    let divider = rect_a.bottom() + GAP / 2.0;
    ui.painter().hline(
        full.x_range(),
        divider,
        Stroke::new(2.0, ui.visuals().widgets.noninteractive.bg_stroke.color),
    );
    ui.allocate_rect(full, Sense::hover());
}

/// `Run A: file.weft — program, 9 tasks, 12 345 events over 312 ms; 2 tasks only in A`.
fn header(ui: &mut Ui, compare: &Compare, run: Run) {
    let doc = compare.doc(run);
    let model = &doc.model;
    let lanes = compare.lanes();
    let only = match run {
        Run::A => lanes.only_a,
        Run::B => lanes.only_b,
    };
    let program = &model.header().program;
    let mut text = format!(
        "{} — {}{} tasks, {} events over {}",
        doc.title,
        if program.is_empty() {
            String::new()
        } else {
            format!("{program}, ")
        },
        model.tasks().len(),
        model.event_count(),
        format_duration(model.duration_ns() as f64)
    );
    if only > 0 {
        text.push_str(&format!("; {only} only in {}", run.as_str()));
    }
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(" {} ", run.as_str()))
                .strong()
                .background_color(run_colour(run))
                .color(Color32::BLACK),
        );
        ui.label(RichText::new(format!("Run {}: {text}", run.as_str())).strong());
    });
}
