//! Spawn sites in A against B: the tasks spawned at each, and the time they spent in each state.
//!
//! Groups are keyed by the spawn site's `file:line`, never by the traces' site ids (the same line
//! has different ids in two runs; two columns of one line have two ids but one `file:line`, and
//! merge). Threads Weft did not spawn have no spawn site and are grouped by name. A group of A
//! left without a partner is then paired with one of B by task name, when that name is unique on
//! both sides: the spawn call moved (an edited or renamed file) but its tasks kept their name.
//!
//! The pairing is shared with the blocking-site table, which uses it to recognise a wait that
//! moved to another line.

use std::collections::HashMap;

use serde::Serialize;

use super::change::{Change, Status};
use crate::analysis::{Analysis, StateTimes};
use crate::model::{Model, State, TaskIx};

/// How a spawn site of A was paired with one of B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupMatch {
    /// The same `file:line`.
    SpawnSite,
    /// The same task name: threads Weft did not spawn (which have no spawn site), or a spawn
    /// site that moved whose tasks kept their name.
    Name,
}

impl GroupMatch {
    /// The stable name: `spawn_site`, `name`.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupMatch::SpawnSite => "spawn_site",
            GroupMatch::Name => "name",
        }
    }
}

/// Time in one state, summed over a spawn site's tasks, in A and in B.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StateChange {
    /// The state (`runnable`, `running`, or a block reason).
    pub state: State,
    /// The time.
    #[serde(flatten)]
    pub time_ns: Change,
}

/// The tasks of one spawn site, in A and in B.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpawnSiteChange {
    /// The name of the group's first task (A's when the group is in A); `(unnamed)` if none.
    pub name: String,
    /// The spawn site in A (`None`: not in A, or threads Weft did not spawn).
    pub spawn_site_a: Option<String>,
    /// The spawn site in B.
    pub spawn_site_b: Option<String>,
    /// In A, in B, or both.
    pub status: Status,
    /// How A's group was paired with B's (`None` unless in both).
    pub matched_by: Option<GroupMatch>,
    /// How many tasks.
    pub tasks: Change,
    /// How many of them finished (exited, or ended with the program).
    pub completed: Change,
    /// Time in each state either run spent time in, biggest change first (`done` left out).
    pub states: Vec<StateChange>,
    /// The largest change among `states`: the sort key.
    pub change_ns: u64,
    /// A's tasks (for jumping to their lanes).
    #[serde(skip)]
    pub tasks_a: Vec<TaskIx>,
    /// B's tasks.
    #[serde(skip)]
    pub tasks_b: Vec<TaskIx>,
}

impl SpawnSiteChange {
    /// The change in one state (zero when neither run spent time in it).
    pub fn state(&self, state: State) -> Change {
        self.states
            .iter()
            .find(|s| s.state == state)
            .map_or_else(Change::default, |s| s.time_ns)
    }
}

/// What identifies a spawn group across runs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum GroupKey {
    /// Spawned through Weft at this `file:line`.
    Site(String),
    /// Not spawned through Weft: grouped by the raw thread name ("" when unnamed).
    Name(String),
}

/// One run's tasks of one spawn group (several of the analysis's groups may merge into one).
pub(crate) struct Group {
    key: GroupKey,
    /// The first task's name, `(unnamed)` if it has none (never `task N`: ids do not survive
    /// a re-run).
    pub name: String,
    raw_name: String,
    site: Option<String>,
    tasks: Vec<TaskIx>,
    states: StateTimes,
    completed: u64,
}

/// A group of A, of B, or one of each, and how they were paired.
pub(crate) type GroupPair = (Option<usize>, Option<usize>, Option<GroupMatch>);

