//! Painting one lane's contents for the visible window. Each painter asks [`lod`] which spans
//! to draw, so its cost follows the pixels on screen, not the length of the lane.

use eframe::egui::{
    self, Align2, Color32, CornerRadius, FontId, Painter, Pos2, Rect, Stroke, StrokeKind,
};

use crate::model::lane::partition_index;
use crate::model::{Model, ObjectIx, ObjectKind, State, TaskIx, WorkerIx};

use super::describe;
use super::document::Document;
use super::lod::{self, Piece};
use super::palette::{self, state_colour, text_on};
use super::time::{format_duration, TimeWindow};
use super::view::Selection;

/// Spans narrower than this many pixels are merged into summary blocks.
pub const MIN_SPAN_PX: f64 = 2.0;
/// A blocked span needs this many pixels before its reason is written in it.
const LABEL_MIN_PX: f32 = 46.0;

/// What every lane painter needs: where to paint and which time is on screen.
pub struct LaneCtx<'a> {
    /// Clipped to the lane's canvas part.
    pub painter: &'a Painter,
    /// The lane's canvas part (right of the labels), one row tall.
    pub rect: Rect,
    /// The visible time window.
    pub window: TimeWindow,
    /// Left and right pixel of the time axis (the canvas; may be wider than `rect` is visible).
    pub x_range: (f32, f32),
    /// Dim every state but this one.
    pub highlight: Option<State>,
    /// A blocked span at least this long is marked as a long wait.
    pub long_wait_ns: u64,
}

impl LaneCtx<'_> {
    fn x(&self, t: u64) -> f32 {
        self.window.x_of(t as f64, self.x_range.0, self.x_range.1)
    }

    fn ns_per_px(&self) -> f64 {
        self.window.ns_per_px(self.x_range.1 - self.x_range.0)
    }

    /// The bar for `[start, end)`, at least one pixel wide, kept inside the canvas so
    /// far-off edges do not produce huge coordinates.
    fn bar(&self, start: u64, end: u64, inset: f32) -> Rect {
        let left = self.rect.left() - 4.0;
        let right = self.rect.right() + 4.0;
        let x0 = self.x(start).clamp(left, right);
        let x1 = self.x(end).clamp(left, right).max(x0 + 1.0);
        Rect::from_x_y_ranges(
            x0..=x1,
            (self.rect.top() + inset)..=(self.rect.bottom() - inset),
        )
    }

    fn dim(&self, state: State, colour: Color32) -> Color32 {
        match self.highlight {
            Some(h) if h != state => colour.gamma_multiply(0.22),
            _ => colour,
        }
    }
}

/// Writes the text `text` makes inside `rect` when it is wide enough to hold some. The text is
/// made only then: zoomed out, a frame has tens of thousands of blocks too narrow for any.
fn label_in<T: AsRef<str>>(
    painter: &Painter,
    rect: Rect,
    text: impl FnOnce() -> T,
    colour: Color32,
) {
    if rect.width() < LABEL_MIN_PX {
        return;
    }
    let clip = rect
        .shrink2(egui::vec2(3.0, 0.0))
        .intersect(painter.clip_rect());
    if clip.width() < 12.0 {
        return;
    }
    let text = text();
    let text = text.as_ref();
    if text.is_empty() {
        return;
    }
    painter.with_clip_rect(clip).text(
        Pos2::new(clip.left(), rect.center().y),
        Align2::LEFT_CENTER,
        text,
        FontId::proportional(11.0),
        colour,
    );
}

/// A stable, distinct colour per task, for worker lanes and lock holders.
pub fn task_colour(t: TaskIx) -> Color32 {
    let hue = (f64::from(t.0) * 0.618_033_988_75).fract() as f32;
    egui::ecolor::Hsva::new(hue, 0.45, 0.78, 1.0).into()
}

