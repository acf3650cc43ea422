//! The timeline: overview strip, time ruler, and the lanes with their labels — and navigation
//! (wheel zoom at the cursor, drag to pan, WASD, double-click to zoom to a span, shift-drag to
//! measure).
//!
//! Each frame it builds a small borrowed view (visible window, rows in view, painter) and draws
//! only what intersects it; between frames it keeps nothing but the [`ViewState`] of the
//! document. Selections go out as [`Command`]s; zoom, pan and measurement are the timeline's own
//! state and change in place.

use std::ops::Range;

use eframe::egui::{
    self, accesskit::Role, Align2, Color32, CornerRadius, FontId, Key, PointerButton, Pos2, Rect,
    Sense, Stroke, StrokeKind, Ui, Vec2, WidgetInfo,
};

use crate::model::{Model, State, TaskIx, WorkerIx};

use super::arrows;
use super::describe;
use super::document::Document;
use super::lanes::{GroupKey, LaneKey, PlacedRow, Row};
use super::paint::{self, LaneCtx};
use super::palette::{self, state_colour};
use super::time::{format_duration, format_tick, tick_step, ticks, TimeWindow};
use super::view::{whole, Command, Measure, Selection};

/// Width of the lane-label column.
pub const LABEL_WIDTH: f32 = 250.0;
const OVERVIEW_HEIGHT: f32 = 36.0;
const RULER_HEIGHT: f32 = 24.0;
/// Ruler ticks at least this far apart.
const TICK_MIN_PX: f64 = 90.0;

/// Where the last frame drew the lanes, so arrows, tests and the app can find a lane on screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    /// Left and right pixel of the time axis.
    pub x_range: (f32, f32),
    /// Screen y of the top of the first row (moves with scrolling).
    pub rows_origin_y: f32,
    /// The visible lane area (labels and canvas).
    pub lanes_clip: Rect,
    /// The time window that was drawn.
    pub window: TimeWindow,
}

impl Default for Geometry {
    fn default() -> Self {
        Geometry {
            x_range: (0.0, 1.0),
            rows_origin_y: 0.0,
            lanes_clip: Rect::NOTHING,
            window: TimeWindow::new(0.0, 1.0),
        }
    }
}

impl Geometry {
    /// The x of instant `t`.
    pub fn x_of(&self, t: f64) -> f32 {
        self.window.x_of(t, self.x_range.0, self.x_range.1)
    }

    /// The screen rectangle of a row, labels included.
    pub fn row_rect(&self, row: &PlacedRow) -> Rect {
        Rect::from_x_y_ranges(
            self.lanes_clip.left()..=self.x_range.1,
            (self.rows_origin_y + row.y)..=(self.rows_origin_y + row.y + row.height),
        )
    }
}

/// The time axis a timeline draws its document on: which of the document's instants the ruler
/// reads as zero, and how far zoom and pan may go.
///
/// A single trace reads from its first event and keeps to itself ([`Axis::of`]). The compare
/// view draws two runs on one aligned axis: each half's zero is its run's anchor and both may
/// pan over the union of the two runs, so that equal times sit one above the other.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axis {
    /// The document's instant (ns) that the ruler reads as 0.
    pub origin_ns: f64,
    /// What zoom and pan keep on screen, in the document's ns; the overview strip spans it.
    pub bounds: TimeWindow,
    /// Whether this timeline takes the navigation keys (of two timelines, one does).
    pub keys: bool,
}

impl Axis {
    /// The axis of a trace shown alone: zero at its first event, bounded by its extent.
    pub fn of(doc: &Document) -> Axis {
        Axis {
            origin_ns: doc.model.start_ns() as f64,
            bounds: whole(doc.model.start_ns(), doc.model.end_ns()),
            keys: true,
        }
    }

    /// The time of the document's instant `t` on this axis: `+1.20 ms`, `-350 µs`.
    fn reading(&self, t: f64) -> String {
        let offset = t - self.origin_ns;
        let sign = if offset < 0.0 { "-" } else { "+" };
        format!("{sign}{}", format_duration(offset.abs()))
    }
}

/// How a drag on the canvas started.
#[derive(Clone, Copy, Debug, PartialEq)]
enum DragMode {
    Pan,
    Measure,
}

/// Shows the timeline of `doc` in `ui` (all the space it is given).
pub fn show(ui: &mut Ui, doc: &mut Document, out: &mut Vec<Command>) -> Geometry {
    let axis = Axis::of(doc);
    show_on(ui, doc, axis, out)
}

/// Shows the timeline of `doc` in `ui` on `axis` (all the space it is given), with the lanes of
/// the document's layout (its catalog's, or an order set with
/// [`Document::set_lane_order`]).
pub fn show_on(ui: &mut Ui, doc: &mut Document, axis: Axis, out: &mut Vec<Command>) -> Geometry {
    doc.layout();
    let full = ui.available_rect_before_wrap();
    let x_range = (full.left() + LABEL_WIDTH, full.right() - 14.0);

    if axis.keys {
        keyboard(ui, doc, axis.bounds, x_range, out);
    }

    let overview_rect = Rect::from_min_size(full.min, Vec2::new(full.width(), OVERVIEW_HEIGHT));
    overview(ui, doc, overview_rect, axis.bounds, x_range);
    let ruler_rect = Rect::from_min_size(
        Pos2::new(full.left(), overview_rect.bottom()),
        Vec2::new(full.width(), RULER_HEIGHT),
    );
    let lanes_rect = Rect::from_min_max(Pos2::new(full.left(), ruler_rect.bottom()), full.max);
    ui.allocate_rect(Rect::from_min_max(full.min, ruler_rect.max), Sense::hover());

    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(lanes_rect)
            .layout(egui::Layout::top_down(egui::Align::Min)),
    );
    let geometry = lanes(&mut child, doc, &axis, x_range, out);
    ui.allocate_rect(lanes_rect, Sense::hover());

    ruler(ui, doc, &axis, ruler_rect, x_range, geometry);
    geometry
}

