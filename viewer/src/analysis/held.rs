//! Which locks each task held when: the model keeps holds per lock; lock-order and
//! held-while-blocking questions are per task.

use crate::model::{Hold, Model, ObjectIx, TaskIx};

/// A hold of `lock`, seen from its holder.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeldLock {
    pub lock: ObjectIx,
    pub hold: Hold,
}

impl HeldLock {
    /// Still held at `ts` (taken strictly before it and not yet released).
    fn held_at(&self, ts: u64) -> bool {
        self.hold.start < ts && (!self.hold.released || self.hold.end > ts)
    }
}

/// Every lock hold, grouped by holder and sorted by start.
pub(crate) struct HeldLocks {
    offsets: Vec<usize>,
    holds: Vec<HeldLock>,
}

impl HeldLocks {
    pub fn new(model: &Model) -> Self {
        let mut holds: Vec<HeldLock> = model
            .object_ixs()
            .filter(|&o| model.object(o).kind.is_lock())
            .flat_map(|lock| {
                model
                    .holds(lock)
                    .iter()
                    .map(move |hold| HeldLock { lock, hold })
            })
            .collect();
        holds.sort_by_key(|h| (h.hold.task, h.hold.start));
        let mut offsets = vec![0; model.tasks().len() + 1];
        for h in &holds {
            offsets[h.hold.task.index() + 1] += 1;
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        HeldLocks { offsets, holds }
    }

    /// The holds of task `t`, by start.
    pub fn of(&self, t: TaskIx) -> &[HeldLock] {
        match (self.offsets.get(t.index()), self.offsets.get(t.index() + 1)) {
            (Some(&a), Some(&b)) => &self.holds[a..b],
            _ => &[],
        }
    }
}

/// Calls `f(i, held)` for each query time `times[i]` (ascending) with the locks held at that
/// time, out of `holds` (one task's, by start).
pub(crate) fn sweep(holds: &[HeldLock], times: &[u64], mut f: impl FnMut(usize, &[HeldLock])) {
    let mut active: Vec<HeldLock> = Vec::new();
    let mut next = 0;
    for (i, &ts) in times.iter().enumerate() {
        while next < holds.len() && holds[next].hold.start < ts {
            active.push(holds[next]);
            next += 1;
        }
        active.retain(|h| h.held_at(ts));
        if !active.is_empty() {
            f(i, &active);
        }
    }
}
