//! Actual deadlocks: cycles among the tasks stuck at the end of the trace.
//!
//! The edges are what the trace shows a stuck task waits for: the holders of its lock, the task
//! it joins, the tasks that used the other side of its channel, notified its condvar or unparked
//! it before. A cycle of such waits among stuck tasks can never resolve. Stuck tasks that are
//! not on a cycle are leaks (see [`leak`](super::leak)); a task that waits for a deadlocked one
//! (joins it, wants its lock) is such a leak.
//!
//! Channel edges need evidence: two threads each blocked receiving on a channel that the other
//! never used before look exactly like two leaked receivers in the trace (who holds a `Sender`
//! is not recorded), and are reported as leaks.

use serde::Serialize;

use super::fate::{evident_wakers, EndState, Fate, FinalWait};
use super::graph::{cycle_through, strongly_connected};
use crate::model::{Model, ObjectIx, TaskIx, WaitTarget};

/// Tasks blocked forever on each other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadlock {
    /// The tasks, in cycle order: each waits for the next (the last for the first). Tasks of
    /// the same tangle that are not on that cycle follow.
    pub tasks: Vec<TaskIx>,
    /// How many of `tasks`, from the first, form the cycle (the rest are the tangle's others).
    pub cycle_len: usize,
    /// Each task's wait, in the order of `tasks`.
    pub waits: Vec<FinalWait>,
    /// The channels and locks waited on.
    pub objects: Vec<ObjectIx>,
}

impl Deadlock {
    /// When the cycle closed: the start of the last wait to join it (where to jump to).
    pub fn closed_at(&self) -> u64 {
        self.waits.iter().map(|w| w.since).max().unwrap_or(0)
    }
}

/// Finds the deadlocks among the stuck tasks of `state` and marks their tasks `Deadlocked`.
pub(crate) fn find(model: &Model, state: &mut EndState) -> Vec<Deadlock> {
    let stuck: Vec<TaskIx> = model
        .task_ixs()
        .filter(|t| state.fates[t.index()] == Fate::Leaked)
        .collect();
    let mut node_of = vec![usize::MAX; model.tasks().len()];
    for (i, t) in stuck.iter().enumerate() {
        node_of[t.index()] = i;
    }
    let adj: Vec<Vec<usize>> = stuck
        .iter()
        .map(|&t| match state.waits[t.index()] {
            Some(wait) => evident_wakers(model, t, &wait)
                .into_iter()
                .map(|u| node_of[u.index()])
                .filter(|&n| n != usize::MAX)
                .collect(),
            None => Vec::new(),
        })
        .collect();

    let mut deadlocks = Vec::new();
    for component in strongly_connected(&adj) {
        let first = component.iter().copied().min_by_key(|&n| stuck[n]);
        let Some(first) = first else { continue };
        if component.len() < 2 && !adj[first].contains(&first) {
            continue;
        }
        let inside = |n: usize| component.contains(&n);
        let mut order = cycle_through(&adj, first, inside).unwrap_or_else(|| vec![first]);
        let cycle_len = order.len();
        let mut rest: Vec<usize> = component
            .iter()
            .copied()
            .filter(|n| !order.contains(n))
            .collect();
        rest.sort_by_key(|&n| stuck[n]);
        order.extend(rest);

        let tasks: Vec<TaskIx> = order.iter().map(|&n| stuck[n]).collect();
        let waits: Vec<FinalWait> = tasks
            .iter()
            .filter_map(|t| state.waits[t.index()])
            .collect();
        let mut objects = Vec::new();
        for wait in &waits {
            match wait.target {
                WaitTarget::Object(o) => objects.push(o),
                WaitTarget::Select(s) => {
                    objects.extend(model.select(s).1.iter().map(|a| a.channel));
                }
                WaitTarget::Task(_) | WaitTarget::Nothing => {}
            }
        }
        let mut seen = Vec::new();
        objects.retain(|o| {
            let new = !seen.contains(o);
            seen.push(*o);
            new
        });
        for t in &tasks {
            state.fates[t.index()] = Fate::Deadlocked;
        }
        deadlocks.push(Deadlock {
            tasks,
            cycle_len,
            waits,
            objects,
        });
    }
    deadlocks.sort_by_key(|d| d.tasks.first().copied());
    deadlocks
}