/// W/S zoom and A/D pan (as in Perfetto and chrome://tracing), F zooms to the selection, 0 shows
/// everything, L toggles the arrows of everything in view, Escape clears the measurement and
/// the selection. Keys act only while no text field
/// has the keyboard.
fn keyboard(
    ui: &Ui,
    doc: &mut Document,
    bounds: TimeWindow,
    x_range: (f32, f32),
    out: &mut Vec<Command>,
) {
    if ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    let (dt, w, s, a, d, f, zero, escape, pointer, links) = ui.input(|i| {
        (
            f64::from(i.stable_dt.min(0.1)),
            i.key_down(Key::W),
            i.key_down(Key::S),
            i.key_down(Key::A),
            i.key_down(Key::D),
            i.key_pressed(Key::F),
            i.key_pressed(Key::Num0) || i.key_pressed(Key::Home),
            i.key_pressed(Key::Escape),
            i.pointer.hover_pos(),
            i.key_pressed(Key::L),
        )
    });
    if links {
        doc.view.all_arrows = !doc.view.all_arrows;
    }
    let window = &mut doc.view.window;
    let anchor = match pointer {
        Some(p) if p.x >= x_range.0 && p.x <= x_range.1 => window.t_of(p.x, x_range.0, x_range.1),
        _ => (window.start + window.end) / 2.0,
    };
    let mut moving = false;
    if w {
        window.zoom_at(anchor, (-3.0 * dt).exp());
        moving = true;
    }
    if s {
        window.zoom_at(anchor, (3.0 * dt).exp());
        moving = true;
    }
    if a {
        window.pan_by(-window.duration() * 1.2 * dt);
        moving = true;
    }
    if d {
        window.pan_by(window.duration() * 1.2 * dt);
        moving = true;
    }
    if moving {
        doc.view.window.keep_within(bounds);
        ui.ctx().request_repaint();
    }
    if zero {
        out.push(Command::ZoomAll);
    }
    if f {
        if let Some(range) = selection_range(doc) {
            out.push(Command::ZoomTo {
                start: range.0,
                end: range.1,
            });
        }
    }
    if escape {
        if doc.view.measure.is_some() {
            doc.view.measure = None;
        } else {
            out.push(Command::ClearSelection);
        }
    }
}

/// The time range of the selection, for zoom-to-selection.
pub fn selection_range(doc: &Document) -> Option<(u64, u64)> {
    let model = &doc.model;
    match doc.view.selection? {
        Selection::Span { task, index } => {
            let lane = model.timeline(task);
            (index < lane.len()).then(|| (lane.start_of(index), lane.end_of(index)))
        }
        Selection::Task(t) => {
            let task = model.task(t);
            let start = task.spawned_at.or(task.started_at)?;
            Some((start, task.exited_at.unwrap_or(model.end_ns())))
        }
        Selection::Object(o) => {
            let events = model.object_events(o);
            let first = events.starts().first()?;
            let last = events.starts().last()?;
            Some((first, last.max(first + 1)))
        }
        Selection::Worker(_) => None,
    }
}

/// The overview strip: activity over the whole trace (tasks by state, stacked) with the visible
/// window marked, over `extent` (the trace, or both runs' aligned extent). Click or drag on it
/// to move the window there.
fn overview(ui: &mut Ui, doc: &mut Document, rect: Rect, extent: TimeWindow, x_range: (f32, f32)) {
    let activity = &doc.activity;
    let painter = ui.painter_at(rect);
    let bar = Rect::from_x_y_ranges(
        x_range.0..=x_range.1,
        (rect.top() + 3.0)..=(rect.bottom() - 3.0),
    );
    painter.rect_filled(bar, 2.0, ui.visuals().extreme_bg_color);
    let model = &doc.model;
    let trace_window = extent;
    let peak = activity.peak_live.max(1.0);
    let columns = activity.counts.len().max(1) as f32;
    let col_w = (bar.width() / columns).max(1.0);
    for (b, counts) in activity.counts.iter().enumerate() {
        let x = trace_window.x_of(activity.bucket_mid(b), bar.left(), bar.right());
        let mut y = bar.bottom();
        for state in palette::legend_states() {
            if state == State::Done {
                continue;
            }
            let h = counts[state.index()] / peak * bar.height();
            if h <= 0.0 {
                continue;
            }
            let r = Rect::from_x_y_ranges((x - col_w / 2.0)..=(x + col_w / 2.0), (y - h)..=y);
            painter.rect_filled(r, 0.0, state_colour(state).gamma_multiply(0.8));
            y -= h;
        }
    }
    // The visible window.
    let w = doc.view.window;
    let x0 = trace_window
        .x_of(w.start, bar.left(), bar.right())
        .max(bar.left());
    let x1 = trace_window
        .x_of(w.end, bar.left(), bar.right())
        .min(bar.right());
    let shown = Rect::from_x_y_ranges(x0..=x1.max(x0 + 2.0), bar.y_range());
    painter.rect_filled(shown, 1.0, Color32::from_white_alpha(28));
    painter.rect_stroke(
        shown,
        1.0,
        Stroke::new(1.5, Color32::WHITE),
        StrokeKind::Inside,
    );

    painter.text(
        Pos2::new(rect.left() + 6.0, rect.center().y),
        Align2::LEFT_CENTER,
        format!(
            "{} tasks · {} events · {}",
            model.tasks().len(),
            model.event_count(),
            format_duration(model.duration_ns() as f64)
        ),
        FontId::proportional(12.0),
        ui.visuals().text_color(),
    );

    let response = ui.interact(bar, ui.scope_id().with("overview"), Sense::click_and_drag());
    response
        .widget_info(|| WidgetInfo::labeled(Role::ScrollBar, true, "Overview of the whole trace"));
    if response.clicked() || response.dragged() {
        if let Some(p) = response.interact_pointer_pos() {
            let centre = trace_window.t_of(p.x, bar.left(), bar.right());
            let half = doc.view.window.duration() / 2.0;
            doc.view.window = TimeWindow::new(centre - half, centre + half);
        }
    }
}

