//! Causal links: one task's action that let another task go on.

use serde::Serialize;

use super::ids::{ObjectIx, TaskIx};

/// What kind of cause a link records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// A spawn → the child's start.
    Spawn,
    /// A send → the receive of that message (matched by message id).
    Message,
    /// A lock release → the acquisition by a task that had been waiting for it.
    Release,
    /// An `unpark` → the end of the target's `park`.
    Unpark,
    /// A condvar notify → the end of a wait on it.
    Notify,
    /// A task's exit → the end of a join waiting for it.
    Exit,
    /// A wake of an async task → its next poll.
    Wake,
}

impl LinkKind {
    /// The stable name: `spawn`, `message`, `release`, `unpark`, `notify`, `exit`,
    /// `wake`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Spawn => "spawn",
            LinkKind::Message => "message",
            LinkKind::Release => "release",
            LinkKind::Unpark => "unpark",
            LinkKind::Notify => "notify",
            LinkKind::Exit => "exit",
            LinkKind::Wake => "wake",
        }
    }
}

/// `from_task` did something at `from_ts` that let `to_task` go on at `to_ts`.
///
/// Times come from two threads' clocks and the recorder writes some causes just after the fact,
/// so `from_ts` can be slightly after `to_ts` (a rendezvous send is recorded when the sender
/// returns, which may be after the receiver has returned). Draw such a link at `to_ts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The kind of cause.
    pub kind: LinkKind,
    /// When the cause happened.
    pub from_ts: u64,
    /// When the effect happened.
    pub to_ts: u64,
    /// The acting task.
    pub from_task: TaskIx,
    /// The task that went on.
    pub to_task: TaskIx,
    /// The channel, lock or condvar involved.
    pub object: Option<ObjectIx>,
}
