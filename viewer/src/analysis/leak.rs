//! Leaks: tasks alive at the end and blocked forever, and why nothing can wake them.
//!
//! Deadlocked tasks are leaks too (they never finish); they carry `deadlocked: true` and also
//! appear in the [`Deadlock`](super::Deadlock) that explains them.

use serde::Serialize;

use super::fate::{holders_at_end, EndState, Fate, FinalWait};
use crate::model::{BlockReason, Model, ObjectIx, TaskIx, WaitTarget};

/// A task blocked forever at the end of the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Leak {
    /// The task.
    pub task: TaskIx,
    /// What it waits in.
    pub wait: FinalWait,
    /// Why nothing can end that wait.
    pub cause: LeakCause,
    /// The task is on a deadlock cycle.
    pub deadlocked: bool,
}

/// Why a leaked task's wait can never end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "cause")]
pub enum LeakCause {
    /// A receive: no task that could send on the channel can run again, and a sender is still
    /// alive somewhere so the channel never disconnects.
    NoSender {
        /// The channel.
        channel: ObjectIx,
    },
    /// A send: no task that could receive can run again, and a receiver is still alive.
    NoReceiver {
        /// The channel.
        channel: ObjectIx,
    },
    /// A `select!`: none of its operations can ever complete.
    SelectCannotComplete,
    /// A lock held by a task that exited without releasing it (a leaked guard).
    HolderExited {
        /// The lock.
        lock: ObjectIx,
        /// Its holder.
        holder: TaskIx,
    },
    /// A lock held by the program's main task, which ended.
    HolderEnded {
        /// The lock.
        lock: ObjectIx,
        /// Its holder.
        holder: TaskIx,
    },
    /// A lock held by a task that is itself stuck (leaked or deadlocked).
    HolderStuck {
        /// The lock.
        lock: ObjectIx,
        /// Its holder.
        holder: TaskIx,
    },
    /// A join of a task that is stuck and will never finish.
    JoinsStuck {
        /// The joined task.
        task: TaskIx,
    },
    /// Parked with no timeout, and no task that could unpark it can run again.
    NobodyToUnpark,
    /// A condvar wait that no task that can still run could notify.
    NobodyToNotify {
        /// The condvar.
        condvar: ObjectIx,
    },
    /// An async task idle with no live waker: nothing can ever wake it (a lost waker).
    NoWaker,
    /// An async task awaiting something the recorder cannot see, and no other task can run
    /// again to wake it.
    NobodyToWake,
    /// A wait on a tokio resource that no task that can still run uses.
    NobodyToRelease {
        /// The resource.
        resource: ObjectIx,
    },
}

impl LeakCause {
    /// One readable sentence.
    pub fn describe(&self, model: &Model) -> String {
        let task = |t: TaskIx| format!("task {} ({})", model.task(t).id, model.task_name(t));
        match *self {
            LeakCause::NoSender { channel } => format!(
                "no task that could send on {} can run again{}",
                model.object_name(channel),
                known("senders", model, model.senders(channel))
            ),
            LeakCause::NoReceiver { channel } => format!(
                "no task that could receive from {} can run again{}",
                model.object_name(channel),
                known("receivers", model, model.receivers(channel))
            ),
            LeakCause::SelectCannotComplete => {
                "none of the select's operations can ever complete".to_string()
            }
            LeakCause::HolderExited { lock, holder } => format!(
                "{} is held by {}, which exited without releasing it",
                model.object_name(lock),
                task(holder)
            ),
            LeakCause::HolderEnded { lock, holder } => format!(
                "{} is held by {}, which ended with the program",
                model.object_name(lock),
                task(holder)
            ),
            LeakCause::HolderStuck { lock, holder } => format!(
                "{} is held by {}, which is stuck itself",
                model.object_name(lock),
                task(holder)
            ),
            LeakCause::JoinsStuck { task: joined } => {
                format!(
                    "it joins {}, which is stuck and never finishes",
                    task(joined)
                )
            }
            LeakCause::NobodyToUnpark => {
                "parked without a timeout, and no task that could unpark it can run again"
                    .to_string()
            }
            LeakCause::NobodyToNotify { condvar } => format!(
                "no task that could notify {} can run again",
                model.object_name(condvar)
            ),
            LeakCause::NoWaker => {
                "an async task idle with no waker left: nothing can ever wake it (a lost waker)"
                    .to_string()
            }
            LeakCause::NobodyToWake => {
                "an async task awaiting something unseen, and no other task can run again"
                    .to_string()
            }
            LeakCause::NobodyToRelease { resource } => format!(
                "no task that could make {} ready can run again",
                model.object_name(resource)
            ),
        }
    }
}

