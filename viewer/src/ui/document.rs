//! One open trace: the model and analysis it was loaded into, the lane catalog, the few
//! per-object scales the timeline needs, and how the user is viewing it.
//!
//! Everything here is computed once when the trace is opened; drawing a frame only reads it.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::analysis::{task_state_times, Analysis, Fate, StateTimes};
use crate::model::{Model, ObjectIx, State, TaskIx};

use super::activity::{Activity, BlockedHistogram};
use super::findings::Finding;
use super::lanes::{LaneCatalog, LaneKey, LaneSection, RowLayout, TaskFacts};
use super::view::ViewState;

/// Per-object scales for drawing, indexed by [`ObjectIx`].
#[derive(Clone, Debug, Default)]
pub struct ObjectScale {
    /// The largest level (queue depth or waiters) the object reached; at least 1.
    pub max_level: u32,
    /// For locks: `holds[i].end` maximised over `holds[..=i]`, so the holds visible in a window
    /// can be found by binary search even when shared holds overlap.
    pub hold_end_prefix_max: Vec<u64>,
}

/// What a document derives from its model alone, for drawing (see [`Document::new`]).
struct Views {
    catalog: LaneCatalog,
    object_scales: Vec<ObjectScale>,
    task_times: Vec<StateTimes>,
    activity: Activity,
    blocked_histogram: BlockedHistogram,
}

impl Views {
    fn new(model: &Model) -> Self {
        Views {
            catalog: LaneCatalog::new(model),
            object_scales: model.object_ixs().map(|o| object_scale(model, o)).collect(),
            task_times: model
                .task_ixs()
                .map(|t| task_state_times(model, t))
                .collect(),
            activity: Activity::new(model),
            blocked_histogram: BlockedHistogram::new(model),
        }
    }
}

/// An open trace.
pub struct Document {
    /// Where it came from (`None` for a trace built in memory).
    pub path: Option<PathBuf>,
    /// The window title part: the file name or the program.
    pub title: String,
    /// The model.
    pub model: Model,
    /// What the analysis found.
    pub analysis: Analysis,
    /// Time each task spent in each state, indexed by `TaskIx`.
    pub task_times: Vec<StateTimes>,
    /// Lanes, grouped once.
    pub catalog: LaneCatalog,
    /// What the analysis says about each task, indexed by `TaskIx`.
    pub facts: Vec<TaskFacts>,
    /// Scales per object.
    pub object_scales: Vec<ObjectScale>,
    /// Tasks by state over time (overview strip and plot).
    pub activity: Activity,
    /// Blocked durations (histogram).
    pub blocked_histogram: BlockedHistogram,
    /// The analysis' findings as the list shows them (and N walks through them).
    pub findings: Vec<Finding>,
    /// Which states occur in the trace, by `State::index` (the legend lists only those).
    pub states_present: [bool; State::COUNT],
    /// How the user views it.
    pub view: ViewState,
    /// Lanes in an order of the caller's (the compare view's) instead of the catalog's.
    lane_order: Option<Vec<LaneSection>>,
    /// The rows shown, rebuilt when filters or collapsed groups change.
    layout: RowLayout,
    layout_dirty: bool,
}

impl Document {
    /// Wraps a model built from the trace at `path` (or in memory).
    pub fn new(model: Model, path: Option<PathBuf>) -> Self {
        let title = match &path {
            Some(p) => p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            None if !model.header().program.is_empty() => model.header().program.clone(),
            None => "trace".to_owned(),
        };
        // The analysis takes a little longer than everything else here together (10 M events,
        // each alone: 0.33 s against 0.29 s), and neither needs the other: the rest is computed
        // on a core of its own meanwhile.
        let (analysis, views) = crate::two_cores::join(
            "weft-document",
            || Views::new(&model),
            || Analysis::run(&model),
        );
        let Views {
            catalog,
            object_scales,
            task_times,
            activity,
            blocked_histogram,
        } = views;
        let facts = model
            .task_ixs()
            .map(|t| {
                let fate = analysis.fate(t);
                TaskFacts {
                    leaked: fate == Fate::Leaked,
                    deadlocked: fate == Fate::Deadlocked,
                    still_running: matches!(fate, Fate::Running | Fate::Waiting),
                    blocked_ns: task_times[t.index()].blocked(),
                }
            })
            .collect();
        let mut states_present = [false; State::COUNT];
        for times in &task_times {
            for (present, ns) in states_present.iter_mut().zip(times.0) {
                *present |= ns > 0;
            }
        }
        states_present[State::Done.index()] = model.tasks().iter().any(|t| t.exited_at.is_some());
        let findings = super::findings::collect(&model, &analysis);
        let view = ViewState::new(model.start_ns(), model.end_ns());
        Document {
            path,
            title,
            model,
            analysis,
            task_times,
            catalog,
            facts,
            object_scales,
            activity,
            blocked_histogram,
            states_present,
            findings,
            view,
            lane_order: None,
            layout: RowLayout::default(),
            layout_dirty: true,
        }
    }

