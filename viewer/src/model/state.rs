//! What a task is doing at a moment: its state, and what it waits on.
//!
//! States follow go tool trace's goroutine states. For std threads the recorder sees when a
//! thread begins and ends a wait, not when the OS scheduler runs it, so a thread is `Running`
//! whenever it is not blocked (it may really be preempted). The one `Runnable` span the model can
//! observe is a thread's creation: from the parent's `spawn` until the child's first event.
//!
//! Async (tokio) tasks are different: they run only while a worker polls them. Between polls a
//! task is blocked on the wait it registered during the poll (a channel receive, a tokio
//! resource) or, if none was recorded, on an unseen `.await` ([`BlockReason::Await`]); from a
//! wake until the next poll it is `Runnable` — its scheduling latency. Inside a poll it is
//! blocked only by a call that blocks the worker thread as well (a `thread::sleep`, a std lock, a
//! blocking channel); a channel wait begun in a poll shows at once, since it may be one.
//!
//! A tokio runtime parking an idle worker is a `park` span flagged [`SpanRow::is_idle`]: the
//! worker has nothing to run, which is neither a wait of the program's nor ever stuck.

use serde::{Serialize, Serializer};

use super::ids::{ObjectIx, SelectIx, SiteIx, TaskIx};

/// Why a task is blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlockReason {
    /// A channel send waiting for room or for a receiver.
    Send,
    /// A channel receive waiting for a message.
    Recv,
    /// A `select!` waiting over several channel operations.
    Select,
    /// `Mutex::lock` or `RwLock::write`: waiting for exclusive access.
    Lock,
    /// `RwLock::read`: waiting for shared access.
    LockRead,
    /// `JoinHandle::join` waiting for a task to finish.
    Join,
    /// `thread::park`.
    Park,
    /// `thread::sleep`.
    Sleep,
    /// `Condvar::wait*` (including re-taking the lock afterwards).
    Condvar,
    /// An async task waiting on a tokio resource (semaphore, barrier, other).
    Resource,
    /// An async task suspended at an `.await` the recorder cannot see into (between polls
    /// with no recorded wait).
    Await,
}

impl BlockReason {
    /// Every reason, in display order.
    pub const ALL: [BlockReason; 11] = [
        BlockReason::Send,
        BlockReason::Recv,
        BlockReason::Select,
        BlockReason::Lock,
        BlockReason::LockRead,
        BlockReason::Join,
        BlockReason::Park,
        BlockReason::Sleep,
        BlockReason::Condvar,
        BlockReason::Resource,
        BlockReason::Await,
    ];

    /// The stable name used in JSON and in the viewer: `send`, `recv`, `select`, `lock`,
    /// `lock_read`, `join`, `park`, `sleep`, `condvar`, `resource`, `await`.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockReason::Send => "send",
            BlockReason::Recv => "recv",
            BlockReason::Select => "select",
            BlockReason::Lock => "lock",
            BlockReason::LockRead => "lock_read",
            BlockReason::Join => "join",
            BlockReason::Park => "park",
            BlockReason::Sleep => "sleep",
            BlockReason::Condvar => "condvar",
            BlockReason::Resource => "resource",
            BlockReason::Await => "await",
        }
    }

    /// Position in [`BlockReason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// True for waits on a lock (the ones that form lock-order edges).
    pub fn is_lock(self) -> bool {
        matches!(self, BlockReason::Lock | BlockReason::LockRead)
    }
}

impl Serialize for BlockReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A task's state over a span of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Ready to run but not running: a std thread spawned and not yet started, an async task
    /// woken and waiting for a worker, or a tokio worker thread's own task while the worker
    /// polls a task.
    Runnable,
    /// Running (for std threads: not blocked in an instrumented wait).
    Running,
    /// Waiting in an instrumented blocking call.
    Blocked(BlockReason),
    /// Finished; nothing more comes from the task.
    Done,
}

