//! The event model: what one recorded event means.
//!
//! An event is `(timestamp, worker, task, site, kind)`. On the hot path and on disk an event is the
//! flat tuple `(code, site, a, b, small)` — see [`RawArgs`] — so recording never builds an enum and
//! the encoder never branches on payload types. [`EventKind`] is the typed view readers work with;
//! [`EventKind::to_raw`] and [`EventKind::from_raw`] are the only translation between the two, and
//! [`shape`] says which of `a`, `b`, `small` a code uses (the encoder writes only those).
//!
//! Ids are plain integers: task and object ids come from process-wide counters (never 0), string
//! and site ids are assigned by the writer and resolved through the trace's tables (0 = none).

use serde::{Deserialize, Serialize};

/// A logical task: a thread, or a tokio task (ids from [`TOKIO_TASK_BASE`] up). Never 0.
pub type TaskId = u64;
/// A channel, lock or condition variable. Never 0.
pub type ObjectId = u64;
/// An OS thread that ran tasks, dense from 0 within one trace.
pub type WorkerId = u32;
/// An interned source location; 0 means "no site".
pub type SiteId = u32;
/// An interned string; 0 means "no string".
pub type StrId = u32;
/// A message sequence number within one channel; 0 means "not recorded".
pub type MsgId = u64;

/// How a channel operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// The message was sent or received.
    Ok = 0,
    /// The other side was gone (all receivers or all senders dropped).
    Disconnected = 1,
    /// A deadline passed first.
    Timeout = 2,
    /// A `try_recv` found nothing (or a `select` default arm ran).
    Empty = 3,
    /// A `try_send` found the channel full.
    Full = 4,
}

impl Outcome {
    fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::Ok,
            1 => Self::Disconnected,
            2 => Self::Timeout,
            3 => Self::Empty,
            4 => Self::Full,
            _ => return None,
        })
    }
}

/// The buffering of a channel, as created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChanFlavor {
    /// `bounded(0)`: a send waits for a receiver.
    Rendezvous = 0,
    /// `bounded(n)` with n > 0.
    Bounded = 1,
    /// `unbounded()`.
    Unbounded = 2,
}

/// Which end of a channel went away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Side {
    /// The last `Sender` was dropped.
    Sender = 0,
    /// The last `Receiver` was dropped.
    Receiver = 1,
}

/// Which operation a `select` arm waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SelectOp {
    /// Waiting to receive.
    Recv = 0,
    /// Waiting to send.
    Send = 1,
}

/// What kind of lock an object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LockKind {
    /// `sync::Mutex`.
    Mutex = 0,
    /// `sync::RwLock`.
    RwLock = 1,
    /// `sync::Condvar`.
    Condvar = 2,
}

/// Whether a lock is taken shared or exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LockMode {
    /// Mutex lock or RwLock write lock.
    Exclusive = 0,
    /// RwLock read lock.
    Shared = 1,
}

/// Severity of a user annotation, as in `tracing::Level` (0 = TRACE … 4 = ERROR).
pub type Level = u8;

/// What a tokio resource is, from tokio's own instrumentation (`runtime.resource` spans, which
/// tokio emits under `--cfg tokio_unstable`; see `weft_recorder::tokio`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceKind {
    /// `tokio::sync::Mutex`.
    Mutex = 0,
    /// `tokio::sync::RwLock`.
    RwLock = 1,
    /// `tokio::sync::Semaphore`.
    Semaphore = 2,
    /// `tokio::sync::Barrier`.
    Barrier = 3,
    /// A `tokio::sync::oneshot` channel (its sender and receiver are one resource).
    Oneshot = 4,
    /// `tokio::time::Sleep` (also `timeout`'s deadline).
    Sleep = 5,
    /// `tokio::time::Interval`.
    Interval = 6,
    /// A resource kind this recorder does not know.
    Other = 7,
}

impl ResourceKind {
    fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::Mutex,
            1 => Self::RwLock,
            2 => Self::Semaphore,
            3 => Self::Barrier,
            4 => Self::Oneshot,
            5 => Self::Sleep,
            6 => Self::Interval,
            7 => Self::Other,
            _ => return None,
        })
    }
}

/// Task ids of tokio tasks are tokio's own task id plus this base, so they can never collide
/// with the ids Weft gives threads (which count from 1 and stay far below it).
pub const TOKIO_TASK_BASE: TaskId = 1 << 32;