/// Both runs' spawn groups and how they pair.
pub(crate) struct SpawnGroups {
    pub a: Vec<Group>,
    pub b: Vec<Group>,
    pub pairs: Vec<GroupPair>,
    /// For each task of A (by index), its group in `a`.
    pub group_of_a: Vec<usize>,
    /// For each task of B, its group in `b`.
    pub group_of_b: Vec<usize>,
    /// For each group of `a`, its entry in `pairs`.
    pub pair_of_a: Vec<usize>,
    /// For each group of `b`, its entry in `pairs`.
    pub pair_of_b: Vec<usize>,
}

fn groups(model: &Model, analysis: &Analysis) -> (Vec<Group>, Vec<usize>) {
    let mut out: Vec<Group> = Vec::new();
    let mut group_of = vec![usize::MAX; model.tasks().len()];
    let mut index: HashMap<GroupKey, usize> = HashMap::new();
    for g in &analysis.groups {
        let Some(&first) = g.tasks.first() else {
            continue;
        };
        let raw_name = model.string(model.task(first).name).to_owned();
        let site = model.site_label(g.spawn_site);
        let key = match &site {
            Some(label) => GroupKey::Site(label.clone()),
            None => GroupKey::Name(raw_name.clone()),
        };
        let at = *index.entry(key.clone()).or_insert_with(|| {
            out.push(Group {
                key,
                name: if raw_name.is_empty() {
                    "(unnamed)".into()
                } else {
                    raw_name.clone()
                },
                raw_name,
                site,
                tasks: Vec::new(),
                states: StateTimes::default(),
                completed: 0,
            });
            out.len() - 1
        });
        let group = &mut out[at];
        group.tasks.extend_from_slice(&g.tasks);
        for (total, ns) in group.states.0.iter_mut().zip(g.states.0) {
            *total += ns;
        }
        for &t in &g.tasks {
            if let Some(slot) = group_of.get_mut(t.index()) {
                *slot = at;
            }
            if analysis
                .fates
                .get(t.index())
                .is_some_and(|f| f.is_finished())
            {
                group.completed += 1;
            }
        }
    }
    (out, group_of)
}

/// Pairs A's groups with B's: the same key first, then the same (non-empty, unique) task name.
fn pair(a: &[Group], b: &[Group]) -> Vec<GroupPair> {
    let b_by_key: HashMap<&GroupKey, usize> =
        b.iter().enumerate().map(|(i, g)| (&g.key, i)).collect();
    let mut b_taken = vec![false; b.len()];
    let mut pairs = Vec::new();
    let mut a_left = Vec::new();
    for (i, group) in a.iter().enumerate() {
        match b_by_key.get(&group.key) {
            Some(&j) if !b_taken[j] => {
                b_taken[j] = true;
                let how = match group.key {
                    GroupKey::Site(_) => GroupMatch::SpawnSite,
                    GroupKey::Name(_) => GroupMatch::Name,
                };
                pairs.push((Some(i), Some(j), Some(how)));
            }
            _ => a_left.push(i),
        }
    }
    // Moved spawn sites: leftovers whose task name is the same and unique on both sides.
    let b_left: Vec<usize> = (0..b.len()).filter(|&j| !b_taken[j]).collect();
    let count = |names: &mut dyn Iterator<Item = &str>| {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for n in names.filter(|n| !n.is_empty()) {
            *counts.entry(n.to_owned()).or_default() += 1;
        }
        counts
    };
    let a_names = count(&mut a_left.iter().map(|&i| a[i].raw_name.as_str()));
    let b_names = count(&mut b_left.iter().map(|&j| b[j].raw_name.as_str()));
    for i in a_left {
        let name = &a[i].raw_name;
        let unique = a_names.get(name) == Some(&1) && b_names.get(name) == Some(&1);
        let partner = b_left
            .iter()
            .copied()
            .find(|&j| unique && !b_taken[j] && &b[j].raw_name == name);
        match partner {
            Some(j) => {
                b_taken[j] = true;
                pairs.push((Some(i), Some(j), Some(GroupMatch::Name)));
            }
            None => pairs.push((Some(i), None, None)),
        }
    }
    pairs.extend(
        b_left
            .into_iter()
            .filter(|&j| !b_taken[j])
            .map(|j| (None, Some(j), None)),
    );
    pairs
}

