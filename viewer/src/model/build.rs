//! The one pass over a trace's events that builds the [`Model`].
//!
//! Events arrive sorted by time. Each task and object has a small cursor (its current state,
//! open lock holds, message counts); every state change appends one row to a grouped column
//! builder, and causes are matched to their effects as they appear (a message id seen on a send
//! waits in a map until its receive shows up, or the other way round — timestamps from two
//! threads can be ordered either way). Nothing is allocated per event except the amortised
//! growth of those columns.

use std::ops::ControlFlow;

use weft_recorder::event::{
    ChanFlavor, Event, EventKind, LockKind, LockMode, MsgId, ObjectId, Outcome, ResourceKind,
    SelectOp, Side, StrId, TaskId,
};
use weft_recorder::format::{Header, Loss, Site, StreamedTrace, TimeOrderedEvents, Trace};

use super::idmap::IdMap;
use super::ids::{LinkIx, ObjectIx, SelectIx, SiteIx, TaskIx, WorkerIx};
use super::lane::{GroupBuilder, Grouped, GroupedLanes, LaneBuilder};
use super::link::{Link, LinkKind, LinkTable};
use super::object::{
    AcquireKind, ChannelSide, HoldRow, Object, ObjectEvent, ObjectKind, ObjectOp, SelectArm,
    SelectWait, SideTable,
};
use super::state::{BlockReason, SpanRow, State, WaitTarget};
use super::task::{Mark, Poll, Region, Task, Worker, WorkerSlot};
use super::{Cancelled, Model};

/// The model indexes rows with `u32`; a trace is read up to this many events (about 2 billion,
/// far beyond what fits in memory as decoded events).
const MAX_EVENTS: usize = (1 << 31) - 1;
/// Slots of the builder's cache of object ids (ids are counters, so recent ones rarely clash).
const OBJECT_CACHE: usize = 1024;
/// How many events pass between progress reports.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Builds the model of a decoded trace, reporting `(events_done, events_total)` to `progress`
/// now and then.
pub(crate) fn build(
    trace: &Trace,
    progress: impl FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<Model, Cancelled> {
    let total = trace.events.len() as u64;
    let mut model = build_from(trace, total, progress, trace.events.as_slice())?;
    model.header = trace.header.clone();
    model.loss = trace.loss.clone();
    model.strings = trace.strings.clone();
    Ok(model)
}

/// Builds the model from a trace whose events are decoded as they are taken, so they never
/// all exist at once (see [`StreamedTrace`]); they are decoded on another core meanwhile.
pub(crate) fn build_streamed(
    stream: StreamedTrace,
    progress: impl FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<Model, Cancelled> {
    let total = stream.event_count();
    let (tables, events) = stream.into_parts();
    // Damage inside chunks is found as their events are decoded: the loss is complete after.
    let mut loss = None;
    let source = Streamed {
        events,
        loss: &mut loss,
    };
    let mut model = build_from(&tables, total, progress, source)?;
    let Trace {
        header,
        loss: frames_loss,
        strings,
        ..
    } = tables;
    model.header = header;
    model.loss = loss.unwrap_or(frames_loss);
    model.strings = strings;
    Ok(model)
}

/// Where the one pass takes its events from, in time order. A trait, not a closure handed a
/// `dyn` visitor, so that each event's step is compiled into the loop that hands it out.
trait EventSource {
    fn try_for_each(self, visit: impl FnMut(Event) -> ControlFlow<()>) -> ControlFlow<()>;
}

/// A decoded trace's events.
impl EventSource for &[Event] {
    fn try_for_each(self, mut visit: impl FnMut(Event) -> ControlFlow<()>) -> ControlFlow<()> {
        self.iter().try_for_each(|&event| visit(event))
    }
}

/// Events decoded on another core as they are taken, and where to put the loss found meanwhile.
struct Streamed<'a> {
    events: TimeOrderedEvents,
    loss: &'a mut Option<Loss>,
}

impl EventSource for Streamed<'_> {
    fn try_for_each(self, visit: impl FnMut(Event) -> ControlFlow<()>) -> ControlFlow<()> {
        let (flow, complete) = self.events.for_each_decoded_ahead(visit);
        *self.loss = Some(complete);
        flow
    }
}

/// The one pass: the events of `source` (`total` of them) through a [`Builder`] over the
/// tables of `trace`. The model's header, loss and strings are left for the caller to move in.
fn build_from(
    trace: &Trace,
    total: u64,
    mut progress: impl FnMut(u64, u64) -> ControlFlow<()>,
    source: impl EventSource,
) -> Result<Model, Cancelled> {
    let kept = total.min(MAX_EVENTS as u64);
    let mut b = Builder::new(trace);
    b.reserve_for(kept);
    let mut done = 0u64;
    let mut cancelled = false;
    let _ = source.try_for_each(|event| {
        if done == kept {
            return ControlFlow::Break(());
        }
        if done % PROGRESS_EVERY == 0 && progress(done, kept).is_break() {
            cancelled = true;
            return ControlFlow::Break(());
        }
        b.event(&event);
        done += 1;
        ControlFlow::Continue(())
    });
    if cancelled || progress(done, kept).is_break() {
        return Err(Cancelled);
    }
    let mut notes = Vec::new();
    if kept < total {
        notes.push(format!(
            "only the first {kept} of {total} events were loaded"
        ));
    }
    if b.skipped > 0 {
        notes.push(format!(
            "{} events belonged to no task (their task's start was lost) and were skipped",
            b.skipped
        ));
    }
    if b.sites_beyond_max > 0 {
        notes.push(format!(
            "{} events named a source site beyond {} and show it as unknown",
            b.sites_beyond_max,
            SiteIx::MAX.0
        ));
    }
    Ok(b.finish(done, notes))
}

/// Per-task state while building.
#[derive(Default)]
struct TaskCursor {
    /// The span in force, `None` before the task's first span.
    current: Option<SpanRow>,
    /// When the current span began.
    since: u64,
    /// An `unpark` not yet consumed by a `park` ending.
    pending_unpark: Option<(u64, TaskIx)>,
    /// The `select!` whose arms are still arriving, and how many.
    open_select: Option<(SelectIx, u32)>,
    /// `tracing` spans entered and not yet exited: (span id, entered at, name).
    open_regions: Vec<(u64, u64, StrId)>,
    /// Async tasks: the poll in progress (its worker and start).
    polling: Option<(WorkerIx, u64)>,
    /// Async tasks: the waits begun and not yet ended, oldest first. Inside a poll a wait is a
    /// block of the worker thread (a `thread::sleep`, a std lock) or an async wait being
    /// registered; one still open when the poll returns is what the task awaits (several after
    /// a `select!` that polled several branches).
    open_waits: Vec<SpanRow>,
    /// Async tasks: woken during the poll in progress, so runnable again when it returns.
    woken_in_poll: bool,
    /// Async tasks: the first wake since the last poll began (time, waker).
    pending_wake: Option<(u64, TaskIx)>,
    /// Async tasks: the resource whose wait just completed, so that taking it next counts as
    /// an acquisition that waited.
    ready: Option<ObjectIx>,
    /// Async tasks: waker clones − drops − consuming wakes, once any was seen.
    live_wakers: Option<i64>,
    /// Threads: a tokio runtime's thread, or one its runtime parks (a current-thread runtime's
    /// `block_on` thread). Its channel and resource waits may be async waits of the futures it
    /// polls, which do not block it.
    runtime_worker: bool,
}

/// Per-object state while building.
#[derive(Default)]
struct ObjectCursor {
    sent: u64,
    received: u64,
    waiters: u32,
    holders: Vec<OpenHold>,
    last_release: Option<(u64, TaskIx)>,
    last_notify: Option<(u64, TaskIx)>,
    /// Tokio locks: acquisitions after a wait recorded before the release that let them in
    /// (tokio wakes the next waiter before it reports the unlock), linked at that release.
    acquired_before_release: Vec<(u64, TaskIx)>,
}

#[derive(Clone, Copy)]
struct OpenHold {
    task: TaskIx,
    mode: LockMode,
    how: AcquireKind,
    /// The operation that took the lock, in its lane.
    acquire: u32,
}

