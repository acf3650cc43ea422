//! The trace model: a trace decoded once into per-task, per-worker and per-object timelines.
//!
//! [`Model::from_trace`] turns the flat event list of a [`Trace`] into what the GUI and the
//! analysis ask about:
//!
//! - **tasks** ([`Model::tasks`], [`Model::timeline`]): for each task, its spans — running,
//!   runnable, blocked for a [`BlockReason`] on a [`WaitTarget`] at a source site, done — as a
//!   [`Lane`]: start times in one sorted column, so the spans visible in a time window are two
//!   binary searches away ([`Lane::visible`]);
//! - **workers** ([`Model::worker_lane`]): which task ran on each OS thread when;
//! - **objects** ([`Model::objects`], [`Model::object_events`], [`Model::holds`]): every
//!   operation on a channel, lock or condvar with the queue depth or number of waiters after it,
//!   lock holds with their holder, and who used each side of a channel;
//! - **causal links** ([`Model::links`], [`Model::waker`]): send → receive, release → the
//!   acquisition that waited, unpark → park end, notify → condvar wake, spawn → start,
//!   exit → join;
//! - the spawn tree ([`Task::parent`], [`Model::children`]), names, sites, `tracing` regions and
//!   marks, the trace's end, and what the trace lost.
//!
//! Layout: ids are dense typed indices ([`TaskIx`], [`ObjectIx`], …); timelines are columns per
//! owner (start times apart from rows, see [`lane`]), other tables one column per kind sliced by
//! an offsets column, so loading allocates per owner and table, never per event, and the
//! trace's strings are kept once (names are [`StrId`]s). See [`Model::heap_bytes`] for what it
//! costs.
//!
//! Semantics worth knowing: for std threads a task is running whenever it is not blocked in an
//! instrumented call — the recorder cannot see the OS scheduler — so the only runnable span is
//! between a spawn and the child's first event (see [`state`]).
//!
//! Tokio tasks ([`Task::is_async`]) run only while a worker polls them ([`Model::polls`]):
//! running from `PollBegin` to `PollEnd` (blocked inside a poll only in a call that blocks the
//! worker thread too, which keeps the worker), then idle on the wait they registered — or on an
//! unseen `.await` — until a wake makes them runnable (the wake → poll link measures scheduling
//! latency), done at `TaskTerminate`. A runtime worker's own lane is idle while its runtime parks
//! it (a `park` span marked [`Span::idle`]). Tokio's `Mutex` and `RwLock` are locks with holds
//! ([`ObjectKind::Resource`]); a wait cancelled (`WaitCancel`) or lagged (`RecvLagged`) ends.
//! Without tokio's task hooks (no `tokio_unstable`) a wait recorded on a runtime thread is an
//! async wait of whatever future it polled, and ends as soon as the thread records anything else.

mod build;
pub(crate) mod idmap;
pub mod ids;
pub mod lane;
pub mod link;
pub mod object;
pub mod state;
pub mod task;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tokio_tests;

use std::borrow::Cow;
use std::ops::ControlFlow;

use weft_recorder::event::{ObjectId, StrId, TaskId};
use weft_recorder::format::{Header, Loss, Site, StreamedTrace, Trace};

use idmap::IdMap;
pub use ids::{LinkIx, ObjectIx, SelectIx, SiteIx, TaskIx, WorkerIx};
use lane::{Grouped, GroupedLanes};
pub use lane::{Lane, NearTimes, Times, TimesIter};
use link::LinkTable;
pub use link::{Link, LinkKind};
use object::HoldRow;
pub use object::{
    AcquireKind, Hold, HoldIter, Holds, Object, ObjectEvent, ObjectKind, ObjectOp, SelectArm,
    SelectWait,
};
pub use state::{BlockReason, Span, SpanRow, State, WaitTarget};
pub use task::{Mark, Poll, Region, Task, Worker, WorkerSlot};

/// A task's timeline: its spans in time order, covering its life from spawn (or start) to the
/// end of the trace (the last span is `Done` for a task that exited).
pub type TaskLane<'m> = Lane<'m, SpanRow>;
/// A worker's timeline: which task ran on it, or idle.
pub type WorkerLane<'m> = Lane<'m, WorkerSlot>;
/// An object's operations in time order, each an instant; [`ObjectEvent::level`] holds until the
/// next one.
pub type ObjectLane<'m> = Lane<'m, ObjectEvent>;