/// The time ruler: ticks with units, the time under the cursor, the measurement.
fn ruler(
    ui: &Ui,
    doc: &Document,
    axis: &Axis,
    rect: Rect,
    x_range: (f32, f32),
    geometry: Geometry,
) {
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    painter.rect_filled(rect, 0.0, visuals.faint_bg_color);
    let window = geometry.window;
    let origin = axis.origin_ns;
    let step = tick_step(window.ns_per_px(x_range.1 - x_range.0), TICK_MIN_PX);
    let relative = TimeWindow {
        start: window.start - origin,
        end: window.end - origin,
    };
    let text_colour = visuals.text_color();
    for t in ticks(relative, step) {
        let x = relative.x_of(t, x_range.0, x_range.1);
        painter.line_segment(
            [
                Pos2::new(x, rect.bottom() - 7.0),
                Pos2::new(x, rect.bottom()),
            ],
            Stroke::new(1.0, text_colour),
        );
        painter.text(
            Pos2::new(x + 3.0, rect.bottom() - 8.0),
            Align2::LEFT_BOTTOM,
            format_tick(t, step),
            FontId::monospace(11.0),
            text_colour,
        );
        // Minor ticks.
        for k in 1..5 {
            let xm = relative.x_of(t + step * f64::from(k) / 5.0, x_range.0, x_range.1);
            if xm < x_range.1 {
                painter.line_segment(
                    [
                        Pos2::new(xm, rect.bottom() - 3.0),
                        Pos2::new(xm, rect.bottom()),
                    ],
                    Stroke::new(1.0, visuals.weak_text_color()),
                );
            }
        }
    }
    let readout = match (doc.view.measure, ui.input(|i| i.pointer.hover_pos())) {
        (Some(m), _) => format!("measured {}", format_duration(m.duration())),
        (None, Some(p))
            if p.x >= x_range.0 && p.x <= x_range.1 && geometry.lanes_clip.contains(p) =>
        {
            format!(
                "cursor {}",
                axis.reading(window.t_of(p.x, x_range.0, x_range.1))
            )
        }
        _ => format!("window {}", format_duration(window.duration())),
    };
    painter.text(
        Pos2::new(rect.left() + 6.0, rect.center().y),
        Align2::LEFT_CENTER,
        &readout,
        FontId::monospace(12.0),
        text_colour,
    );
    // The readout is what a screen reader (and a test) reads off the ruler.
    let readout_rect = Rect::from_x_y_ranges(rect.left()..=x_range.0, rect.y_range());
    ui.interact(
        readout_rect,
        ui.scope_id().with("ruler readout"),
        Sense::hover(),
    )
    .widget_info(|| WidgetInfo::labeled(Role::Label, true, &readout));
}

/// The lanes: labels on the left, timelines on the right, in a vertical scroll area whose
/// position is kept in the view state (so drags and "reveal" can scroll it).
fn lanes(
    ui: &mut Ui,
    doc: &mut Document,
    axis: &Axis,
    x_range: (f32, f32),
    out: &mut Vec<Command>,
) -> Geometry {
    // Bring a requested lane into view before the scroll area reads the offset.
    let viewport_height = ui.available_height();
    if let Some(lane) = doc.view.scroll_to.take() {
        if let Some(row) = doc.current_layout().find(lane) {
            let (top, bottom) = (row.y, row.y + row.height);
            if top < doc.view.scroll_y || bottom > doc.view.scroll_y + viewport_height {
                doc.view.scroll_y = (top - viewport_height / 3.0).max(0.0);
            }
        }
    }
    let max_scroll = (doc.current_layout().total_height - viewport_height + 8.0).max(0.0);
    doc.view.scroll_y = doc.view.scroll_y.clamp(0.0, max_scroll);

    let output = egui::ScrollArea::vertical()
        .id_salt("lanes")
        .auto_shrink([false, false])
        .scroll_source(egui::scroll_area::ScrollSource {
            scroll_bar: true,
            drag: egui::scroll_area::DragScroll::Never,
            mouse_wheel: false,
        })
        .vertical_scroll_offset(doc.view.scroll_y)
        .show_viewport(ui, |ui, viewport| {
            lane_contents(ui, viewport, doc, axis, x_range, out)
        });
    // The scroll area reports where it scrolled (its bar may have been dragged); drags and
    // the wheel over the labels asked for more, applied on the next frame.
    doc.view.scroll_y = output.state.clamped_offset().y + doc.view.scroll_request;
    doc.view.scroll_request = 0.0;
    let mut geometry = output.inner;
    geometry.lanes_clip = output.inner_rect;
    geometry
}

