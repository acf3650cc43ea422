//! What a correct analysis must conclude about a sample's trace: the vocabulary of ground truth.
//!
//! For the tokio samples the truth depends on how they were built: tokio reports its tasks,
//! wakes and resources only under `--cfg tokio_unstable`, so a trace of a default build cannot
//! show a lost waker or a task stuck on a channel (see [`crate::truth_for`]).
//!
//! A [`Truth`] is exact, not a lower bound: the leaks, deadlocks and lints it lists are all the
//! analysis should report for that sample, and a healthy sample lists none. The definitions below
//! are what the samples were built against; each sample keeps far from the thresholds (a hold
//! that should trigger `lock_held_long` lasts milliseconds with waiters queued; one that should
//! not lasts microseconds or has nobody waiting), so any reasonable threshold agrees.

use std::fmt;

use crate::site::SourceSite;

/// The verdicts a correct analysis reaches on one sample's trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truth {
    /// The sample (binary) name.
    pub sample: &'static str,
    /// Every task alive and blocked forever when the trace ends, one entry per task. Tasks in a
    /// deadlock are leaks too (they never finish); they also appear in [`Truth::deadlocks`].
    pub leaks: &'static [Leak],
    /// Cycles in the wait-for graph at the end of the trace (actual deadlocks).
    pub deadlocks: &'static [Deadlock],
    /// Lock-order inversions seen in the run: distinct cycles in the lock-order graph, where an
    /// edge `A → B` means a task asked for lock `B` (waited for it or took it) while holding
    /// `A`. Counted whether or not the run hung, so an actual lock deadlock counts here too.
    pub potential_deadlocks: usize,
    /// Every lint the analysis should raise: one entry per lint and site however often it
    /// occurs, sorted by lint name, then site.
    pub lints: &'static [ExpectedLint],
}

impl Truth {
    /// A sample with nothing to report: no leaks, no deadlocks, no inversions, no lints.
    pub fn is_healthy(&self) -> bool {
        self.leaks.is_empty()
            && self.deadlocks.is_empty()
            && self.potential_deadlocks == 0
            && self.lints.is_empty()
    }
}

/// A task that never finishes: alive at the end of the trace and blocked for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leak {
    /// The task's name (given with `thread::Builder::name`); empty for an unnamed tokio task.
    pub name: &'static str,
    /// Where it was spawned: the line of the `spawn` call.
    pub spawn_site: SourceSite,
    /// What it is stuck in.
    pub blocked_on: BlockedOn,
}

/// The wait a leaked task is stuck in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockedOn {
    /// The kind of wait: `blocked_on.kind` in `weft stats --json`.
    pub kind: WaitKind,
    /// The line of the blocking call: `blocked_on.site`. `None` when the trace cannot name it:
    /// a tokio task idle at an `.await` that registered no wait the recorder sees
    /// ([`WaitKind::Await`]), reported with a `null` site.
    pub site: Option<SourceSite>,
    /// Where the object waited on (channel or lock) was created, when there is one. The trace
    /// names objects by id; this is how a reader finds which id it is.
    pub object_created_at: Option<SourceSite>,
}

/// Why a task is blocked; the names are the `kind` strings of `weft stats --json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WaitKind {
    /// A channel send waiting for room or for a receiver.
    Send,
    /// A channel receive waiting for a message.
    Recv,
    /// A `select!` waiting on several operations.
    Select,
    /// Waiting to take a lock (mutex, or an `RwLock` for reading or writing).
    Lock,
    /// Waiting for another task to finish.
    Join,
    /// `thread::park`.
    Park,
    /// `thread::sleep`.
    Sleep,
    /// `Condvar::wait`.
    Condvar,
    /// A tokio task idle between polls at an `.await` the recorder cannot see into (its future
    /// returned `Pending` without a recorded wait).
    Await,
}

impl WaitKind {
    /// The name used in the analysis' JSON: `"send"`, `"recv"`, `"lock"`, …
    pub fn as_str(self) -> &'static str {
        match self {
            WaitKind::Send => "send",
            WaitKind::Recv => "recv",
            WaitKind::Select => "select",
            WaitKind::Lock => "lock",
            WaitKind::Join => "join",
            WaitKind::Park => "park",
            WaitKind::Sleep => "sleep",
            WaitKind::Condvar => "condvar",
            WaitKind::Await => "await",
        }
    }
}

impl fmt::Display for WaitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One actual deadlock: tasks that wait for each other in a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// The names of the tasks in the cycle, sorted.
    pub tasks: &'static [&'static str],
    /// The objects the cycle goes through, sorted by creation site.
    pub objects: &'static [DeadlockObject],
}

/// A lock or channel that is part of a deadlock cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeadlockObject {
    /// Lock or channel.
    pub kind: ObjectKind,
    /// Where it was created (`Mutex::new`, `channel::bounded`, …).
    pub created_at: SourceSite,
}

/// The kinds of objects a task can wait on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A `Mutex` or `RwLock`.
    Lock,
    /// A channel.
    Channel,
}