struct Builder<'t> {
    trace: &'t Trace,
    /// The trace's sites, plus those parsed from tokio's `file:line:col` location strings.
    sites: Vec<Site>,
    site_of_loc: IdMap<StrId, SiteIx>,
    tasks: Vec<Task>,
    cursors: Vec<TaskCursor>,
    task_by_id: IdMap<TaskId, TaskIx>,
    /// The task of each worker's latest event, to skip the map lookup for runs of events.
    worker_cache: Vec<(TaskId, TaskIx)>,
    objects: Vec<Object>,
    object_cursors: Vec<ObjectCursor>,
    object_by_id: IdMap<ObjectId, ObjectIx>,
    /// Recently used objects by `id % OBJECT_CACHE`; `ObjectIx(u32::MAX)` marks an empty slot.
    object_cache: Vec<(ObjectId, ObjectIx)>,
    workers: Vec<Worker>,
    worker_slot: Vec<WorkerSlot>,
    spans: LaneBuilder<SpanRow>,
    slots: LaneBuilder<WorkerSlot>,
    polls: GroupBuilder<Poll>,
    /// The trace records tokio's waker events, so a task with none has no live waker.
    saw_wakers: bool,
    object_events: LaneBuilder<ObjectEvent>,
    holds: GroupBuilder<HoldRow>,
    children: GroupBuilder<TaskIx>,
    regions: GroupBuilder<Region>,
    marks: GroupBuilder<Mark>,
    selects: Vec<SelectWait>,
    select_arms: Vec<SelectArm>,
    /// Causal links in [`Link::order`], as most arrive.
    links: LinkTable,
    /// Links that arrived out of that order (a receive recorded before its send, say): few,
    /// sorted and merged into `links` at the finish, which spares sorting them all.
    late_links: Vec<Link>,
    /// Sends whose receive has not been seen yet, by (channel, message id).
    pending_sends: IdMap<(u32, MsgId), (u64, TaskIx)>,
    /// Receives whose send has not been seen yet (the receiver's clock said earlier).
    pending_recvs: IdMap<(u32, MsgId), (u64, TaskIx)>,
    skipped: u64,
    /// Events naming a site beyond what the model stores (see [`SiteIx::MAX`]).
    sites_beyond_max: u64,
    last_ts: u64,
    /// The first event the model kept (events of no task are skipped).
    first_ts: Option<u64>,
}

impl<'t> Builder<'t> {
    fn new(trace: &'t Trace) -> Self {
        let workers: Vec<Worker> = trace
            .workers
            .iter()
            .map(|w| Worker {
                os_tid: w.os_tid,
                name: w.name.clone(),
            })
            .collect();
        Builder {
            trace,
            sites: trace.sites.clone(),
            site_of_loc: IdMap::default(),
            tasks: Vec::new(),
            cursors: Vec::new(),
            task_by_id: IdMap::default(),
            worker_cache: vec![(0, TaskIx(0)); workers.len()],
            objects: Vec::new(),
            object_cursors: Vec::new(),
            object_by_id: IdMap::default(),
            object_cache: vec![(0, ObjectIx(u32::MAX)); OBJECT_CACHE],
            worker_slot: vec![WorkerSlot::IDLE; workers.len()],
            workers,
            spans: LaneBuilder::default(),
            slots: LaneBuilder::default(),
            polls: GroupBuilder::default(),
            saw_wakers: false,
            object_events: LaneBuilder::default(),
            holds: GroupBuilder::default(),
            children: GroupBuilder::default(),
            regions: GroupBuilder::default(),
            marks: GroupBuilder::default(),
            selects: Vec::new(),
            select_arms: Vec::new(),
            links: LinkTable::default(),
            late_links: Vec::new(),
            pending_sends: IdMap::default(),
            pending_recvs: IdMap::default(),
            skipped: 0,
            sites_beyond_max: 0,
            last_ts: 0,
            first_ts: None,
        }
    }

    /// Sizes the columns that grow with every few events for `events` events at once: grown
    /// by doubling from small they would be copied on the way, and leave the allocator's heap
    /// holding what they left behind (resident, though unused). Reserved pages that are never
    /// filled are never touched, so they cost address space, not memory.
    fn reserve_for(&mut self, events: u64) {
        let events = usize::try_from(events).unwrap_or(usize::MAX);
        // Typical shares, not bounds: a column that needs more grows.
        self.links.reserve(events / 4);
    }

    fn task_ix(&mut self, id: TaskId) -> TaskIx {
        if let Some(&ix) = self.task_by_id.get(&id) {
            return ix;
        }
        let ix = TaskIx::at(self.tasks.len());
        self.tasks.push(Task::new(id));
        self.cursors.push(TaskCursor::default());
        self.task_by_id.insert(id, ix);
        ix
    }

    /// The task of an event, through the per-worker cache.
    fn event_task(&mut self, worker: WorkerIx, id: TaskId) -> TaskIx {
        let w = worker.index();
        if w >= self.worker_cache.len() {
            self.grow_workers(w + 1);
        }
        if self.worker_cache[w].0 == id {
            return self.worker_cache[w].1;
        }
        let ix = self.task_ix(id);
        self.worker_cache[w] = (id, ix);
        ix
    }

    /// A corrupt or cut file can name workers its tables never defined.
    fn grow_workers(&mut self, n: usize) {
        self.worker_cache.resize(n, (0, TaskIx(0)));
        self.worker_slot.resize(n, WorkerSlot::IDLE);
        while self.workers.len() < n {
            self.workers.push(Worker {
                os_tid: 0,
                name: String::new(),
            });
        }
    }

    #[inline(always)]
    fn object_ix(&mut self, id: ObjectId, kind: ObjectKind) -> ObjectIx {
        // Most events name an object: a direct-mapped cache of recent ids spares the hash.
        let slot = (id as usize) % OBJECT_CACHE;
        if let Some(&(cached, ix)) = self.object_cache.get(slot) {
            if cached == id && ix != ObjectIx(u32::MAX) {
                return ix;
            }
        }
        self.object_ix_uncached(id, kind, slot)
    }

    #[cold]
    fn object_ix_uncached(&mut self, id: ObjectId, kind: ObjectKind, slot: usize) -> ObjectIx {
        let ix = match self.object_by_id.get(&id) {
            Some(&ix) => ix,
            None => {
                let ix = ObjectIx::at(self.objects.len());
                self.objects.push(Object::new(id, kind));
                self.object_cursors.push(ObjectCursor::default());
                self.object_by_id.insert(id, ix);
                ix
            }
        };
        if let Some(entry) = self.object_cache.get_mut(slot) {
            *entry = (id, ix);
        }
        ix
    }

    #[inline(always)]
    fn channel(&mut self, id: ObjectId) -> ObjectIx {
        self.object_ix(
            id,
            ObjectKind::Channel {
                flavor: None,
                capacity: 0,
            },
        )
    }

    #[inline(always)]
    fn lock(&mut self, id: ObjectId) -> ObjectIx {
        self.object_ix(id, ObjectKind::Lock)
    }

    /// Moves task `t` into a new span at `ts` (no-op if nothing changes or the task is done).
    /// `worker` is where the change happened, to keep the worker lanes in step.
    #[inline(always)]
    fn transition(&mut self, t: TaskIx, ts: u64, worker: Option<WorkerIx>, row: SpanRow) {
        let cursor = &mut self.cursors[t.index()];
        let previous = cursor.current;
        if previous == Some(row) || previous.is_some_and(|r| r.state() == State::Done) {
            return;
        }
        cursor.current = Some(row);
        cursor.since = ts;
        self.spans.push(t.index(), ts, row);
        if let Some(w) = worker {
            let was_running = previous.is_some_and(|r| r.state() == State::Running);
            if row.state() == State::Running {
                self.set_slot(w, ts, WorkerSlot(t.0));
            } else if was_running && self.worker_slot[w.index()] == WorkerSlot(t.0) {
                self.set_slot(w, ts, WorkerSlot::IDLE);
            }
        }
    }

    #[inline(always)]
    fn set_slot(&mut self, w: WorkerIx, ts: u64, slot: WorkerSlot) {
        if self.worker_slot[w.index()] != slot {
            self.worker_slot[w.index()] = slot;
            self.slots.push(w.index(), ts, slot);
        }
    }