impl State {
    /// Number of distinct states: see [`State::index`].
    pub const COUNT: usize = 3 + BlockReason::ALL.len();

    /// A dense number for per-state tables: runnable 0, running 1, blocked 2.., done last.
    pub fn index(self) -> usize {
        match self {
            State::Runnable => 0,
            State::Running => 1,
            State::Blocked(r) => 2 + r.index(),
            State::Done => State::COUNT - 1,
        }
    }

    /// The state with [`State::index`] `i`.
    pub fn from_index(i: usize) -> Option<State> {
        match i {
            0 => Some(State::Runnable),
            1 => Some(State::Running),
            i if i == State::COUNT - 1 => Some(State::Done),
            i => BlockReason::ALL.get(i - 2).map(|&r| State::Blocked(r)),
        }
    }

    /// The stable name: `runnable`, `running`, `done`, or the [`BlockReason`]'s name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Runnable => "runnable",
            State::Running => "running",
            State::Blocked(r) => r.as_str(),
            State::Done => "done",
        }
    }

    /// The reason when blocked.
    pub fn blocked(self) -> Option<BlockReason> {
        match self {
            State::Blocked(r) => Some(r),
            _ => None,
        }
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What a blocked span waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitTarget {
    /// Nothing in particular (running, sleeping, parked).
    Nothing,
    /// A channel, lock or condition variable.
    Object(ObjectIx),
    /// A task being joined.
    Task(TaskIx),
    /// The operations of a `select!`: see [`Model::select`](super::Model::select).
    Select(SelectIx),
}

const NO_TARGET: u32 = u32::MAX;
const FLAG_DEADLINE: u8 = 1;
const FLAG_IDLE: u8 = 2;
/// The flags byte's other 6 bits are the site's bits above its low 16.
const SITE_HIGH_SHIFT: u8 = 2;

/// One stored span of a task's timeline (8 bytes; spans are a fifth of a model); its start is
/// in the lane's start column. Read it through [`SpanRow::state`], [`SpanRow::target`] and
/// friends, or as a whole [`Span`] through [`TaskLane::span`](super::TaskLane).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanRow {
    state: State,
    /// `FLAG_*`, and the site's high bits.
    flags: u8,
    site_low: u16,
    target: u32,
}

impl SpanRow {
    pub(crate) fn new(state: State, target: WaitTarget, site: SiteIx, has_deadline: bool) -> Self {
        let target = match target {
            WaitTarget::Nothing => NO_TARGET,
            WaitTarget::Object(o) => o.0,
            WaitTarget::Task(t) => t.0,
            WaitTarget::Select(s) => s.0,
        };
        SpanRow::packed(
            state,
            if has_deadline { FLAG_DEADLINE } else { 0 },
            target,
            site,
        )
    }

    fn packed(state: State, flags: u8, target: u32, site: SiteIx) -> Self {
        // Sites beyond `SiteIx::MAX` are turned away before they reach a row.
        let site = site.stored().0;
        SpanRow {
            state,
            flags: flags | ((site >> 16) as u8) << SITE_HIGH_SHIFT,
            site_low: site as u16,
            target,
        }
    }

