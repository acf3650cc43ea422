//! Causal arrows: send → receive, release → acquire, unpark, notify, spawn, exit → join — for the
//! selection, or for everything in view — and the arrows of deadlock cycles.
//!
//! Links come from the model's per-task indexes (sorted by time), so the arrows of a selection
//! are found by binary search; "everything in view" walks the links in the window only and stops
//! at [`MAX_ARROWS_IN_VIEW`], skipping links whose ends fall on the same pixels as one already
//! drawn.

use eframe::egui::{Color32, Painter, Pos2, Stroke, Vec2};

use crate::model::{Link, LinkIx, LinkKind, Model, TaskIx};

use super::document::Document;
use super::lanes::LaneKey;
use super::palette;
use super::timeline::Geometry;
use super::view::Selection;

/// The most links drawn when showing every arrow in view.
pub const MAX_ARROWS_IN_VIEW: usize = 4_000;
/// The most links drawn for one selected task.
const MAX_ARROWS_FOR_TASK: usize = 500;

/// The colour of a link kind.
pub fn link_colour(kind: LinkKind) -> Color32 {
    match kind {
        LinkKind::Spawn => Color32::from_rgb(180, 180, 190),
        LinkKind::Message => palette::ARROW,
        LinkKind::Release => Color32::from_rgb(255, 150, 150),
        LinkKind::Unpark => Color32::from_rgb(150, 170, 255),
        LinkKind::Notify => Color32::from_rgb(230, 150, 230),
        LinkKind::Exit => Color32::from_rgb(200, 170, 255),
        LinkKind::Wake => Color32::from_rgb(214, 196, 110),
    }
}

/// The links of the selection: for a span, those that end in it (what woke it) or start in it
/// (what it let go on); for a task, those in the visible window.
pub fn selection_links(doc: &Document) -> Vec<LinkIx> {
    let model = &doc.model;
    let Some(selection) = doc.view.selection else {
        return Vec::new();
    };
    let (task, from, to, cap) = match selection {
        Selection::Span { task, index } => {
            let lane = model.timeline(task);
            if index >= lane.len() {
                return Vec::new();
            }
            (task, lane.start_of(index), lane.end_of(index), usize::MAX)
        }
        Selection::Task(task) => {
            let w = doc.view.window;
            (
                task,
                w.start.max(0.0) as u64,
                w.end.max(0.0) as u64,
                MAX_ARROWS_FOR_TASK,
            )
        }
        _ => return Vec::new(),
    };
    links_of(model, task, from, to, cap)
}

/// Links into `task` with their effect in `[from, to]` and out of it with their cause there.
pub fn links_of(model: &Model, task: TaskIx, from: u64, to: u64, cap: usize) -> Vec<LinkIx> {
    let mut out = Vec::new();
    let into = model.links_into(task);
    let first = into.partition_point(|&l| model.link(l).to_ts < from);
    out.extend(
        into[first..]
            .iter()
            .take_while(|&&l| model.link(l).to_ts <= to)
            .take(cap)
            .copied(),
    );
    let from_list = model.links_from(task);
    let first = from_list.partition_point(|&l| model.link(l).from_ts < from);
    out.extend(
        from_list[first..]
            .iter()
            .take_while(|&&l| model.link(l).from_ts <= to)
            .take(cap)
            .copied(),
    );
    out
}

/// Paints the arrows for the selection (and for everything in view when asked) onto the
/// lane canvas.
pub fn paint(painter: &Painter, doc: &Document, geometry: &Geometry) {
    let model = &doc.model;
    if doc.view.all_arrows {
        all_in_view(painter, doc, geometry);
    }
    deadlock_cycles(painter, doc, geometry);
    for l in selection_links(doc) {
        let link = model.link(l);
        if let Some((a, b)) = ends(doc, geometry, &link) {
            arrow(painter, a, b, link_colour(link.kind), 2.0);
        }
    }
}

/// At most this many links are drawn per pixel column of their effect when showing everything.
const ARROWS_PER_COLUMN: usize = 3;

/// The links whose effect is in view, thinned so the cost follows the pixels: after a few
/// links in one pixel column, the walk jumps (binary search) to the next column.
fn all_in_view(painter: &Painter, doc: &Document, geometry: &Geometry) {
    let model = &doc.model;
    let times = model.link_effect_times();
    let w = geometry.window;
    let (left, right) = geometry.x_range;
    let ns_per_px = w.ns_per_px(right - left);
    let mut i = times.partition_point(|t| (t as f64) < w.start);
    let mut drawn = 0;
    let mut column = f64::NEG_INFINITY;
    let mut in_column = 0;
    while i < times.len() && drawn < MAX_ARROWS_IN_VIEW {
        let link = model.link(LinkIx::at(i));
        let t = link.to_ts as f64;
        if t > w.end {
            break;
        }
        let col = ((t - w.start) / ns_per_px).floor();
        if col != column {
            column = col;
            in_column = 0;
        }
        if in_column >= ARROWS_PER_COLUMN {
            let next_column_start = w.start + (col + 1.0) * ns_per_px;
            // Effect times ascend, so the next column starts past `i`.
            i = times
                .partition_point(|t| (t as f64) < next_column_start)
                .max(i + 1);
            continue;
        }
        // Links between hidden lanes count too, so a column of them cannot stall the walk.
        in_column += 1;
        if let Some((a, b)) = ends(doc, geometry, &link) {
            arrow(
                painter,
                a,
                b,
                link_colour(link.kind).gamma_multiply(0.55),
                1.0,
            );
            drawn += 1;
        }
        i += 1;
    }
}