    /// The task's wait ended: it runs again. An async task's wait ends inside a poll: its
    /// most recent open wait that `ended` matches is closed and, being polled, it runs. A thread
    /// runs from here whatever it was waiting for.
    fn run_after(
        &mut self,
        t: TaskIx,
        ts: u64,
        worker: WorkerIx,
        ended: impl Fn(&SpanRow) -> bool,
    ) {
        if !self.tasks[t.index()].is_async {
            self.transition(t, ts, Some(worker), running());
            return;
        }
        let cursor = &mut self.cursors[t.index()];
        if let Some(i) = cursor.open_waits.iter().rposition(&ended) {
            cursor.open_waits.remove(i);
        }
        if cursor.polling.is_some() {
            // The worker stays with the task: no slot change.
            self.transition(t, ts, None, running());
        }
    }

    /// The wait on object `o` ended (see [`Builder::run_after`]).
    fn run(&mut self, t: TaskIx, ts: u64, worker: WorkerIx, o: ObjectIx) {
        self.run_after(t, ts, worker, |r| r.object() == Some(o));
    }

    /// The task begins the wait `row` (see [`waiting`]). A thread blocks and leaves its
    /// worker idle. An async task is being polled: the wait either blocks the worker thread
    /// with it (it keeps the worker) or is registered for after the poll — which one shows
    /// when it ends before the poll returns, or not.
    fn block(&mut self, t: TaskIx, ts: u64, worker: WorkerIx, row: SpanRow) {
        self.begin_wait(t, ts, worker, row, true);
    }

    /// The task registers the async wait `row` (a tokio resource's): a thread waits from here
    /// as in [`Builder::block`], but an async task runs on until its poll returns.
    fn register(&mut self, t: TaskIx, ts: u64, worker: WorkerIx, row: SpanRow) {
        self.begin_wait(t, ts, worker, row, false);
    }

    fn begin_wait(&mut self, t: TaskIx, ts: u64, worker: WorkerIx, row: SpanRow, now: bool) {
        if !self.tasks[t.index()].is_async {
            self.transition(t, ts, Some(worker), row);
            return;
        }
        let cursor = &mut self.cursors[t.index()];
        // A wait begun again on the same target replaces the old one (a re-registered waker).
        cursor
            .open_waits
            .retain(|open| open.target() != row.target() || open.state() != row.state());
        cursor.open_waits.push(row);
        if now && cursor.polling.is_some() {
            self.transition(t, ts, None, row);
        }
    }

    /// The task begins running on `worker` (its `TaskStart`, or its first event when the start
    /// was lost).
    fn start(&mut self, t: TaskIx, ts: u64, worker: WorkerIx, name: StrId) {
        let task = &mut self.tasks[t.index()];
        if name != 0 {
            task.name = name;
        }
        if task.worker.is_none() {
            task.worker = Some(worker);
        }
        if task.started_at.is_none() {
            task.started_at = Some(ts);
            if let (Some(parent), Some(spawned)) = (task.parent, task.spawned_at) {
                self.link(LinkKind::Spawn, spawned, parent, ts, t, None);
            }
        }
        self.transition(t, ts, Some(worker), running());
    }

    fn link(
        &mut self,
        kind: LinkKind,
        from_ts: u64,
        from_task: TaskIx,
        to_ts: u64,
        to_task: TaskIx,
        object: Option<ObjectIx>,
    ) {
        let link = Link {
            kind,
            from_ts,
            to_ts,
            from_task,
            to_task,
            object,
        };
        match self.links.last() {
            Some(last) if link.order() < last.order() => self.late_links.push(link),
            _ => self.links.push(&link),
        }
    }

    #[inline(always)]
    fn log(&mut self, o: ObjectIx, ts: u64, task: TaskIx, site: SiteIx, op: ObjectOp) {
        let cursor = &self.object_cursors[o.index()];
        let level = match self.objects[o.index()].kind {
            ObjectKind::Channel { flavor, capacity } => {
                let depth = cursor.sent.saturating_sub(cursor.received);
                // Sends and receives are recorded as each call returns, so a receive can be
                // written just after the send that refilled its slot; a bounded channel never
                // really holds more than its capacity (a rendezvous channel holds nothing).
                let depth = match flavor {
                    Some(ChanFlavor::Bounded | ChanFlavor::Rendezvous) => depth.min(capacity),
                    _ => depth,
                };
                u32::try_from(depth).unwrap_or(u32::MAX)
            }
            _ => cursor.waiters,
        };
        self.object_events
            .push(o.index(), ts, ObjectEvent::new(task, site, level, op));
    }

    fn sent(&mut self, o: ObjectIx, t: TaskIx, ts: u64, msg: MsgId) {
        self.object_cursors[o.index()].sent += 1;
        if msg == 0 {
            return;
        }
        let key = (o.0, msg);
        match self.pending_recvs.remove(&key) {
            Some((rts, rt)) => self.link(LinkKind::Message, ts, t, rts, rt, Some(o)),
            None => {
                self.pending_sends.insert(key, (ts, t));
            }
        }
    }

    fn received(&mut self, o: ObjectIx, t: TaskIx, ts: u64, msg: MsgId) {
        self.object_cursors[o.index()].received += 1;
        if msg == 0 {
            return;
        }
        let key = (o.0, msg);
        match self.pending_sends.remove(&key) {
            Some((sts, st)) => self.link(LinkKind::Message, sts, st, ts, t, Some(o)),
            None => {
                self.pending_recvs.insert(key, (ts, t));
            }
        }
    }

    /// Task `t` took lock `o` by `op`, logged here: the hold it opens refers to that operation
    /// for its time, holder, site and mode.
    fn take(
        &mut self,
        o: ObjectIx,
        ts: u64,
        t: TaskIx,
        site: SiteIx,
        op: ObjectOp,
        how: AcquireKind,
    ) {
        let acquire = self.next_op(o);
        self.log(o, ts, t, site, op);
        self.object_cursors[o.index()].holders.push(OpenHold {
            task: t,
            mode: op.mode_taken().unwrap_or(LockMode::Exclusive),
            how,
            acquire,
        });
    }

    /// Task `t` released lock `o` (held in `mode`), logged here: the hold it closes refers to
    /// that operation for its end.
    fn release(&mut self, o: ObjectIx, ts: u64, t: TaskIx, site: SiteIx, mode: LockMode) {
        let release = self.next_op(o);
        self.log(o, ts, t, site, ObjectOp::Release(mode));
        let cursor = &mut self.object_cursors[o.index()];
        cursor.last_release = Some((ts, t));
        let found = cursor
            .holders
            .iter()
            .rposition(|h| h.task == t && h.mode == mode)
            .or_else(|| cursor.holders.iter().rposition(|h| h.task == t));
        if let Some(i) = found {
            let h = cursor.holders.remove(i);
            self.holds.push(
                o.index(),
                HoldRow {
                    acquire: h.acquire,
                    release,
                    how: h.how,
                },
            );
        }
    }

    /// The index the next operation logged on `o` will have in its lane.
    fn next_op(&self, o: ObjectIx) -> u32 {
        // Rows are fewer than `u32::MAX` (see `MAX_EVENTS`).
        u32::try_from(self.object_events.len_of(o.index())).unwrap_or(u32::MAX)
    }

