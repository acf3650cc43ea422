//! Channels, locks and condition variables: what they are and what happened to them.

use serde::Serialize;
use weft_recorder::event::{ChanFlavor, LockMode, ObjectId, Outcome, ResourceKind, SelectOp, Side};

use super::ids::{ObjectIx, SiteIx, TaskIx};
use super::lane::Lane;

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

/// One stored operation on an object (12 bytes); its time is in the lane's start column.
///
/// Object operations are the model's most numerous rows (most events are one), so the
/// operation and the level share one word: the operation in the low [`OP_BITS`] bits, the level
/// above them (a level beyond [`ObjectEvent::MAX_LEVEL`] is stored as that).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ObjectEvent {
    /// Who did it.
    pub task: TaskIx,
    /// Where.
    pub site: SiteIx,
    op_and_level: u32,
}

/// Bits of [`ObjectEvent`]'s packed word that hold the operation.
const OP_BITS: u32 = 9;

impl ObjectEvent {
    /// The highest level stored exactly: a queue holding more messages, or more tasks waiting,
    /// reads as this.
    pub const MAX_LEVEL: u32 = u32::MAX >> OP_BITS;

    #[inline]
    pub(crate) fn new(task: TaskIx, site: SiteIx, level: u32, op: ObjectOp) -> Self {
        ObjectEvent {
            task,
            site,
            op_and_level: level.min(Self::MAX_LEVEL) << OP_BITS | u32::from(op.pack()),
        }
    }

    /// After this operation: a channel's queue depth, or the number of tasks waiting on a lock
    /// or condvar. It holds until the next operation, so the object's lane is a step function.
    pub fn level(&self) -> u32 {
        self.op_and_level >> OP_BITS
    }

    /// What happened.
    pub fn op(&self) -> ObjectOp {
        ObjectOp::unpack((self.op_and_level & ((1 << OP_BITS) - 1)) as u16)
    }
}

/// A channel's two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChannelSide {
    Send,
    Recv,
}

/// The channel side of every packed operation ([`ObjectOp::is_send_side`],
/// [`ObjectOp::is_recv_side`]), decoded once: a pass over millions of operations reads this
/// table rather than unpacking each (unpacking took most of such a pass).
pub(crate) struct SideTable(Vec<Option<ChannelSide>>);

impl SideTable {
    pub fn new() -> Self {
        let sides = (0..1u16 << OP_BITS)
            .map(|bits| {
                let op = ObjectOp::unpack(bits);
                if op.is_send_side() {
                    Some(ChannelSide::Send)
                } else if op.is_recv_side() {
                    Some(ChannelSide::Recv)
                } else {
                    None
                }
            })
            .collect();
        SideTable(sides)
    }

    /// The side of a channel `e` was on, if it was a channel operation.
    #[inline]
    pub fn side(&self, e: &ObjectEvent) -> Option<ChannelSide> {
        let bits = (e.op_and_level & ((1 << OP_BITS) - 1)) as usize;
        self.0.get(bits).copied().flatten()
    }
}

impl std::fmt::Debug for ObjectEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectEvent")
            .field("task", &self.task)
            .field("site", &self.site)
            .field("level", &self.level())
            .field("op", &self.op())
            .finish()
    }
}

impl Serialize for ObjectEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut row = serializer.serialize_struct("ObjectEvent", 4)?;
        row.serialize_field("task", &self.task)?;
        row.serialize_field("site", &self.site)?;
        row.serialize_field("level", &self.level())?;
        row.serialize_field("op", &self.op())?;
        row.end()
    }
}

impl ObjectOp {
    /// The mode of a lock this operation took, if it took one (a `try_lock` that failed did
    /// not).
    pub fn mode_taken(self) -> Option<LockMode> {
        match self {
            ObjectOp::Acquire(mode) | ObjectOp::Acquired { mode, .. } => Some(mode),
            ObjectOp::TryLock { mode, ok: true } => Some(mode),
            _ => None,
        }
    }

    /// The operation in [`OP_BITS`] bits: a 5-bit variant tag, its fields above it.
    #[inline]
    fn pack(self) -> u16 {
        let (tag, fields): (u16, u16) = match self {
            ObjectOp::Create => (0, 0),
            ObjectOp::Send(o) => (1, o as u16),
            ObjectOp::SendWait => (2, 0),
            ObjectOp::TrySend(o) => (3, o as u16),
            ObjectOp::Recv(o) => (4, o as u16),
            ObjectOp::RecvWait => (5, 0),
            ObjectOp::TryRecv(o) => (6, o as u16),
            ObjectOp::SelectWait(op) => (7, op as u16),
            ObjectOp::SelectDone(op, o) => (8, op as u16 | (o as u16) << 1),
            ObjectOp::Disconnect(side) => (9, side as u16),
            ObjectOp::Acquire(mode) => (10, mode as u16),
            ObjectOp::Wait(mode) => (11, mode as u16),
            ObjectOp::Acquired { mode, poisoned } => (12, mode as u16 | u16::from(poisoned) << 1),
            ObjectOp::TryLock { mode, ok } => (13, mode as u16 | u16::from(ok) << 1),
            ObjectOp::Release(mode) => (14, mode as u16),
            ObjectOp::CondWait => (15, 0),
            ObjectOp::CondWake { timed_out } => (16, u16::from(timed_out)),
            ObjectOp::Notify { all } => (17, u16::from(all)),
            ObjectOp::ResourceWait => (18, 0),
            ObjectOp::ResourceReady => (19, 0),
            ObjectOp::WaitCancel => (20, 0),
            ObjectOp::Lagged => (21, 0),
        };
        tag | fields << 5
    }

