//! What became of each task by the end of the trace, and who could still wake the blocked ones.
//!
//! A task blocked at the end is *leaked* only if nothing could ever wake it. That is a fixpoint:
//! a task can still act if it is running, if its wait has a deadline, or if someone who can act
//! could end its wait — a sender for a receive, the holders for a lock, the joined task for a
//! join. Everything else is stuck forever.
//!
//! Who could send on a channel? The trace shows who *used* each side, not who holds a `Sender`
//! (endpoints move into closures unseen). A potential counterpart is therefore: a task that used
//! the other side, the channel's creator, or any task spawned — after the channel was created —
//! by one of those (it may have been handed an endpoint). That over-approximates, so a wait is
//! called a leak only when no such task can still act.
//!
//! At a clean end (the recorder's guard was dropped, which `main` does as it returns) the root
//! task has ended with the program: it will never send, unlock or unpark again, even though no
//! `TaskExit` was recorded for it. At an unclean end (killed, crashed, cut) nothing is assumed.

use serde::Serialize;

use weft_recorder::event::{ChanFlavor, SelectOp};

use crate::model::{
    BlockReason, LinkKind, Model, ObjectIx, ObjectKind, ObjectOp, SiteIx, State, TaskIx, WaitTarget,
};

/// What became of a task by the end of the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Its body returned or panicked.
    Exited,
    /// The program's main task at a clean end: it ended with the program.
    EndedWithProgram,
    /// Spawned but never seen running.
    NotStarted,
    /// Still running at the end (not blocked): not a leak.
    Running,
    /// Blocked at the end, but something could still wake it (a deadline, or a counterpart
    /// that can still act): not a leak.
    Waiting,
    /// Blocked forever: nothing that could wake it can still act.
    Leaked,
    /// Blocked forever in a cycle of waits (see [`Deadlock`](super::Deadlock)).
    Deadlocked,
}

impl Fate {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Fate::Exited => "exited",
            Fate::EndedWithProgram => "ended_with_program",
            Fate::NotStarted => "not_started",
            Fate::Running => "running",
            Fate::Waiting => "waiting",
            Fate::Leaked => "leaked",
            Fate::Deadlocked => "deadlocked",
        }
    }

    /// Stuck forever (leaked or deadlocked).
    pub fn is_stuck(self) -> bool {
        matches!(self, Fate::Leaked | Fate::Deadlocked)
    }

    /// Finished for good: exited or ended with the program.
    pub fn is_finished(self) -> bool {
        matches!(self, Fate::Exited | Fate::EndedWithProgram)
    }
}

/// The wait a task was in when the trace ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FinalWait {
    /// Why it was blocked.
    pub reason: BlockReason,
    /// On what.
    pub target: WaitTarget,
    /// Where the wait was called.
    pub site: SiteIx,
    /// Since when (ns since the trace began).
    pub since: u64,
    /// The wait had a deadline.
    pub has_deadline: bool,
    /// Index of the span in the task's timeline.
    pub span: usize,
}

/// Fates and final waits of every task.
#[derive(Clone, Debug)]
pub(crate) struct EndState {
    pub fates: Vec<Fate>,
    pub waits: Vec<Option<FinalWait>>,
}

/// What would end a blocked task's wait.
enum Wakers {
    /// It ends on its own (deadline, disconnection, a free lock, queued messages).
    Always,
    /// Nothing can (a lock it holds itself).
    Never,
    /// Any of these tasks, if it can act.
    AnyOf(Vec<TaskIx>),
    /// All of these tasks (the holders of a lock), if they can act.
    AllOf(Vec<TaskIx>),
    /// Any task at all (an unpark can come from anyone who has the thread handle).
    AnyTask,
    /// Any task that may hold or use one of these objects (see [`may_hold`]), given each
    /// object's known users. Checked against the tasks that can act — few when many are
    /// stuck — so thousands of stuck tasks stay cheap.
    MayHold(Vec<(ObjectIx, Vec<TaskIx>)>),
    /// Whatever would end any one of several waits (an async task awaiting a `select!`).
    AnyWait(Vec<Wakers>),
}

impl Wakers {
    /// True if the wait ends given who can act (`actors`, `can_act`), `t` being the waiter.
    fn wake(&self, model: &Model, t: TaskIx, can_act: &[bool], actors: &[TaskIx]) -> bool {
        match self {
            Wakers::Always => true,
            Wakers::Never => false,
            Wakers::AnyOf(ts) => ts.iter().any(|u| can_act[u.index()]),
            Wakers::AllOf(ts) => ts.iter().all(|u| can_act[u.index()]),
            Wakers::AnyTask => actors.iter().any(|&u| u != t),
            Wakers::MayHold(objects) => actors.iter().any(|&u| {
                u != t
                    && objects
                        .iter()
                        .any(|(o, known)| may_hold(model, u, *o, known))
            }),
            Wakers::AnyWait(waits) => waits.iter().any(|w| w.wake(model, t, can_act, actors)),
        }
    }
}