fn lane_contents(
    ui: &mut Ui,
    viewport: Rect,
    doc: &mut Document,
    axis: &Axis,
    x_range: (f32, f32),
    out: &mut Vec<Command>,
) -> Geometry {
    let origin = ui.max_rect().min;
    let total_height = doc.current_layout().total_height;
    ui.set_min_height(total_height);
    ui.set_min_width(ui.available_width());

    let visible_top = origin.y + viewport.top();
    let canvas = Rect::from_x_y_ranges(
        x_range.0..=x_range.1,
        visible_top..=(visible_top + viewport.height()),
    );
    let label_area = Rect::from_x_y_ranges(
        origin.x..=x_range.0,
        visible_top..=(visible_top + viewport.height()),
    );

    // ---- input: hit-test the canvas first so this frame draws the new window ----
    let response = ui.interact(
        canvas,
        ui.scope_id().with("timeline canvas"),
        Sense::click_and_drag(),
    );
    response.widget_info(|| WidgetInfo::labeled(Role::Canvas, true, "Timeline"));
    navigate(ui, &response, doc, axis.bounds, x_range, label_area);

    let mut geometry = Geometry {
        x_range,
        rows_origin_y: origin.y,
        lanes_clip: Rect::from_min_max(label_area.min, canvas.max),
        window: doc.view.window,
    };

    // ---- picking: what is under the pointer ----
    let pointer = response.hover_pos();
    let hovered_lane = pointer.and_then(|p| lane_at(doc, origin.y, p.y));
    let pointer_t = pointer.map(|p| doc.view.window.t_of(p.x, x_range.0, x_range.1));
    if response.clicked() {
        match (hovered_lane, pointer_t) {
            (Some(lane), Some(t)) => out.push(pick(doc, lane, t)),
            _ => out.push(Command::ClearSelection),
        }
    }
    if response.double_clicked() {
        if let (Some(LaneKey::Task(task)), Some(t)) = (hovered_lane, pointer_t) {
            if let Some((start, end)) = span_range_at(doc, task, t) {
                out.push(Command::ZoomTo { start, end });
            }
        }
    }

    // ---- painting ----
    let painter = ui.painter_at(canvas);
    let label_painter = ui.painter_at(label_area);
    let visuals = ui.visuals().clone();
    let long_wait_ns = (doc.model.duration_ns() / 20).max(1_000_000);
    let rows: Vec<PlacedRow> = doc
        .current_layout()
        .visible(viewport.top(), viewport.bottom())
        .to_vec();
    for (n, row) in rows.iter().enumerate() {
        let y0 = origin.y + row.y;
        let row_rect = Rect::from_x_y_ranges(origin.x..=x_range.1, y0..=(y0 + row.height));
        let canvas_row = Rect::from_x_y_ranges(x_range.0..=x_range.1, row_rect.y_range());
        let label_rect = Rect::from_x_y_ranges(origin.x..=(x_range.0 - 4.0), row_rect.y_range());
        match &row.row {
            Row::Group {
                key,
                label,
                count,
                depth,
                collapsed,
            } => {
                painter.rect_filled(canvas_row, 0.0, visuals.faint_bg_color);
                label_painter.rect_filled(
                    label_rect.expand2(Vec2::new(4.0, 0.0)),
                    0.0,
                    visuals.faint_bg_color,
                );
                let indent = 6.0 + f32::from(*depth) * 14.0;
                disclosure_triangle(
                    &label_painter,
                    Pos2::new(label_rect.left() + indent + 5.0, label_rect.center().y),
                    *collapsed,
                    visuals.strong_text_color(),
                );
                // The count matters more than the end of a long site: truncate the label.
                let font = if *depth == 0 {
                    FontId::proportional(13.0)
                } else {
                    FontId::proportional(12.0)
                };
                let text_left = label_rect.left() + indent + 14.0;
                let count_galley = label_painter.layout_no_wrap(
                    format!("({count})"),
                    font.clone(),
                    visuals.strong_text_color(),
                );
                let mut job = egui::text::LayoutJob::simple_singleline(
                    label.clone(),
                    font,
                    visuals.strong_text_color(),
                );
                job.wrap = egui::text::TextWrapping::truncate_at_width(
                    (label_rect.right() - text_left - count_galley.size().x - 8.0).max(20.0),
                );
                let label_galley = label_painter.layout_job(job);
                let label_pos = Align2::LEFT_CENTER.anchor_size(
                    Pos2::new(text_left, label_rect.center().y),
                    label_galley.size(),
                );
                let count_x = label_pos.right() + 6.0;
                label_painter.galley(label_pos.min, label_galley, visuals.strong_text_color());
                label_painter.galley(
                    Align2::LEFT_CENTER
                        .anchor_size(
                            Pos2::new(count_x, label_rect.center().y),
                            count_galley.size(),
                        )
                        .min,
                    count_galley,
                    visuals.strong_text_color(),
                );
                let r = ui.interact(
                    label_rect,
                    ui.scope_id().with(("group", *key)),
                    Sense::click(),
                );
                let accessible = format!("{label} ({count})");
                let expanded = !*collapsed;
                r.widget_info(|| {
                    let mut info = WidgetInfo::labeled(Role::Button, true, &accessible);
                    info.selected = Some(expanded);
                    info
                });
                let action = if *collapsed { "expand" } else { "collapse" };
                let hover = match key {
                    GroupKey::TaskSite(site) => doc
                        .catalog
                        .task_groups
                        .iter()
                        .find(|g| g.site.0 == *site)
                        .map_or_else(
                            || action.to_owned(),
                            |g| format!("{} (click to {action})", g.detail),
                        ),
                    _ => format!("Click to {action}"),
                };
                let r = r.on_hover_text(hover);
                if r.clicked() {
                    out.push(Command::ToggleGroup(*key));
                }
            }
            Row::Lane(lane) => {
                if n % 2 == 0 {
                    painter.rect_filled(canvas_row, 0.0, Color32::from_white_alpha(4));
                }
                let selected = doc.view.selection.is_some_and(|s| s.lane() == *lane);
                if selected {
                    painter.rect_filled(canvas_row, 0.0, Color32::from_white_alpha(10));
                    label_painter.rect_filled(label_rect, 2.0, visuals.selection.bg_fill);
                }
                lane_label(ui, &label_painter, label_rect, doc, *lane, selected, out);
                let lane_painter = painter.with_clip_rect(canvas_row.intersect(canvas));
                let cx = LaneCtx {
                    painter: &lane_painter,
                    rect: canvas_row,
                    window: doc.view.window,
                    x_range,
                    highlight: doc.view.highlight,
                    long_wait_ns,
                };
                match *lane {
                    LaneKey::Task(t) => paint::task_lane(&cx, doc, t, doc.view.selection),
                    LaneKey::Worker(w) => paint::worker_lane(&cx, &doc.model, w),
                    LaneKey::Object(o) => paint::object_lane(&cx, doc, o),
                }
            }
        }
        painter.hline(
            x_range.0..=x_range.1,
            row_rect.bottom(),
            Stroke::new(1.0, Color32::from_white_alpha(8)),
        );
    }
    // Grid lines at the ruler's ticks help read times off the lanes.
    let step = tick_step(
        doc.view.window.ns_per_px(x_range.1 - x_range.0),
        TICK_MIN_PX,
    );
    for t in ticks(doc.view.window, step) {
        let x = doc.view.window.x_of(t, x_range.0, x_range.1);
        painter.vline(
            x,
            canvas.y_range(),
            Stroke::new(1.0, Color32::from_white_alpha(6)),
        );
    }
    painter.vline(
        doc.view
            .window
            .x_of(doc.model.end_ns() as f64, x_range.0, x_range.1),
        canvas.y_range(),
        Stroke::new(1.0, Color32::from_white_alpha(60)),
    );
    // An axis pinned elsewhere than the trace's start marks its zero: the anchor.
    if axis.origin_ns != doc.model.start_ns() as f64 {
        painter.vline(
            doc.view.window.x_of(axis.origin_ns, x_range.0, x_range.1),
            canvas.y_range(),
            Stroke::new(1.5, palette::ANCHOR),
        );
    }

    geometry.window = doc.view.window;
    arrows::paint(&painter, doc, &geometry);

    if let Some(m) = doc.view.measure {
        let (a, b) = m.range();
        let x0 = doc.view.window.x_of(a, x_range.0, x_range.1);
        let x1 = doc.view.window.x_of(b, x_range.0, x_range.1);
        let band = Rect::from_x_y_ranges(x0..=x1.max(x0 + 1.0), canvas.y_range());
        painter.rect_filled(band, 0.0, palette::MEASURE);
        painter.vline(x0, canvas.y_range(), Stroke::new(1.0, Color32::LIGHT_BLUE));
        painter.vline(x1, canvas.y_range(), Stroke::new(1.0, Color32::LIGHT_BLUE));
        let label_pos = Pos2::new((x0 + x1) / 2.0, canvas.top() + 12.0);
        let text = format_duration(m.duration());
        let galley_rect = painter.text(
            label_pos,
            Align2::CENTER_CENTER,
            &text,
            FontId::proportional(13.0),
            Color32::WHITE,
        );
        painter.rect_filled(galley_rect.expand(3.0), 3.0, Color32::from_black_alpha(160));
        painter.text(
            label_pos,
            Align2::CENTER_CENTER,
            text,
            FontId::proportional(13.0),
            Color32::WHITE,
        );
    }

    // The cursor line and a tooltip for what is under it.
    if let (Some(p), Some(t)) = (pointer, pointer_t) {
        painter.vline(
            p.x,
            canvas.y_range(),
            Stroke::new(1.0, Color32::from_white_alpha(40)),
        );
        if let Some(lane) = hovered_lane {
            if !response.dragged() {
                let ns_per_px = doc.view.window.ns_per_px(x_range.1 - x_range.0);
                let tip = tooltip(doc, lane, t, ns_per_px);
                if !tip.is_empty() {
                    response.on_hover_ui_at_pointer(|ui| {
                        for line in tip {
                            ui.label(line);
                        }
                    });
                }
            }
        }
    }
    geometry
}