    /// The operation [`ObjectOp::pack`] made `bits` from. Only packed operations are ever
    /// unpacked, so the fallbacks for bits no operation packs to are never taken.
    fn unpack(bits: u16) -> ObjectOp {
        let fields = bits >> 5;
        let outcome = |v: u16| match v {
            0 => Outcome::Ok,
            1 => Outcome::Disconnected,
            2 => Outcome::Timeout,
            3 => Outcome::Empty,
            _ => Outcome::Full,
        };
        let mode = |v: u16| match v & 1 {
            0 => LockMode::Exclusive,
            _ => LockMode::Shared,
        };
        let select_op = |v: u16| match v & 1 {
            0 => SelectOp::Recv,
            _ => SelectOp::Send,
        };
        let flag = |v: u16| v & 1 == 1;
        match bits & 31 {
            1 => ObjectOp::Send(outcome(fields)),
            2 => ObjectOp::SendWait,
            3 => ObjectOp::TrySend(outcome(fields)),
            4 => ObjectOp::Recv(outcome(fields)),
            5 => ObjectOp::RecvWait,
            6 => ObjectOp::TryRecv(outcome(fields)),
            7 => ObjectOp::SelectWait(select_op(fields)),
            8 => ObjectOp::SelectDone(select_op(fields), outcome(fields >> 1)),
            9 => ObjectOp::Disconnect(match fields & 1 {
                0 => Side::Sender,
                _ => Side::Receiver,
            }),
            10 => ObjectOp::Acquire(mode(fields)),
            11 => ObjectOp::Wait(mode(fields)),
            12 => ObjectOp::Acquired {
                mode: mode(fields),
                poisoned: flag(fields >> 1),
            },
            13 => ObjectOp::TryLock {
                mode: mode(fields),
                ok: flag(fields >> 1),
            },
            14 => ObjectOp::Release(mode(fields)),
            15 => ObjectOp::CondWait,
            16 => ObjectOp::CondWake {
                timed_out: flag(fields),
            },
            17 => ObjectOp::Notify { all: flag(fields) },
            18 => ObjectOp::ResourceWait,
            19 => ObjectOp::ResourceReady,
            20 => ObjectOp::WaitCancel,
            21 => ObjectOp::Lagged,
            _ => ObjectOp::Create,
        }
    }
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

/// A hold as the model keeps it: which of the lock's operations took it and which gave it
/// back, 12 bytes. Everything else a [`Hold`] says — times, holder, site, mode — those
/// operations already hold (a hold is 32 bytes written out, and locks can see one for every
/// few events of a trace).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HoldRow {
    /// The operation that took the lock, in the lock's [`ObjectLane`](super::ObjectLane).
    pub acquire: u32,
    /// The operation that released it, `HoldRow::HELD` when none did.
    pub release: u32,
    pub how: AcquireKind,
}

impl HoldRow {
    pub const HELD: u32 = u32::MAX;
}

/// A lock's holds by start, each assembled from the operations that took and released it:
/// what [`Model::holds`](super::Model::holds) returns.
#[derive(Clone, Copy)]
pub struct Holds<'m> {
    rows: &'m [HoldRow],
    ops: Lane<'m, ObjectEvent>,
    /// The trace's end, when holds still held end.
    end: u64,
}

impl<'m> Holds<'m> {
    pub(crate) fn new(rows: &'m [HoldRow], ops: Lane<'m, ObjectEvent>, end: u64) -> Self {
        Holds { rows, ops, end }
    }

    /// How many holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the lock was never held.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// When hold `i` began, without assembling the rest of it.
    pub fn start(&self, i: usize) -> u64 {
        self.ops.start_of(self.rows[i].acquire as usize)
    }

    /// Who held it, likewise.
    pub fn task(&self, i: usize) -> TaskIx {
        self.ops.row(self.rows[i].acquire as usize).task
    }

    /// Hold `i`, as indexing a slice.
    pub fn get(&self, i: usize) -> Hold {
        let row = self.rows[i];
        let acquire = row.acquire as usize;
        let taken = self.ops.row(acquire);
        let mode = taken.op().mode_taken().unwrap_or(LockMode::Exclusive);
        let start = self.ops.start_of(acquire);
        let released = row.release != HoldRow::HELD;
        let end = if released {
            self.ops.start_of(row.release as usize)
        } else {
            self.end.max(start)
        };
        Hold {
            start,
            end,
            task: taken.task,
            site: taken.site,
            mode,
            how: row.how,
            released,
        }
    }