    fn event(&mut self, e: &Event) {
        if e.task == 0 {
            self.skipped += 1;
            return;
        }
        let ts = e.ts;
        self.last_ts = self.last_ts.max(ts);
        self.first_ts.get_or_insert(ts);
        let w = WorkerIx(e.worker);
        let t = self.event_task(w, e.task);
        let site = SiteIx(e.site).stored();
        if site.0 != e.site {
            self.sites_beyond_max += 1;
        }

        // Who ran on the worker before this event (a poll's first event takes the worker).
        let ran_before = self.worker_slot.get(w.index()).and_then(|s| s.task());
        // A task whose start was lost (a cut or damaged file) starts with its first event.
        if !matches!(e.kind, EventKind::TaskStart { .. }) {
            let state = self.cursors[t.index()].current.map(|r| r.state());
            if matches!(state, None | Some(State::Runnable)) {
                self.start(t, ts, w, 0);
            }
        }
        // A runtime thread that records anything but the end of its wait was not blocked: the
        // wait was an async one of a future it polls (tokio's task hooks off), and the thread
        // went on running.
        if self.cursors[t.index()].runtime_worker && !continues_wait(&e.kind) {
            let async_wait = self.cursors[t.index()].current.is_some_and(|r| {
                matches!(
                    r.state(),
                    State::Blocked(
                        BlockReason::Send
                            | BlockReason::Recv
                            | BlockReason::Resource
                            | BlockReason::Lock
                            | BlockReason::LockRead
                            | BlockReason::Sleep
                    )
                ) && r.object().is_some_and(|o| {
                    let kind = self.objects[o.index()].kind;
                    kind.is_channel() || kind.is_async()
                })
            });
            if async_wait {
                self.transition(t, ts, Some(w), running());
            }
        }

        use EventKind as K;
        match e.kind {
            K::TaskSpawn { child, name } => {
                let c = self.task_ix(child);
                let task = &mut self.tasks[c.index()];
                if task.parent.is_none() && c != t {
                    task.parent = Some(t);
                }
                if name != 0 {
                    task.name = name;
                }
                task.spawn_site = site;
                if task.spawned_at.is_none() {
                    task.spawned_at = Some(ts);
                }
                self.children.push(t.index(), c);
                if self.cursors[c.index()].current.is_none() {
                    let row = SpanRow::new(State::Runnable, WaitTarget::Nothing, site, false);
                    self.transition(c, ts, None, row);
                }
            }
            K::TaskStart { task, name } => {
                let s = self.task_ix(task);
                self.start(s, ts, w, name);
            }
            K::TaskExit { panicked } => {
                let task = &mut self.tasks[t.index()];
                task.exited_at = Some(ts);
                task.panicked = panicked;
                let row = SpanRow::new(State::Done, WaitTarget::Nothing, SiteIx::UNKNOWN, false);
                self.transition(t, ts, Some(w), row);
            }
            K::JoinBegin { task } => {
                let x = self.task_ix(task);
                self.block(
                    t,
                    ts,
                    w,
                    waiting(BlockReason::Join, WaitTarget::Task(x), site, false),
                );
            }
            K::JoinEnd { task, .. } => {
                let x = self.task_ix(task);
                let blocked = self.is_blocked(t, BlockReason::Join);
                if let (true, Some(exited)) = (blocked, self.tasks[x.index()].exited_at) {
                    self.link(LinkKind::Exit, exited, x, ts, t, None);
                }
                self.run_after(t, ts, w, |r| r.state() == State::Blocked(BlockReason::Join));
            }
            K::ParkBegin { timeout_ns } => {
                let target = WaitTarget::Nothing;
                self.block(
                    t,
                    ts,
                    w,
                    waiting(BlockReason::Park, target, site, timeout_ns > 0),
                );
            }
            K::ParkEnd => {
                if let Some((uts, u)) = self.cursors[t.index()].pending_unpark.take() {
                    self.link(LinkKind::Unpark, uts, u, ts, t, None);
                }
                self.run_after(t, ts, w, |r| {
                    r.state() == State::Blocked(BlockReason::Park) && !r.is_idle()
                });
            }
            K::Unpark { task } => {
                let x = self.task_ix(task);
                self.cursors[x.index()].pending_unpark = Some((ts, t));
            }
            K::SleepBegin { .. } => {
                self.block(
                    t,
                    ts,
                    w,
                    waiting(BlockReason::Sleep, WaitTarget::Nothing, site, true),
                );
            }
            K::SleepEnd => self.run_after(t, ts, w, |r| {
                r.state() == State::Blocked(BlockReason::Sleep) && r.object().is_none()
            }),
            K::Yield => {}
            K::ChanCreate { chan, flavor, cap } => {
                let o = self.channel(chan);
                let object = &mut self.objects[o.index()];
                object.kind = ObjectKind::Channel {
                    flavor: Some(flavor),
                    capacity: cap,
                };
                self.created(o, ts, t, site);
            }
            K::Send { chan, msg } => {
                let o = self.channel(chan);
                self.sent(o, t, ts, msg);
                self.log(o, ts, t, site, ObjectOp::Send(Outcome::Ok));
            }
            K::SendBegin { chan } => {
                let o = self.channel(chan);
                self.log(o, ts, t, site, ObjectOp::SendWait);
                let target = WaitTarget::Object(o);
                self.block(t, ts, w, waiting(BlockReason::Send, target, site, false));
            }
            K::SendEnd { chan, msg, outcome } => {
                let o = self.channel(chan);
                if outcome == Outcome::Ok {
                    self.sent(o, t, ts, msg);
                }
                self.log(o, ts, t, site, ObjectOp::Send(outcome));
                self.run(t, ts, w, o);
            }
            K::TrySend { chan, msg, outcome } => {
                let o = self.channel(chan);
                if outcome == Outcome::Ok {
                    self.sent(o, t, ts, msg);
                }
                self.log(o, ts, t, site, ObjectOp::TrySend(outcome));
            }
            K::Recv { chan, msg } => {
                let o = self.channel(chan);
                self.received(o, t, ts, msg);
                self.log(o, ts, t, site, ObjectOp::Recv(Outcome::Ok));
            }
            K::RecvBegin { chan } => {
                let o = self.channel(chan);
                self.log(o, ts, t, site, ObjectOp::RecvWait);
                let target = WaitTarget::Object(o);
                self.block(t, ts, w, waiting(BlockReason::Recv, target, site, false));
            }
            K::RecvEnd { chan, msg, outcome } => {
                let o = self.channel(chan);
                if outcome == Outcome::Ok {
                    self.received(o, t, ts, msg);
                }
                self.log(o, ts, t, site, ObjectOp::Recv(outcome));
                self.run(t, ts, w, o);
            }
            K::TryRecv { chan, msg, outcome } => {
                let o = self.channel(chan);
                if outcome == Outcome::Ok {
                    self.received(o, t, ts, msg);
                }
                self.log(o, ts, t, site, ObjectOp::TryRecv(outcome));
            }
            K::ChanDisconnect { chan, side } => {
                let o = self.channel(chan);
                let object = &mut self.objects[o.index()];
                let gone = match side {
                    Side::Sender => &mut object.senders_gone_at,
                    Side::Receiver => &mut object.receivers_gone_at,
                };
                gone.get_or_insert(ts);
                self.log(o, ts, t, site, ObjectOp::Disconnect(side));
            }
            K::SelectBegin { arms, has_timeout } => {
                let s = SelectIx::at(self.selects.len());
                self.selects.push(SelectWait {
                    first_arm: u32::try_from(self.select_arms.len()).unwrap_or(u32::MAX),
                    arms: 0,
                    has_timeout,
                });
                self.cursors[t.index()].open_select = Some((s, arms));
                let target = WaitTarget::Select(s);
                self.block(
                    t,
                    ts,
                    w,
                    waiting(BlockReason::Select, target, site, has_timeout),
                );
            }
            K::SelectArm { chan, op } => {
                let o = self.channel(chan);
                if let Some((s, remaining)) = self.cursors[t.index()].open_select {
                    if remaining > 0 {
                        self.select_arms.push(SelectArm { channel: o, op });
                        self.selects[s.index()].arms += 1;
                        self.cursors[t.index()].open_select = Some((s, remaining - 1));
                    }
                }
                let site = if site.is_known() {
                    site
                } else {
                    self.current_site(t)
                };
                self.log(o, ts, t, site, ObjectOp::SelectWait(op));
            }
            K::SelectEnd {
                chan,
                msg,
                op,
                outcome,
            } => {
                self.cursors[t.index()].open_select = None;
                if chan != 0 {
                    let o = self.channel(chan);
                    match (op, outcome) {
                        (SelectOp::Send, Outcome::Ok) => self.sent(o, t, ts, msg),
                        (SelectOp::Recv, Outcome::Ok) => self.received(o, t, ts, msg),
                        _ => {}
                    }
                    self.log(o, ts, t, site, ObjectOp::SelectDone(op, outcome));
                }
                self.run_after(t, ts, w, |r| {
                    r.state() == State::Blocked(BlockReason::Select)
                });
            }
            K::LockCreate { lock, kind } => {
                let o = self.lock(lock);
                self.objects[o.index()].kind = match kind {
                    LockKind::Mutex => ObjectKind::Mutex,
                    LockKind::RwLock => ObjectKind::RwLock,
                    LockKind::Condvar => ObjectKind::Condvar,
                };
                self.created(o, ts, t, site);
            }
            K::LockAcquire { lock, mode } => {
                let o = self.lock(lock);
                self.take(
                    o,
                    ts,
                    t,
                    site,
                    ObjectOp::Acquire(mode),
                    AcquireKind::Immediate,
                );
            }
            K::LockWait { lock, mode } => {
                let o = self.lock(lock);
                self.object_cursors[o.index()].waiters += 1;
                self.log(o, ts, t, site, ObjectOp::Wait(mode));
                let reason = match mode {
                    LockMode::Exclusive => BlockReason::Lock,
                    LockMode::Shared => BlockReason::LockRead,
                };
                self.block(
                    t,
                    ts,
                    w,
                    waiting(reason, WaitTarget::Object(o), site, false),
                );
            }
            K::LockAcquired {
                lock,
                mode,
                poisoned,
            } => {
                let o = self.lock(lock);
                let cursor = &mut self.object_cursors[o.index()];
                cursor.waiters = cursor.waiters.saturating_sub(1);
                if let Some((rts, rt)) = cursor.last_release.filter(|&(_, rt)| rt != t) {
                    self.link(LinkKind::Release, rts, rt, ts, t, Some(o));
                }
                let site = if site.is_known() {
                    site
                } else {
                    self.current_site(t)
                };
                let op = ObjectOp::Acquired { mode, poisoned };
                self.take(o, ts, t, site, op, AcquireKind::AfterWait);
                self.run(t, ts, w, o);
            }
            K::TryLock { lock, mode, ok } => {
                let o = self.lock(lock);
                let op = ObjectOp::TryLock { mode, ok };
                if ok {
                    self.take(o, ts, t, site, op, AcquireKind::Try);
                } else {
                    self.log(o, ts, t, site, op);
                }
            }
            K::LockRelease { lock, mode } => {
                let o = self.lock(lock);
                self.release(o, ts, t, site, mode);
            }
            K::CondWait { cv, lock } => {
                let c = self.object_ix(cv, ObjectKind::Condvar);
                let l = self.lock(lock);
                self.objects[c.index()].lock.get_or_insert(l);
                self.release(l, ts, t, site, LockMode::Exclusive);
                self.object_cursors[c.index()].waiters += 1;
                self.log(c, ts, t, site, ObjectOp::CondWait);
                let target = WaitTarget::Object(c);
                self.block(t, ts, w, waiting(BlockReason::Condvar, target, site, false));
            }
            K::CondWake {
                cv,
                lock,
                timed_out,
            } => {
                let c = self.object_ix(cv, ObjectKind::Condvar);
                let l = self.lock(lock);
                let since = self.cursors[t.index()].since;
                let cursor = &mut self.object_cursors[c.index()];
                cursor.waiters = cursor.waiters.saturating_sub(1);
                let notify = cursor.last_notify.filter(|&(nts, _)| nts >= since);
                if let (false, Some((nts, nt))) = (timed_out, notify) {
                    self.link(LinkKind::Notify, nts, nt, ts, t, Some(c));
                }
                let site = if site.is_known() {
                    site
                } else {
                    self.current_site(t)
                };
                self.log(c, ts, t, site, ObjectOp::CondWake { timed_out });
                let op = ObjectOp::Acquire(LockMode::Exclusive);
                self.take(l, ts, t, site, op, AcquireKind::CondvarWake);
                self.run(t, ts, w, c);
            }
            K::CondNotify { cv, all } => {
                let c = self.object_ix(cv, ObjectKind::Condvar);
                self.object_cursors[c.index()].last_notify = Some((ts, t));
                self.log(c, ts, t, site, ObjectOp::Notify { all });
            }
            K::SpanEnter { span, name } => {
                self.cursors[t.index()].open_regions.push((span, ts, name));
            }
            K::SpanExit { span } => {
                let open = &mut self.cursors[t.index()].open_regions;
                if let Some(i) = open.iter().rposition(|r| r.0 == span) {
                    let (_, start, name) = open.remove(i);
                    let depth = u16::try_from(i).unwrap_or(u16::MAX);
                    let region = Region {
                        start,
                        end: ts,
                        name,
                        depth,
                    };
                    self.regions.push(t.index(), region);
                }
            }
            K::Mark { message, level } => {
                let mark = Mark {
                    ts,
                    message,
                    level,
                    site,
                };
                self.marks.push(t.index(), mark);
            }
            K::PollBegin { task } => {
                let x = self.task_ix(task);
                // The worker thread's own task (its runtime loop, or a current-thread runtime's
                // `block_on` future) does not run while the worker polls a task.
                if let Some(own) = ran_before {
                    let running = self.cursors[own.index()]
                        .current
                        .is_some_and(|r| r.state() == State::Running);
                    if own != x && running && !self.tasks[own.index()].is_async {
                        self.transition(own, ts, None, runnable());
                    }
                }
                let cursor = &mut self.cursors[x.index()];
                cursor.polling = Some((w, ts));
                cursor.woken_in_poll = false;
                if let Some((wts, wt)) = cursor.pending_wake.take() {
                    self.link(LinkKind::Wake, wts, wt, ts, x, None);
                }
                self.start(x, ts, w, 0);
            }
            K::PollEnd { task, resume } => {
                let x = self.task_ix(task);
                let cursor = &mut self.cursors[x.index()];
                let start = cursor.polling.take().map_or(ts, |(_, start)| start);
                let poll = Poll {
                    start,
                    end: ts,
                    worker: w,
                    finished: true,
                };
                self.polls.push(x.index(), poll);
                // Woken while polled: tokio schedules it again at once. Otherwise it awaits
                // what it registered, or an `.await` the recorder cannot see into.
                let row = if cursor.woken_in_poll {
                    runnable()
                } else if let Some(&open) = cursor.open_waits.last() {
                    open
                } else {
                    let reason = State::Blocked(BlockReason::Await);
                    SpanRow::new(reason, WaitTarget::Nothing, SiteIx::UNKNOWN, false)
                };
                cursor.woken_in_poll = false;
                self.transition(x, ts, None, row);
                let r = self.task_ix(resume);
                if self.cursors[r.index()].current.map(|row| row.state()) == Some(State::Runnable)
                    && !self.tasks[r.index()].is_async
                {
                    self.transition(r, ts, None, running());
                }
                let resumed = self.cursors[r.index()].current;
                let slot = if resumed.is_some_and(|row| row.state() == State::Running) {
                    WorkerSlot(r.0)
                } else {
                    WorkerSlot::IDLE
                };
                self.set_slot(w, ts, slot);
            }
            K::TaskTerminate { task } => {
                let x = self.task_ix(task);
                self.tasks[x.index()].exited_at.get_or_insert(ts);
                let cursor = &mut self.cursors[x.index()];
                cursor.open_waits.clear();
                cursor.woken_in_poll = false;
                cursor.pending_wake = None;
                // Inside its last poll the worker stays with it until `PollEnd`; a task
                // cancelled outside a poll had no worker.
                let row = SpanRow::new(State::Done, WaitTarget::Nothing, SiteIx::UNKNOWN, false);
                self.transition(x, ts, None, row);
            }
            K::TaskName { task, name } => {
                let x = self.task_ix(task);
                self.tasks[x.index()].name = name;
            }
            K::TaskWake { task, consumed } => {
                self.saw_wakers = true;
                let x = self.task_ix(task);
                let cursor = &mut self.cursors[x.index()];
                if consumed {
                    *cursor.live_wakers.get_or_insert(0) -= 1;
                }
                let state = cursor.current.map(|r| r.state());
                if state == Some(State::Done) {
                    return;
                }
                cursor.pending_wake.get_or_insert((ts, t));
                if cursor.polling.is_some() {
                    cursor.woken_in_poll = true;
                } else if matches!(state, Some(State::Blocked(_))) {
                    self.transition(x, ts, None, runnable());
                }
            }
            K::WakerClone { task } => {
                self.saw_wakers = true;
                let x = self.task_ix(task);
                *self.cursors[x.index()].live_wakers.get_or_insert(0) += 1;
            }
            K::WakerDrop { task } => {
                self.saw_wakers = true;
                let x = self.task_ix(task);
                *self.cursors[x.index()].live_wakers.get_or_insert(0) -= 1;
            }
            K::RuntimeThreadStart => {
                self.tasks[t.index()].runtime_thread = true;
                self.cursors[t.index()].runtime_worker = true;
            }
            K::RuntimeThreadStop => {
                // The runtime's thread exits here (it was no thread Weft spawned, so no
                // `TaskExit` follows).
                if !self.tasks[t.index()].is_async {
                    self.tasks[t.index()].exited_at.get_or_insert(ts);
                    let row =
                        SpanRow::new(State::Done, WaitTarget::Nothing, SiteIx::UNKNOWN, false);
                    self.transition(t, ts, Some(w), row);
                }
            }
            K::WorkerPark => {
                // The runtime found nothing to run: idle time, never a stuck wait.
                if !self.tasks[t.index()].is_async {
                    self.cursors[t.index()].runtime_worker = true;
                    self.transition(t, ts, Some(w), SpanRow::idle(site));
                }
            }
            K::WorkerUnpark => {
                let idle = self.cursors[t.index()].current.is_some_and(|r| r.is_idle());
                if idle {
                    self.transition(t, ts, Some(w), running());
                }
            }
            K::ResourceCreate {
                resource,
                kind,
                loc,
            } => {
                let o = self.object_ix(resource, ObjectKind::Resource(kind));
                self.objects[o.index()].kind = ObjectKind::Resource(kind);
                let at = if site.is_known() {
                    site
                } else {
                    self.loc_site(loc)
                };
                self.created(o, ts, t, at);
            }
            K::ResourceWait { resource, op } => {
                let o = self.object_ix(resource, ObjectKind::Resource(ResourceKind::Other));
                let (reason, deadline) = match self.objects[o.index()].kind {
                    ObjectKind::Resource(ResourceKind::RwLock)
                        if self.trace.string(op).contains("read") =>
                    {
                        (BlockReason::LockRead, false)
                    }
                    ObjectKind::Resource(ResourceKind::Mutex | ResourceKind::RwLock) => {
                        (BlockReason::Lock, false)
                    }
                    ObjectKind::Resource(ResourceKind::Sleep | ResourceKind::Interval) => {
                        (BlockReason::Sleep, true)
                    }
                    ObjectKind::Resource(ResourceKind::Oneshot) => (BlockReason::Recv, false),
                    _ => (BlockReason::Resource, false),
                };
                if reason.is_lock() {
                    self.object_cursors[o.index()].waiters += 1;
                }
                self.log(o, ts, t, site, ObjectOp::ResourceWait);
                let row = waiting(reason, WaitTarget::Object(o), site, deadline);
                self.register(t, ts, w, row);
            }
            K::ResourceReady { resource } => {
                let o = self.object_ix(resource, ObjectKind::Resource(ResourceKind::Other));
                self.end_resource_wait(o);
                self.cursors[t.index()].ready = Some(o);
                self.log(o, ts, t, site, ObjectOp::ResourceReady);
                self.run(t, ts, w, o);
            }
            K::ResourceAcquire { resource, mode } => {
                let o = self.object_ix(resource, ObjectKind::Resource(ResourceKind::Mutex));
                let waited = self.cursors[t.index()].ready.take() == Some(o);
                let how = if waited {
                    let cursor = &mut self.object_cursors[o.index()];
                    let other_holder = cursor
                        .holders
                        .iter()
                        .any(|h| h.task != t && h.mode == LockMode::Exclusive);
                    if other_holder {
                        // Its release is recorded just after: link it then.
                        cursor.acquired_before_release.push((ts, t));
                    } else if let Some((rts, rt)) = cursor.last_release.filter(|&(_, rt)| rt != t) {
                        self.link(LinkKind::Release, rts, rt, ts, t, Some(o));
                    }
                    AcquireKind::AfterWait
                } else {
                    AcquireKind::Immediate
                };
                self.take(o, ts, t, site, ObjectOp::Acquire(mode), how);
            }
            K::ResourceRelease { resource, mode } => {
                let o = self.object_ix(resource, ObjectKind::Resource(ResourceKind::Mutex));
                self.release(o, ts, t, site, mode);
                let waiting =
                    std::mem::take(&mut self.object_cursors[o.index()].acquired_before_release);
                for (ats, at) in waiting {
                    if at != t {
                        self.link(LinkKind::Release, ts, t, ats, at, Some(o));
                    }
                }
            }
            K::WaitCancel { object } => {
                let o = self.object_ix(object, ObjectKind::Resource(ResourceKind::Other));
                self.end_resource_wait(o);
                self.log(o, ts, t, site, ObjectOp::WaitCancel);
                self.run(t, ts, w, o);
            }
            K::RecvLagged { chan, .. } => {
                let o = self.channel(chan);
                self.log(o, ts, t, site, ObjectOp::Lagged);
                self.run(t, ts, w, o);
            }
        }
    }

