//! Channels, locks and condition variables: what they are and what happened to them.

use serde::Serialize;
use weft_recorder::event::{ChanFlavor, LockMode, ObjectId, Outcome, ResourceKind, SelectOp, Side};

use super::ids::{ObjectIx, SiteIx, TaskIx};

/// What kind of object it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A channel. `flavor` and `capacity` are unknown when its creation was not recorded.
    Channel {
        /// Rendezvous, bounded or unbounded.
        flavor: Option<ChanFlavor>,
        /// The capacity of a bounded channel (0 otherwise).
        capacity: u64,
    },
    /// `sync::Mutex`.
    Mutex,
    /// `sync::RwLock`.
    RwLock,
    /// `sync::Condvar`.
    Condvar,
    /// A lock whose creation was not recorded, seen only through its operations.
    Lock,
    /// A tokio resource, from tokio's own instrumentation: its `Mutex` and `RwLock` (async
    /// locks, held across awaits by design), semaphore, barrier, oneshot, timers.
    Resource(ResourceKind),
}

impl ObjectKind {
    /// A short name: `channel`, `mutex`, `rwlock`, `condvar`, `lock`, or the tokio resource's
    /// kind (`mutex`, `rwlock`, `semaphore`, `barrier`, `oneshot`, `sleep`, `interval`,
    /// `resource`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ObjectKind::Channel { .. } => "channel",
            ObjectKind::Mutex => "mutex",
            ObjectKind::RwLock => "rwlock",
            ObjectKind::Condvar => "condvar",
            ObjectKind::Lock => "lock",
            ObjectKind::Resource(kind) => match kind {
                ResourceKind::Mutex => "mutex",
                ResourceKind::RwLock => "rwlock",
                ResourceKind::Semaphore => "semaphore",
                ResourceKind::Barrier => "barrier",
                ResourceKind::Oneshot => "oneshot",
                ResourceKind::Sleep => "sleep",
                ResourceKind::Interval => "interval",
                ResourceKind::Other => "resource",
            },
        }
    }

    /// True for channels.
    pub fn is_channel(&self) -> bool {
        matches!(self, ObjectKind::Channel { .. })
    }

    /// True for mutexes and rwlocks, std's and tokio's (not condvars).
    pub fn is_lock(&self) -> bool {
        matches!(
            self,
            ObjectKind::Mutex
                | ObjectKind::RwLock
                | ObjectKind::Lock
                | ObjectKind::Resource(ResourceKind::Mutex | ResourceKind::RwLock)
        )
    }

    /// True for tokio's resources, whose waits suspend a task rather than block a thread
    /// (a tokio lock may be held across an `.await`; a std lock must not be).
    pub fn is_async(&self) -> bool {
        matches!(self, ObjectKind::Resource(_))
    }
}

/// A channel, lock or condition variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Object {
    /// The recorder's id.
    pub id: ObjectId,
    /// What it is.
    pub kind: ObjectKind,
    /// When it was created (`None`: before recording began, or the event was lost).
    pub created_at: Option<u64>,
    /// The task that created it.
    pub creator: Option<TaskIx>,
    /// Where it was created.
    pub site: SiteIx,
    /// When the last sender was dropped (channels).
    pub senders_gone_at: Option<u64>,
    /// When the last receiver was dropped (channels).
    pub receivers_gone_at: Option<u64>,
    /// For a condvar: the lock it was waited with.
    pub lock: Option<ObjectIx>,
}

impl Object {
    pub(crate) fn new(id: ObjectId, kind: ObjectKind) -> Self {
        Object {
            id,
            kind,
            created_at: None,
            creator: None,
            site: SiteIx::UNKNOWN,
            senders_gone_at: None,
            receivers_gone_at: None,
            lock: None,
        }
    }
}

/// One operation on an object (3 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectOp {
    /// Created.
    Create,
    /// A send completed (`Send`, or the end of a waiting send) with this outcome.
    Send(Outcome),
    /// A send began to wait.
    SendWait,
    /// A `try_send`.
    TrySend(Outcome),
    /// A receive completed with this outcome.
    Recv(Outcome),
    /// A receive began to wait.
    RecvWait,
    /// A `try_recv`.
    TryRecv(Outcome),
    /// A `select!` began to wait with an arm on this channel.
    SelectWait(SelectOp),
    /// A `select!` completed on this channel.
    SelectDone(SelectOp, Outcome),
    /// The last sender or receiver went away.
    Disconnect(Side),
    /// Taken without waiting.
    Acquire(LockMode),
    /// A task began to wait for the lock.
    Wait(LockMode),
    /// A waiting task got the lock.
    Acquired {
        /// Shared or exclusive.
        mode: LockMode,
        /// A previous holder had panicked.
        poisoned: bool,
    },
    /// A `try_lock`/`try_read`/`try_write`.
    TryLock {
        /// Shared or exclusive.
        mode: LockMode,
        /// The lock was taken.
        ok: bool,
    },
    /// A guard was dropped (or a condvar wait released the lock).
    Release(LockMode),
    /// A task began to wait on this condvar.
    CondWait,
    /// A condvar wait returned.
    CondWake {
        /// It hit its deadline.
        timed_out: bool,
    },
    /// `notify_one` / `notify_all`.
    Notify {
        /// `notify_all`.
        all: bool,
    },
    /// A task began to wait on a tokio resource.
    ResourceWait,
    /// The operation a task waited for on a tokio resource completed.
    ResourceReady,
    /// A task stopped waiting without completing (its future was dropped).
    WaitCancel,
    /// A broadcast receive fell behind and lost messages.
    Lagged,
}