impl Lane<'_, SpanRow> {
    /// Span `i` with its times resolved.
    pub fn span(&self, i: usize) -> Span {
        self.row(i).span(self.start_of(i), self.end_of(i))
    }

    /// Every span in order (one walk down the start column, not a search per span).
    pub fn spans(&self) -> impl Iterator<Item = Span> + '_ {
        let mut starts = self.starts().iter().peekable();
        self.rows().iter().map(move |row| {
            let start = starts.next().unwrap_or(self.end());
            let end = starts.peek().copied().unwrap_or(self.end()).max(start);
            row.span(start, end)
        })
    }

    /// The last span: the task's state at the end of the trace.
    pub fn last_span(&self) -> Option<Span> {
        self.len().checked_sub(1).map(|i| self.span(i))
    }
}

/// Loading was stopped by the progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("loading was cancelled")]
pub struct Cancelled;

/// A trace, indexed for viewing and analysis. Build it with [`Model::from_trace`]; it keeps
/// no reference to the trace, which can be dropped afterwards.
#[derive(Clone, Debug)]
pub struct Model {
    header: Header,
    loss: Loss,
    strings: Vec<String>,
    sites: Vec<Site>,
    notes: Vec<String>,
    event_count: u64,
    start_ns: u64,
    end_ns: u64,
    tasks: Vec<Task>,
    task_by_id: IdMap<TaskId, TaskIx>,
    root: Option<TaskIx>,
    children: Grouped<TaskIx>,
    spans: GroupedLanes<SpanRow>,
    workers: Vec<Worker>,
    slots: GroupedLanes<WorkerSlot>,
    objects: Vec<Object>,
    object_by_id: IdMap<ObjectId, ObjectIx>,
    object_events: GroupedLanes<ObjectEvent>,
    holds: Grouped<HoldRow>,
    senders: Grouped<TaskIx>,
    receivers: Grouped<TaskIx>,
    selects: Vec<SelectWait>,
    select_arms: Vec<SelectArm>,
    links: LinkTable,
    links_into: Grouped<LinkIx>,
    links_from: Grouped<LinkIx>,
    regions: Grouped<Region>,
    marks: Grouped<Mark>,
    polls: Grouped<Poll>,
    pending_waits: Grouped<SpanRow>,
    records_wakers: bool,
}

impl Model {
    /// Builds the model of `trace`.
    pub fn from_trace(trace: &Trace) -> Model {
        match Self::from_trace_with_progress(trace, |_, _| ControlFlow::Continue(())) {
            Ok(model) => model,
            Err(Cancelled) => unreachable!("the callback never cancels"),
        }
    }

    /// Builds the model, calling `progress(events_done, events_total)` every few ten thousand
    /// events; returning `ControlFlow::Break` from it stops the load.
    pub fn from_trace_with_progress(
        trace: &Trace,
        progress: impl FnMut(u64, u64) -> ControlFlow<()>,
    ) -> Result<Model, Cancelled> {
        build::build(trace, progress)
    }

    /// Builds the model of a trace whose events are still encoded, decoding each as it is
    /// indexed: the way to load a file without ever holding all its decoded events (see
    /// [`weft_recorder::format::open_file_with_progress`]). `progress(events_done,
    /// events_total)` as in [`Model::from_trace_with_progress`].
    pub fn from_stream_with_progress(
        stream: StreamedTrace,
        progress: impl FnMut(u64, u64) -> ControlFlow<()>,
    ) -> Result<Model, Cancelled> {
        build::build_streamed(stream, progress)
    }

    /// [`Model::from_stream_with_progress`] without progress.
    pub fn from_stream(stream: StreamedTrace) -> Model {
        match Self::from_stream_with_progress(stream, |_, _| ControlFlow::Continue(())) {
            Ok(model) => model,
            Err(Cancelled) => unreachable!("the callback never cancels"),
        }
    }

    // ---- the trace as a whole ----

    /// What the recorder knew at start (program, pid, wall-clock start, clock).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// What the trace is missing (dropped events, cut or damaged bytes, no clean end).
    pub fn loss(&self) -> &Loss {
        &self.loss
    }