    /// The site of a tokio location string `file:line:col`, added to the site table.
    fn loc_site(&mut self, loc: StrId) -> SiteIx {
        if loc == 0 {
            return SiteIx::UNKNOWN;
        }
        if let Some(&s) = self.site_of_loc.get(&loc) {
            return s;
        }
        let text = self.trace.string(loc);
        let mut parts = text.rsplitn(3, ':');
        let (col, line, file) = (parts.next(), parts.next(), parts.next());
        let site = match (
            file,
            line.and_then(|l| l.parse().ok()),
            col.and_then(|c| c.parse().ok()),
        ) {
            (Some(file), Some(line), Some(col)) => Site {
                file: file.to_string(),
                line,
                col,
            },
            _ => Site {
                file: text.to_string(),
                line: 0,
                col: 0,
            },
        };
        let s = SiteIx(u32::try_from(self.sites.len()).unwrap_or(0)).stored();
        if s.is_known() {
            self.sites.push(site);
        }
        self.site_of_loc.insert(loc, s);
        s
    }

    /// A wait on `o` ended (ready or cancelled): for a tokio lock, one waiter fewer.
    fn end_resource_wait(&mut self, o: ObjectIx) {
        if self.objects[o.index()].kind.is_lock() {
            let cursor = &mut self.object_cursors[o.index()];
            cursor.waiters = cursor.waiters.saturating_sub(1);
        }
    }

