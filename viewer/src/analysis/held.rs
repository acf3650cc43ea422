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
        let locks: Vec<ObjectIx> = model
            .object_ixs()
            .filter(|&o| model.object(o).kind.is_lock())
            .collect();
        // Grouped by holder with a counting sort, each holder's holds in lock order and by
        // start within a lock, then each holder's few runs (one per lock it took) merged by
        // start: the order of a stable sort by (holder, start) of all holds in lock order, at
        // a fraction of its cost (one such sort took 280 ms of the 10 M-event trace's analysis).
        let mut offsets = vec![0; model.tasks().len() + 1];
        for &lock in &locks {
            let holds = model.holds(lock);
            for i in 0..holds.len() {
                offsets[holds.task(i).index() + 1] += 1;
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        // Every slot is written below (the counts are of the same holds); the first hold only
        // gives the column something to start from.
        let first = locks.iter().find_map(|&lock| {
            let hold = model.holds(lock).iter().next()?;
            Some(HeldLock { lock, hold })
        });
        let total = offsets.last().copied().unwrap_or(0);
        let mut holds: Vec<HeldLock> = first.map_or_else(Vec::new, |first| vec![first; total]);
        let mut next = offsets.clone();
        for &lock in &locks {
            for hold in model.holds(lock).iter() {
                let at = &mut next[hold.task.index()];
                holds[*at] = HeldLock { lock, hold };
                *at += 1;
            }
        }
        for pair in offsets.windows(2) {
            holds[pair[0]..pair[1]].sort_by_key(|h| h.hold.start);
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

#[cfg(test)]
mod tests {
    use weft_recorder::event::{EventKind as K, LockKind, LockMode};

    use super::HeldLocks;
    use crate::model::{Model, TaskIx};
    use crate::testkit::TraceBuilder;

    const X: LockMode = LockMode::Exclusive;
    const S: LockMode = LockMode::Shared;

    fn take(lock: u64, mode: LockMode) -> K {
        K::LockAcquire { lock, mode }
    }

    fn give(lock: u64, mode: LockMode) -> K {
        K::LockRelease { lock, mode }
    }

    /// Two tasks taking two locks in turns, one lock shared and taken twice at one instant.
    #[test]
    fn holds_are_grouped_by_holder_and_ordered_by_start_ties_in_lock_order() {
        let mut b = TraceBuilder::new();
        b.start(0, 1, "main").start(0, 2, "a").start(0, 3, "b");
        for (lock, kind) in [(10, LockKind::Mutex), (11, LockKind::RwLock)] {
            b.ev(1, 1, 1, K::LockCreate { lock, kind });
        }
        // Task 2 takes the shared lock twice, then the mutex at the same instant as its second
        // shared hold: the tie goes to the lock created first, whatever the recording order.
        b.ev(10, 2, 2, take(11, S))
            .ev(12, 2, 2, take(11, S))
            .ev(12, 2, 2, take(10, X))
            .ev(15, 2, 2, give(10, X))
            .ev(16, 3, 3, take(10, X))
            .ev(18, 3, 3, give(10, X))
            .ev(20, 3, 3, take(11, S))
            .ev(25, 2, 2, give(11, S))
            .ev(26, 2, 2, give(11, S))
            .ev(30, 3, 3, take(10, X));
        let model = Model::from_trace(&b.finish());
        let held = HeldLocks::new(&model);
        let starts = |task: u64| -> Vec<(u64, u32)> {
            let t = model.task_by_id(task).expect("a task");
            held.of(t)
                .iter()
                .map(|h| (h.hold.start, h.lock.0))
                .collect()
        };
        let mutex = model.object_by_id(10).expect("the mutex").0;
        let rwlock = model.object_by_id(11).expect("the rwlock").0;
        assert_eq!(starts(2), vec![(10, rwlock), (12, mutex), (12, rwlock)]);
        assert_eq!(starts(3), vec![(16, mutex), (20, rwlock), (30, mutex)]);
        assert!(held.of(model.task_by_id(1).expect("main")).is_empty());
        assert!(held.of(TaskIx(99)).is_empty());
    }
}