/// A lint the analysis should raise, and the site it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedLint {
    /// Which lint.
    pub lint: Lint,
    /// The site it points at; what that is depends on the lint (see [`Lint::site_meaning`]).
    pub site: SourceSite,
}

/// The lints of the analysis, by the names `weft stats --json` and `weft check --allow` use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lint {
    /// `busy_wait`: one task polled with `try_recv` and found the channel empty many times in a
    /// row (the sample: thousands; elsewhere at most a few dozen, each followed by a blocking
    /// wait such as a sleep) without blocking in between.
    BusyWait,
    /// `lock_held_across_await`: a std lock taken in one poll of an async task and released in
    /// a later one (or, for a thread that drives a runtime, held while the runtime parked it or
    /// it polled another task): held while its future was suspended at an `.await`. Tokio's
    /// own `Mutex`, made to be held across awaits, is never this lint.
    LockHeldAcrossAwait,
    /// `lock_held_long`: one hold of a lock lasted long (the samples use ≥ 1 ms, and ≥ 2 ms where
    /// they mean it) while at least one other task waited for that lock during the hold. A hold
    /// that never ends (a deadlock) lasts until the end of the trace.
    LockHeldLong,
    /// `lock_held_while_blocking`: a task held a lock across a blocking wait on something else:
    /// a sleep, a channel send/receive/select that had to wait, a join, a park, or a condvar wait
    /// on another lock's condvar. Waiting for a second lock is not this lint (nested locking
    /// is the lock-order analysis' business), nor is an async task's `.await` (that is
    /// `lock_held_across_await`) or a tokio runtime parking its idle worker.
    LockHeldWhileBlocking,
    /// `long_poll`: one poll of an async task kept its runtime worker from every other task:
    /// it blocked in synchronous calls (sleep, std lock, join, …) for 20 ms or more (the
    /// sample: a 50 ms `thread::sleep` inside a task; healthy samples never block inside a
    /// poll), or ran 200 ms with no blocking call (a computation; wall-clock time alone could
    /// be preemption below that). Without `tokio_unstable` no polls are recorded, but a
    /// runtime worker thread blocked 20 ms in a synchronous call was inside such a poll. The
    /// site is the longest blocking call inside the poll, else the task's spawn site.
    LongPoll,
    /// `send_on_disconnected`: a send (`send`, `try_send`, `send_timeout` or a `select!` send arm)
    /// failed because every receiver was gone.
    SendOnDisconnected,
    /// `unbounded_spawning`: far more tasks alive at once than a machine has cores — the samples
    /// peak at about 200 where they mean it and at most 20 elsewhere; a threshold of 64 separates
    /// them.
    UnboundedSpawning,
}

impl Lint {
    /// Every lint, in name order.
    pub const ALL: [Lint; 7] = [
        Lint::BusyWait,
        Lint::LockHeldAcrossAwait,
        Lint::LockHeldLong,
        Lint::LockHeldWhileBlocking,
        Lint::LongPoll,
        Lint::SendOnDisconnected,
        Lint::UnboundedSpawning,
    ];

    /// The lint's name: `"lock_held_long"`, `"busy_wait"`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Lint::LockHeldLong => "lock_held_long",
            Lint::LockHeldWhileBlocking => "lock_held_while_blocking",
            Lint::UnboundedSpawning => "unbounded_spawning",
            Lint::BusyWait => "busy_wait",
            Lint::SendOnDisconnected => "send_on_disconnected",
            Lint::LongPoll => "long_poll",
            Lint::LockHeldAcrossAwait => "lock_held_across_await",
        }
    }

    /// What the site of an [`ExpectedLint`] of this kind is.
    pub fn site_meaning(self) -> &'static str {
        match self {
            Lint::BusyWait => "the polling call (`try_recv`)",
            Lint::LockHeldLong => "where the lock was created",
            Lint::LockHeldWhileBlocking => "the blocking call made while the lock was held",
            Lint::SendOnDisconnected => "the send that failed",
            Lint::UnboundedSpawning => "the spawn site of the tasks that piled up",
            Lint::LongPoll => "the blocking call inside the long poll",
            Lint::LockHeldAcrossAwait => "where the lock held across the `.await` was taken",
        }
    }

    /// The lint with this name.
    pub fn from_name(name: &str) -> Option<Lint> {
        Lint::ALL.into_iter().find(|lint| lint.as_str() == name)
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lint_names_round_trip_and_all_is_in_name_order() {
        for lint in Lint::ALL {
            assert_eq!(Lint::from_name(lint.as_str()), Some(lint));
        }
        assert_eq!(Lint::from_name("no_such_lint"), None);
        let names: Vec<&str> = Lint::ALL.iter().map(|l| l.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn wait_kinds_use_the_json_names() {
        assert_eq!(WaitKind::Send.to_string(), "send");
        assert_eq!(WaitKind::Recv.as_str(), "recv");
        assert_eq!(WaitKind::Lock.as_str(), "lock");
        assert_eq!(WaitKind::Join.as_str(), "join");
        assert_eq!(WaitKind::Await.as_str(), "await");
    }
}