    /// The rows to draw, rebuilt first if a filter or group changed.
    pub fn layout(&mut self) -> &RowLayout {
        if self.layout_dirty {
            self.layout = match &self.lane_order {
                Some(sections) => RowLayout::ordered(sections, &self.view.collapsed),
                None => RowLayout::new(
                    &self.catalog,
                    &self.model,
                    &self.view.filter,
                    &self.facts,
                    &self.view.collapsed,
                ),
            };
            self.layout_dirty = false;
        }
        &self.layout
    }

    /// Shows exactly `sections`, in order, instead of the catalog's groups (filters then do not
    /// apply); `None` goes back to the catalog.
    pub fn set_lane_order(&mut self, sections: Option<Vec<LaneSection>>) {
        self.lane_order = sections;
        self.layout_dirty = true;
    }

    /// The rows as of the last rebuild (for read-only users after [`Document::layout`] ran).
    pub fn current_layout(&self) -> &RowLayout {
        &self.layout
    }

    /// Call after changing `view.filter` or `view.collapsed`.
    pub fn invalidate_layout(&mut self) {
        self.layout_dirty = true;
    }

    /// Expands every group that hides `lane` so it gets a row.
    pub fn expand_to(&mut self, lane: LaneKey) {
        use super::lanes::GroupKey;
        let mut open: HashSet<GroupKey> = HashSet::new();
        for section in self.lane_order.iter().flatten() {
            if section.lanes.contains(&lane) {
                open.insert(section.key);
            }
        }
        match lane {
            LaneKey::Worker(_) => {
                open.insert(GroupKey::Workers);
            }
            LaneKey::Task(t) => {
                open.insert(GroupKey::Tasks);
                if let Some(g) = self
                    .catalog
                    .task_groups
                    .iter()
                    .find(|g| g.tasks.contains(&t))
                {
                    open.insert(GroupKey::TaskSite(g.site.0));
                }
            }
            LaneKey::Object(o) => {
                open.insert(GroupKey::Objects);
                if let Some(kind) = self
                    .catalog
                    .object_groups
                    .iter()
                    .position(|g| g.contains(&o))
                {
                    open.insert(GroupKey::ObjectKind(kind as u8));
                }
            }
        }
        let before = self.view.collapsed.len();
        self.view.collapsed.retain(|g| !open.contains(g));
        if self.view.collapsed.len() != before {
            self.layout_dirty = true;
        }
    }

    /// Time task `t` spent in each state.
    pub fn state_times(&self, t: TaskIx) -> StateTimes {
        self.task_times.get(t.index()).copied().unwrap_or_default()
    }

    /// The scale of an object.
    pub fn object_scale(&self, o: ObjectIx) -> &ObjectScale {
        &self.object_scales[o.index()]
    }
}

fn object_scale(model: &Model, o: ObjectIx) -> ObjectScale {
    // Scaled to the deepest the queue got, not to its capacity: a bounded(10_000) channel that
    // never holds more than three messages should still show its ups and downs.
    let max_level = model
        .object_events(o)
        .rows()
        .iter()
        .map(|e| e.level())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut running = 0;
    let hold_end_prefix_max = model
        .holds(o)
        .iter()
        .map(|h| {
            running = running.max(h.end);
            running
        })
        .collect();
    ObjectScale {
        max_level,
        hold_end_prefix_max,
    }
}