/// A task's states. Leaked tasks get their final span marked to the end of the trace.
pub fn task_lane(cx: &LaneCtx<'_>, doc: &Document, t: TaskIx, selection: Option<Selection>) {
    let model = &doc.model;
    let lane = model.timeline(t);
    let fact = doc.facts.get(t.index()).copied().unwrap_or_default();
    lod::pieces(
        &lod::LaneSpans::new(&lane),
        cx.window.start..cx.window.end,
        cx.ns_per_px(),
        MIN_SPAN_PX,
        |i| lane.row(i).state(),
        |_| true,
        |piece| match piece {
            Piece::Span(i) => {
                let span = lane.span(i);
                if span.state == State::Done {
                    // A finished task's lane ends with a thin line, not a block.
                    let r = cx.bar(span.start, span.end, cx.rect.height() / 2.0 - 0.5);
                    cx.painter
                        .rect_filled(r, 0.0, state_colour(State::Done).gamma_multiply(0.6));
                    return;
                }
                let fill = cx.dim(span.state, state_colour(span.state));
                let r = cx.bar(span.start, span.end, 3.0);
                cx.painter.rect_filled(r, CornerRadius::same(2), fill);
                if span.state.blocked().is_some() {
                    // Long waits stand out; sleeps and waits with a deadline are intended.
                    let intended = span.has_deadline
                        || span.state == State::Blocked(crate::model::BlockReason::Sleep);
                    if !intended && span.duration() >= cx.long_wait_ns {
                        cx.painter.rect_stroke(
                            r,
                            CornerRadius::same(2),
                            Stroke::new(1.5, Color32::from_rgba_unmultiplied(255, 236, 200, 190)),
                            StrokeKind::Inside,
                        );
                    }
                    let text = || {
                        format!(
                            "{}  {}",
                            describe::span_short(model, &span),
                            format_duration(span.duration() as f64)
                        )
                    };
                    label_in(cx.painter, r, text, text_on(fill));
                }
            }
            Piece::Summary {
                start_ns,
                end_ns,
                dominant,
                ..
            } => {
                let fill = cx.dim(dominant, state_colour(dominant));
                if dominant != State::Done {
                    let r = cx.bar(start_ns, end_ns, 3.0);
                    cx.painter
                        .rect_filled(r, 0.0, fill.gamma_multiply(palette::SUMMARY_ALPHA));
                }
            }
        },
    );

    // A stuck task's final wait is outlined up to the end of the trace: it never ends.
    let stuck = if fact.deadlocked {
        Some((palette::DEADLOCK, "deadlocked ▶"))
    } else if fact.leaked {
        Some((palette::LEAK, "leaked ▶"))
    } else {
        None
    };
    if let (Some((colour, text)), Some(last)) = (stuck, lane.last_span()) {
        let r = cx.bar(last.start, model.end_ns().max(last.end), 1.0);
        cx.painter.rect_stroke(
            r,
            CornerRadius::same(2),
            Stroke::new(2.0, colour),
            StrokeKind::Inside,
        );
        let end_x = cx.x(model.end_ns());
        if end_x >= cx.rect.left() && end_x <= cx.rect.right() + 1.0 && r.width() > 70.0 {
            cx.painter.text(
                Pos2::new(end_x - 4.0, cx.rect.center().y),
                Align2::RIGHT_CENTER,
                text,
                FontId::monospace(10.0),
                Color32::WHITE,
            );
        }
    }

    marks(cx, model, t);

    if let Some(Selection::Span { task, index }) = selection {
        if task == t && index < lane.len() {
            let r = cx.bar(lane.start_of(index), lane.end_of(index), 1.5);
            cx.painter.rect_stroke(
                r,
                CornerRadius::same(2),
                Stroke::new(2.0, palette::SELECTION),
                StrokeKind::Outside,
            );
        }
    }
}

/// `tracing` events as small ticks along the top of the lane.
fn marks(cx: &LaneCtx<'_>, model: &Model, t: TaskIx) {
    let marks = model.marks(t);
    if marks.is_empty() {
        return;
    }
    let first = marks.partition_point(|m| (m.ts as f64) < cx.window.start);
    let last = marks.partition_point(|m| (m.ts as f64) < cx.window.end);
    let mut last_x = f32::NEG_INFINITY;
    for m in &marks[first..last] {
        let x = cx.x(m.ts);
        if x - last_x < 2.0 {
            continue;
        }
        last_x = x;
        let colour = if m.level >= 3 {
            Color32::from_rgb(255, 120, 90)
        } else {
            Color32::from_rgb(220, 220, 230)
        };
        cx.painter.line_segment(
            [
                Pos2::new(x, cx.rect.top() + 1.0),
                Pos2::new(x, cx.rect.top() + 6.0),
            ],
            Stroke::new(1.5, colour),
        );
    }
}

