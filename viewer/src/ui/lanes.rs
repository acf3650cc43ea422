//! Which lanes the timeline shows, in which groups, in which order — and the rows that result
//! once groups are collapsed and filters applied.
//!
//! The [`LaneCatalog`] is built once per trace (grouping tasks by spawn site needs a sort); the
//! [`RowLayout`] is rebuilt whenever a filter or a collapsed group changes, which costs one pass
//! over the catalog and never touches span data.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::model::{Model, ObjectIx, ObjectKind, SiteIx, TaskIx, WorkerIx};

/// The timeline a lane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LaneKey {
    /// An OS thread: which task ran on it when.
    Worker(WorkerIx),
    /// A task: its states over time.
    Task(TaskIx),
    /// A channel (queue depth), lock (holders and waiters) or condvar (waiters).
    Object(ObjectIx),
}

/// A collapsible group of lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupKey {
    /// Every worker.
    Workers,
    /// Every task.
    Tasks,
    /// Tasks spawned at one site (`SiteIx(0)`: threads not spawned through Weft).
    TaskSite(u32),
    /// Every object.
    Objects,
    /// Objects of one kind: 0 channels, 1 locks, 2 condvars, 3 async resources.
    ObjectKind(u8),
    /// Section `n` of a given lane order ([`LaneSection`]).
    Section(u8),
}

/// Tasks spawned at the same site.
#[derive(Clone, Debug)]
pub struct TaskGroup {
    /// The spawn site (unknown for adopted threads such as `main`).
    pub site: SiteIx,
    /// What the group header says.
    pub label: String,
    /// The header's tooltip (the full spawn site).
    pub detail: String,
    /// Its tasks by spawn (or start) time.
    pub tasks: Vec<TaskIx>,
}

/// Every lane of a trace, grouped and ordered once.
#[derive(Clone, Debug, Default)]
pub struct LaneCatalog {
    /// Workers in id order.
    pub workers: Vec<WorkerIx>,
    /// Task groups: adopted threads first, then by the first spawn of each site.
    pub task_groups: Vec<TaskGroup>,
    /// Objects by kind (channels, locks, condvars, async resources), each by creation time.
    pub object_groups: [Vec<ObjectIx>; 4],
}

/// The names of the object groups, by [`GroupKey::ObjectKind`] index.
pub const OBJECT_GROUP_NAMES: [&str; 4] = ["Channels", "Locks", "Condvars", "Async resources"];

fn object_group(kind: &ObjectKind) -> u8 {
    match kind {
        ObjectKind::Channel { .. } => 0,
        ObjectKind::Mutex | ObjectKind::RwLock | ObjectKind::Lock => 1,
        ObjectKind::Condvar => 2,
        ObjectKind::Resource(_) => 3,
    }
}

impl LaneCatalog {
    /// Groups the lanes of `model`.
    pub fn new(model: &Model) -> Self {
        let workers = (0..model.workers().len())
            .map(|w| WorkerIx(w as u32))
            .collect();

        let begin = |t: TaskIx| {
            let task = model.task(t);
            task.spawned_at.or(task.started_at).unwrap_or(u64::MAX)
        };
        let mut by_site: BTreeMap<u32, Vec<TaskIx>> = BTreeMap::new();
        for t in model.task_ixs() {
            let task = model.task(t);
            let site = if task.parent.is_some() {
                task.spawn_site.0
            } else {
                0
            };
            by_site.entry(site).or_default().push(t);
        }
        let mut task_groups: Vec<TaskGroup> = by_site
            .into_iter()
            .map(|(site, mut tasks)| {
                tasks.sort_by_key(|&t| (begin(t), t));
                let site = SiteIx(site);
                let (label, detail) = if site.is_known() {
                    (
                        format!("spawned at {}", super::describe::site_short(model, site)),
                        format!("Tasks spawned at {}", super::describe::site(model, site)),
                    )
                } else {
                    (
                        "threads not spawned through Weft".to_owned(),
                        "The main thread and threads started without weft_recorder::thread"
                            .to_owned(),
                    )
                };
                TaskGroup {
                    site,
                    label,
                    detail,
                    tasks,
                }
            })
            .collect();
        task_groups.sort_by_key(|g| (g.site.is_known(), g.tasks.first().map(|&t| begin(t))));

        let mut object_groups: [Vec<ObjectIx>; 4] = Default::default();
        for o in model.object_ixs() {
            object_groups[object_group(&model.object(o).kind) as usize].push(o);
        }
        for group in &mut object_groups {
            group.sort_by_key(|&o| (model.object(o).created_at.unwrap_or(0), o));
        }
        LaneCatalog {
            workers,
            task_groups,
            object_groups,
        }
    }