/// True if `task` is a tokio task (see [`TOKIO_TASK_BASE`]) rather than a thread.
pub fn is_tokio_task(task: TaskId) -> bool {
    task >= TOKIO_TASK_BASE
}

/// How people call a task that has no name: `task 7` for a thread, `tokio task 5` for a tokio
/// task — tokio's own id, as `tokio::task::Id` prints it, not the offset one in the file.
pub fn task_label(task: TaskId) -> String {
    if is_tokio_task(task) {
        format!("tokio task {}", task - TOKIO_TASK_BASE)
    } else {
        format!("task {task}")
    }
}

/// What happened. The doc of each variant says who records it and which fields mean what.
#[allow(missing_docs)] // fields are described in their variant's doc
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    // ---- tasks and threads ----
    /// On the parent: a task was spawned. Site = spawn site.
    TaskSpawn { child: TaskId, name: StrId },
    /// The first event of a task on its worker; every later event on this worker belongs to it
    /// until the next `TaskStart`. A thread not spawned through Weft is adopted with this event
    /// and no matching `TaskSpawn`.
    TaskStart { task: TaskId, name: StrId },
    /// The task's body returned or panicked. Nothing more comes from it.
    TaskExit { panicked: bool },
    /// A join that has to wait (the task had not finished). Site = join call.
    JoinBegin { task: TaskId },
    /// The join returned; `panicked` when the joined task panicked.
    JoinEnd { task: TaskId, panicked: bool },
    /// `thread::park` (or `park_timeout` with `timeout_ns` > 0) is about to wait. Site = call.
    ParkBegin { timeout_ns: u64 },
    /// `park` returned (unparked, spuriously, or after the timeout).
    ParkEnd,
    /// `Thread::unpark` of `task`. Site = call.
    Unpark { task: TaskId },
    /// `thread::sleep` for `ns` begins. Site = call.
    SleepBegin { ns: u64 },
    /// The sleep ended.
    SleepEnd,
    /// `thread::yield_now`. Site = call.
    Yield,

    // ---- channels ----
    /// A channel was created. `cap` is the capacity for bounded channels. Site = creation.
    ChanCreate {
        chan: ObjectId,
        flavor: ChanFlavor,
        cap: u64,
    },
    /// A send that completed without waiting. Site = call.
    Send { chan: ObjectId, msg: MsgId },
    /// A send had to wait (channel full, or rendezvous with no receiver). Site = call.
    SendBegin { chan: ObjectId },
    /// The waiting send ended: `Ok` (with its message id), `Disconnected` or `Timeout`.
    SendEnd {
        chan: ObjectId,
        msg: MsgId,
        outcome: Outcome,
    },
    /// A `try_send`: `Ok`, `Full` or `Disconnected`. Site = call.
    TrySend {
        chan: ObjectId,
        msg: MsgId,
        outcome: Outcome,
    },
    /// A receive that completed without waiting. Site = call.
    Recv { chan: ObjectId, msg: MsgId },
    /// A receive had to wait (channel empty). Site = call.
    RecvBegin { chan: ObjectId },
    /// The waiting receive ended: `Ok` (with the message id), `Disconnected` or `Timeout`.
    RecvEnd {
        chan: ObjectId,
        msg: MsgId,
        outcome: Outcome,
    },
    /// A `try_recv`: `Ok`, `Empty` or `Disconnected`. Site = call.
    TryRecv {
        chan: ObjectId,
        msg: MsgId,
        outcome: Outcome,
    },
    /// The last sender or the last receiver of `chan` was dropped.
    ChanDisconnect { chan: ObjectId, side: Side },
    /// A `select!` is about to wait over `arms` operations; that many `SelectArm` events follow.
    /// Site = the `select!`.
    SelectBegin { arms: u32, has_timeout: bool },
    /// One operation of the `select!` that began just before.
    SelectArm { chan: ObjectId, op: SelectOp },
    /// The `select!` finished on `chan` (0 for the timeout or default arm) with `outcome`.
    SelectEnd {
        chan: ObjectId,
        msg: MsgId,
        op: SelectOp,
        outcome: Outcome,
    },

    // ---- locks ----
    /// A lock or condition variable was created. Site = creation.
    LockCreate { lock: ObjectId, kind: LockKind },
    /// A lock was taken without waiting. Site = call.
    LockAcquire { lock: ObjectId, mode: LockMode },
    /// A lock is held by someone else; the task waits. Site = call.
    LockWait { lock: ObjectId, mode: LockMode },
    /// The waiting task got the lock (`poisoned`: a holder had panicked).
    LockAcquired {
        lock: ObjectId,
        mode: LockMode,
        poisoned: bool,
    },
    /// A `try_lock`/`try_read`/`try_write`; `ok` when it took the lock. Site = call.
    TryLock {
        lock: ObjectId,
        mode: LockMode,
        ok: bool,
    },
    /// A guard was dropped.
    LockRelease { lock: ObjectId, mode: LockMode },
    /// `Condvar::wait*` releases `lock` and waits on `cv`. Site = call.
    CondWait { cv: ObjectId, lock: ObjectId },
    /// The condvar wait returned with `lock` held again; `timed_out` for a `wait_timeout*`
    /// that hit its deadline.
    CondWake {
        cv: ObjectId,
        lock: ObjectId,
        timed_out: bool,
    },
    /// `notify_one` (`all` = false) or `notify_all`. Site = call.
    CondNotify { cv: ObjectId, all: bool },

    // ---- user annotations (tracing Layer) ----
    /// A tracing span was entered: a region on the task until the matching `SpanExit`.
    SpanEnter { span: u64, name: StrId },
    /// A tracing span was exited.
    SpanExit { span: u64 },
    /// A tracing event: an instant on the task.
    Mark { message: StrId, level: Level },

    // ---- tokio (feature `tokio`; see `weft_recorder::tokio`) ----
    // Tokio tasks are ids `>= TOKIO_TASK_BASE`. They are not bound to a worker: a task runs
    // only between `PollBegin` and `PollEnd`, on whichever worker polled it, and [`attribute`]
    // says which task each event belongs to.
    /// The worker is about to poll tokio task `task` (`on_before_task_poll`, needs
    /// `tokio_unstable`). This event and the worker's later ones belong to `task` until
    /// `PollEnd`. The time from the task's last `TaskWake` to here is its scheduling latency.
    PollBegin { task: TaskId },
    /// The poll of `task` returned (`on_after_task_poll`). This event still belongs to `task`;
    /// the worker's later events belong to `resume`, the worker thread's own task. A task that
    /// polls long without reaching `PollEnd` is blocking its worker.
    PollEnd { task: TaskId, resume: TaskId },
    /// Tokio task `task` finished: it returned, panicked, or was cancelled (aborted, or dropped
    /// at runtime shutdown) — tokio does not say which (`on_task_terminate`). Usually inside the
    /// task's last poll; for a cancelled task, on whichever worker dropped it. Also recorded for
    /// `spawn_blocking` work, which has no `TaskSpawn` (tokio calls no spawn hook for it).
    /// A tokio task's spawn is the ordinary `TaskSpawn` (site = the `tokio::spawn` call); it has
    /// no `TaskStart`: its first `PollBegin` is its start.
    TaskTerminate { task: TaskId },
    /// Tokio task `task` was given a name (`tokio::task::Builder::name`; from tokio's
    /// instrumentation, so only with `tokio_unstable` and the Weft layer installed).
    TaskName { task: TaskId, name: StrId },
    /// The event's task woke tokio task `task` (it becomes runnable; a worker polls it next).
    /// `consumed`: the waker was used up (`Waker::wake`) rather than borrowed
    /// (`wake_by_ref`), which matters when counting a task's live wakers. From tokio's
    /// `tokio::task::waker` instrumentation: needs `tokio_unstable` and the Weft layer.
    TaskWake { task: TaskId, consumed: bool },
    /// A waker of `task` was cloned (something registered to wake it later). Live wakers of a
    /// task = `WakerClone` − `WakerDrop` − consumed `TaskWake`; an idle task with none left can
    /// never be woken again (a lost waker).
    WakerClone { task: TaskId },
    /// A waker of `task` was dropped without waking it.
    WakerDrop { task: TaskId },
    /// This OS thread belongs to a tokio runtime: a worker or a blocking-pool thread
    /// (`on_thread_start`). Its own task stands for the runtime's work, not for user code.
    RuntimeThreadStart,
    /// The runtime thread is about to exit (`on_thread_stop`).
    RuntimeThreadStop,
    /// The worker found nothing to run and goes idle until `WorkerUnpark` (`on_thread_park`).
    /// The thread that calls `block_on` on a current-thread runtime parks too.
    WorkerPark,
    /// The idle worker woke up to look for work (`on_thread_unpark`).
    WorkerUnpark,
    /// A tokio resource was created (from its `runtime.resource` span). `loc` is its creation
    /// site as the string `file:line:col` (0 if tokio gave none).
    ResourceCreate {
        resource: ObjectId,
        kind: ResourceKind,
        loc: StrId,
    },
    /// The event's task polled operation `op` (e.g. `Mutex::lock`, `Semaphore::acquire`,
    /// `Barrier::wait`, `Sleep::new_timeout`) on `resource` and it was not ready: the task
    /// waits on the resource until `ResourceReady` or `WaitCancel`.
    ResourceWait { resource: ObjectId, op: StrId },
    /// The operation the event's task waited for on `resource` completed.
    ResourceReady { resource: ObjectId },
    /// The event's task took a tokio `Mutex` (exclusive) or `RwLock` (either mode), waited or
    /// not.
    ResourceAcquire { resource: ObjectId, mode: LockMode },
    /// The event's task released it (its guard was dropped).
    ResourceRelease { resource: ObjectId, mode: LockMode },
    /// The event's task stopped waiting on `object` without completing: the waiting future
    /// was dropped (a `select!` branch that lost, a timeout, a cancelled task). Ends an open
    /// `SendBegin`, `RecvBegin` or `ResourceWait` of this task on `object`.
    WaitCancel { object: ObjectId },
    /// A broadcast receive found the receiver `missed` messages behind (tokio's
    /// `RecvError::Lagged`); nothing was delivered. Ends an open `RecvBegin` on `chan`.
    RecvLagged { chan: ObjectId, missed: u64 },
}