impl ObjectOp {
    /// A completed send that delivered a message.
    pub fn sent_message(self) -> bool {
        matches!(
            self,
            ObjectOp::Send(Outcome::Ok)
                | ObjectOp::TrySend(Outcome::Ok)
                | ObjectOp::SelectDone(SelectOp::Send, Outcome::Ok)
        )
    }

    /// A completed receive that took a message.
    pub fn received_message(self) -> bool {
        matches!(
            self,
            ObjectOp::Recv(Outcome::Ok)
                | ObjectOp::TryRecv(Outcome::Ok)
                | ObjectOp::SelectDone(SelectOp::Recv, Outcome::Ok)
        )
    }

    /// Any operation on the sending side of a channel (waits and failures included).
    pub fn is_send_side(self) -> bool {
        matches!(
            self,
            ObjectOp::Send(_)
                | ObjectOp::SendWait
                | ObjectOp::TrySend(_)
                | ObjectOp::SelectWait(SelectOp::Send)
                | ObjectOp::SelectDone(SelectOp::Send, _)
        )
    }

    /// Any operation on the receiving side of a channel.
    pub fn is_recv_side(self) -> bool {
        matches!(
            self,
            ObjectOp::Recv(_)
                | ObjectOp::RecvWait
                | ObjectOp::TryRecv(_)
                | ObjectOp::SelectWait(SelectOp::Recv)
                | ObjectOp::SelectDone(SelectOp::Recv, _)
        )
    }

    /// A non-blocking attempt that found nothing to do (`try_recv` empty, `try_send` full,
    /// `try_lock` refused, a `select!` default arm): what a busy-wait loop repeats.
    pub fn is_failed_attempt(self) -> bool {
        matches!(
            self,
            ObjectOp::TryRecv(Outcome::Empty)
                | ObjectOp::TrySend(Outcome::Full)
                | ObjectOp::TryLock { ok: false, .. }
                | ObjectOp::SelectDone(_, Outcome::Empty)
        )
    }

    /// A send that found every receiver gone.
    pub fn send_disconnected(self) -> bool {
        matches!(
            self,
            ObjectOp::Send(Outcome::Disconnected)
                | ObjectOp::TrySend(Outcome::Disconnected)
                | ObjectOp::SelectDone(SelectOp::Send, Outcome::Disconnected)
        )
    }
}

/// One stored operation on an object (16 bytes); its time is in the lane's start column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectEvent {
    /// Who did it.
    pub task: TaskIx,
    /// Where.
    pub site: SiteIx,
    /// After this operation: a channel's queue depth, or the number of tasks waiting on a lock
    /// or condvar. It holds until the next operation, so the object's lane is a step function.
    pub level: u32,
    /// What happened.
    pub op: ObjectOp,
}

/// How a lock hold began.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AcquireKind {
    /// Taken at once.
    Immediate,
    /// Taken after waiting (the wait is the task's preceding blocked span).
    AfterWait,
    /// Taken by a `try_lock`.
    Try,
    /// Taken again at the end of a condvar wait.
    CondvarWake,
}

/// One holding of a lock by a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Hold {
    /// Acquired at.
    pub start: u64,
    /// Released at (the trace's end when `released` is false).
    pub end: u64,
    /// The holder.
    pub task: TaskIx,
    /// Where it was acquired.
    pub site: SiteIx,
    /// Shared or exclusive.
    pub mode: LockMode,
    /// How it was taken.
    pub how: AcquireKind,
    /// False when the lock was still held at the end of the trace.
    pub released: bool,
}

/// One blocking `select!`: the operations it waited over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SelectWait {
    pub(crate) first_arm: u32,
    pub(crate) arms: u32,
    /// It had a timeout arm.
    pub has_timeout: bool,
}

/// One operation of a `select!`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SelectArm {
    /// The channel.
    pub channel: ObjectIx,
    /// Send or receive.
    pub op: SelectOp,
}