impl SpawnGroups {
    /// Groups both runs' tasks by spawn site and pairs the groups.
    pub fn new(a: &Model, a_analysis: &Analysis, b: &Model, b_analysis: &Analysis) -> Self {
        let (groups_a, group_of_a) = groups(a, a_analysis);
        let (groups_b, group_of_b) = groups(b, b_analysis);
        let pairs = pair(&groups_a, &groups_b);
        let mut pair_of_a = vec![usize::MAX; groups_a.len()];
        let mut pair_of_b = vec![usize::MAX; groups_b.len()];
        for (p, &(i, j, _)) in pairs.iter().enumerate() {
            if let Some(i) = i {
                pair_of_a[i] = p;
            }
            if let Some(j) = j {
                pair_of_b[j] = p;
            }
        }
        SpawnGroups {
            a: groups_a,
            b: groups_b,
            pairs,
            group_of_a,
            group_of_b,
            pair_of_a,
            pair_of_b,
        }
    }

    /// Is entry `p` of `pairs` a group in both runs?
    pub fn is_paired(&self, p: usize) -> bool {
        matches!(self.pairs.get(p), Some((Some(_), Some(_), _)))
    }
}

/// Tasks and state times per spawn site in both runs, biggest change first.
pub(crate) fn spawn_sites(groups: &SpawnGroups) -> Vec<SpawnSiteChange> {
    let mut rows: Vec<SpawnSiteChange> = groups
        .pairs
        .iter()
        .filter_map(|&(i, j, matched_by)| {
            let x = i.and_then(|i| groups.a.get(i));
            let y = j.and_then(|j| groups.b.get(j));
            let status = Status::of(x.is_some(), y.is_some())?;
            let name = x.or(y)?.name.clone();
            let empty = StateTimes::default();
            let (sx, sy) = (
                x.map_or(&empty, |g| &g.states),
                y.map_or(&empty, |g| &g.states),
            );
            let mut states: Vec<StateChange> = (0..State::COUNT)
                .filter_map(State::from_index)
                .filter(|&s| s != State::Done)
                .map(|state| StateChange {
                    state,
                    time_ns: Change::new(sx.get(state), sy.get(state)),
                })
                .filter(|s| !s.time_ns.is_zero())
                .collect();
            states.sort_by(|p, q| {
                q.time_ns
                    .magnitude()
                    .cmp(&p.time_ns.magnitude())
                    .then(p.state.index().cmp(&q.state.index()))
            });
            let len = |g: Option<&Group>| g.map_or(0, |g| g.tasks.len() as u64);
            let completed = |g: Option<&Group>| g.map_or(0, |g| g.completed);
            Some(SpawnSiteChange {
                name,
                spawn_site_a: x.and_then(|g| g.site.clone()),
                spawn_site_b: y.and_then(|g| g.site.clone()),
                status,
                matched_by,
                tasks: Change::new(len(x), len(y)),
                completed: Change::new(completed(x), completed(y)),
                change_ns: states.first().map_or(0, |s| s.time_ns.magnitude()),
                states,
                tasks_a: x.map(|g| g.tasks.clone()).unwrap_or_default(),
                tasks_b: y.map(|g| g.tasks.clone()).unwrap_or_default(),
            })
        })
        .collect();
    rows.sort_by(|x, y| {
        y.change_ns
            .cmp(&x.change_ns)
            .then(y.tasks.magnitude().cmp(&x.tasks.magnitude()))
            .then_with(|| x.name.cmp(&y.name))
            .then_with(|| x.spawn_site_a.cmp(&y.spawn_site_a))
            .then_with(|| x.spawn_site_b.cmp(&y.spawn_site_b))
    });
    rows
}