/// Computes every task's fate; stuck tasks come out as `Leaked` (the deadlock pass splits off
/// the cycles).
pub(crate) fn end_state(model: &Model) -> EndState {
    let n = model.tasks().len();
    let clean = model.loss().clean_end;
    let mut fates = vec![Fate::NotStarted; n];
    let mut waits = vec![None; n];
    for t in model.task_ixs() {
        let lane = model.timeline(t);
        let Some(last) = lane.last_span() else {
            continue;
        };
        let started = model.task(t).started_at.is_some();
        fates[t.index()] = match last.state {
            // An async task woken and waiting for a worker can act.
            State::Runnable if started => Fate::Running,
            State::Runnable => Fate::NotStarted,
            State::Done => Fate::Exited,
            State::Running if clean && Some(t) == model.root() => Fate::EndedWithProgram,
            State::Running => Fate::Running,
            State::Blocked(reason) => {
                waits[t.index()] = Some(FinalWait {
                    reason,
                    target: last.target,
                    site: last.site,
                    since: last.start,
                    has_deadline: last.has_deadline,
                    span: lane.len() - 1,
                });
                Fate::Leaked
            }
        };
    }

    // Who can act: running tasks, and (at an unclean end) tasks about to start.
    let mut can_act: Vec<bool> = fates
        .iter()
        .map(|f| matches!(f, Fate::Running) || (*f == Fate::NotStarted && !clean))
        .collect();
    let mut actors: Vec<TaskIx> = model.task_ixs().filter(|t| can_act[t.index()]).collect();
    let blocked: Vec<(TaskIx, Wakers)> = model
        .task_ixs()
        .filter_map(|t| waits[t.index()].map(|w| (t, wakers(model, &fates, t, &w))))
        .collect();
    loop {
        let mut changed = false;
        for (t, wakers) in &blocked {
            if can_act[t.index()] {
                continue;
            }
            if wakers.wake(model, *t, &can_act, &actors) {
                can_act[t.index()] = true;
                actors.push(*t);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (t, _) in &blocked {
        if can_act[t.index()] {
            fates[t.index()] = Fate::Waiting;
        }
    }
    EndState { fates, waits }
}

fn wakers(model: &Model, fates: &[Fate], t: TaskIx, wait: &FinalWait) -> Wakers {
    let task = model.task(t);
    if task.is_async {
        // Nothing holds a waker of it: whatever it awaits, nobody can wake it (a lost waker).
        if task.live_wakers.is_some_and(|live| live <= 0) {
            return Wakers::Never;
        }
        let pending = model.pending_waits(t);
        if pending.len() > 1 {
            let waits = pending
                .iter()
                .map(|row| {
                    let one = FinalWait {
                        reason: row.state().blocked().unwrap_or(wait.reason),
                        target: row.target(),
                        site: row.site(),
                        has_deadline: row.has_deadline(),
                        ..*wait
                    };
                    one_wait_wakers(model, fates, t, &one)
                })
                .collect();
            return Wakers::AnyWait(waits);
        }
    }
    one_wait_wakers(model, fates, t, wait)
}

fn one_wait_wakers(model: &Model, fates: &[Fate], t: TaskIx, wait: &FinalWait) -> Wakers {
    if wait.has_deadline {
        return Wakers::Always;
    }
    match (wait.reason, wait.target) {
        (BlockReason::Sleep, _) => Wakers::Always,
        (BlockReason::Recv, WaitTarget::Object(o)) => channel_wakers(model, o, Side::Recv),
        (BlockReason::Send, WaitTarget::Object(o)) => channel_wakers(model, o, Side::Send),
        (BlockReason::Select, WaitTarget::Select(s)) => {
            let (_, arms) = model.select(s);
            if arms.is_empty() {
                // The arms were lost: nothing to judge by.
                return Wakers::AnyTask;
            }
            let mut any = Vec::new();
            for arm in arms {
                let side = match arm.op {
                    SelectOp::Recv => Side::Recv,
                    SelectOp::Send => Side::Send,
                };
                match channel_wakers(model, arm.channel, side) {
                    Wakers::MayHold(objects) => any.extend(objects),
                    _ => return Wakers::Always,
                }
            }
            Wakers::MayHold(any)
        }
        (BlockReason::Lock | BlockReason::LockRead, WaitTarget::Object(o)) => {
            let holders = holders_at_end(model, o);
            if holders.is_empty() {
                Wakers::Always
            } else if holders.contains(&t) {
                Wakers::Never
            } else {
                Wakers::AllOf(holders)
            }
        }
        (BlockReason::Join, WaitTarget::Task(x)) => {
            if fates[x.index()] == Fate::Exited {
                Wakers::Always
            } else {
                Wakers::AnyOf(vec![x])
            }
        }
        (BlockReason::Condvar, WaitTarget::Object(cv)) => {
            let mut users = object_users(model, cv);
            if let Some(lock) = model.object(cv).lock {
                users.extend(object_users(model, lock));
            }
            users.sort_unstable();
            users.dedup();
            Wakers::MayHold(vec![(cv, users)])
        }
        (BlockReason::Park, _) => Wakers::AnyTask,
        // An async task idle at an unseen `.await`: anyone holding one of its wakers could wake
        // it (none left alive was handled above: a lost waker).
        (BlockReason::Await, _) => Wakers::AnyTask,
        (BlockReason::Resource, WaitTarget::Object(o)) => {
            Wakers::MayHold(vec![(o, object_users(model, o))])
        }
        // A wait whose target was lost: assume it could still end.
        _ => Wakers::AnyTask,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Send,
    Recv,
}

fn channel_wakers(model: &Model, o: ObjectIx, side: Side) -> Wakers {
    let object = model.object(o);
    let events = model.object_events(o);
    let depth = events.rows().last().map_or(0, |e| e.level());
    let known = match side {
        Side::Recv => {
            if object.senders_gone_at.is_some() || depth > 0 {
                return Wakers::Always;
            }
            model.senders(o)
        }
        Side::Send => {
            if object.receivers_gone_at.is_some() {
                return Wakers::Always;
            }
            if let ObjectKind::Channel {
                capacity,
                flavor: Some(ChanFlavor::Bounded),
            } = object.kind
            {
                if u64::from(depth) < capacity {
                    return Wakers::Always;
                }
            }
            model.receivers(o)
        }
    };
    Wakers::MayHold(vec![(o, known.to_vec())])
}

/// True if task `u` may hold an endpoint of (or otherwise use) `o`: it is a known user (`known`,
/// ascending), the object's creator, or a descendant of one of those spawned after `o` was
/// created (it may have been handed an endpoint).
fn may_hold(model: &Model, u: TaskIx, o: ObjectIx, known: &[TaskIx]) -> bool {
    let object = model.object(o);
    let created = object.created_at.unwrap_or(0);
    let mut cur = u;
    // A corrupt spawn tree could loop; no real chain is longer than the number of tasks.
    for _ in 0..=model.tasks().len() {
        if known.binary_search(&cur).is_ok() || Some(cur) == object.creator {
            return true;
        }
        let task = model.task(cur);
        match (task.parent, task.spawned_at) {
            (Some(parent), Some(at)) if at >= created => cur = parent,
            _ => return false,
        }
    }
    false
}

/// Every task that did anything to `o` (ascending, distinct).
fn object_users(model: &Model, o: ObjectIx) -> Vec<TaskIx> {
    let mut users: Vec<TaskIx> = model
        .object_events(o)
        .rows()
        .iter()
        .map(|e| e.task)
        .collect();
    users.sort_unstable();
    users.dedup();
    users
}

/// The tasks holding lock `o` when the trace ended.
pub(crate) fn holders_at_end(model: &Model, o: ObjectIx) -> Vec<TaskIx> {
    let mut holders: Vec<TaskIx> = model
        .holds(o)
        .iter()
        .filter(|h| !h.released)
        .map(|h| h.task)
        .collect();
    holders.sort_unstable();
    holders.dedup();
    holders
}

/// The tasks that a stuck task's wait depends on, as far as the trace *shows* (used to find
/// deadlock cycles): the holders of its lock, the task it joins, the tasks that used the other
/// side of its channel, that notified its condvar or unparked it before.
pub(crate) fn evident_wakers(model: &Model, t: TaskIx, wait: &FinalWait) -> Vec<TaskIx> {
    let mut out = match (wait.reason, wait.target) {
        (BlockReason::Lock | BlockReason::LockRead, WaitTarget::Object(o)) => {
            holders_at_end(model, o)
        }
        (BlockReason::Join, WaitTarget::Task(x)) => vec![x],
        (BlockReason::Recv, WaitTarget::Object(o)) => model.senders(o).to_vec(),
        (BlockReason::Send, WaitTarget::Object(o)) => model.receivers(o).to_vec(),
        (BlockReason::Select, WaitTarget::Select(s)) => {
            let (_, arms) = model.select(s);
            let mut out = Vec::new();
            for arm in arms {
                match arm.op {
                    SelectOp::Recv => out.extend_from_slice(model.senders(arm.channel)),
                    SelectOp::Send => out.extend_from_slice(model.receivers(arm.channel)),
                }
            }
            out
        }
        (BlockReason::Condvar, WaitTarget::Object(cv)) => model
            .object_events(cv)
            .rows()
            .iter()
            .filter(|e| matches!(e.op(), ObjectOp::Notify { .. }))
            .map(|e| e.task)
            .collect(),
        (BlockReason::Park | BlockReason::Await, _) => model
            .links_into(t)
            .iter()
            .map(|&l| model.link(l))
            .filter(|l| matches!(l.kind, LinkKind::Unpark | LinkKind::Wake))
            .map(|l| l.from_task)
            .collect(),
        (BlockReason::Resource, WaitTarget::Object(o)) => object_users(model, o),
        _ => Vec::new(),
    };
    // A lock held by the waiter itself is a real self-wait; for the rest, the task's own use of
    // a channel says nothing about who else could act.
    if !wait.reason.is_lock() && wait.reason != BlockReason::Join {
        out.retain(|&u| u != t);
    }
    out.sort_unstable();
    out.dedup();
    out
}
