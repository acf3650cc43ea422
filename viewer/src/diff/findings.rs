//! Verdicts that appeared, disappeared or persisted between two runs.
//!
//! A finding is matched by a key made of what survives a re-run — task names, spawn and wait
//! sites as `file:line`, lint names — never by task or object ids, which differ between any two
//! runs. Several findings of one run may share a key (eight leaked `worker`s from one site
//! blocked at one line); the row then counts them in each run.

use std::collections::BTreeMap;

use serde::Serialize;

use super::change::{Change, Status};
use crate::analysis::Analysis;
use crate::model::{BlockReason, Model, SiteIx, TaskIx};

/// What kind of verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Tasks blocked forever on each other.
    Deadlock,
    /// A task blocked forever (not on a deadlock cycle: those are listed as the deadlock).
    Leak,
    /// A lock-order inversion: some interleaving deadlocks.
    PotentialDeadlock,
    /// A lint.
    Lint,
}

impl FindingKind {
    /// The stable name: `deadlock`, `leak`, `potential_deadlock`, `lint`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Deadlock => "deadlock",
            FindingKind::Leak => "leak",
            FindingKind::PotentialDeadlock => "potential_deadlock",
            FindingKind::Lint => "lint",
        }
    }
}

/// One kind of finding in A and in B.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingChange {
    /// In A, in B, or both.
    pub status: Status,
    /// What kind of verdict.
    pub kind: FindingKind,
    /// What was matched between the runs (names and sites, no ids).
    pub key: String,
    /// The leaked task's name, the deadlocked tasks' names, `lock-order inversion`, or the
    /// lint's name.
    pub name: String,
    /// Where the (first) task involved was spawned.
    pub spawn_site: Option<String>,
    /// Where to look: the blocked call, the lint's site, the inversion's first lock request.
    pub site: Option<String>,
    /// For a leak: what the task is blocked in.
    pub reason: Option<BlockReason>,
    /// How many findings with this key each run has.
    pub count: Change,
    /// The finding in words, from B when present (else A); it names that run's ids.
    pub description: String,
    /// The tasks involved in A (for jumping to them).
    #[serde(skip)]
    pub tasks_a: Vec<TaskIx>,
    /// The tasks involved in B.
    #[serde(skip)]
    pub tasks_b: Vec<TaskIx>,
}

/// One finding of one run, keyed.
struct Item {
    name: String,
    spawn_site: Option<String>,
    site: Option<String>,
    reason: Option<BlockReason>,
    description: String,
    tasks: Vec<TaskIx>,
}

/// One task of a deadlock, as matched across runs.
struct DeadlockPart {
    name: String,
    reason: &'static str,
    site: String,
    spawn: String,
    task: TaskIx,
    wait_site: SiteIx,
}

/// Resolves names and sites the same way in both runs.
struct Names<'m>(&'m Model);

impl Names<'_> {
    fn site(&self, s: SiteIx) -> Option<String> {
        self.0.site_label(s)
    }

    fn site_text(&self, s: SiteIx) -> String {
        self.site(s).unwrap_or_else(|| "?".into())
    }

    /// The thread's own name, without the `task N` fallback (ids do not survive a re-run).
    fn task(&self, t: TaskIx) -> String {
        match self.0.string(self.0.task(t).name) {
            "" => "(unnamed)".into(),
            name => name.into(),
        }
    }

    fn spawn_site(&self, t: TaskIx) -> Option<String> {
        self.site(self.0.task(t).spawn_site)
    }
}

/// A finding's identity across runs.
type Key = (FindingKind, String);