/// Which task a worker's events belong to: the one rule the writer (to label each chunk with
/// the task running at its start) and the reader (to label every event) share.
///
/// `running` is the task running on the worker before `kind`; returns the task `kind` belongs
/// to and the task running after it. A thread runs its own task from its `TaskStart`; a tokio
/// task runs from `PollBegin` to `PollEnd` inclusive, after which the worker runs the task
/// `PollEnd` names as `resume` (the thread's own). The rule needs no other state, so a chunk
/// decodes alone and a lost chunk cannot shift the attribution of later ones.
#[inline]
pub fn attribute(running: TaskId, kind: &EventKind) -> (TaskId, TaskId) {
    match *kind {
        EventKind::TaskStart { task, .. } | EventKind::PollBegin { task } => (task, task),
        EventKind::PollEnd { task, resume } => (task, resume),
        _ => (running, running),
    }
}

/// [`attribute`] on an event's flat form: the writer follows the running task for every event
/// and the reader labels every event it decodes, and building the typed event just for this
/// cost each more than the rest of its bookkeeping.
#[inline]
pub fn attribute_raw(running: TaskId, raw: &RawArgs) -> (TaskId, TaskId) {
    match raw.code {
        // TaskStart { task, .. }, PollBegin { task }
        1 | 36 => (raw.a, raw.a),
        // PollEnd { task, resume }
        37 => (raw.a, raw.b),
        _ => (running, running),
    }
}

