//! Potential deadlocks: lock-order inversions anywhere in the run, whether or not it hung.
//!
//! Each time a task asks for lock M while holding lock L, the run shows the order L → M (the
//! request counts, not the acquisition: a deadlocked task asks and never gets). A cycle in the
//! graph of these orders, contributed by at least two different tasks, means some interleaving
//! deadlocks — what lockdep and go's lock-order checks report. `try_lock` requests are not
//! orders (they cannot block), but locks taken with `try_lock` count as held.

use serde::Serialize;

use super::graph::strongly_connected;
use super::held::{sweep, HeldLocks};
use crate::model::idmap::IdMap;
use crate::model::{AcquireKind, Model, ObjectIx, SiteIx, TaskIx};

/// A cycle of lock orders seen in the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockInversion {
    /// The locks involved (ascending).
    pub locks: Vec<ObjectIx>,
    /// One example of each order on the cycle.
    pub edges: Vec<LockOrder>,
    /// The run did deadlock on these locks.
    pub hung: bool,
}

/// "Task took `acquired` while holding `held`", first seen at `ts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LockOrder {
    /// The lock already held.
    pub held: ObjectIx,
    /// The lock requested.
    pub acquired: ObjectIx,
    /// The first task seen doing it.
    pub task: TaskIx,
    /// Where `held` was taken.
    pub held_site: SiteIx,
    /// Where `acquired` was requested.
    pub acquire_site: SiteIx,
    /// When it was first seen.
    pub ts: u64,
    /// How often it was seen.
    pub count: u64,
}

struct OrderAcc {
    first: LockOrder,
    /// A few distinct tasks that showed this order (two suffice to tell).
    tasks: Vec<TaskIx>,
}

/// Every order "held L, requested M" in the run, keyed by (L, M).
fn orders(model: &Model, held: &HeldLocks) -> IdMap<(u32, u32), OrderAcc> {
    let mut orders: IdMap<(u32, u32), OrderAcc> = IdMap::default();
    let mut requests: Vec<(u64, ObjectIx, SiteIx)> = Vec::new();
    let mut times: Vec<u64> = Vec::new();
    for t in model.task_ixs() {
        requests.clear();
        // Immediate acquisitions and condvar re-acquisitions are requests at their start; an
        // acquisition after a wait was requested when the wait began (its lock span below).
        for h in held.of(t) {
            if matches!(
                h.hold.how,
                AcquireKind::Immediate | AcquireKind::CondvarWake
            ) {
                requests.push((h.hold.start, h.lock, h.hold.site));
            }
        }
        let lane = model.timeline(t);
        for span in lane.spans() {
            if let (Some(reason), Some(lock)) = (span.state.blocked(), span_object(&span)) {
                if reason.is_lock() {
                    requests.push((span.start, lock, span.site));
                }
            }
        }
        if requests.is_empty() {
            continue;
        }
        requests.sort_by_key(|r| r.0);
        times.clear();
        times.extend(requests.iter().map(|r| r.0));
        sweep(held.of(t), &times, |i, active| {
            let (ts, wanted, site) = requests[i];
            for h in active.iter().filter(|h| h.lock != wanted) {
                let key = (h.lock.0, wanted.0);
                let acc = orders.entry(key).or_insert_with(|| OrderAcc {
                    first: LockOrder {
                        held: h.lock,
                        acquired: wanted,
                        task: t,
                        held_site: h.hold.site,
                        acquire_site: site,
                        ts,
                        count: 0,
                    },
                    tasks: Vec::new(),
                });
                acc.first.count += 1;
                if acc.tasks.len() < 2 && !acc.tasks.contains(&t) {
                    acc.tasks.push(t);
                }
            }
        });
    }
    orders
}

fn span_object(span: &crate::model::Span) -> Option<ObjectIx> {
    match span.target {
        crate::model::WaitTarget::Object(o) => Some(o),
        _ => None,
    }
}

/// The lock-order cycles of the run. `deadlocked` are the objects of actual deadlocks, to say
/// which inversions hung.
pub(crate) fn find(model: &Model, held: &HeldLocks, deadlocked: &[ObjectIx]) -> Vec<LockInversion> {
    let orders = orders(model, held);
    let n = model.objects().len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(from, to) in orders.keys() {
        adj[from as usize].push(to as usize);
    }
    for list in &mut adj {
        list.sort_unstable();
    }
    let mut found = Vec::new();
    for mut component in strongly_connected(&adj) {
        if component.len() < 2 {
            continue;
        }
        component.sort_unstable();
        let inside = |o: usize| component.binary_search(&o).is_ok();
        let mut edges: Vec<&OrderAcc> = component
            .iter()
            .flat_map(|&from| adj[from].iter().map(move |&to| (from, to)))
            .filter(|&(_, to)| inside(to))
            .filter_map(|(from, to)| orders.get(&(from as u32, to as u32)))
            .collect();
        edges.sort_by_key(|e| (e.first.ts, e.first.held, e.first.acquired));
        // One task taking locks in both orders cannot deadlock with itself.
        let mut tasks: Vec<TaskIx> = edges.iter().flat_map(|e| e.tasks.iter().copied()).collect();
        tasks.sort_unstable();
        tasks.dedup();
        if tasks.len() < 2 {
            continue;
        }
        let locks: Vec<ObjectIx> = component.iter().map(|&o| ObjectIx(o as u32)).collect();
        let hung = locks.iter().any(|l| deadlocked.contains(l));
        found.push(LockInversion {
            locks,
            edges: edges.iter().map(|e| e.first).collect(),
            hung,
        });
    }
    found.sort_by_key(|i| i.edges.first().map(|e| e.ts));
    found
}
