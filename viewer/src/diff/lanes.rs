//! Which task of run B is "the same" as a task of run A, so the compare view can stack their
//! lanes.
//!
//! Ids mean nothing across runs. What a user recognises is a thread's name and where it was
//! spawned, so tasks are paired in three passes over those still unpaired: same name and same
//! spawn site (`file:line`), then same name (a spawn site that moved), then same spawn site (a
//! renamed thread, or unnamed ones). Within a pass, tasks sharing a key pair up in the order they
//! were spawned: the third unnamed thread of a site in A with the third in B.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use crate::model::{Model, TaskIx};

/// How two tasks were paired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// Same name and same spawn site.
    NameAndSite,
    /// Same name, different spawn site.
    Name,
    /// Same spawn site, different name.
    SpawnSite,
}

impl MatchedBy {
    /// The stable name: `name_and_site`, `name`, `spawn_site`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::NameAndSite => "name_and_site",
            MatchedBy::Name => "name",
            MatchedBy::SpawnSite => "spawn_site",
        }
    }
}

/// A task of A and its counterpart in B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LanePair {
    /// The task in A.
    pub a: TaskIx,
    /// The task in B.
    pub b: TaskIx,
    /// Why they were paired.
    pub matched_by: MatchedBy,
}

/// A one-to-one mapping between some of A's tasks and some of B's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneMatching {
    pairs: Vec<LanePair>,
    b_of_a: Vec<Option<TaskIx>>,
    a_of_b: Vec<Option<TaskIx>>,
}

/// A task's identity across runs: its raw name ("" if unnamed) and its spawn site's `file:line`.
struct Identity {
    name: String,
    site: Option<String>,
}

fn identities(model: &Model) -> Vec<Identity> {
    model
        .task_ixs()
        .map(|t| {
            let task = model.task(t);
            Identity {
                name: model.string(task.name).to_owned(),
                site: model.site_label(task.spawn_site),
            }
        })
        .collect()
}

/// What tasks must share to be paired in the pass `how` (`None`: the task sits this pass out).
type Key<'i> = (Option<&'i str>, Option<&'i str>);

fn key(how: MatchedBy, i: &Identity) -> Option<Key<'_>> {
    match how {
        MatchedBy::NameAndSite => Some((Some(i.name.as_str()), i.site.as_deref())),
        MatchedBy::Name => (!i.name.is_empty()).then_some((Some(i.name.as_str()), None)),
        MatchedBy::SpawnSite => i.site.as_deref().map(|s| (None, Some(s))),
    }
}

/// The tasks in spawn order (the order their lanes were born in).
fn spawn_order(model: &Model) -> Vec<TaskIx> {
    let mut order: Vec<TaskIx> = model.task_ixs().collect();
    order.sort_by_key(|&t| {
        let task = model.task(t);
        (task.spawned_at.or(task.started_at).unwrap_or(u64::MAX), t)
    });
    order
}

impl LaneMatching {
    /// Pairs A's tasks with B's by name and spawn site.
    pub fn new(a: &Model, b: &Model) -> LaneMatching {
        let (ids_a, ids_b) = (identities(a), identities(b));
        let (order_a, order_b) = (spawn_order(a), spawn_order(b));
        let mut matching = LaneMatching {
            pairs: Vec::new(),
            b_of_a: vec![None; ids_a.len()],
            a_of_b: vec![None; ids_b.len()],
        };
        for how in [
            MatchedBy::NameAndSite,
            MatchedBy::Name,
            MatchedBy::SpawnSite,
        ] {
            let mut waiting: HashMap<Key<'_>, VecDeque<TaskIx>> = HashMap::new();
            for &t in &order_b {
                if matching.a_of_b[t.index()].is_none() {
                    if let Some(k) = key(how, &ids_b[t.index()]) {
                        waiting.entry(k).or_default().push_back(t);
                    }
                }
            }
            for &t in &order_a {
                if matching.b_of_a[t.index()].is_some() {
                    continue;
                }
                let Some(k) = key(how, &ids_a[t.index()]) else {
                    continue;
                };
                if let Some(other) = waiting.get_mut(&k).and_then(VecDeque::pop_front) {
                    matching.b_of_a[t.index()] = Some(other);
                    matching.a_of_b[other.index()] = Some(t);
                    matching.pairs.push(LanePair {
                        a: t,
                        b: other,
                        matched_by: how,
                    });
                }
            }
        }
        matching.pairs.sort_by_key(|p| p.a);
        matching
    }

    /// B's counterpart of A's task `a`.
    pub fn b_for(&self, a: TaskIx) -> Option<TaskIx> {
        self.b_of_a.get(a.index()).copied().flatten()
    }

    /// A's counterpart of B's task `b`.
    pub fn a_for(&self, b: TaskIx) -> Option<TaskIx> {
        self.a_of_b.get(b.index()).copied().flatten()
    }

    /// Every pair, by A's task index.
    pub fn pairs(&self) -> &[LanePair] {
        &self.pairs
    }

    /// How a task of A was paired, if it was.
    pub fn matched_by(&self, a: TaskIx) -> Option<MatchedBy> {
        self.pairs
            .binary_search_by_key(&a, |p| p.a)
            .ok()
            .map(|i| self.pairs[i].matched_by)
    }

    /// A's tasks with no counterpart in B (gone in B).
    pub fn unmatched_a(&self) -> impl Iterator<Item = TaskIx> + '_ {
        (0..self.b_of_a.len())
            .map(TaskIx::at)
            .filter(|&t| self.b_for(t).is_none())
    }

    /// B's tasks with no counterpart in A (new in B).
    pub fn unmatched_b(&self) -> impl Iterator<Item = TaskIx> + '_ {
        (0..self.a_of_b.len())
            .map(TaskIx::at)
            .filter(|&t| self.a_for(t).is_none())
    }

    /// One row per lane of the stacked view: every task of A in index order with its
    /// counterpart (if any), then B's tasks that have none.
    pub fn rows(&self) -> Vec<(Option<TaskIx>, Option<TaskIx>)> {
        (0..self.b_of_a.len())
            .map(TaskIx::at)
            .map(|t| (Some(t), self.b_for(t)))
            .chain(self.unmatched_b().map(|t| (None, Some(t))))
            .collect()
    }
}