/// The task running after an event, as [`attribute`] says, from its flat form.
#[inline]
pub fn running_after(running: TaskId, raw: &RawArgs) -> TaskId {
    attribute_raw(running, raw).1
}

/// Which raw fields an event code uses; the encoder writes only those.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Uses field `a`.
    pub a: bool,
    /// Uses field `b`.
    pub b: bool,
    /// Uses field `small`.
    pub small: bool,
}

/// The flat form of an event: the same on the hot path and on disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawArgs {
    /// The event code (see [`EventKind::code`]).
    pub code: u8,
    /// First argument (an id or a count).
    pub a: u64,
    /// Second argument.
    pub b: u64,
    /// Small enum-like argument(s).
    pub small: u8,
}

/// The number of distinct event codes; codes are `0..CODE_COUNT`.
pub const CODE_COUNT: u8 = 54;

const fn sh(a: bool, b: bool, small: bool) -> Shape {
    Shape { a, b, small }
}

/// The fields used by each code, indexed by code. `None` for codes that do not exist.
#[inline]
pub fn shape(code: u8) -> Option<Shape> {
    const T: bool = true;
    const F: bool = false;
    Some(match code {
        0 => sh(T, T, F),  // TaskSpawn
        1 => sh(T, T, F),  // TaskStart
        2 => sh(F, F, T),  // TaskExit
        3 => sh(T, F, F),  // JoinBegin
        4 => sh(T, F, T),  // JoinEnd
        5 => sh(T, F, F),  // ParkBegin
        6 => sh(F, F, F),  // ParkEnd
        7 => sh(T, F, F),  // Unpark
        8 => sh(T, F, F),  // SleepBegin
        9 => sh(F, F, F),  // SleepEnd
        10 => sh(F, F, F), // Yield
        11 => sh(T, T, T), // ChanCreate
        12 => sh(T, T, F), // Send
        13 => sh(T, F, F), // SendBegin
        14 => sh(T, T, T), // SendEnd
        15 => sh(T, T, T), // TrySend
        16 => sh(T, T, F), // Recv
        17 => sh(T, F, F), // RecvBegin
        18 => sh(T, T, T), // RecvEnd
        19 => sh(T, T, T), // TryRecv
        20 => sh(T, F, T), // ChanDisconnect
        21 => sh(T, F, T), // SelectBegin
        22 => sh(T, F, T), // SelectArm
        23 => sh(T, T, T), // SelectEnd
        24 => sh(T, F, T), // LockCreate
        25 => sh(T, F, T), // LockAcquire
        26 => sh(T, F, T), // LockWait
        27 => sh(T, F, T), // LockAcquired
        28 => sh(T, F, T), // TryLock
        29 => sh(T, F, T), // LockRelease
        30 => sh(T, T, F), // CondWait
        31 => sh(T, T, T), // CondWake
        32 => sh(T, F, T), // CondNotify
        33 => sh(T, T, F), // SpanEnter
        34 => sh(T, F, F), // SpanExit
        35 => sh(T, F, T), // Mark
        36 => sh(T, F, F), // PollBegin
        37 => sh(T, T, F), // PollEnd
        38 => sh(T, F, F), // TaskTerminate
        39 => sh(T, T, F), // TaskName
        40 => sh(T, F, T), // TaskWake
        41 => sh(T, F, F), // WakerClone
        42 => sh(T, F, F), // WakerDrop
        43 => sh(F, F, F), // RuntimeThreadStart
        44 => sh(F, F, F), // RuntimeThreadStop
        45 => sh(F, F, F), // WorkerPark
        46 => sh(F, F, F), // WorkerUnpark
        47 => sh(T, T, T), // ResourceCreate
        48 => sh(T, T, F), // ResourceWait
        49 => sh(T, F, F), // ResourceReady
        50 => sh(T, F, T), // ResourceAcquire
        51 => sh(T, F, T), // ResourceRelease
        52 => sh(T, F, F), // WaitCancel
        53 => sh(T, T, F), // RecvLagged
        _ => return None,
    })
}