/// A worker: which task ran on it when, each task in its own colour.
pub fn worker_lane(cx: &LaneCtx<'_>, model: &Model, w: WorkerIx) {
    let lane = model.worker_lane(w);
    // Neighbouring summary blocks of one task and one height are drawn as one rectangle: a
    // worker that ran one task in bursts all along is one bar at whole-trace zoom, not
    // hundreds (each block drawn alone took the zoomed-out frame from 6.5 to 15.7 ms).
    let mut run: Option<SummaryRun> = None;
    lod::pieces(
        &lod::LaneSpans::new(&lane),
        cx.window.start..cx.window.end,
        cx.ns_per_px(),
        MIN_SPAN_PX,
        |i| lane.row(i).task(),
        // Idle time is not drawn, so a block where the worker ran at all shows what ran, as
        // tall as the share of the block it took: a pool busy in short bursts, zoomed out, is
        // neither a row of empty lanes nor a row of full ones.
        |task| task.is_some(),
        |piece| match piece {
            Piece::Span(i) => {
                let Some(task) = lane.row(i).task() else {
                    return;
                };
                if let Some(done) = run.take() {
                    done.paint(cx, model);
                }
                let fill = task_colour(task);
                let r = cx.bar(lane.start_of(i), lane.end_of(i), 4.0);
                cx.painter.rect_filled(r, CornerRadius::same(2), fill);
                label_in(cx.painter, r, || model.task_name(task), text_on(fill));
            }
            Piece::Summary {
                start_ns,
                end_ns,
                dominant: Some(task),
                share,
                ..
            } => {
                let eighths = summary_eighths(share);
                match &mut run {
                    Some(r) if r.task == task && r.eighths == eighths && r.end_ns >= start_ns => {
                        r.end_ns = end_ns;
                    }
                    _ => {
                        if let Some(done) = run.replace(SummaryRun {
                            task,
                            eighths,
                            start_ns,
                            end_ns,
                        }) {
                            done.paint(cx, model);
                        }
                    }
                }
            }
            Piece::Summary { dominant: None, .. } => {}
        },
    );
    if let Some(done) = run {
        done.paint(cx, model);
    }
}

/// Summary blocks of a worker lane merged for drawing (see [`worker_lane`]).
struct SummaryRun {
    task: TaskIx,
    /// How much of the blocks the task took, in eighths (see [`summary_eighths`]).
    eighths: u8,
    start_ns: u64,
    end_ns: u64,
}

/// The lowest a summary bar is drawn, in pixels, however small its share: still seen.
const SUMMARY_MIN_PX: f32 = 2.0;

impl SummaryRun {
    /// A bar standing on the lane's floor, as tall as the share the task took: the height
    /// reads as how busy the worker was, the colour as what it ran.
    fn paint(&self, cx: &LaneCtx<'_>, model: &Model) {
        let r = share_bar(cx.bar(self.start_ns, self.end_ns, 4.0), self.eighths);
        let fill = task_colour(self.task);
        cx.painter.rect_filled(r, 0.0, fill);
        if self.eighths == 8 {
            label_in(cx.painter, r, || model.task_name(self.task), text_on(fill));
        }
    }
}

/// The height a summary bar of a task that took `share` of its blocks is drawn at, in eighths
/// of the lane: the share rounded up to an eighth, a quarter, a half or the whole. Few heights,
/// so that neighbours of about the same share merge into one rectangle, and the finest at the
/// low end, where a pool busy in short bursts lies (its spikes there took the 10 M-event
/// trace's zoomed-out frame from 44.5 k to 53.9 k triangles); the tooltip gives the exact share.
fn summary_eighths(share: f32) -> u8 {
    match share {
        s if s <= 0.125 => 1,
        s if s <= 0.25 => 2,
        s if s <= 0.5 => 4,
        _ => 8,
    }
}

/// The part of the bar `full` that `eighths` eighths of it fill from its floor, at least
/// [`SUMMARY_MIN_PX`] tall.
fn share_bar(full: Rect, eighths: u8) -> Rect {
    let height = (full.height() * f32::from(eighths) / 8.0)
        .max(SUMMARY_MIN_PX)
        .min(full.height());
    Rect::from_x_y_ranges(full.x_range(), (full.bottom() - height)..=full.bottom())
}