    /// A runtime worker with nothing to run, parked by its runtime (tokio's `WorkerPark`): a
    /// `park` span that is idle time rather than a wait of user code. It ends on its own.
    pub(crate) fn idle(site: SiteIx) -> Self {
        SpanRow::packed(
            State::Blocked(BlockReason::Park),
            FLAG_DEADLINE | FLAG_IDLE,
            NO_TARGET,
            site,
        )
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// What the span waits on; the kind follows from the state (join: a task; select: a select
    /// wait; channel and lock waits: an object).
    pub fn target(&self) -> WaitTarget {
        if self.target == NO_TARGET {
            return WaitTarget::Nothing;
        }
        match self.state {
            State::Blocked(BlockReason::Join) => WaitTarget::Task(TaskIx(self.target)),
            State::Blocked(BlockReason::Select) => WaitTarget::Select(SelectIx(self.target)),
            _ => WaitTarget::Object(ObjectIx(self.target)),
        }
    }

    /// The object waited on, for channel, lock and condvar waits.
    pub fn object(&self) -> Option<ObjectIx> {
        match self.target() {
            WaitTarget::Object(o) => Some(o),
            _ => None,
        }
    }

    /// This row as a whole [`Span`] from `start` to `end`.
    pub(crate) fn span(&self, start: u64, end: u64) -> Span {
        Span {
            start,
            end,
            state: self.state(),
            target: self.target(),
            site: self.site(),
            has_deadline: self.has_deadline(),
            idle: self.is_idle(),
        }
    }

    /// The source site of the call that began the span (0 for running spans).
    pub fn site(&self) -> SiteIx {
        SiteIx(u32::from(self.flags >> SITE_HIGH_SHIFT) << 16 | u32::from(self.site_low))
    }

    /// True when the wait had a deadline (sleep, `park_timeout`, a `select!` with a timeout
    /// arm): it would have ended on its own.
    pub fn has_deadline(&self) -> bool {
        self.flags & FLAG_DEADLINE != 0
    }

    /// True for a tokio runtime worker parked with nothing to run (see [`Span::idle`]).
    pub fn is_idle(&self) -> bool {
        self.flags & FLAG_IDLE != 0
    }
}

/// A span of a task's timeline with its times resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Start, ns since the trace began.
    pub start: u64,
    /// End (exclusive), ns since the trace began; the trace's end for the last span.
    pub end: u64,
    /// The state.
    pub state: State,
    /// What it waits on.
    pub target: WaitTarget,
    /// Where the wait was called.
    pub site: SiteIx,
    /// The wait would have ended on its own (see [`SpanRow::has_deadline`]).
    pub has_deadline: bool,
    /// A `park` span that is a tokio runtime worker's idle time (its runtime parked it with
    /// nothing to run), not a wait of the program's: profiles and lints leave it out.
    pub idle: bool,
}

impl Span {
    /// `end - start`.
    pub fn duration(&self) -> u64 {
        self.end - self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_indices_round_trip_and_rows_stay_small() {
        for i in 0..State::COUNT {
            let s = State::from_index(i).expect("every index names a state");
            assert_eq!(s.index(), i);
        }
        assert_eq!(State::from_index(State::COUNT), None);
        assert_eq!(std::mem::size_of::<State>(), 1);
        assert_eq!(std::mem::size_of::<SpanRow>(), 8);
    }

    #[test]
    fn sites_and_flags_share_a_byte_without_mixing() {
        for site in [0, 1, 0xffff, 0x1_0000, 0x2a_5a5a, SiteIx::MAX.0] {
            for (deadline, idle) in [(false, false), (true, false), (true, true)] {
                let row = if idle {
                    SpanRow::idle(SiteIx(site))
                } else {
                    let reason = State::Blocked(BlockReason::Sleep);
                    SpanRow::new(reason, WaitTarget::Nothing, SiteIx(site), deadline)
                };
                assert_eq!(row.site(), SiteIx(site));
                assert_eq!(row.has_deadline(), deadline);
                assert_eq!(row.is_idle(), idle);
            }
        }
        let beyond = SpanRow::new(State::Running, WaitTarget::Nothing, SiteIx(1 << 22), false);
        assert_eq!(beyond.site(), SiteIx::UNKNOWN);
    }

    #[test]
    fn targets_decode_by_state() {
        let row = SpanRow::new(
            State::Blocked(BlockReason::Join),
            WaitTarget::Task(TaskIx(4)),
            SiteIx(2),
            false,
        );
        assert_eq!(row.target(), WaitTarget::Task(TaskIx(4)));
        let row = SpanRow::new(State::Running, WaitTarget::Nothing, SiteIx(0), false);
        assert_eq!(row.target(), WaitTarget::Nothing);
        assert!(!row.has_deadline());
    }
}