#[inline(always)]
fn raw(code: u8, a: u64, b: u64, small: u8) -> RawArgs {
    RawArgs { code, a, b, small }
}

fn str_id(v: u64) -> Option<StrId> {
    u32::try_from(v).ok()
}

fn lock_mode(v: u8) -> Option<LockMode> {
    match v {
        0 => Some(LockMode::Exclusive),
        1 => Some(LockMode::Shared),
        _ => None,
    }
}

fn select_op(v: u8) -> Option<SelectOp> {
    match v {
        0 => Some(SelectOp::Recv),
        1 => Some(SelectOp::Send),
        _ => None,
    }
}

fn flag(v: u8) -> Option<bool> {
    match v {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

impl EventKind {
    /// The event's code: its index in the wire format.
    pub fn code(&self) -> u8 {
        self.to_raw().code
    }

    /// The flat form written by the hot path and the encoder. Inlined: where the kind is known
    /// (every recording primitive), the match folds away.
    #[inline(always)]
    pub fn to_raw(&self) -> RawArgs {
        use EventKind::*;
        match *self {
            TaskSpawn { child, name } => raw(0, child, name as u64, 0),
            TaskStart { task, name } => raw(1, task, name as u64, 0),
            TaskExit { panicked } => raw(2, 0, 0, panicked as u8),
            JoinBegin { task } => raw(3, task, 0, 0),
            JoinEnd { task, panicked } => raw(4, task, 0, panicked as u8),
            ParkBegin { timeout_ns } => raw(5, timeout_ns, 0, 0),
            ParkEnd => raw(6, 0, 0, 0),
            Unpark { task } => raw(7, task, 0, 0),
            SleepBegin { ns } => raw(8, ns, 0, 0),
            SleepEnd => raw(9, 0, 0, 0),
            Yield => raw(10, 0, 0, 0),
            ChanCreate { chan, flavor, cap } => raw(11, chan, cap, flavor as u8),
            Send { chan, msg } => raw(12, chan, msg, 0),
            SendBegin { chan } => raw(13, chan, 0, 0),
            SendEnd { chan, msg, outcome } => raw(14, chan, msg, outcome as u8),
            TrySend { chan, msg, outcome } => raw(15, chan, msg, outcome as u8),
            Recv { chan, msg } => raw(16, chan, msg, 0),
            RecvBegin { chan } => raw(17, chan, 0, 0),
            RecvEnd { chan, msg, outcome } => raw(18, chan, msg, outcome as u8),
            TryRecv { chan, msg, outcome } => raw(19, chan, msg, outcome as u8),
            ChanDisconnect { chan, side } => raw(20, chan, 0, side as u8),
            SelectBegin { arms, has_timeout } => raw(21, arms as u64, 0, has_timeout as u8),
            SelectArm { chan, op } => raw(22, chan, 0, op as u8),
            SelectEnd {
                chan,
                msg,
                op,
                outcome,
            } => raw(23, chan, msg, ((op as u8) << 4) | outcome as u8),
            LockCreate { lock, kind } => raw(24, lock, 0, kind as u8),
            LockAcquire { lock, mode } => raw(25, lock, 0, mode as u8),
            LockWait { lock, mode } => raw(26, lock, 0, mode as u8),
            LockAcquired {
                lock,
                mode,
                poisoned,
            } => raw(27, lock, 0, mode as u8 | (poisoned as u8) << 1),
            TryLock { lock, mode, ok } => raw(28, lock, 0, mode as u8 | (ok as u8) << 1),
            LockRelease { lock, mode } => raw(29, lock, 0, mode as u8),
            CondWait { cv, lock } => raw(30, cv, lock, 0),
            CondWake {
                cv,
                lock,
                timed_out,
            } => raw(31, cv, lock, timed_out as u8),
            CondNotify { cv, all } => raw(32, cv, 0, all as u8),
            SpanEnter { span, name } => raw(33, span, name as u64, 0),
            SpanExit { span } => raw(34, span, 0, 0),
            Mark { message, level } => raw(35, message as u64, 0, level),
            PollBegin { task } => raw(36, task, 0, 0),
            PollEnd { task, resume } => raw(37, task, resume, 0),
            TaskTerminate { task } => raw(38, task, 0, 0),
            TaskName { task, name } => raw(39, task, name as u64, 0),
            TaskWake { task, consumed } => raw(40, task, 0, consumed as u8),
            WakerClone { task } => raw(41, task, 0, 0),
            WakerDrop { task } => raw(42, task, 0, 0),
            RuntimeThreadStart => raw(43, 0, 0, 0),
            RuntimeThreadStop => raw(44, 0, 0, 0),
            WorkerPark => raw(45, 0, 0, 0),
            WorkerUnpark => raw(46, 0, 0, 0),
            ResourceCreate {
                resource,
                kind,
                loc,
            } => raw(47, resource, loc as u64, kind as u8),
            ResourceWait { resource, op } => raw(48, resource, op as u64, 0),
            ResourceReady { resource } => raw(49, resource, 0, 0),
            ResourceAcquire { resource, mode } => raw(50, resource, 0, mode as u8),
            ResourceRelease { resource, mode } => raw(51, resource, 0, mode as u8),
            WaitCancel { object } => raw(52, object, 0, 0),
            RecvLagged { chan, missed } => raw(53, chan, missed, 0),
        }
    }

    /// The typed form of a flat event; `None` when the code or an argument is out of range
    /// (a corrupt file), never a panic.
    ///
    /// Always inlined: the decoder builds the event in place; returned through memory, its
    /// fields at odd offsets stalled every copy that followed.
    #[inline(always)]
    pub fn from_raw(r: RawArgs) -> Option<Self> {
        use EventKind::*;
        let RawArgs { code, a, b, small } = r;
        let outcome = || Outcome::from_u8(small);
        Some(match code {
            0 => TaskSpawn {
                child: a,
                name: str_id(b)?,
            },
            1 => TaskStart {
                task: a,
                name: str_id(b)?,
            },
            2 => TaskExit {
                panicked: flag(small)?,
            },
            3 => JoinBegin { task: a },
            4 => JoinEnd {
                task: a,
                panicked: flag(small)?,
            },
            5 => ParkBegin { timeout_ns: a },
            6 => ParkEnd,
            7 => Unpark { task: a },
            8 => SleepBegin { ns: a },
            9 => SleepEnd,
            10 => Yield,
            11 => ChanCreate {
                chan: a,
                cap: b,
                flavor: match small {
                    0 => ChanFlavor::Rendezvous,
                    1 => ChanFlavor::Bounded,
                    2 => ChanFlavor::Unbounded,
                    _ => return None,
                },
            },
            12 => Send { chan: a, msg: b },
            13 => SendBegin { chan: a },
            14 => SendEnd {
                chan: a,
                msg: b,
                outcome: outcome()?,
            },
            15 => TrySend {
                chan: a,
                msg: b,
                outcome: outcome()?,
            },
            16 => Recv { chan: a, msg: b },
            17 => RecvBegin { chan: a },
            18 => RecvEnd {
                chan: a,
                msg: b,
                outcome: outcome()?,
            },
            19 => TryRecv {
                chan: a,
                msg: b,
                outcome: outcome()?,
            },
            20 => ChanDisconnect {
                chan: a,
                side: match small {
                    0 => Side::Sender,
                    1 => Side::Receiver,
                    _ => return None,
                },
            },
            21 => SelectBegin {
                arms: u32::try_from(a).ok()?,
                has_timeout: flag(small)?,
            },
            22 => SelectArm {
                chan: a,
                op: select_op(small)?,
            },
            23 => SelectEnd {
                chan: a,
                msg: b,
                op: select_op(small >> 4)?,
                outcome: Outcome::from_u8(small & 0xf)?,
            },
            24 => LockCreate {
                lock: a,
                kind: match small {
                    0 => LockKind::Mutex,
                    1 => LockKind::RwLock,
                    2 => LockKind::Condvar,
                    _ => return None,
                },
            },
            25 => LockAcquire {
                lock: a,
                mode: lock_mode(small)?,
            },
            26 => LockWait {
                lock: a,
                mode: lock_mode(small)?,
            },
            27 => LockAcquired {
                lock: a,
                mode: lock_mode(small & 1)?,
                poisoned: flag(small >> 1)?,
            },
            28 => TryLock {
                lock: a,
                mode: lock_mode(small & 1)?,
                ok: flag(small >> 1)?,
            },
            29 => LockRelease {
                lock: a,
                mode: lock_mode(small)?,
            },
            30 => CondWait { cv: a, lock: b },
            31 => CondWake {
                cv: a,
                lock: b,
                timed_out: flag(small)?,
            },
            32 => CondNotify {
                cv: a,
                all: flag(small)?,
            },
            33 => SpanEnter {
                span: a,
                name: str_id(b)?,
            },
            34 => SpanExit { span: a },
            35 => Mark {
                message: str_id(a)?,
                level: small,
            },
            36 => PollBegin { task: a },
            37 => PollEnd { task: a, resume: b },
            38 => TaskTerminate { task: a },
            39 => TaskName {
                task: a,
                name: str_id(b)?,
            },
            40 => TaskWake {
                task: a,
                consumed: flag(small)?,
            },
            41 => WakerClone { task: a },
            42 => WakerDrop { task: a },
            43 => RuntimeThreadStart,
            44 => RuntimeThreadStop,
            45 => WorkerPark,
            46 => WorkerUnpark,
            47 => ResourceCreate {
                resource: a,
                kind: ResourceKind::from_u8(small)?,
                loc: str_id(b)?,
            },
            48 => ResourceWait {
                resource: a,
                op: str_id(b)?,
            },
            49 => ResourceReady { resource: a },
            50 => ResourceAcquire {
                resource: a,
                mode: lock_mode(small)?,
            },
            51 => ResourceRelease {
                resource: a,
                mode: lock_mode(small)?,
            },
            52 => WaitCancel { object: a },
            53 => RecvLagged { chan: a, missed: b },
            _ => return None,
        })
    }

    /// True for the events that begin a wait that a later event ends (`*Begin`, `LockWait`,
    /// `CondWait`, `ResourceWait`): the events a stuck task is stuck in.
    pub fn begins_wait(&self) -> bool {
        use EventKind::*;
        matches!(
            self,
            JoinBegin { .. }
                | ParkBegin { .. }
                | SleepBegin { .. }
                | SendBegin { .. }
                | RecvBegin { .. }
                | SelectBegin { .. }
                | LockWait { .. }
                | CondWait { .. }
                | ResourceWait { .. }
        )
    }
}

/// One decoded event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Nanoseconds since the trace started; monotonic per worker, comparable across workers.
    pub ts: u64,
    /// The OS thread the event happened on.
    pub worker: WorkerId,
    /// The task the event belongs to (0 only for a corrupt stream that lost its `TaskStart`).
    pub task: TaskId,
    /// The caller's source location, or 0.
    pub site: SiteId,
    /// What happened.
    pub kind: EventKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_shape_and_round_trips_its_zero_form() {
        for code in 0..CODE_COUNT {
            assert!(shape(code).is_some(), "code {code} has no shape");
            let kind = EventKind::from_raw(RawArgs {
                code,
                ..RawArgs::default()
            })
            .unwrap_or_else(|| panic!("code {code} has no zero form"));
            assert_eq!(kind.code(), code);
            assert_eq!(kind.to_raw().code, code);
        }
        assert!(shape(CODE_COUNT).is_none());
        assert!(EventKind::from_raw(RawArgs {
            code: CODE_COUNT,
            ..RawArgs::default()
        })
        .is_none());
    }

    #[test]
    fn the_running_task_follows_from_the_flat_form_as_from_the_event() {
        // Every code, with arguments that tell the fields apart.
        for code in 0..CODE_COUNT {
            for (a, b, small) in [(0, 0, 0), (7, 9, 1), (u64::from(u32::MAX) + 5, 3, 2)] {
                let Some(kind) = EventKind::from_raw(RawArgs { code, a, b, small }) else {
                    continue;
                };
                let raw = kind.to_raw();
                assert_eq!(attribute_raw(42, &raw), attribute(42, &kind), "{kind:?}");
                assert_eq!(running_after(42, &raw), attribute(42, &kind).1, "{kind:?}");
            }
        }
    }

    #[test]
    fn unused_fields_are_zero_in_the_raw_form() {
        for code in 0..CODE_COUNT {
            let s = shape(code).unwrap();
            let r = EventKind::from_raw(RawArgs {
                code,
                ..RawArgs::default()
            })
            .unwrap()
            .to_raw();
            assert!(s.a || r.a == 0);
            assert!(s.b || r.b == 0);
            assert!(s.small || r.small == 0);
        }
    }

    #[test]
    fn packed_small_fields_round_trip() {
        let k = EventKind::SelectEnd {
            chan: 3,
            msg: 9,
            op: SelectOp::Send,
            outcome: Outcome::Timeout,
        };
        assert_eq!(EventKind::from_raw(k.to_raw()), Some(k));
        let k = EventKind::LockAcquired {
            lock: 1,
            mode: LockMode::Shared,
            poisoned: true,
        };
        assert_eq!(EventKind::from_raw(k.to_raw()), Some(k));
        let k = EventKind::TryLock {
            lock: 1,
            mode: LockMode::Exclusive,
            ok: true,
        };
        assert_eq!(EventKind::from_raw(k.to_raw()), Some(k));
    }

    #[test]
    fn tokio_events_round_trip_with_their_small_fields() {
        let kinds = [
            EventKind::PollEnd {
                task: TOKIO_TASK_BASE + 7,
                resume: 3,
            },
            EventKind::TaskWake {
                task: TOKIO_TASK_BASE + 1,
                consumed: true,
            },
            EventKind::ResourceCreate {
                resource: 4,
                kind: ResourceKind::Interval,
                loc: 9,
            },
            EventKind::ResourceAcquire {
                resource: 4,
                mode: LockMode::Shared,
            },
            EventKind::RecvLagged { chan: 2, missed: 5 },
        ];
        for k in kinds {
            assert_eq!(EventKind::from_raw(k.to_raw()), Some(k));
        }
        let bad_kind = RawArgs {
            code: 47,
            small: 8,
            ..RawArgs::default()
        };
        assert_eq!(EventKind::from_raw(bad_kind), None);
    }

    #[test]
    fn a_poll_runs_the_polled_task_from_begin_to_end_then_resumes_the_thread() {
        let thread = 3;
        let task = TOKIO_TASK_BASE + 1;
        let stream = [
            (
                EventKind::TaskStart {
                    task: thread,
                    name: 0,
                },
                thread,
            ),
            (EventKind::WorkerUnpark, thread),
            (EventKind::PollBegin { task }, task),
            (EventKind::Yield, task),
            (EventKind::TaskTerminate { task }, task),
            (
                EventKind::PollEnd {
                    task,
                    resume: thread,
                },
                task,
            ),
            (EventKind::WorkerPark, thread),
        ];
        let mut running = 0;
        for (kind, expected) in stream {
            let (owner, next) = attribute(running, &kind);
            assert_eq!(owner, expected, "{kind:?}");
            running = next;
        }
        assert_eq!(running, thread);
        assert!(is_tokio_task(task) && !is_tokio_task(thread));
    }
}