    fn is_blocked(&self, t: TaskIx, reason: BlockReason) -> bool {
        self.cursors[t.index()]
            .current
            .is_some_and(|r| r.state() == State::Blocked(reason))
    }

    /// The site of the span `t` is in: where a wait that ends without a site of its own began.
    fn current_site(&self, t: TaskIx) -> SiteIx {
        self.cursors[t.index()]
            .current
            .map_or(SiteIx::UNKNOWN, |r| r.site())
    }

    fn created(&mut self, o: ObjectIx, ts: u64, t: TaskIx, site: SiteIx) {
        let object = &mut self.objects[o.index()];
        object.created_at.get_or_insert(ts);
        object.creator.get_or_insert(t);
        object.site = site;
        self.log(o, ts, t, site, ObjectOp::Create);
    }

    /// The model, without the header, loss and strings (the caller moves or copies them in).
    fn finish(mut self, event_count: u64, notes: Vec<String>) -> Model {
        let end = self.last_ts;
        let start = self.first_ts.unwrap_or(end).min(end);

        // Holds and regions still open at the end last until the end.
        for (o, cursor) in self.object_cursors.iter_mut().enumerate() {
            for h in cursor.holders.drain(..) {
                let held = HoldRow {
                    acquire: h.acquire,
                    release: HoldRow::HELD,
                    how: h.how,
                };
                self.holds.push(o, held);
            }
        }
        for (t, cursor) in self.cursors.iter_mut().enumerate() {
            for (i, (_, start, name)) in cursor.open_regions.drain(..).enumerate() {
                let depth = u16::try_from(i).unwrap_or(u16::MAX);
                self.regions.push(
                    t,
                    Region {
                        start,
                        end,
                        name,
                        depth,
                    },
                );
            }
        }

        // Polls still running at the end last until the end; the waits async tasks were left
        // awaiting are kept (a `select!` awaits several).
        let mut pending_waits = GroupBuilder::default();
        for (t, (task, cursor)) in self.tasks.iter_mut().zip(&self.cursors).enumerate() {
            if let Some((worker, start)) = cursor.polling {
                let poll = Poll {
                    start,
                    end,
                    worker,
                    finished: false,
                };
                self.polls.push(t, poll);
            }
            let idle = cursor.polling.is_none()
                && cursor
                    .current
                    .is_some_and(|r| r.state().blocked().is_some());
            if task.is_async && idle {
                for &row in &cursor.open_waits {
                    pending_waits.push(t, row);
                }
            }
            // With waker events in the trace, a task none was recorded for has none.
            task.live_wakers = match cursor.live_wakers {
                None if task.is_async && self.saw_wakers => Some(0),
                live => live,
            };
        }
        let n_tasks = self.tasks.len();
        let n_objects = self.objects.len();
        self.links.merge(self.late_links);
        self.links.shrink_to_fit();
        let links = self.links;

        // The links' indexes and the objects' tables are independent: each on a core of its
        // own (the decoder's is free by now), about halving this step. At 10 M events the
        // links' two indexes take 58-65 ms, the objects' tables 38-60 ms.
        let holds = self.holds;
        let object_events = self.object_events;
        let objects_side = || {
            let mut holds = holds.finish(n_objects);
            for o in 0..n_objects {
                // Holds were pushed as they ended; the column is by start, the order of the
                // operations that took them, which they are nearly in. One far from it is
                // sorted unstably: in place (a stable sort's scratch would add to the load's
                // peak memory), and no two holds share that operation.
                let list = holds.get_mut(o);
                if !sort_nearly_sorted_by_key(list, |h| u64::from(h.acquire)) {
                    list.sort_unstable_by_key(|h| h.acquire);
                }
            }
            let object_events = object_events.finish(n_objects);
            let (senders, receivers) = endpoints(&object_events, n_objects, end);
            (holds, object_events, senders, receivers)
        };
        let links_side = || (links_into(&links, n_tasks), links_from(&links, n_tasks));
        let ((holds, object_events, senders, receivers), (links_into, links_from)) =
            crate::two_cores::join("weft-model-finish", links_side, objects_side);
        let mut regions = self.regions.finish(n_tasks);
        for t in 0..n_tasks {
            regions.get_mut(t).sort_by_key(|r| (r.start, r.depth));
        }

        let root = root_task(&self.tasks, main_name(self.trace));

        Model {
            header: Header::default(),
            loss: Loss::default(),
            strings: Vec::new(),
            sites: self.sites,
            notes,
            event_count,
            start_ns: start,
            end_ns: end,
            tasks: self.tasks,
            task_by_id: self.task_by_id,
            root,
            children: self.children.finish(n_tasks),
            spans: self.spans.finish(n_tasks),
            slots: self.slots.finish(self.workers.len()),
            workers: self.workers,
            objects: self.objects,
            object_by_id: self.object_by_id,
            object_events,
            holds,
            senders,
            receivers,
            selects: self.selects,
            select_arms: self.select_arms,
            links,
            links_into,
            links_from,
            regions,
            marks: self.marks.finish(n_tasks),
            polls: self.polls.finish(n_tasks),
            pending_waits: pending_waits.finish(n_tasks),
            records_wakers: self.saw_wakers,
        }
    }
}