fn items(model: &Model, analysis: &Analysis) -> BTreeMap<Key, Vec<Item>> {
    let names = Names(model);
    let mut out: BTreeMap<Key, Vec<Item>> = BTreeMap::new();
    let mut add = |kind: FindingKind, key: String, item: Item| {
        out.entry((kind, key)).or_default().push(item);
    };

    for d in &analysis.deadlocks {
        // One part per task, sorted so that neither the cycle's rotation nor ids matter.
        let mut parts: Vec<DeadlockPart> = d
            .tasks
            .iter()
            .zip(&d.waits)
            .map(|(&t, w)| DeadlockPart {
                name: names.task(t),
                reason: w.reason.as_str(),
                site: names.site_text(w.site),
                spawn: names.spawn_site(t).unwrap_or_else(|| "?".into()),
                task: t,
                wait_site: w.site,
            })
            .collect();
        parts.sort_by(|x, y| {
            (&x.name, x.reason, &x.site, &x.spawn).cmp(&(&y.name, y.reason, &y.site, &y.spawn))
        });
        let words: Vec<String> = parts
            .iter()
            .map(|p| {
                format!(
                    "{} (spawned at {}) in {} at {}",
                    p.name, p.spawn, p.reason, p.site
                )
            })
            .collect();
        let steps: Vec<String> = d
            .tasks
            .iter()
            .zip(&d.waits)
            .map(|(&t, w)| {
                format!(
                    "task {} ({}) in {} at {}",
                    model.task(t).id,
                    names.task(t),
                    w.reason.as_str(),
                    names.site_text(w.site)
                )
            })
            .collect();
        let first = parts.first();
        add(
            FindingKind::Deadlock,
            format!("deadlock: {}", words.join("; ")),
            Item {
                name: parts
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                spawn_site: first.and_then(|p| names.spawn_site(p.task)),
                site: first.and_then(|p| names.site(p.wait_site)),
                reason: None,
                description: format!(
                    "{} tasks blocked on each other: {}",
                    d.tasks.len(),
                    steps.join(", ")
                ),
                tasks: d.tasks.clone(),
            },
        );
    }

    for l in analysis.leaks.iter().filter(|l| !l.deadlocked) {
        let name = names.task(l.task);
        let spawn = names.spawn_site(l.task);
        let site = names.site(l.wait.site);
        let reason = l.wait.reason;
        add(
            FindingKind::Leak,
            format!(
                "leak: {name} (spawned at {}) in {} at {}",
                spawn.as_deref().unwrap_or("?"),
                reason.as_str(),
                site.as_deref().unwrap_or("?")
            ),
            Item {
                description: format!(
                    "task {} ({name}) spawned at {} is blocked forever in {} at {}: {}",
                    model.task(l.task).id,
                    spawn.as_deref().unwrap_or("?"),
                    reason.as_str(),
                    site.as_deref().unwrap_or("?"),
                    l.cause.describe(model)
                ),
                name,
                spawn_site: spawn,
                site,
                reason: Some(reason),
                tasks: vec![l.task],
            },
        );
    }

    for inv in &analysis.potential_deadlocks {
        // (where the second lock was requested, where the held one was taken), sorted.
        let mut orders: Vec<(String, String, SiteIx)> = inv
            .edges
            .iter()
            .map(|e| {
                (
                    names.site_text(e.acquire_site),
                    names.site_text(e.held_site),
                    e.acquire_site,
                )
            })
            .collect();
        orders.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
        orders.dedup_by(|x, y| (&x.0, &x.1) == (&y.0, &y.1));
        let words: Vec<String> = orders
            .iter()
            .map(|(acquire, held, _)| {
                format!("lock requested at {acquire} while holding one taken at {held}")
            })
            .collect();
        let first_acquire = orders.first().map(|o| o.2);
        let first_task = inv.edges.first().map(|e| e.task);
        add(
            FindingKind::PotentialDeadlock,
            format!("potential_deadlock: {}", words.join("; ")),
            Item {
                name: "lock-order inversion".into(),
                spawn_site: first_task.and_then(|t| names.spawn_site(t)),
                site: first_acquire.and_then(|s| names.site(s)),
                reason: None,
                description: format!(
                    "locks taken in opposite orders ({}){}",
                    words.join("; "),
                    if inv.hung {
                        "; this run deadlocked on them"
                    } else {
                        "; this run did not hang"
                    }
                ),
                tasks: inv.edges.iter().map(|e| e.task).collect(),
            },
        );
    }

    for lint in &analysis.lints {
        let site = names.site(lint.site);
        add(
            FindingKind::Lint,
            format!(
                "lint: {} at {}",
                lint.kind.as_str(),
                site.as_deref().unwrap_or("?")
            ),
            Item {
                name: lint.kind.as_str().into(),
                spawn_site: lint.tasks.first().and_then(|&t| names.spawn_site(t)),
                site,
                reason: None,
                description: lint.message.clone(),
                tasks: lint.tasks.clone(),
            },
        );
    }
    out
}

/// The findings of A and B matched by key: appeared first, then disappeared, then persisted.
pub(crate) fn compare(
    a: &Model,
    a_analysis: &Analysis,
    b: &Model,
    b_analysis: &Analysis,
) -> Vec<FindingChange> {
    let mut in_a = items(a, a_analysis);
    let in_b = items(b, b_analysis);
    let mut keyed: Vec<(Key, Vec<Item>, Vec<Item>)> = Vec::new();
    for (key, y) in in_b {
        let x = in_a.remove(&key).unwrap_or_default();
        keyed.push((key, x, y));
    }
    keyed.extend(in_a.into_iter().map(|(key, x)| (key, x, Vec::new())));

    let mut rows: Vec<FindingChange> = keyed
        .into_iter()
        .filter_map(|((kind, key), x, y)| {
            let status = Status::of(!x.is_empty(), !y.is_empty())?;
            let count = Change::new(x.len() as u64, y.len() as u64);
            let tasks = |items: &[Item]| -> Vec<TaskIx> {
                let mut tasks: Vec<TaskIx> =
                    items.iter().flat_map(|i| i.tasks.iter().copied()).collect();
                tasks.sort_unstable();
                tasks.dedup();
                tasks
            };
            let (tasks_a, tasks_b) = (tasks(&x), tasks(&y));
            let shown = y.into_iter().next().or_else(|| x.into_iter().next())?;
            Some(FindingChange {
                status,
                kind,
                key,
                name: shown.name,
                spawn_site: shown.spawn_site,
                site: shown.site,
                reason: shown.reason,
                count,
                description: shown.description,
                tasks_a,
                tasks_b,
            })
        })
        .collect();
    rows.sort_by(|x, y| {
        x.status
            .cmp(&y.status)
            .then(x.kind.cmp(&y.kind))
            .then_with(|| x.key.cmp(&y.key))
    });
    rows
}