    /// Number of task lanes.
    pub fn task_count(&self) -> usize {
        self.task_groups.iter().map(|g| g.tasks.len()).sum()
    }
}

/// A titled list of lanes in an order chosen by the caller rather than by the catalog: the
/// compare view lists the lanes matched between two runs in the same order in both halves,
/// then those only one run has.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneSection {
    /// Its group key (a [`GroupKey::Section`]), for collapsing it.
    pub key: GroupKey,
    /// The header text.
    pub label: String,
    /// The lanes, top to bottom.
    pub lanes: Vec<LaneKey>,
}

/// Which lanes the user asked to see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneFilter {
    /// Keep tasks and objects whose name or site contains this (case-insensitive).
    pub search: String,
    /// Keep only tasks that were ever blocked.
    pub only_blocked: bool,
    /// Keep only leaked tasks.
    pub only_leaked: bool,
    /// Keep only tasks spawned at this site.
    pub spawn_site: Option<u32>,
}

impl LaneFilter {
    /// True when no filter is set.
    pub fn is_empty(&self) -> bool {
        self.search.trim().is_empty()
            && !self.only_blocked
            && !self.only_leaked
            && self.spawn_site.is_none()
    }
}

/// What the analysis says about a task, for filters and badges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskFacts {
    /// Alive and stuck at the end of the trace with no way out.
    pub leaked: bool,
    /// Alive at the end of the trace, but not (provably) stuck.
    pub still_running: bool,
    /// Part of a deadlock cycle.
    pub deadlocked: bool,
    /// Time spent blocked, ns.
    pub blocked_ns: u64,
}

/// One row of the lane area.
#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    /// A group header: click to collapse or expand.
    Group {
        /// Which group.
        key: GroupKey,
        /// The header text.
        label: String,
        /// Lanes in the group after filtering.
        count: usize,
        /// 0 for top-level groups, 1 for subgroups.
        depth: u8,
        /// The group is collapsed.
        collapsed: bool,
    },
    /// A lane.
    Lane(LaneKey),
}

/// A row with its place: `y` from the top of the lane area, in points.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedRow {
    /// The row.
    pub row: Row,
    /// Top edge.
    pub y: f32,
    /// Height.
    pub height: f32,
}

/// Height of a group header row.
pub const GROUP_HEIGHT: f32 = 22.0;
/// Height of a task or worker lane.
pub const LANE_HEIGHT: f32 = 22.0;
/// Height of an object lane (room for a queue-depth chart).
pub const OBJECT_LANE_HEIGHT: f32 = 26.0;

/// The rows on screen, top to bottom.
#[derive(Clone, Debug, Default)]
pub struct RowLayout {
    /// Rows in order, with their positions.
    pub rows: Vec<PlacedRow>,
    /// Height of all rows.
    pub total_height: f32,
    /// Row index of each lane shown.
    index: HashMap<LaneKey, usize>,
}