/// A small triangle: pointing right when collapsed, down when expanded.
fn disclosure_triangle(painter: &egui::Painter, centre: Pos2, collapsed: bool, colour: Color32) {
    let r = 4.0;
    let points = if collapsed {
        vec![
            centre + Vec2::new(-r * 0.6, -r),
            centre + Vec2::new(r * 0.9, 0.0),
            centre + Vec2::new(-r * 0.6, r),
        ]
    } else {
        vec![
            centre + Vec2::new(-r, -r * 0.6),
            centre + Vec2::new(r, -r * 0.6),
            centre + Vec2::new(0.0, r * 0.9),
        ]
    };
    painter.add(egui::Shape::convex_polygon(points, colour, Stroke::NONE));
}

/// Wheel zooms at the cursor, horizontal scroll pans, wheel over the labels scrolls lanes,
/// drag pans (both ways), shift-drag measures.
fn navigate(
    ui: &Ui,
    response: &egui::Response,
    doc: &mut Document,
    bounds: TimeWindow,
    x_range: (f32, f32),
    label_area: Rect,
) {
    let (scroll, zoom, pointer, shift) = ui.input(|i| {
        (
            i.smooth_scroll_delta,
            i.zoom_delta(),
            i.pointer.hover_pos(),
            i.modifiers.shift,
        )
    });
    let width = x_range.1 - x_range.0;
    let view = &mut doc.view;
    if response.hovered() {
        if let Some(p) = pointer {
            let anchor = view.window.t_of(p.x, x_range.0, x_range.1);
            if scroll.y != 0.0 {
                view.window
                    .zoom_at(anchor, f64::from(-scroll.y * 0.004).exp());
            }
            if zoom != 1.0 {
                view.window.zoom_at(anchor, 1.0 / f64::from(zoom));
            }
            if scroll.x != 0.0 {
                view.window
                    .pan_by(-f64::from(scroll.x) * view.window.ns_per_px(width));
            }
        }
    } else if pointer.is_some_and(|p| label_area.contains(p)) && scroll.y != 0.0 {
        view.scroll_request -= scroll.y;
    }

    let mode_id = response.id.with("drag mode");
    if response.drag_started_by(PointerButton::Primary) {
        let mode = if shift {
            DragMode::Measure
        } else {
            DragMode::Pan
        };
        ui.ctx().data_mut(|d| d.insert_temp(mode_id, mode));
        if mode == DragMode::Measure {
            if let Some(p) = response.interact_pointer_pos() {
                let t = view.window.t_of(p.x, x_range.0, x_range.1);
                view.measure = Some(Measure { from: t, to: t });
            }
        }
    }
    if response.dragged_by(PointerButton::Primary) {
        let mode = ui
            .ctx()
            .data(|d| d.get_temp::<DragMode>(mode_id))
            .unwrap_or(DragMode::Pan);
        let delta = response.drag_delta();
        match mode {
            DragMode::Pan => {
                view.window
                    .pan_by(-f64::from(delta.x) * view.window.ns_per_px(width));
                view.scroll_request -= delta.y;
            }
            DragMode::Measure => {
                if let (Some(p), Some(m)) = (response.interact_pointer_pos(), view.measure.as_mut())
                {
                    m.to = view.window.t_of(p.x, x_range.0, x_range.1);
                }
            }
        }
    }
    doc.view.window.keep_within(bounds);
}

