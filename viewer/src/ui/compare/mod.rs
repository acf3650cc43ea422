//! Two runs side by side (issue 7): run A above, run B below on one aligned time axis, their
//! tasks matched lane for lane, and a panel of what changed.
//!
//! Each half is an ordinary timeline ([`show_on`](super::timeline::show_on)) of an ordinary
//! [`Document`]. What makes the halves one view is kept here, and it is all the compare view
//! keeps between frames:
//!
//! - one time window in *aligned* time (ns from the anchor, see [`Alignment`]). At the start of
//!   a frame each half's window is set to it, moved to its run's anchor; whichever half the user
//!   zooms or pans (or a jump moves) writes it back, so the other half follows — zoom and pan
//!   are linked because there is only one window;
//! - the alignment: both runs from their start, or pinned at an [`Anchor`] both reach;
//! - the lane order ([`lane_order`]): matched tasks in the same order in both halves, then the
//!   ones only one run has.
//!
//! The difference panel ([`panel`], [`plot`]) reads the [`Comparison`], computed once when the
//! pair is opened.

pub mod lane_order;
pub mod panel;
pub mod plot;
pub mod view;

use crate::diff::{AlignError, Alignment, Anchor, Comparison, LaneMatching, Run, StateSeries};
use crate::model::{BlockReason, Model, SiteIx, State, TaskIx};

pub use lane_order::LaneCounts;

use super::app;
use super::document::Document;
use super::time::TimeWindow;
use super::timeline::{Axis, Geometry};
use super::view::{Command, Selection};

/// How many anchors of each kind (marks, regions, tasks, sites) the align menu offers.
const ANCHORS_PER_KIND: usize = 12;
/// Buckets of the live-tasks plot over both runs.
const SERIES_BUCKETS: usize = 600;

/// Two open traces compared: run A (the baseline) and run B.
pub struct Compare {
    a: Document,
    b: Document,
    comparison: Comparison,
    lanes: LaneCounts,
    anchors: Vec<Anchor>,
    anchor: Anchor,
    alignment: Alignment,
    series: StateSeries,
    /// The shared window, in aligned ns.
    window: TimeWindow,
    /// Where each half was drawn in the last frame (A, B).
    geometry: [Geometry; 2],
    /// Why the last anchor chosen could not be used.
    problem: Option<String>,
    panel: panel::PanelState,
}

impl Compare {
    /// Compares `a` (the baseline) with `b`, aligned at their starts.
    pub fn new(mut a: Document, mut b: Document) -> Compare {
        let matching = LaneMatching::new(&a.model, &b.model);
        let order = lane_order::order(&a, &b, &matching);
        let lanes = order.counts;
        a.set_lane_order(Some(order.a));
        b.set_lane_order(Some(order.b));
        let mut comparison = Comparison::new(&a.model, &a.analysis, &b.model, &b.analysis);
        if let (Some(pa), Some(pb)) = (&a.path, &b.path) {
            comparison = comparison.with_files(pa.display().to_string(), pb.display().to_string());
        }
        let anchors = Anchor::common(&a.model, &b.model, ANCHORS_PER_KIND);
        let alignment = Alignment::at_start(&a.model, &b.model);
        let series = StateSeries::new(&a.model, &b.model, &alignment, SERIES_BUCKETS);
        let mut compare = Compare {
            a,
            b,
            comparison,
            lanes,
            anchors,
            anchor: Anchor::Start,
            alignment,
            series,
            window: TimeWindow::new(0.0, 1.0),
            geometry: [Geometry::default(); 2],
            problem: None,
            panel: panel::PanelState::default(),
        };
        compare.zoom_all();
        compare
    }

    /// The document of `run`.
    pub fn doc(&self, run: Run) -> &Document {
        match run {
            Run::A => &self.a,
            Run::B => &self.b,
        }
    }

    /// The document of `run`, mutably (tests use it to set up a view).
    pub fn doc_mut(&mut self, run: Run) -> &mut Document {
        match run {
            Run::A => &mut self.a,
            Run::B => &mut self.b,
        }
    }

    /// Gives back both documents (stopping the comparison).
    pub fn into_documents(mut self) -> (Document, Document) {
        self.a.set_lane_order(None);
        self.b.set_lane_order(None);
        (self.a, self.b)
    }

    /// What changed between the runs.
    pub fn comparison(&self) -> &Comparison {
        &self.comparison
    }

    /// How the runs' tasks were matched.
    pub fn lanes(&self) -> LaneCounts {
        self.lanes
    }

    /// The anchors both runs reach (the first is the start).
    pub fn anchors(&self) -> &[Anchor] {
        &self.anchors
    }

    /// Where both timelines are pinned.
    pub fn anchor(&self) -> &Anchor {
        &self.anchor
    }

    /// Both runs on one axis.
    pub fn alignment(&self) -> Alignment {
        self.alignment
    }

    /// Live tasks by state for both runs over the aligned extent.
    pub fn series(&self) -> &StateSeries {
        &self.series
    }

    /// The shared window, in aligned ns.
    pub fn window(&self) -> TimeWindow {
        self.window
    }

    /// Where `run`'s half was drawn in the last frame.
    pub fn geometry(&self, run: Run) -> &Geometry {
        &self.geometry[run_slot(run)]
    }