    /// Problems met while building the model (beyond [`Model::loss`]), one line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Number of events the model was built from.
    pub fn event_count(&self) -> u64 {
        self.event_count
    }

    /// Timestamp of the first event (ns since the recording started).
    pub fn start_ns(&self) -> u64 {
        self.start_ns
    }

    /// Timestamp of the last event: where every lane ends.
    pub fn end_ns(&self) -> u64 {
        self.end_ns
    }

    /// From the first to the last event.
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }

    /// An interned string ("" for 0 or an unknown id).
    pub fn string(&self, id: StrId) -> &str {
        self.strings.get(id as usize).map_or("", String::as_str)
    }

    /// A source site; `None` when unknown.
    pub fn site(&self, site: SiteIx) -> Option<&Site> {
        if !site.is_known() {
            return None;
        }
        self.sites.get(site.0 as usize)
    }

    /// A site as `file:line`, the form used in reports.
    pub fn site_label(&self, site: SiteIx) -> Option<String> {
        self.site(site).map(ToString::to_string)
    }

    // ---- tasks ----

    /// Every task, indexed by [`TaskIx`].
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Every task index.
    pub fn task_ixs(&self) -> impl ExactSizeIterator<Item = TaskIx> {
        (0..self.tasks.len()).map(TaskIx::at)
    }

    /// One task.
    pub fn task(&self, t: TaskIx) -> &Task {
        &self.tasks[t.index()]
    }

    /// The task the recorder calls `id`.
    pub fn task_by_id(&self, id: TaskId) -> Option<TaskIx> {
        self.task_by_id.get(&id).copied()
    }

    /// A task's name, or `task <id>` (`tokio task <id>`) when it has none.
    pub fn task_name(&self, t: TaskIx) -> Cow<'_, str> {
        let task = self.task(t);
        match self.string(task.name) {
            "" => Cow::Owned(weft_recorder::event::task_label(task.id)),
            name => Cow::Borrowed(name),
        }
    }

    /// The first task that was not spawned through Weft: the program's `main` thread (or the
    /// test thread under `testing::record`).
    pub fn root(&self) -> Option<TaskIx> {
        self.root
    }

    /// The tasks `t` spawned, in spawn order.
    pub fn children(&self, t: TaskIx) -> &[TaskIx] {
        self.children.get(t.index())
    }

    /// The task's timeline.
    pub fn timeline(&self, t: TaskIx) -> TaskLane<'_> {
        self.spans.lane(t.index(), self.end_ns)
    }

    /// The `tracing` regions of a task, by start.
    pub fn regions(&self, t: TaskIx) -> &[Region] {
        self.regions.get(t.index())
    }

    /// The `tracing` events of a task, by time.
    pub fn marks(&self, t: TaskIx) -> &[Mark] {
        self.marks.get(t.index())
    }

    /// The polls of an async (tokio) task, by start: when and on which worker it ran. Empty
    /// for threads, and for tokio tasks when the trace has no task hooks (`tokio_unstable`).
    pub fn polls(&self, t: TaskIx) -> &[Poll] {
        self.polls.get(t.index())
    }

    /// For an async task idle at the end of the trace: every wait it had registered and not
    /// ended (its last span shows the latest; a `select!` leaves several). Empty otherwise.
    pub fn pending_waits(&self, t: TaskIx) -> &[SpanRow] {
        self.pending_waits.get(t.index())
    }

    /// True when the trace records tokio's waker events (`tokio_unstable` and the Weft layer),
    /// so [`Task::live_wakers`] is known for every async task.
    pub fn records_wakers(&self) -> bool {
        self.records_wakers
    }

    // ---- workers ----

    /// Every OS thread, indexed by [`WorkerIx`].
    pub fn workers(&self) -> &[Worker] {
        &self.workers
    }

    /// Which task ran on a worker when: a thread while it is not blocked, an async task for
    /// each of its polls (even while it blocks the worker thread inside one); idle while its
    /// thread is blocked or, for a tokio worker, parked with nothing to run.
    pub fn worker_lane(&self, w: WorkerIx) -> WorkerLane<'_> {
        self.slots.lane(w.index(), self.end_ns)
    }

    // ---- objects ----

    /// Every channel, lock and condvar, indexed by [`ObjectIx`].
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// Every object index.
    pub fn object_ixs(&self) -> impl ExactSizeIterator<Item = ObjectIx> {
        (0..self.objects.len()).map(ObjectIx::at)
    }

    /// One object.
    pub fn object(&self, o: ObjectIx) -> &Object {
        &self.objects[o.index()]
    }

    /// The object the recorder calls `id`.
    pub fn object_by_id(&self, id: ObjectId) -> Option<ObjectIx> {
        self.object_by_id.get(&id).copied()
    }

    /// A readable name: `channel 3`, `mutex 7`.
    pub fn object_name(&self, o: ObjectIx) -> String {
        let object = self.object(o);
        format!("{} {}", object.kind.as_str(), object.id)
    }

    /// Every operation on an object, in time order, with the level (queue depth or waiters)
    /// after each.
    pub fn object_events(&self, o: ObjectIx) -> ObjectLane<'_> {
        self.object_events.lane(o.index(), self.end_ns)
    }

    /// The holds of a lock, by start. Exclusive holds never overlap; shared ones may.
    pub fn holds(&self, o: ObjectIx) -> Holds<'_> {
        Holds::new(
            self.holds.get(o.index()),
            self.object_events(o),
            self.end_ns,
        )
    }

    /// The tasks that sent, or tried or waited to send, on a channel (ascending).
    pub fn senders(&self, o: ObjectIx) -> &[TaskIx] {
        self.senders.get(o.index())
    }

    /// The tasks that received, or tried or waited to receive, on a channel (ascending).
    pub fn receivers(&self, o: ObjectIx) -> &[TaskIx] {
        self.receivers.get(o.index())
    }

    /// A `select!` wait and its arms.
    pub fn select(&self, s: SelectIx) -> (&SelectWait, &[SelectArm]) {
        let wait = &self.selects[s.index()];
        let first = wait.first_arm as usize;
        let arms = self
            .select_arms
            .get(first..first + wait.arms as usize)
            .unwrap_or(&[]);
        (wait, arms)
    }

    // ---- causal links ----

    /// Every link, sorted by effect time (`to_ts`); link `i` is `LinkIx(i)`.
    pub fn links(&self) -> impl ExactSizeIterator<Item = Link> + '_ {
        self.links.iter()
    }

    /// How many links there are.
    pub fn link_count(&self) -> usize {
        self.links.len()
    }

    /// Every link's effect time, ascending (time `i` is link `i`'s `to_ts`): for finding the
    /// links of a time window by binary search.
    pub fn link_effect_times(&self) -> Times<'_> {
        self.links.effect_times()
    }

    /// One link (they are stored as columns, so this assembles it).
    pub fn link(&self, l: LinkIx) -> Link {
        self.links.at(l)
    }

    /// The links whose effect is on task `t`, by `to_ts`.
    pub fn links_into(&self, t: TaskIx) -> &[LinkIx] {
        self.links_into.get(t.index())
    }

    /// The links whose cause is on task `t`, by `from_ts`.
    pub fn links_from(&self, t: TaskIx) -> &[LinkIx] {
        self.links_from.get(t.index())
    }

    /// What ended span `i` of task `t`: the link whose effect is the start of span `i + 1`
    /// (who sent the message, released the lock, unparked or notified the task). For an async
    /// task woken into `Runnable`, the wake that ended its wait is linked to the poll after it
    /// (wake → poll), so that is the link returned.
    pub fn waker(&self, t: TaskIx, i: usize) -> Option<LinkIx> {
        let lane = self.timeline(t);
        if i + 1 >= lane.len() {
            return None;
        }
        let woken_into_runnable = self.task(t).is_async
            && lane.row(i).state().blocked().is_some()
            && lane.row(i + 1).state() == State::Runnable
            && i + 2 < lane.len();
        let next = if woken_into_runnable { i + 2 } else { i + 1 };
        let woke_at = lane.start_of(next);
        let into = self.links_into(t);
        let first = into.partition_point(|&l| self.link(l).to_ts < woke_at);
        into[first..]
            .iter()
            .take_while(|&&l| self.link(l).to_ts == woke_at)
            .find(|&&l| self.link(l).kind != LinkKind::Spawn)
            .copied()
    }

    /// How many tasks were in each state, on average over each of `buckets` equal slices of
    /// `[from, to)` (time-weighted, so a task blocked for half a bucket counts 0.5): the data of
    /// a "live tasks by state" plot or an activity strip. Index the arrays with
    /// [`State::index`]. Costs one binary search per task plus the spans in the window.
    pub fn state_counts(&self, from: u64, to: u64, buckets: usize) -> Vec<[f32; State::COUNT]> {
        if buckets == 0 || from >= to {
            return vec![[0.0; State::COUNT]; buckets];
        }
        let width = (to - from) as f64 / buckets as f64;
        // Time in each bucket per state: partial buckets added directly, runs of fully covered
        // buckets through a difference array, so a long span costs O(1).
        let mut time = vec![[0f64; State::COUNT]; buckets];
        let mut full = vec![[0i64; State::COUNT]; buckets + 1];
        let bucket_of = |ts: u64| (((ts - from) as f64 / width) as usize).min(buckets - 1);
        for t in self.task_ixs() {
            let lane = self.timeline(t);
            for i in lane.visible(from, to) {
                let state = lane.row(i).state().index();
                let (s, e) = (lane.start_of(i).max(from), lane.end_of(i).min(to));
                if s >= e {
                    continue;
                }
                let (bs, be) = (bucket_of(s), bucket_of(e - 1));
                if bs == be {
                    time[bs][state] += (e - s) as f64;
                    continue;
                }
                let edge = |b: usize| from as f64 + b as f64 * width;
                time[bs][state] += edge(bs + 1) - s as f64;
                time[be][state] += e as f64 - edge(be);
                if be > bs + 1 {
                    full[bs + 1][state] += 1;
                    full[be][state] -= 1;
                }
            }
        }
        let mut running = [0i64; State::COUNT];
        time.iter()
            .zip(&full)
            .map(|(partial, delta)| {
                let mut out = [0f32; State::COUNT];
                for k in 0..State::COUNT {
                    running[k] += delta[k];
                    out[k] = ((partial[k] / width) + running[k] as f64) as f32;
                }
                out
            })
            .collect()
    }

    /// Approximate heap bytes held by the model (for the issue-8 memory budget).
    pub fn heap_bytes(&self) -> usize {
        self.heap_breakdown().iter().map(|(_, bytes)| bytes).sum()
    }

    /// [`Model::heap_bytes`] table by table, largest first: where a memory budget goes.
    pub fn heap_breakdown(&self) -> Vec<(&'static str, usize)> {
        use std::mem::size_of;
        let mut tables = vec![
            ("task spans", self.spans.heap_bytes()),
            ("worker slots", self.slots.heap_bytes()),
            ("object operations", self.object_events.heap_bytes()),
            ("tasks", self.tasks.capacity() * (size_of::<Task>() + 24)),
            (
                "objects",
                self.objects.capacity() * (size_of::<Object>() + 24),
            ),
            ("lock holds", self.holds.heap_bytes()),
            (
                "causal links",
                self.links.heap_bytes()
                    + self.links_into.heap_bytes()
                    + self.links_from.heap_bytes(),
            ),
            ("polls", self.polls.heap_bytes()),
            ("pending waits", self.pending_waits.heap_bytes()),
            (
                "channel users",
                self.senders.heap_bytes() + self.receivers.heap_bytes(),
            ),
            (
                "spawn tree, regions, marks",
                self.children.heap_bytes() + self.regions.heap_bytes() + self.marks.heap_bytes(),
            ),
            (
                "selects",
                self.select_arms.capacity() * size_of::<SelectArm>()
                    + self.selects.capacity() * size_of::<SelectWait>(),
            ),
            (
                "strings and sites",
                self.strings
                    .iter()
                    .map(|s| s.capacity() + 24)
                    .sum::<usize>()
                    + self
                        .sites
                        .iter()
                        .map(|s| s.file.capacity() + 32)
                        .sum::<usize>(),
            ),
        ];
        tables.sort_by_key(|&(_, bytes)| std::cmp::Reverse(bytes));
        tables
    }
}