/// The string id of the name `main`, if the trace has it.
fn main_name(trace: &Trace) -> Option<StrId> {
    trace
        .strings
        .iter()
        .position(|s| s == "main")
        .and_then(|i| StrId::try_from(i).ok())
}

/// The program's main task: the thread named `main` if there is one, else the first thread
/// that nothing spawned — never a runtime's own thread (a tokio worker often records before
/// `main` does) unless there is nothing else.
fn root_task(tasks: &[Task], main_name: Option<StrId>) -> Option<TaskIx> {
    let adopted = |t: &Task| t.parent.is_none() && t.started_at.is_some() && !t.is_async;
    let first = |filter: &dyn Fn(&Task) -> bool| {
        (0..tasks.len())
            .filter(|&t| adopted(&tasks[t]) && filter(&tasks[t]))
            .min_by_key(|&t| (tasks[t].started_at, t))
            .map(TaskIx::at)
    };
    first(&|t| main_name.is_some_and(|m| t.name == m) && !t.runtime_thread)
        .or_else(|| first(&|t| !t.runtime_thread))
        .or_else(|| first(&|_| true))
}

/// True for the events that end or belong to a wait in progress (so a runtime thread recording
/// one may still be in that wait).
fn continues_wait(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::SendEnd { .. }
            | EventKind::RecvEnd { .. }
            | EventKind::SelectArm { .. }
            | EventKind::SelectEnd { .. }
            | EventKind::ResourceReady { .. }
            | EventKind::ResourceAcquire { .. }
            | EventKind::WaitCancel { .. }
            | EventKind::RecvLagged { .. }
            | EventKind::WorkerPark
    )
}

/// A blocked span: waiting for `reason` on `target`, called at `site`.
fn waiting(reason: BlockReason, target: WaitTarget, site: SiteIx, has_deadline: bool) -> SpanRow {
    SpanRow::new(State::Blocked(reason), target, site, has_deadline)
}

fn running() -> SpanRow {
    SpanRow::new(State::Running, WaitTarget::Nothing, SiteIx::UNKNOWN, false)
}

fn runnable() -> SpanRow {
    SpanRow::new(State::Runnable, WaitTarget::Nothing, SiteIx::UNKNOWN, false)
}

/// The links into each task, in [`Link::order`] (the order of `links`).
fn links_into(links: &LinkTable, tasks: usize) -> Grouped<LinkIx> {
    let to_task = |i| links.woken_task(LinkIx::at(i)).index();
    Grouped::by_owner(tasks, links.len(), to_task, LinkIx::at)
}

/// The links out of each task by cause time, ties in link order.
///
/// One walk down the links in their order places each in its task's list, the way a counting
/// sort would, and keeps each list sorted as it goes: a task's causes mostly come in effect
/// order (at 10 M synthetic events, 0.74 moves a link), so a link is appended after comparing
/// its cause with its list's latest, and the few that are not step back over the links just
/// placed, whose times are still in cache. (Grouping first and sorting each list after read
/// every cause again at random, one list at a time: 0.11 s of the 0.12 s finish at 10 M
/// events.) A list that takes more than [`MOVES_PER_ELEMENT`] steps a link is only appended to
/// from then on and sorted at the end by keys gathered beside it, so a hostile file costs
/// n log n, not n².
fn links_from(links: &LinkTable, tasks: usize) -> Grouped<LinkIx> {
    links_from_counting(links, tasks).0
}

/// Steps an element may take back, on average, before an insertion sort of a nearly sorted
/// list ([`links_from`], [`sort_nearly_sorted_by_key`]) gives up on it.
const MOVES_PER_ELEMENT: usize = 8;

/// [`links_from`], and how many lists went over their budget.
fn links_from_counting(links: &LinkTable, tasks: usize) -> (Grouped<LinkIx>, usize) {
    let mut offsets = vec![0u32; tasks + 1];
    for task in links.acting_tasks() {
        if task.index() < tasks {
            offsets[task.index() + 1] += 1;
        }
    }
    for t in 0..tasks {
        offsets[t + 1] += offsets[t];
    }
    let mut next: Vec<u32> = offsets[..tasks].to_vec();
    let mut budget: Vec<usize> = (0..tasks)
        .map(|t| MOVES_PER_ELEMENT.saturating_mul((offsets[t + 1] - offsets[t]) as usize))
        .collect();
    // The latest cause in each list (a list out of budget is no longer kept sorted).
    let mut latest = vec![0u64; tasks];
    let mut gave_up = Vec::new();
    let mut items = vec![LinkIx::default(); offsets[tasks] as usize];
    let cause = links.cause_times();
    for (l, (task, key)) in links.causes().enumerate() {
        let t = task.index();
        if t >= tasks {
            continue;
        }
        let first = offsets[t] as usize;
        let mut j = next[t] as usize;
        next[t] += 1;
        let link = LinkIx::at(l);
        if j == first || latest[t] <= key || budget[t] == 0 {
            latest[t] = key;
            items[j] = link;
            continue;
        }
        while j > first && cause(items[j - 1]) > key {
            items[j] = items[j - 1];
            j -= 1;
        }
        items[j] = link;
        let moved = next[t] as usize - 1 - j;
        budget[t] = budget[t].saturating_sub(moved);
        if budget[t] == 0 {
            gave_up.push(t);
        }
    }
    let mut from = Grouped::from_parts(offsets, items);
    let mut keyed: Vec<(u64, LinkIx)> = Vec::new();
    for &t in &gave_up {
        let list = from.get_mut(t);
        keyed.clear();
        keyed.extend(list.iter().map(|&l| (cause(l), l)));
        keyed.sort_unstable();
        for (slot, &(_, l)) in list.iter_mut().zip(&keyed) {
            *slot = l;
        }
    }
    (from, gave_up.len())
}