fn known(what: &str, model: &Model, tasks: &[TaskIx]) -> String {
    let others: Vec<String> = tasks
        .iter()
        .take(4)
        .map(|&t| format!("task {}", model.task(t).id))
        .collect();
    if others.is_empty() {
        format!(" (it has no known {what})")
    } else {
        let more = if tasks.len() > 4 { ", …" } else { "" };
        format!(" (known {what}: {}{more})", others.join(", "))
    }
}

/// Every task `state` says is stuck (deadlocked or not), by spawn site.
pub(crate) fn find(model: &Model, state: &EndState) -> Vec<Leak> {
    let mut leaks: Vec<Leak> = model
        .task_ixs()
        .filter(|t| state.fates[t.index()].is_stuck())
        .filter_map(|t| {
            let wait = state.waits[t.index()]?;
            Some(Leak {
                task: t,
                wait,
                cause: cause(model, state, t, &wait),
                deadlocked: state.fates[t.index()] == Fate::Deadlocked,
            })
        })
        .collect();
    leaks.sort_by_key(|l| (model.site_label(model.task(l.task).spawn_site), l.task));
    leaks
}

fn cause(model: &Model, state: &EndState, task: TaskIx, wait: &FinalWait) -> LeakCause {
    let async_task = model.task(task);
    if async_task.is_async && async_task.live_wakers.is_some_and(|live| live <= 0) {
        return LeakCause::NoWaker;
    }
    match (wait.reason, wait.target) {
        (BlockReason::Recv, WaitTarget::Object(channel)) => LeakCause::NoSender { channel },
        (BlockReason::Send, WaitTarget::Object(channel)) => LeakCause::NoReceiver { channel },
        (BlockReason::Lock | BlockReason::LockRead, WaitTarget::Object(lock)) => {
            let holders = holders_at_end(model, lock);
            let fate_of = |t: &TaskIx| state.fates[t.index()];
            if let Some(&holder) = holders.iter().find(|t| fate_of(t) == Fate::Exited) {
                LeakCause::HolderExited { lock, holder }
            } else if let Some(&holder) = holders
                .iter()
                .find(|t| fate_of(t) == Fate::EndedWithProgram)
            {
                LeakCause::HolderEnded { lock, holder }
            } else {
                let holder = holders
                    .iter()
                    .copied()
                    .find(|t| fate_of(t).is_stuck())
                    .or(holders.first().copied())
                    .unwrap_or_default();
                LeakCause::HolderStuck { lock, holder }
            }
        }
        (BlockReason::Join, WaitTarget::Task(task)) => LeakCause::JoinsStuck { task },
        (BlockReason::Condvar, WaitTarget::Object(condvar)) => {
            LeakCause::NobodyToNotify { condvar }
        }
        (BlockReason::Select, _) => LeakCause::SelectCannotComplete,
        (BlockReason::Await, _) => LeakCause::NobodyToWake,
        (BlockReason::Resource, WaitTarget::Object(resource)) => {
            LeakCause::NobodyToRelease { resource }
        }
        _ => LeakCause::NobodyToUnpark,
    }
}
