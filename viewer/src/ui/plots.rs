//! egui_plot panels: live tasks by state over time, the histogram of blocked durations, and the
//! queue depth of a channel. Plots over time follow the timeline's window (their x axis is the
//! timeline's, so they zoom and pan with it); each is rebuilt every frame from borrowed data.

use eframe::egui::{self, Color32, Ui};
use egui_plot::{Bar, BarChart, FilledArea, GridMark, Legend, Line, Plot, PlotPoints};

use crate::model::{ObjectIx, State};

use super::activity::{BlockedHistogram, HIST_PER_DECADE};
use super::describe;
use super::document::Document;
use super::lod::{self, Piece};
use super::palette::{self, state_colour, state_label};
use super::time::format_duration;
use super::view::{Command, Selection};

/// Plot x values are ms since the first event: readable axis numbers.
fn x_ms(doc: &Document, ts: f64) -> f64 {
    (ts - doc.model.start_ns() as f64) / 1e6
}

fn time_axis(mark: GridMark, _range: &std::ops::RangeInclusive<f64>) -> String {
    format_duration(mark.value * 1e6)
}

/// A plot over time whose x axis (ms) belongs to the timeline: it follows the timeline's window
/// and has no zoom or pan of its own. The y axis starts at zero.
pub fn over_time<'a>(id: &str, y_label: &str) -> Plot<'a> {
    Plot::new(id)
        .x_axis_formatter(time_axis)
        .y_axis_label(y_label)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_y(0.0)
}

/// Tasks in each state over time, stacked.
pub fn live_tasks(ui: &mut Ui, doc: &Document) {
    let activity = &doc.activity;
    let xs: Vec<f64> = (0..activity.counts.len())
        .map(|b| x_ms(doc, activity.bucket_mid(b)))
        .collect();
    let mut base = vec![0f64; xs.len()];
    let window = doc.view.window;
    let (x0, x1) = (x_ms(doc, window.start), x_ms(doc, window.end));
    over_time("live tasks by state", "tasks")
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .show(ui, |plot| {
            plot.set_plot_bounds_x(x0..=x1);
            for state in palette::legend_states() {
                if state == State::Done {
                    continue;
                }
                let top: Vec<f64> = base
                    .iter()
                    .zip(&activity.counts)
                    .map(|(b, c)| b + f64::from(c[state.index()]))
                    .collect();
                if top.iter().zip(&base).all(|(t, b)| t <= b) {
                    continue;
                }
                plot.add(
                    FilledArea::new(state_label(state), &xs, &base, &top)
                        .fill_color(state_colour(state).gamma_multiply(0.8)),
                );
                base = top;
            }
        });
}

/// Blocked span durations on a log axis, stacked by reason.
pub fn blocked_histogram(ui: &mut Ui, hist: &BlockedHistogram) {
    if hist.counts.is_empty() {
        ui.weak("No task was ever blocked in this trace.");
        return;
    }
    let mut charts: Vec<BarChart> = Vec::new();
    for state in palette::legend_states() {
        if state.blocked().is_none() {
            continue;
        }
        let bars: Vec<Bar> = hist
            .counts
            .iter()
            .enumerate()
            .map(|(b, c)| {
                Bar::new(b as f64 / HIST_PER_DECADE, f64::from(c[state.index()]))
                    .width(0.9 / HIST_PER_DECADE)
            })
            .collect();
        if bars.iter().all(|b| b.value == 0.0) {
            continue;
        }
        let refs: Vec<&BarChart> = charts.iter().collect();
        let chart = BarChart::new(state_label(state), bars)
            .color(state_colour(state))
            .stack_on(&refs);
        charts.push(chart);
    }
    Plot::new("blocked durations")
        .legend(Legend::default().position(egui_plot::Corner::RightTop))
        .x_axis_formatter(|mark, _| format_duration(10f64.powf(mark.value)))
        .y_axis_label("spans")
        .include_y(0.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |plot| {
            for chart in charts {
                plot.add(chart);
            }
        });
}

/// The channel the queue-depth plot shows: the selected one, else the one chosen in the panel,
/// else the deepest.
pub fn default_channel(doc: &Document) -> Option<ObjectIx> {
    if let Some(Selection::Object(o)) = doc.view.selection {
        if doc.model.object(o).kind.is_channel() {
            return Some(o);
        }
    }
    doc.catalog.object_groups[0]
        .iter()
        .copied()
        .max_by_key(|&o| doc.object_scale(o).max_level)
}

/// The queue depth of a channel over the visible window.
pub fn queue_depth(
    ui: &mut Ui,
    doc: &Document,
    chosen: &mut Option<ObjectIx>,
    out: &mut Vec<Command>,
) {
    let channels = &doc.catalog.object_groups[0];
    if channels.is_empty() {
        ui.weak("This trace has no channels.");
        return;
    }
    if let Some(Selection::Object(o)) = doc.view.selection {
        if doc.model.object(o).kind.is_channel() {
            *chosen = Some(o);
        }
    }
    let current = chosen
        .filter(|o| channels.contains(o))
        .or_else(|| default_channel(doc));
    let Some(channel) = current else { return };
    ui.horizontal(|ui| {
        ui.label("Channel:");
        egui::ComboBox::from_id_salt("queue depth channel")
            .selected_text(describe::object(&doc.model, channel))
            .show_ui(ui, |ui| {
                for &o in channels {
                    if ui
                        .selectable_label(o == channel, describe::object(&doc.model, o))
                        .clicked()
                    {
                        *chosen = Some(o);
                        out.push(Command::Select(Selection::Object(o)));
                    }
                }
            });
    });
    let events = doc.model.object_events(channel);
    let window = doc.view.window;
    let width = ui.available_width().max(100.0);
    let ns_per_px = window.ns_per_px(width);
    let mut points: Vec<[f64; 2]> = Vec::new();
    lod::pieces(
        &lod::LaneSpans::new(&events),
        window.start..window.end,
        ns_per_px,
        1.0,
        |i| events.row(i).level(),
        |_| true,
        |piece| {
            let (level, start, end) = match piece {
                Piece::Span(i) => (events.row(i).level(), events.start_of(i), events.end_of(i)),
                Piece::Summary {
                    start_ns,
                    end_ns,
                    dominant,
                    ..
                } => (dominant, start_ns, end_ns),
            };
            points.push([x_ms(doc, start as f64), f64::from(level)]);
            points.push([x_ms(doc, end as f64), f64::from(level)]);
        },
    );
    let (x0, x1) = (x_ms(doc, window.start), x_ms(doc, window.end));
    over_time("queue depth", "queued")
        .include_y(f64::from(doc.object_scale(channel).max_level))
        .show(ui, |plot| {
            plot.set_plot_bounds_x(x0..=x1);
            plot.add(
                Line::new("queue depth", PlotPoints::from(points))
                    .color(Color32::from_rgb(72, 178, 196))
                    .fill(0.0),
            );
        });
}