/// An object: a channel's queue depth, a lock's holders and waiters, a condvar's waiters.
pub fn object_lane(cx: &LaneCtx<'_>, doc: &Document, o: ObjectIx) {
    let model = &doc.model;
    let scale = doc.object_scale(o);
    let kind = model.object(o).kind;
    let (level_colour, level_share) = match kind {
        ObjectKind::Channel { .. } => (Color32::from_rgb(72, 178, 196), 1.0),
        ObjectKind::Condvar => (Color32::from_rgb(204, 92, 174), 0.6),
        _ => (Color32::from_rgb(218, 58, 58), 0.45),
    };
    if kind.is_lock() {
        holds(cx, doc, o);
    }
    // The level (queue depth or waiters) as a step chart along the bottom of the lane.
    let events = model.object_events(o);
    let full = (cx.rect.height() - 4.0) * level_share;
    let bottom = cx.rect.bottom() - 2.0;
    lod::pieces(
        &lod::LaneSpans::new(&events),
        cx.window.start..cx.window.end,
        cx.ns_per_px(),
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
            if level == 0 {
                return;
            }
            let h = full * level as f32 / scale.max_level as f32;
            let mut r = cx.bar(start, end, 0.0);
            r.set_top(bottom - h.max(1.5));
            r.set_bottom(bottom);
            cx.painter
                .rect_filled(r, 0.0, level_colour.gamma_multiply(0.85));
        },
    );
    // When a channel lost its senders or receivers.
    let object = model.object(o);
    for gone in [object.senders_gone_at, object.receivers_gone_at]
        .into_iter()
        .flatten()
    {
        let x = cx.x(gone);
        if x >= cx.rect.left() && x <= cx.rect.right() {
            cx.painter.line_segment(
                [
                    Pos2::new(x, cx.rect.top() + 2.0),
                    Pos2::new(x, cx.rect.bottom() - 2.0),
                ],
                Stroke::new(2.0, Color32::from_rgb(140, 140, 150)),
            );
        }
    }
}

/// A lock's holds, coloured by holder, in the top part of the lane.
fn holds(cx: &LaneCtx<'_>, doc: &Document, o: ObjectIx) {
    let model = &doc.model;
    let holds = model.holds(o);
    let prefix = &doc.object_scale(o).hold_end_prefix_max;
    if holds.is_empty() || prefix.len() != holds.len() {
        return;
    }
    let first = prefix.partition_point(|&e| (e as f64) <= cx.window.start);
    let last = partition_index(0, holds.len(), |i| (holds.start(i) as f64) < cx.window.end);
    let seq = HoldSeq(holds);
    lod::pieces_in(
        &seq,
        first..last.max(first),
        cx.ns_per_px(),
        MIN_SPAN_PX,
        |i| holds.task(i),
        |_| true,
        |piece| {
            let (task, start, end) = match piece {
                Piece::Span(i) => {
                    let h = holds.get(i);
                    (h.task, h.start, h.end)
                }
                Piece::Summary {
                    start_ns,
                    end_ns,
                    dominant,
                    ..
                } => (dominant, start_ns, end_ns),
            };
            let fill = task_colour(task);
            let mut r = cx.bar(start, end, 2.0);
            r.set_bottom(cx.rect.top() + cx.rect.height() * 0.55);
            cx.painter.rect_filled(r, CornerRadius::same(2), fill);
            label_in(
                cx.painter,
                r,
                || format!("held by {}", model.task_name(task)),
                text_on(fill),
            );
        },
    );
}

struct HoldSeq<'a>(crate::model::Holds<'a>);

impl lod::SpanSeq for HoldSeq<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn start(&self, i: usize) -> u64 {
        self.0.start(i)
    }
    fn end(&self, i: usize) -> u64 {
        let h = self.0.get(i);
        h.end.max(h.start)
    }
}

#[cfg(test)]
mod tests {
    use eframe::egui::{pos2, Rect};

    use super::{share_bar, summary_eighths, SUMMARY_MIN_PX};

    #[test]
    fn summary_heights_round_the_share_up_to_an_eighth_a_quarter_a_half_or_the_whole() {
        let heights: Vec<u8> = [0.01, 0.125, 0.2, 0.25, 0.3, 0.5, 0.51, 1.0]
            .into_iter()
            .map(summary_eighths)
            .collect();
        assert_eq!(heights, vec![1, 1, 2, 2, 4, 4, 8, 8]);
    }

    #[test]
    fn a_summary_bar_stands_on_the_floor_as_tall_as_its_share() {
        let full = Rect::from_min_max(pos2(10.0, 100.0), pos2(50.0, 116.0));
        assert_eq!(share_bar(full, 8), full);
        let half = share_bar(full, 4);
        assert_eq!((half.top(), half.bottom()), (108.0, 116.0));
        assert_eq!(half.x_range(), full.x_range());
        // A sliver of work is still seen, in a lane too low for an eighth to show.
        let low = Rect::from_min_max(pos2(10.0, 100.0), pos2(50.0, 108.0));
        assert_eq!(share_bar(low, 1).height(), SUMMARY_MIN_PX);
        assert_eq!(share_bar(low, 1).bottom(), 108.0);
    }
}
