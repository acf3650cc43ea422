//! Tasks and workers: who ran, where they came from, and their annotations.

use serde::Serialize;
use weft_recorder::event::{is_tokio_task, Level, StrId, TaskId};

use super::ids::{SiteIx, TaskIx, WorkerIx};

/// A task (a thread for std programs): identity, origin and lifetime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Task {
    /// The recorder's id (what the trace and `stats --json` call it).
    pub id: TaskId,
    /// The thread's name (0 = unnamed); resolve with [`Model::string`](super::Model::string).
    pub name: StrId,
    /// The task that spawned it; `None` for adopted threads (main, threads Weft did not spawn).
    pub parent: Option<TaskIx>,
    /// Where it was spawned (unknown for adopted threads).
    pub spawn_site: SiteIx,
    /// When the parent spawned it.
    pub spawned_at: Option<u64>,
    /// Its first event on a worker.
    pub started_at: Option<u64>,
    /// When its body returned or panicked.
    pub exited_at: Option<u64>,
    /// Its body panicked.
    pub panicked: bool,
    /// The worker it started on.
    pub worker: Option<WorkerIx>,
    /// An async (tokio) task, which runs only while polled.
    pub is_async: bool,
    /// A tokio runtime's own thread (worker or blocking pool): its timeline is the runtime's
    /// loop, not user code, and it is never a leak.
    pub runtime_thread: bool,
    /// For async tasks: wakers alive at the end (clones − drops − consuming wakes) when the
    /// trace records tokio's waker events (see [`Model::records_wakers`](super::Model::records_wakers);
    /// a task none was recorded for has 0); `None` otherwise. An idle task with none left can
    /// never be woken again.
    pub live_wakers: Option<i64>,
}

impl Task {
    pub(crate) fn new(id: TaskId) -> Self {
        Task {
            id,
            name: 0,
            parent: None,
            spawn_site: SiteIx::UNKNOWN,
            spawned_at: None,
            started_at: None,
            exited_at: None,
            panicked: false,
            worker: None,
            is_async: is_tokio_task(id),
            runtime_thread: false,
            live_wakers: None,
        }
    }

    /// True when the task began (spawned or started) at or before `ts` and had not exited.
    pub fn alive_at(&self, ts: u64) -> bool {
        let Some(begin) = self.spawned_at.or(self.started_at) else {
            return false;
        };
        begin <= ts && self.exited_at.is_none_or(|e| e > ts)
    }
}

/// An OS thread that recorded events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Worker {
    /// The kernel's thread id (0 where unknown).
    pub os_tid: u64,
    /// The thread's name when it first recorded.
    pub name: String,
}

/// What a worker does over a span of time: which task runs on it, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WorkerSlot(pub(crate) u32);

impl WorkerSlot {
    pub(crate) const IDLE: WorkerSlot = WorkerSlot(u32::MAX);

    /// The task running, or `None` while the worker is idle (its task blocked or gone).
    pub fn task(self) -> Option<TaskIx> {
        (self.0 != u32::MAX).then_some(TaskIx(self.0))
    }
}

/// One poll of an async (tokio) task: a runtime worker ran it from `start` to `end` without
/// interruption (a task runs only while polled; a long poll keeps the worker from every other
/// task).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Poll {
    /// `PollBegin`.
    pub start: u64,
    /// `PollEnd`, or the end of the trace for a poll still running then.
    pub end: u64,
    /// The worker that polled it.
    pub worker: WorkerIx,
    /// False when the trace ended during the poll.
    pub finished: bool,
}

impl Poll {
    /// `end - start`.
    pub fn duration(&self) -> u64 {
        self.end - self.start
    }

    /// True when `ts` falls inside the poll (`start <= ts < end`).
    pub fn contains(&self, ts: u64) -> bool {
        self.start <= ts && ts < self.end
    }
}

/// A `tracing` span on a task: a named region of its timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    /// Entered at.
    pub start: u64,
    /// Exited at (the trace's end if never exited).
    pub end: u64,
    /// The span's name.
    pub name: StrId,
    /// Nesting depth on its task, 0 for the outermost.
    pub depth: u16,
}

/// A `tracing` event on a task: an instant with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// When.
    pub ts: u64,
    /// The message.
    pub message: StrId,
    /// 0 = TRACE … 4 = ERROR.
    pub level: Level,
    /// Where it was emitted.
    pub site: SiteIx,
}