    /// Why the last anchor chosen could not be used.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Pins both runs at `anchor` and shows both whole; a run that never reaches it leaves the
    /// alignment as it was.
    pub fn align_at(&mut self, anchor: Anchor) -> Result<(), AlignError> {
        let aligned = Alignment::at(&self.a.model, &self.b.model, &anchor);
        let alignment = match aligned {
            Ok(alignment) => alignment,
            Err(e) => {
                self.problem = Some(e.to_string());
                return Err(e);
            }
        };
        self.problem = None;
        self.anchor = anchor;
        self.alignment = alignment;
        self.series = StateSeries::new(&self.a.model, &self.b.model, &alignment, SERIES_BUCKETS);
        self.zoom_all();
        Ok(())
    }

    /// Shows both runs whole.
    pub fn zoom_all(&mut self) {
        self.window = self.bounds();
        self.push_window();
    }

    /// Both runs' extent on the aligned axis, with a little air.
    fn bounds(&self) -> TimeWindow {
        let (from, to) = self.alignment.union_extent(&self.a.model, &self.b.model);
        let mut window = TimeWindow::whole(to.saturating_sub(from).max(0) as u64);
        window.pan_by(from as f64);
        window
    }

    /// The timestamp of `run` at aligned time 0.
    fn origin(&self, run: Run) -> f64 {
        self.alignment.timestamp(run, 0) as f64
    }

    /// The axis `run`'s half is drawn on; `keys`: it takes the navigation keys.
    pub fn axis(&self, run: Run, keys: bool) -> Axis {
        Axis {
            origin_ns: self.origin(run),
            bounds: shifted(self.bounds(), self.origin(run)),
            keys,
        }
    }

    /// The shared window in `run`'s timestamps.
    fn window_in(&self, run: Run) -> TimeWindow {
        shifted(self.window, self.origin(run))
    }

    /// Sets both halves' windows from the shared one.
    fn push_window(&mut self) {
        self.a.view.window = self.window_in(Run::A);
        self.b.view.window = self.window_in(Run::B);
    }

    /// Takes the window of whichever half moved as the shared one, and gives it to both.
    fn pull_window(&mut self) {
        // B is checked first so that, if both moved, B's move wins (it was drawn last).
        let moved = [Run::B, Run::A]
            .into_iter()
            .find(|&run| self.doc(run).view.window != self.window_in(run));
        if let Some(run) = moved {
            self.window = shifted(self.doc(run).view.window, -self.origin(run));
        }
        self.push_window();
    }

    /// Applies a command from `run`'s half. Zooming out to everything means both runs, and a
    /// highlight holds for both halves.
    pub fn apply(&mut self, run: Run, command: Command) {
        match command {
            Command::ZoomAll => self.zoom_all(),
            Command::Highlight(state) => {
                self.a.view.highlight = state;
                self.b.view.highlight = state;
            }
            other => app::apply(self.doc_mut(run), other),
        }
        self.pull_window();
    }

    /// Selects the first wait of blocking-site row `row` in each run that has it, and shows
    /// both waits.
    pub fn jump_to_blocking_site(&mut self, row: usize) {
        let Some(site) = self.comparison.blocking_sites.get(row) else {
            return;
        };
        let reason = site.reason;
        let sites = [site.sites_a.clone(), site.sites_b.clone()];
        let mut shown: Option<(i64, i64)> = None;
        for (run, sites) in [Run::A, Run::B].into_iter().zip(sites) {
            let Some(wait) = first_wait(&self.doc(run).model, &sites, reason) else {
                continue;
            };
            app::apply(
                self.doc_mut(run),
                Command::Select(Selection::Span {
                    task: wait.task,
                    index: wait.index,
                }),
            );
            let (start, end) = (
                self.alignment.aligned(run, wait.start),
                self.alignment.aligned(run, wait.end),
            );
            shown = Some(shown.map_or((start, end), |(s, e)| (s.min(start), e.max(end))));
        }
        if let Some((start, end)) = shown {
            self.window = TimeWindow::around(start as f64, end as f64);
        }
        self.push_window();
    }

    /// Selects the first task of each run's side of a spawn-site or finding row.
    pub fn select_tasks(&mut self, tasks_a: Option<TaskIx>, tasks_b: Option<TaskIx>) {
        for (run, task) in [(Run::A, tasks_a), (Run::B, tasks_b)] {
            if let Some(task) = task {
                app::apply(self.doc_mut(run), Command::Select(Selection::Task(task)));
            }
        }
        self.pull_window();
    }
}

fn run_slot(run: Run) -> usize {
    match run {
        Run::A => 0,
        Run::B => 1,
    }
}

/// `window` moved by `by` ns.
fn shifted(window: TimeWindow, by: f64) -> TimeWindow {
    TimeWindow {
        start: window.start + by,
        end: window.end + by,
    }
}

/// A wait found on a task's lane.
struct Wait {
    task: TaskIx,
    index: usize,
    start: u64,
    end: u64,
}

/// The earliest wait for `reason` at any of `sites` in `model`.
fn first_wait(model: &Model, sites: &[SiteIx], reason: BlockReason) -> Option<Wait> {
    if sites.is_empty() {
        return None;
    }
    let wanted = State::Blocked(reason);
    model
        .task_ixs()
        .filter_map(|task| {
            let lane = model.timeline(task);
            let index = lane
                .rows()
                .iter()
                .position(|row| row.state() == wanted && sites.contains(&row.site()))?;
            Some(Wait {
                task,
                index,
                start: lane.start_of(index),
                end: lane.end_of(index),
            })
        })
        .min_by_key(|w| (w.start, w.task))
}