/// The lane under screen y.
fn lane_at(doc: &Document, origin_y: f32, y: f32) -> Option<LaneKey> {
    let rows = doc
        .current_layout()
        .visible(y - origin_y, y - origin_y + 0.5);
    rows.iter().find_map(|r| match r.row {
        Row::Lane(l) => Some(l),
        Row::Group { .. } => None,
    })
}

/// The range of the span of `task` at `t`.
fn span_range_at(doc: &Document, task: TaskIx, t: f64) -> Option<(u64, u64)> {
    let lane = doc.model.timeline(task);
    let i = lane.index_at(t.max(0.0) as u64)?;
    Some((lane.start_of(i), lane.end_of(i)))
}

/// What a click at `t` on `lane` selects.
fn pick(doc: &Document, lane: LaneKey, t: f64) -> Command {
    let ts = t.max(0.0) as u64;
    match lane {
        LaneKey::Task(task) => {
            let timeline = doc.model.timeline(task);
            match timeline.index_at(ts) {
                Some(index) => Command::Select(Selection::Span { task, index }),
                None => Command::Select(Selection::Task(task)),
            }
        }
        LaneKey::Worker(w) => {
            let slots = doc.model.worker_lane(w);
            match slots.index_at(ts).and_then(|i| slots.row(i).task()) {
                Some(task) => Command::FocusTaskAt { task, ts },
                None => Command::Select(Selection::Worker(w)),
            }
        }
        LaneKey::Object(o) => Command::Select(Selection::Object(o)),
    }
}

/// Rows of a worker lane read at most to describe one stretch of it.
const STRETCH_ROWS_MAX: usize = 20_000;

