//! What the user is looking at in one trace: the time window, the selection, filters and
//! highlights — the only state the timeline keeps between frames — and the commands panels send
//! to change it.
//!
//! Panels never change this state while they draw: they return [`Command`]s that the app
//! applies after the frame, so every panel sees the same state during a frame and jumps from the
//! findings list, the details panel or a table all go through one path.

use std::collections::HashSet;

use crate::model::{ObjectIx, State, TaskIx, WorkerIx};

use super::lanes::{GroupKey, LaneFilter, LaneKey};
use super::time::TimeWindow;

/// What is selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// A task as a whole (its lane label).
    Task(TaskIx),
    /// Span `index` of a task's timeline.
    Span {
        /// The task.
        task: TaskIx,
        /// Index in the task's lane.
        index: usize,
    },
    /// An object as a whole.
    Object(ObjectIx),
    /// A worker (OS thread).
    Worker(WorkerIx),
}

impl Selection {
    /// The lane the selection lives on.
    pub fn lane(&self) -> LaneKey {
        match *self {
            Selection::Task(t) | Selection::Span { task: t, .. } => LaneKey::Task(t),
            Selection::Object(o) => LaneKey::Object(o),
            Selection::Worker(w) => LaneKey::Worker(w),
        }
    }

    /// The task, for task and span selections.
    pub fn task(&self) -> Option<TaskIx> {
        match *self {
            Selection::Task(t) | Selection::Span { task: t, .. } => Some(t),
            _ => None,
        }
    }
}

/// A duration measured with shift-drag, ns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measure {
    /// Where the drag began.
    pub from: f64,
    /// Where it is (or ended).
    pub to: f64,
}

impl Measure {
    /// The measured duration (never negative).
    pub fn duration(&self) -> f64 {
        (self.to - self.from).abs()
    }

    /// Earlier and later edge.
    pub fn range(&self) -> (f64, f64) {
        (self.from.min(self.to), self.from.max(self.to))
    }
}

/// Everything about how one trace is shown.
#[derive(Clone, Debug)]
pub struct ViewState {
    /// The visible time range, in trace ns.
    pub window: TimeWindow,
    /// The selection.
    pub selection: Option<Selection>,
    /// Spans of this state are drawn at full strength, the rest dimmed.
    pub highlight: Option<State>,
    /// Which lanes are shown.
    pub filter: LaneFilter,
    /// Collapsed groups.
    pub collapsed: HashSet<GroupKey>,
    /// The shift-drag measurement.
    pub measure: Option<Measure>,
    /// Draw the causal links of everything in view, not only of the selection.
    pub all_arrows: bool,
    /// Vertical scroll of the lane area, points.
    pub scroll_y: f32,
    /// Scrolling asked for during this frame (drags, the wheel over the labels), applied on top
    /// of where the scroll area ends up.
    pub scroll_request: f32,
    /// A lane to bring into view on the next frame.
    pub scroll_to: Option<LaneKey>,
}

impl ViewState {
    /// The view of a trace spanning `[start_ns, end_ns]`, zoomed out to all of it.
    pub fn new(start_ns: u64, end_ns: u64) -> Self {
        ViewState {
            window: whole(start_ns, end_ns),
            selection: None,
            highlight: None,
            filter: LaneFilter::default(),
            collapsed: HashSet::new(),
            measure: None,
            all_arrows: false,
            scroll_y: 0.0,
            scroll_request: 0.0,
            scroll_to: None,
        }
    }
}

/// The window showing all of `[start_ns, end_ns]` with a little air on each side.
pub fn whole(start_ns: u64, end_ns: u64) -> TimeWindow {
    let mut w = TimeWindow::whole(end_ns.saturating_sub(start_ns));
    w.pan_by(start_ns as f64);
    w
}

/// A change a panel asks for; applied by the app after the frame is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Select something (and reveal its lane).
    Select(Selection),
    /// Clear the selection.
    ClearSelection,
    /// Select the span of `task` in force at `ts`, reveal the lane and centre `ts` if it is off
    /// screen.
    FocusTaskAt {
        /// The task.
        task: TaskIx,
        /// A time inside the span.
        ts: u64,
    },
    /// Show `[start, end]` (with some air around it).
    ZoomTo {
        /// Start, ns.
        start: u64,
        /// End, ns.
        end: u64,
    },
    /// Show the whole trace.
    ZoomAll,
    /// Set a lane filter.
    SetFilter(LaneFilter),
    /// Collapse or expand a group.
    ToggleGroup(GroupKey),
    /// Draw spans of this state at full strength and dim the rest (`None`: no highlight).
    Highlight(Option<State>),
}