/// Each deadlock as a ring of red arrows between its tasks' lanes — each task waits for the
/// next — drawn just after the last of their waits began, where all of them are stuck.
fn deadlock_cycles(painter: &Painter, doc: &Document, geometry: &Geometry) {
    let layout = doc.current_layout();
    for deadlock in &doc.analysis.deadlocks {
        let n = deadlock.tasks.len();
        if n < 2 {
            continue;
        }
        // Midway through the stretch where all of them are stuck, kept on screen.
        let stuck_since = deadlock.waits.iter().map(|w| w.since).max().unwrap_or(0);
        let end = doc.model.end_ns();
        let (left, right) = geometry.x_range;
        let x = ((geometry.x_of(stuck_since as f64) + geometry.x_of(end as f64)) / 2.0).clamp(
            left + 20.0,
            (right - 10.0 * n as f32 - 80.0).max(left + 20.0),
        );
        let centre_y = |t: TaskIx| {
            layout
                .find(LaneKey::Task(t))
                .map(|row| geometry.rows_origin_y + row.y + row.height / 2.0)
        };
        for i in 0..n {
            let (from, to) = (deadlock.tasks[i], deadlock.tasks[(i + 1) % n]);
            if let (Some(y0), Some(y1)) = (centre_y(from), centre_y(to)) {
                // Offset each edge so that A -> B and B -> A do not overlap; white on a dark
                // outline so the ring shows over the red of the stuck spans.
                let dx = 18.0 * i as f32;
                let (a, b) = (Pos2::new(x + dx, y0), Pos2::new(x + dx + 10.0, y1));
                arrow(painter, a, b, Color32::from_black_alpha(200), 5.0);
                arrow(painter, a, b, Color32::WHITE, 2.0);
            }
        }
        if let Some(y) = centre_y(deadlock.tasks[0]) {
            let pos = Pos2::new(x + 18.0 * n as f32 + 10.0, y);
            let font = eframe::egui::FontId::proportional(12.0);
            let galley = painter.layout_no_wrap("deadlock cycle".to_owned(), font, Color32::WHITE);
            let rect = eframe::egui::Align2::LEFT_CENTER
                .anchor_size(pos, galley.size())
                .expand(3.0);
            painter.rect_filled(rect, 3.0, palette::DEADLOCK);
            painter.galley(
                rect.min + eframe::egui::vec2(3.0, 3.0),
                galley,
                Color32::WHITE,
            );
        }
    }
}

/// Screen points of a link's cause and effect; `None` when either lane is not shown.
fn ends(doc: &Document, geometry: &Geometry, link: &Link) -> Option<(Pos2, Pos2)> {
    let layout = doc.current_layout();
    let from_row = layout.find(LaneKey::Task(link.from_task))?;
    let to_row = layout.find(LaneKey::Task(link.to_task))?;
    let y0 = geometry.rows_origin_y + from_row.y + from_row.height / 2.0;
    let y1 = geometry.rows_origin_y + to_row.y + to_row.height / 2.0;
    // A cause recorded just after its effect is drawn at the effect (see `Link`).
    let from_ts = link.from_ts.min(link.to_ts);
    let to_ts = link.to_ts;
    Some((
        Pos2::new(geometry.x_of(from_ts as f64), y0),
        Pos2::new(geometry.x_of(to_ts as f64), y1),
    ))
}

/// A line from `a` to `b` with a head at `b`; a dot at `a` marks the cause.
pub fn arrow(painter: &Painter, a: Pos2, b: Pos2, colour: Color32, width: f32) {
    let clip = painter.clip_rect().expand(50.0);
    if !clip.contains(a) && !clip.contains(b) && (a.y - b.y).abs() < 1.0 {
        return;
    }
    let stroke = Stroke::new(width, colour);
    painter.line_segment([a, b], stroke);
    painter.circle_filled(a, width + 1.0, colour);
    let dir = b - a;
    let len = dir.length();
    if len < 1.0 {
        return;
    }
    let dir = dir / len;
    let normal = Vec2::new(-dir.y, dir.x);
    let head = 5.0 + width * 1.5;
    let back = b - dir * head;
    painter.add(eframe::egui::Shape::convex_polygon(
        vec![b, back + normal * head * 0.5, back - normal * head * 0.5],
        colour,
        Stroke::NONE,
    ));
}