impl RowLayout {
    /// Lays out `catalog` with the given filter and collapsed groups.
    pub fn new(
        catalog: &LaneCatalog,
        model: &Model,
        filter: &LaneFilter,
        facts: &[TaskFacts],
        collapsed: &HashSet<GroupKey>,
    ) -> Self {
        let mut layout = RowLayout::default();
        let needle = filter.search.trim().to_lowercase();
        let matches = |text: &str| needle.is_empty() || text.to_lowercase().contains(&needle);
        let site_matches = |site: SiteIx| {
            !needle.is_empty()
                && model
                    .site_label(site)
                    .is_some_and(|s| s.to_lowercase().contains(&needle))
        };
        let task_kept = |t: TaskIx| {
            let fact = facts.get(t.index()).copied().unwrap_or_default();
            let task = model.task(t);
            (!filter.only_leaked || fact.leaked)
                && (!filter.only_blocked || fact.blocked_ns > 0)
                && filter
                    .spawn_site
                    .is_none_or(|s| task.parent.is_some() && task.spawn_site.0 == s)
                && (matches(&model.task_name(t)) || site_matches(task.spawn_site))
        };
        let task_filter_active =
            filter.only_leaked || filter.only_blocked || filter.spawn_site.is_some();

        // Workers: shown unless the user filters tasks (a worker lane has no name to match).
        if !task_filter_active && needle.is_empty() {
            layout.group(
                GroupKey::Workers,
                "Workers",
                catalog.workers.len(),
                0,
                collapsed,
                |l| {
                    for &w in &catalog.workers {
                        l.lane(LaneKey::Worker(w), LANE_HEIGHT);
                    }
                },
            );
        }

        let groups: Vec<(&TaskGroup, Vec<TaskIx>)> = catalog
            .task_groups
            .iter()
            .map(|g| {
                (
                    g,
                    g.tasks
                        .iter()
                        .copied()
                        .filter(|&t| task_kept(t))
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, kept)| !kept.is_empty())
            .collect();
        let task_total = groups.iter().map(|(_, kept)| kept.len()).sum();
        layout.group(GroupKey::Tasks, "Tasks", task_total, 0, collapsed, |l| {
            for (group, kept) in &groups {
                l.group(
                    GroupKey::TaskSite(group.site.0),
                    &group.label,
                    kept.len(),
                    1,
                    collapsed,
                    |l| {
                        for &t in kept {
                            l.lane(LaneKey::Task(t), LANE_HEIGHT);
                        }
                    },
                );
            }
        });

        if !task_filter_active {
            let kept: Vec<Vec<ObjectIx>> = catalog
                .object_groups
                .iter()
                .map(|objects| {
                    objects
                        .iter()
                        .copied()
                        .filter(|&o| {
                            matches(&model.object_name(o)) || site_matches(model.object(o).site)
                        })
                        .collect()
                })
                .collect();
            let total = kept.iter().map(Vec::len).sum();
            if total > 0 {
                layout.group(GroupKey::Objects, "Objects", total, 0, collapsed, |l| {
                    for (kind, objects) in kept.iter().enumerate() {
                        if objects.is_empty() {
                            continue;
                        }
                        l.group(
                            GroupKey::ObjectKind(kind as u8),
                            OBJECT_GROUP_NAMES[kind],
                            objects.len(),
                            1,
                            collapsed,
                            |l| {
                                for &o in objects {
                                    l.lane(LaneKey::Object(o), OBJECT_LANE_HEIGHT);
                                }
                            },
                        );
                    }
                });
            }
        }
        layout
    }

    /// Lays out `sections` as they are, each under a collapsible header (empty ones left out).
    pub fn ordered(sections: &[LaneSection], collapsed: &HashSet<GroupKey>) -> Self {
        let mut layout = RowLayout::default();
        for section in sections.iter().filter(|s| !s.lanes.is_empty()) {
            layout.group(
                section.key,
                &section.label,
                section.lanes.len(),
                0,
                collapsed,
                |l| {
                    for &lane in &section.lanes {
                        let height = match lane {
                            LaneKey::Object(_) => OBJECT_LANE_HEIGHT,
                            LaneKey::Task(_) | LaneKey::Worker(_) => LANE_HEIGHT,
                        };
                        l.lane(lane, height);
                    }
                },
            );
        }
        layout
    }

    fn group(
        &mut self,
        key: GroupKey,
        label: &str,
        count: usize,
        depth: u8,
        collapsed: &HashSet<GroupKey>,
        contents: impl FnOnce(&mut Self),
    ) {
        let is_collapsed = collapsed.contains(&key);
        self.push(
            Row::Group {
                key,
                label: label.to_owned(),
                count,
                depth,
                collapsed: is_collapsed,
            },
            GROUP_HEIGHT,
        );
        if !is_collapsed {
            contents(self);
        }
    }

    fn lane(&mut self, key: LaneKey, height: f32) {
        self.push(Row::Lane(key), height);
    }

    fn push(&mut self, row: Row, height: f32) {
        if let Row::Lane(lane) = row {
            self.index.insert(lane, self.rows.len());
        }
        self.rows.push(PlacedRow {
            row,
            y: self.total_height,
            height,
        });
        self.total_height += height;
    }

    /// The rows that intersect `[top, bottom)`: a binary search, so scrolling a trace with
    /// thousands of tasks only visits what is on screen.
    pub fn visible(&self, top: f32, bottom: f32) -> &[PlacedRow] {
        let first = self.rows.partition_point(|r| r.y + r.height <= top);
        let last = first + self.rows[first..].partition_point(|r| r.y < bottom);
        &self.rows[first..last]
    }

    /// The row of a lane, if it is shown.
    pub fn find(&self, lane: LaneKey) -> Option<&PlacedRow> {
        self.index.get(&lane).map(|&i| &self.rows[i])
    }

    /// Number of lanes shown (headers not counted).
    pub fn lane_count(&self) -> usize {
        self.index.len()
    }
}