/// What ran on worker `w` during `stretch`, when a whole row of the worker's lies inside it
/// (more than two rows overlap it): how busy the worker was, how many runs of how many tasks,
/// and the task that ran longest. A stretch across one boundary is left to the row under the
/// cursor, which says more.
fn worker_stretch(model: &Model, w: WorkerIx, stretch: Range<u64>) -> Option<Vec<String>> {
    let slots = model.worker_lane(w);
    let rows = slots.visible(stretch.start, stretch.end);
    if rows.len() <= 2 {
        return None;
    }
    // A stretch of more rows than is cheap to read in a frame is described up to there.
    let (rows, end) = if rows.len() > STRETCH_ROWS_MAX {
        let last = rows.start + STRETCH_ROWS_MAX;
        (rows.start..last, slots.start_of(last))
    } else {
        (rows, stretch.end)
    };
    let mut busy_ns = 0u64;
    let mut runs = 0usize;
    // (task, time, runs), few entries: a worker runs a handful of tasks in one pixel.
    let mut by_task: Vec<(TaskIx, u64, usize)> = Vec::new();
    for i in rows {
        let Some(task) = slots.row(i).task() else {
            continue;
        };
        let ns = slots
            .end_of(i)
            .min(end)
            .saturating_sub(slots.start_of(i).max(stretch.start));
        busy_ns += ns;
        runs += 1;
        match by_task.iter_mut().find(|(t, ..)| *t == task) {
            Some(entry) => {
                entry.1 += ns;
                entry.2 += 1;
            }
            None => by_task.push((task, ns, 1)),
        }
    }
    let span_ns = end.saturating_sub(stretch.start).max(1);
    let percent = |ns: u64| 100.0 * ns as f64 / span_ns as f64;
    let mut lines = vec![format!(
        "busy {:.1} % of the {} under the cursor",
        percent(busy_ns),
        format_duration(span_ns as f64)
    )];
    if let Some(&(task, ns, task_runs)) = by_task.iter().max_by_key(|(_, ns, _)| *ns) {
        lines.push(format!(
            "{runs} run{} of {} task{}",
            plural(runs),
            by_task.len(),
            plural(by_task.len())
        ));
        lines.push(format!(
            "longest: {}, {:.1} % in {task_runs} run{}",
            describe::task(model, task),
            percent(ns),
            plural(task_runs)
        ));
    }
    Some(lines)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Lines for the tooltip of `lane` at `t`, with `ns_per_px` nanoseconds under each pixel.
fn tooltip(doc: &Document, lane: LaneKey, t: f64, ns_per_px: f64) -> Vec<String> {
    let model = &doc.model;
    let ts = t.max(0.0) as u64;
    match lane {
        LaneKey::Task(task) => {
            let timeline = model.timeline(task);
            let Some(i) = timeline.index_at(ts) else {
                return Vec::new();
            };
            let span = timeline.span(i);
            let mut lines = vec![
                describe::task(model, task),
                describe::span_line(model, &span),
                format!(
                    "from {} to {}",
                    describe::at(model, span.start),
                    describe::at(model, span.end)
                ),
            ];
            if span.site.is_known() {
                lines.push(format!("at {}", describe::site(model, span.site)));
            }
            lines
        }
        LaneKey::Worker(w) => {
            // Zoomed out, the pixel under the cursor may cover many bursts; the instant under
            // it says little (mostly "idle" for a pool busy in short bursts).
            let half = (ns_per_px / 2.0).max(0.0) as u64;
            let pixel = ts.saturating_sub(half)..ts.saturating_add(half.max(1));
            if let Some(lines) = worker_stretch(model, w, pixel) {
                return lines;
            }
            let slots = model.worker_lane(w);
            match slots
                .index_at(ts)
                .and_then(|i| slots.row(i).task().map(|t| (i, t)))
            {
                Some((i, task)) => vec![
                    format!("running {}", describe::task(model, task)),
                    format!(
                        "for {}",
                        format_duration(slots.end_of(i).saturating_sub(slots.start_of(i)) as f64)
                    ),
                ],
                None => vec!["idle".to_owned()],
            }
        }
        LaneKey::Object(o) => {
            let events = model.object_events(o);
            let mut lines = vec![describe::object(model, o)];
            if let Some(i) = events.index_at(ts) {
                let e = events.row(i);
                let what = if model.object(o).kind.is_channel() {
                    "queued"
                } else {
                    "waiting"
                };
                lines.push(format!("{what}: {}", e.level()));
                lines.push(format!(
                    "last: {} by {} at {}",
                    describe::op(e.op()),
                    model.task_name(e.task),
                    describe::at(model, events.start_of(i))
                ));
            }
            lines
        }
    }
}

/// A lane's label: its name, badges for leaks and deadlocks, and an accessible, clickable
/// widget that selects the task, worker or object.
fn lane_label(
    ui: &mut Ui,
    painter: &egui::Painter,
    rect: Rect,
    doc: &Document,
    lane: LaneKey,
    selected: bool,
    out: &mut Vec<Command>,
) {
    let model = &doc.model;
    let visuals = ui.visuals();
    let text_colour = if selected {
        visuals.selection.stroke.color
    } else {
        visuals.text_color()
    };
    let left = rect.left() + 34.0;
    let (name, detail, accessible, selection) = match lane {
        LaneKey::Task(t) => {
            let name = model.task_name(t).into_owned();
            let id = model.task(t).id;
            let accessible = format!("Task {name}");
            (name, format!("#{id}"), accessible, Selection::Task(t))
        }
        LaneKey::Worker(w) => {
            let worker = &model.workers()[w.index()];
            let name = if worker.name.is_empty() {
                format!("thread {}", w.0)
            } else {
                worker.name.clone()
            };
            let accessible = format!("Worker {name}");
            (
                name,
                format!("tid {}", worker.os_tid),
                accessible,
                Selection::Worker(w),
            )
        }
        LaneKey::Object(o) => {
            let name = describe::object(model, o);
            let level = model
                .object_events(o)
                .rows()
                .last()
                .map(|e| e.level())
                .unwrap_or(0);
            let accessible = format!("Object {name}");
            (
                name,
                format!("max {}", doc.object_scale(o).max_level.max(level)),
                accessible,
                Selection::Object(o),
            )
        }
    };
    let mut badges: Vec<(&str, Color32, String)> = Vec::new();
    if let LaneKey::Task(t) = lane {
        let fact = doc.facts.get(t.index()).copied().unwrap_or_default();
        if fact.deadlocked {
            badges.push(("DEADLOCK", palette::DEADLOCK, format!("Deadlocked: {name}")));
        } else if fact.leaked {
            badges.push(("LEAKED", palette::LEAK, format!("Leaked: {name}")));
        } else if fact.still_running {
            badges.push((
                "ALIVE AT END",
                Color32::from_rgb(90, 120, 180),
                format!("Still alive at the end: {name}"),
            ));
        }
    }
    // Badges matter more than the end of a long name: lay them out first, then give the name
    // what is left, truncated.
    let badge_galleys: Vec<_> = badges
        .iter()
        .map(|(text, _, _)| {
            painter.layout_no_wrap(
                (*text).to_owned(),
                FontId::proportional(9.5),
                Color32::WHITE,
            )
        })
        .collect();
    let badges_width: f32 = badge_galleys.iter().map(|g| g.size().x + 12.0).sum();
    let name_width = (rect.right() - left - badges_width - 6.0).max(20.0);
    let mut job = egui::text::LayoutJob::simple_singleline(
        name.clone(),
        FontId::proportional(12.5),
        text_colour,
    );
    job.wrap = egui::text::TextWrapping::truncate_at_width(name_width);
    let name_galley = painter.layout_job(job);
    let name_rect =
        Align2::LEFT_CENTER.anchor_size(Pos2::new(left, rect.center().y), name_galley.size());
    painter.galley(name_rect.min, name_galley, text_colour);
    let mut x = name_rect.right() + 6.0;
    for ((_, colour, accessible_badge), galley) in badges.iter().zip(badge_galleys) {
        let badge = Rect::from_min_size(
            Pos2::new(x, rect.center().y - galley.size().y / 2.0 - 1.0),
            galley.size() + Vec2::new(8.0, 2.0),
        );
        painter.rect_filled(badge, CornerRadius::same(3), *colour);
        painter.galley(badge.min + Vec2::new(4.0, 1.0), galley, Color32::WHITE);
        let r = ui.interact(
            badge,
            ui.scope_id().with(("badge", lane_id(lane))),
            Sense::hover(),
        );
        r.widget_info(|| WidgetInfo::labeled(Role::Label, true, accessible_badge));
        x = badge.right() + 4.0;
    }
    if x < rect.right() - 40.0 {
        painter.text(
            Pos2::new(x, rect.center().y),
            Align2::LEFT_CENTER,
            detail,
            FontId::proportional(10.5),
            visuals.weak_text_color(),
        );
    }
    let r = ui.interact(
        rect,
        ui.scope_id().with(("lane", lane_id(lane))),
        Sense::click(),
    );
    r.widget_info(|| WidgetInfo::selected(Role::Button, true, selected, &accessible));
    if r.clicked() {
        out.push(Command::Select(selection));
    }
    if r.double_clicked() {
        if let Some((start, end)) = selection_range_of(doc, selection) {
            out.push(Command::ZoomTo { start, end });
        }
    }
}

fn selection_range_of(doc: &Document, selection: Selection) -> Option<(u64, u64)> {
    let model = &doc.model;
    match selection {
        Selection::Task(t) => {
            let task = model.task(t);
            let start = task.spawned_at.or(task.started_at)?;
            Some((start, task.exited_at.unwrap_or(model.end_ns())))
        }
        _ => None,
    }
}

fn lane_id(lane: LaneKey) -> (u8, u32) {
    match lane {
        LaneKey::Worker(w) => (0, w.0),
        LaneKey::Task(t) => (1, t.0),
        LaneKey::Object(o) => (2, o.0),
    }
}

/// The screen point of instant `ts` on `lane`, as last drawn (`None` if the lane has no row).
pub fn lane_point(doc: &Document, geometry: &Geometry, lane: LaneKey, ts: u64) -> Option<Pos2> {
    let row = doc.current_layout().find(lane)?;
    let rect = geometry.row_rect(row);
    Some(Pos2::new(geometry.x_of(ts as f64), rect.center().y))
}

#[cfg(test)]
mod tests {
    use weft_recorder::event::EventKind as K;

    use super::worker_stretch;
    use crate::model::{Model, WorkerIx};
    use crate::testkit::TraceBuilder;

    /// One thread that runs 10 ns, then sleeps 90, five times over: busy a tenth of the time.
    fn bursts() -> Model {
        let mut b = TraceBuilder::new();
        b.start(0, 1, "pool");
        for k in 0..5u64 {
            b.ev(k * 100 + 10, 1, 7, K::SleepBegin { ns: 90 })
                .ev(k * 100 + 100, 1, 7, K::SleepEnd);
        }
        b.exit(500, 1);
        Model::from_trace(&b.finish())
    }

    #[test]
    fn a_stretch_of_bursts_says_how_busy_the_worker_was_and_what_ran() {
        let model = bursts();
        let lines = worker_stretch(&model, WorkerIx(0), 0..500).expect("many rows");
        assert_eq!(lines[0], "busy 10.0 % of the 500 ns under the cursor");
        assert_eq!(lines[1], "5 runs of 1 task");
        assert_eq!(lines[2], "longest: pool (task 1), 10.0 % in 5 runs");
        // Part of a stretch counts only the part of each run inside it.
        // 5 + 10 + 8 ns of the runs at 0, 100 and 200.
        let lines = worker_stretch(&model, WorkerIx(0), 5..208).expect("many rows");
        assert_eq!(lines[0], "busy 11.3 % of the 203 ns under the cursor");
        assert_eq!(lines[1], "3 runs of 1 task");
    }

    #[test]
    fn a_stretch_inside_one_row_or_across_one_boundary_is_left_to_the_row_under_the_cursor() {
        let model = bursts();
        assert_eq!(worker_stretch(&model, WorkerIx(0), 20..80), None);
        assert_eq!(worker_stretch(&model, WorkerIx(0), 95..105), None);
        // A whole run inside: described.
        assert!(worker_stretch(&model, WorkerIx(0), 95..115).is_some());
    }
}