/// Sorts `v` by `key` in place, stably, if it is nearly sorted; false, leaving it shuffled,
/// once the sort has moved a few times as many elements as `v` holds. A lock's holds are
/// pushed as they end, and an exclusive lock's next holder often records taking it just before
/// the last one records letting go: its holds are in order but for such neighbours (1.1 M of
/// them in a 10 M-event `long_run` trace), which an insertion sort puts right in one pass where
/// `sort_unstable` took 41 ms.
fn sort_nearly_sorted_by_key<T: Copy>(v: &mut [T], key: impl Fn(T) -> u64) -> bool {
    let budget = MOVES_PER_ELEMENT.saturating_mul(v.len());
    let mut moved = 0usize;
    let Some(&first) = v.first() else {
        return true;
    };
    // The key of the sorted prefix's last element, which most steps compare with alone.
    let mut last = key(first);
    for i in 1..v.len() {
        let x = v[i];
        let kx = key(x);
        if last <= kx {
            last = kx;
            continue;
        }
        let mut j = i;
        v[j] = v[j - 1];
        j -= 1;
        while j > 0 && key(v[j - 1]) > kx {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
        moved += i - j;
        if moved > budget {
            return false;
        }
    }
    true
}

type TaskSets = super::lane::Grouped<TaskIx>;

/// The distinct tasks that used each channel's sending side and receiving side.
fn endpoints(
    events: &GroupedLanes<ObjectEvent>,
    n_objects: usize,
    end: u64,
) -> (TaskSets, TaskSets) {
    let mut senders = GroupBuilder::default();
    let mut receivers = GroupBuilder::default();
    let mut send_side = Vec::new();
    let mut recv_side = Vec::new();
    // Which object each task was last listed for, per side: a busy channel has millions of
    // operations by a handful of tasks, so each task is listed once as it is first met and only
    // those few are sorted (sorting every operation's task, then deduplicating, took ~100 ms
    // at 10 M events).
    let mut listed_send: Vec<usize> = Vec::new();
    let mut listed_recv: Vec<usize> = Vec::new();
    let sides = SideTable::new();
    for o in 0..n_objects {
        send_side.clear();
        recv_side.clear();
        for e in events.lane(o, end).rows() {
            let (side, listed) = match sides.side(e) {
                Some(ChannelSide::Send) => (&mut send_side, &mut listed_send),
                Some(ChannelSide::Recv) => (&mut recv_side, &mut listed_recv),
                None => continue,
            };
            let t = e.task.index();
            if t >= listed.len() {
                listed.resize(t + 1, usize::MAX);
            }
            if listed[t] != o {
                listed[t] = o;
                side.push(e.task);
            }
        }
        for (side, out) in [
            (&mut send_side, &mut senders),
            (&mut recv_side, &mut receivers),
        ] {
            side.sort_unstable();
            for &t in side.iter() {
                out.push(o, t);
            }
        }
    }
    (senders.finish(n_objects), receivers.finish(n_objects))
}

#[cfg(test)]
mod tests {
    use super::{
        links_from_counting, sort_nearly_sorted_by_key, Grouped, LinkIx, LinkTable,
        MOVES_PER_ELEMENT,
    };
    use crate::model::ids::TaskIx;
    use crate::model::link::{Link, LinkKind};

    /// Links of three tasks whose causes come nearly sorted, sorted, shuffled or reversed
    /// (with ties, and causes far enough back to be kept aside): each task's list comes out
    /// as a stable sort of its links by cause would put it, whether the walk kept it sorted
    /// or it went over its budget and was sorted after.
    #[test]
    fn links_from_sorts_each_task_by_cause_ties_in_link_order() {
        let mut next = crate::testkit::below(0x2545_f491_4f6c_dd1d);
        let mut over_budget = 0;
        for (case, len) in [
            ("near", 3000u64),
            ("sorted", 500),
            ("shuffled", 2000),
            ("reversed", 2000),
            ("near", 1),
            ("near", 0),
        ] {
            let mut links = LinkTable::default();
            let mut expected: Vec<Vec<(u64, LinkIx)>> = vec![Vec::new(); 3];
            for i in 0..len {
                let to_ts = 10_000_000_000 + i * 1_000;
                let task = next(3) as usize;
                let back = match case {
                    "sorted" => 500,
                    "near" if next(4) == 0 => 500 + next(5) * 1_000,
                    "near" if i % 1000 == 7 => 5_000_000_000,
                    "near" => 500,
                    "shuffled" => next(len) * 1_000,
                    _ => 2 * i * 1_000,
                };
                // Ties: pairs of links share a cause.
                let from_ts = (to_ts - back) / 2_000 * 2_000;
                let link = Link {
                    kind: LinkKind::Message,
                    from_ts,
                    to_ts,
                    from_task: TaskIx(task as u32),
                    to_task: TaskIx(0),
                    object: None,
                };
                links.push(&link);
                expected[task].push((from_ts, LinkIx(i as u32)));
            }
            let (from, gave_up): (Grouped<LinkIx>, usize) = links_from_counting(&links, 3);
            over_budget += gave_up;
            if matches!(case, "near" | "sorted") {
                assert_eq!(
                    gave_up, 0,
                    "{case} went over the budget of {MOVES_PER_ELEMENT}"
                );
            }
            for (t, mut want) in expected.into_iter().enumerate() {
                want.sort_by_key(|&(cause, _)| cause);
                let want: Vec<LinkIx> = want.into_iter().map(|(_, l)| l).collect();
                assert_eq!(from.get(t), &want[..], "{case}, {len} links, task {t}");
            }
        }
        assert!(over_budget > 0, "the budget was never reached");
    }

    /// Sorted, nearly sorted, shuffled and reversed lists, with repeated keys: sorted in place
    /// as a stable sort by key would when the insertion sort finishes, and left a permutation
    /// of the list when it gives up.
    #[test]
    fn nearly_sorted_lists_sort_stably_in_place_or_give_up() {
        let mut next = crate::testkit::below(0x2545_f491_4f6c_dd1d);
        let mut gave_up = 0;
        for len in [0usize, 1, 2, 3, 17, 100, 1000, 5000] {
            let sorted: Vec<(u64, u32)> = (0..len).map(|i| (i as u64 / 3, i as u32)).collect();
            let mut near = sorted.clone();
            for _ in 0..len / 4 {
                let i = next(len as u64) as usize;
                let j = (i + 1 + next(4) as usize).min(len - 1);
                near.swap(i, j);
            }
            let shuffled: Vec<(u64, u32)> = (0..len)
                .map(|i| (next(len as u64 / 2 + 1), i as u32))
                .collect();
            let reversed: Vec<(u64, u32)> = sorted.iter().rev().copied().collect();
            for (name, case) in [
                ("sorted", sorted.clone()),
                ("near", near),
                ("shuffled", shuffled),
                ("reversed", reversed),
            ] {
                let mut expected = case.clone();
                expected.sort_by_key(|&(key, _)| key);
                let mut got = case;
                if sort_nearly_sorted_by_key(&mut got, |(key, _)| key) {
                    assert_eq!(got, expected, "{name}, {len} elements");
                } else {
                    gave_up += 1;
                    assert!(matches!(name, "shuffled" | "reversed"), "{name} gave up");
                    got.sort_unstable();
                    let mut all = expected;
                    all.sort_unstable();
                    assert_eq!(got, all, "{name}: a permutation");
                }
            }
        }
        assert!(gave_up > 0, "the budget was never reached");
    }
}