    /// The holds in order.
    pub fn iter(&self) -> HoldIter<'m> {
        HoldIter {
            holds: *self,
            next: 0..self.len(),
        }
    }
}

impl<'m> IntoIterator for Holds<'m> {
    type Item = Hold;
    type IntoIter = HoldIter<'m>;

    fn into_iter(self) -> HoldIter<'m> {
        self.iter()
    }
}

/// The holds of a lock in order, see [`Holds::iter`].
#[derive(Clone)]
pub struct HoldIter<'m> {
    holds: Holds<'m>,
    next: std::ops::Range<usize>,
}

impl Iterator for HoldIter<'_> {
    type Item = Hold;

    fn next(&mut self) -> Option<Hold> {
        self.next.next().map(|i| self.holds.get(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.next.size_hint()
    }
}

impl DoubleEndedIterator for HoldIter<'_> {
    fn next_back(&mut self) -> Option<Hold> {
        self.next.next_back().map(|i| self.holds.get(i))
    }
}

impl ExactSizeIterator for HoldIter<'_> {}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation there is.
    fn all_ops() -> Vec<ObjectOp> {
        let outcomes = [
            Outcome::Ok,
            Outcome::Disconnected,
            Outcome::Timeout,
            Outcome::Empty,
            Outcome::Full,
        ];
        let modes = [LockMode::Exclusive, LockMode::Shared];
        let selects = [SelectOp::Recv, SelectOp::Send];
        let mut ops = vec![
            ObjectOp::Create,
            ObjectOp::SendWait,
            ObjectOp::RecvWait,
            ObjectOp::CondWait,
            ObjectOp::ResourceWait,
            ObjectOp::ResourceReady,
            ObjectOp::WaitCancel,
            ObjectOp::Lagged,
            ObjectOp::Disconnect(Side::Sender),
            ObjectOp::Disconnect(Side::Receiver),
        ];
        for o in outcomes {
            ops.extend([
                ObjectOp::Send(o),
                ObjectOp::TrySend(o),
                ObjectOp::Recv(o),
                ObjectOp::TryRecv(o),
            ]);
            ops.extend(selects.map(|s| ObjectOp::SelectDone(s, o)));
        }
        ops.extend(selects.map(ObjectOp::SelectWait));
        for mode in modes {
            ops.extend([
                ObjectOp::Acquire(mode),
                ObjectOp::Wait(mode),
                ObjectOp::Release(mode),
            ]);
            for b in [false, true] {
                ops.push(ObjectOp::Acquired { mode, poisoned: b });
                ops.push(ObjectOp::TryLock { mode, ok: b });
            }
        }
        for b in [false, true] {
            ops.push(ObjectOp::CondWake { timed_out: b });
            ops.push(ObjectOp::Notify { all: b });
        }
        ops
    }

    #[test]
    fn every_operation_and_level_reads_back() {
        let ops = all_ops();
        assert_eq!(ops.len(), 60);
        for (i, &op) in ops.iter().enumerate() {
            assert!(u32::from(op.pack()) < 1 << OP_BITS, "{op:?}");
            for level in [0, 1, 7, 1_000_000, ObjectEvent::MAX_LEVEL] {
                let e = ObjectEvent::new(TaskIx(i as u32), SiteIx(3), level, op);
                assert_eq!(
                    (e.task, e.site, e.level(), e.op()),
                    (TaskIx(i as u32), SiteIx(3), level, op)
                );
            }
        }
        let distinct: std::collections::HashSet<u16> = ops.iter().map(|op| op.pack()).collect();
        assert_eq!(distinct.len(), ops.len(), "two operations pack alike");
    }

    #[test]
    fn the_side_table_reads_every_operation_at_every_level_as_its_side() {
        let sides = SideTable::new();
        let mut seen = [0; 3];
        for op in all_ops() {
            let expected = if op.is_send_side() {
                Some(ChannelSide::Send)
            } else if op.is_recv_side() {
                Some(ChannelSide::Recv)
            } else {
                None
            };
            seen[expected.map_or(0, |s| s as usize + 1)] += 1;
            for level in [0, 5, ObjectEvent::MAX_LEVEL] {
                let e = ObjectEvent::new(TaskIx(1), SiteIx(2), level, op);
                assert_eq!(sides.side(&e), expected, "{op:?} at level {level}");
            }
        }
        // Per side: the plain, try and select operations with each of five outcomes, the
        // blocking wait and a select's wait.
        assert_eq!(seen, [26, 17, 17]);
    }

    #[test]
    fn a_level_beyond_the_maximum_saturates() {
        let e = ObjectEvent::new(TaskIx(0), SiteIx(0), u32::MAX, ObjectOp::Recv(Outcome::Ok));
        assert_eq!(e.level(), ObjectEvent::MAX_LEVEL);
        assert_eq!(e.op(), ObjectOp::Recv(Outcome::Ok));
        assert_eq!(std::mem::size_of::<ObjectEvent>(), 12);
    }
}
