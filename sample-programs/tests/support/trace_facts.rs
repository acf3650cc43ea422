//! Plain facts read off a decoded trace, enough to check a sample's ground truth against what
//! the recorder saw: which tasks never finished and what they are stuck in, which lock orders
//! were inverted, and the raw evidence behind each lint.
//!
//! This is deliberately not the analysis (that lives in `weft-viewer` and is checked against the
//! same truth end to end). It exists so the truth cannot drift from what the samples really do:
//! if a sample stops leaking, or leaks at another line, these facts change and the tests say so.
//!
//! Tokio tasks (recorded under `--cfg tokio_unstable`) are spawned without a `TaskStart`, run
//! between `PollBegin` and `PollEnd` and end with `TaskTerminate`; one idle after a poll with no
//! wait open awaits something unseen ([`WaitKind::Await`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use weft_recorder::event::{
    is_tokio_task, EventKind, ObjectId, Outcome, ResourceKind, SelectOp, TaskId,
};
use weft_recorder::format::Trace;
use weft_samples::{Lint, WaitKind};

/// A lock hold at least this long, with another task waiting during it, is `lock_held_long`.
pub const LONG_HOLD_NS: u64 = 1_000_000;
/// This many live tasks at once is `unbounded_spawning`.
pub const UNBOUNDED_PEAK: usize = 64;
/// This many empty `try_recv`s in a row, with no blocking wait between, is `busy_wait`.
pub const BUSY_POLLS: usize = 100;
/// A poll blocked this long in synchronous calls (or, without task hooks, a runtime worker's
/// synchronous block this long) is `long_poll`…
pub const LONG_POLL_NS: u64 = 20_000_000;
/// … and so is a poll this long with no blocking call in it (shorter ones may be preemption).
pub const LONG_POLL_BUSY_NS: u64 = 200_000_000;

/// One task as the trace shows it.
#[derive(Clone, Debug, Default)]
pub struct TaskFacts {
    /// Its name (from its spawn, or its thread's name when adopted).
    pub name: String,
    /// It was spawned through Weft (a `TaskSpawn` names it).
    pub spawned: bool,
    /// Where it was spawned, as `file:line`; `None` for a thread Weft did not spawn.
    pub spawn_site: Option<String>,
    /// It recorded `TaskExit` (a tokio task: `TaskTerminate`).
    pub exited: bool,
    /// The wait it began and never ended, if any.
    pub open_wait: Option<OpenWait>,
}

/// A wait that had not ended when the trace did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenWait {
    /// What kind of wait.
    pub kind: WaitKind,
    /// The blocking call, as `file:line`.
    pub site: Option<String>,
    /// The channel or lock waited on.
    pub object: Option<ObjectId>,
}

/// Everything the tests check, computed in one pass over the events.
#[derive(Debug, Default)]
pub struct Facts {
    /// Every task seen, by id.
    pub tasks: BTreeMap<TaskId, TaskFacts>,
    /// Channels and locks by creation site (`file:line`); one site may create several.
    pub objects_created_at: HashMap<String, Vec<ObjectId>>,
    /// Pairs of locks taken in both orders somewhere in the run.
    pub inverted_lock_pairs: BTreeSet<(ObjectId, ObjectId)>,
    /// For each lint, the sites the evidence points at (see `Lint::site_meaning`).
    pub lint_sites: BTreeMap<Lint, BTreeSet<String>>,
    /// The most tasks alive at once.
    pub peak_live_tasks: usize,
}

/// A lock hold: who held which lock from when to when, taken where.
struct Hold {
    task: TaskId,
    lock: ObjectId,
    from: u64,
    to: u64,
    site: Option<String>,
}

/// A lock taken and not yet released: (lock, since, where).
type Taken = (ObjectId, u64, Option<String>);

/// What happened on tokio's side, for the tokio lints.
#[derive(Default)]
struct TokioFacts {
    /// Each tokio task's polls: (worker, start, end).
    polls: HashMap<TaskId, Vec<(u32, u64, u64)>>,
    /// The poll in progress per task: (worker, start).
    polling: HashMap<TaskId, (u32, u64)>,
    /// Synchronous blocks (sleep, park, std lock wait, condvar, join) per task: (start, end,
    /// site).
    blocks: HashMap<TaskId, Vec<(u64, u64, Option<String>)>>,
    /// The synchronous block in progress per task: (start, site).
    blocking: HashMap<TaskId, (u64, Option<String>)>,
    /// Threads their runtime parks (tokio workers, a current-thread `block_on` thread), with
    /// the times it parked them.
    parks: HashMap<TaskId, Vec<u64>>,
    /// The tokio locks (`Mutex`, `RwLock`) by id.
    locks: BTreeSet<ObjectId>,
    /// Tokio lock holds by task: lock and since.
    held: HashMap<TaskId, Vec<(ObjectId, u64)>>,
}

impl Facts {
    /// Reads the facts off `trace`.
    pub fn of(trace: &Trace) -> Facts {
        let mut facts = Facts::default();
        let site_of = |id| trace.site(id).map(|site| site.to_string());
        let end_ts = trace.events.last().map_or(0, |event| event.ts);

        let mut held: HashMap<TaskId, Vec<Taken>> = HashMap::new();
        let mut tokio = TokioFacts::default();
        let mut holds = Vec::new();
        let mut lock_waits: Vec<(ObjectId, TaskId, u64)> = Vec::new();
        let mut lock_order: BTreeSet<(ObjectId, ObjectId)> = BTreeSet::new();
        let mut lock_created_at: HashMap<ObjectId, String> = HashMap::new();
        let mut empty_poll_runs: HashMap<TaskId, usize> = HashMap::new();
        let mut live: BTreeSet<TaskId> = BTreeSet::new();

        for event in &trace.events {
            let task = event.task;
            let site = site_of(event.site);
            if event.kind.begins_wait() {
                empty_poll_runs.insert(task, 0);
            }
            match event.kind {
                EventKind::TaskSpawn { child, name } => {
                    let child = facts.tasks.entry(child).or_default();
                    child.name = trace.string(name).to_owned();
                    child.spawned = true;
                    child.spawn_site = site.clone();
                }
                EventKind::TaskStart {
                    task: started,
                    name,
                } => {
                    let entry = facts.tasks.entry(started).or_default();
                    if entry.name.is_empty() {
                        entry.name = trace.string(name).to_owned();
                    }
                    live.insert(started);
                    if live.len() > facts.peak_live_tasks {
                        facts.peak_live_tasks = live.len();
                        if live.len() >= UNBOUNDED_PEAK {
                            if let Some(site) = facts.busiest_spawn_site(&live) {
                                facts.note(Lint::UnboundedSpawning, site);
                            }
                        }
                    }
                }
                EventKind::TaskExit { .. } => {
                    facts.tasks.entry(task).or_default().exited = true;
                    live.remove(&task);
                }
                EventKind::TaskTerminate { task: ended } => {
                    let entry = facts.tasks.entry(ended).or_default();
                    entry.exited = true;
                    entry.open_wait = None;
                }
                EventKind::PollBegin { task: polled } => {
                    tokio.polling.insert(polled, (event.worker, event.ts));
                    let entry = facts.tasks.entry(polled).or_default();
                    if entry
                        .open_wait
                        .as_ref()
                        .is_some_and(|w| w.kind == WaitKind::Await)
                    {
                        entry.open_wait = None;
                    }
                }
                EventKind::PollEnd { task: polled, .. } => {
                    if let Some((worker, start)) = tokio.polling.remove(&polled) {
                        let polls = tokio.polls.entry(polled).or_default();
                        polls.push((worker, start, event.ts));
                    }
                    let entry = facts.tasks.entry(polled).or_default();
                    if !entry.exited && entry.open_wait.is_none() {
                        entry.open_wait = Some(OpenWait {
                            kind: WaitKind::Await,
                            site: None,
                            object: None,
                        });
                    }
                }
                EventKind::WorkerPark => {
                    tokio.parks.entry(task).or_default().push(event.ts);
                }
                EventKind::ResourceCreate {
                    resource,
                    kind,
                    loc,
                } => {
                    // Tokio names the creation site `file:line:col`.
                    let loc = trace.string(loc);
                    let site = loc
                        .rsplit_once(':')
                        .map(|(file_line, _)| file_line.to_owned());
                    if let Some(site) = site {
                        facts
                            .objects_created_at
                            .entry(site.clone())
                            .or_default()
                            .push(resource);
                        if matches!(kind, ResourceKind::Mutex | ResourceKind::RwLock) {
                            lock_created_at.insert(resource, site);
                        }
                    }
                    if matches!(kind, ResourceKind::Mutex | ResourceKind::RwLock) {
                        tokio.locks.insert(resource);
                    }
                }
                EventKind::ResourceWait { resource, .. } if tokio.locks.contains(&resource) => {
                    lock_waits.push((resource, task, event.ts));
                }
                EventKind::ResourceAcquire { resource, .. } => {
                    tokio
                        .held
                        .entry(task)
                        .or_default()
                        .push((resource, event.ts));
                }
                EventKind::ResourceRelease { resource, .. } => {
                    let taken = tokio.held.get_mut(&task).and_then(|locks| {
                        let i = locks.iter().rposition(|&(l, _)| l == resource)?;
                        Some(locks.remove(i))
                    });
                    if let Some((lock, from)) = taken {
                        holds.push(Hold {
                            task,
                            lock,
                            from,
                            to: event.ts,
                            site: None,
                        });
                    }
                }
                EventKind::ChanCreate { chan, .. } => {
                    if let Some(site) = site.clone() {
                        facts.objects_created_at.entry(site).or_default().push(chan);
                    }
                }
                EventKind::LockCreate { lock, .. } => {
                    if let Some(site) = site.clone() {
                        lock_created_at.insert(lock, site.clone());
                        facts.objects_created_at.entry(site).or_default().push(lock);
                    }
                }
                EventKind::LockWait { lock, .. } => {
                    lock_waits.push((lock, task, event.ts));
                    note_lock_order(&mut lock_order, &held, task, lock);
                }
                EventKind::LockAcquire { lock, .. } | EventKind::TryLock { lock, ok: true, .. } => {
                    note_lock_order(&mut lock_order, &held, task, lock);
                    held.entry(task)
                        .or_default()
                        .push((lock, event.ts, site.clone()));
                }
                EventKind::LockAcquired { lock, .. } => {
                    held.entry(task)
                        .or_default()
                        .push((lock, event.ts, site.clone()));
                }
                EventKind::LockRelease { lock, .. } => {
                    release(&mut held, &mut holds, task, lock, event.ts);
                }
                EventKind::CondWait { lock, .. } => {
                    release(&mut held, &mut holds, task, lock, event.ts);
                    if held.get(&task).is_some_and(|locks| !locks.is_empty()) {
                        if let Some(site) = site.clone() {
                            facts.note(Lint::LockHeldWhileBlocking, site);
                        }
                    }
                }
                EventKind::CondWake { lock, .. } => {
                    let locks = held.entry(task).or_default();
                    if !locks.iter().any(|&(l, _, _)| l == lock) {
                        locks.push((lock, event.ts, site.clone()));
                    }
                }
                EventKind::TryRecv {
                    outcome: Outcome::Empty,
                    ..
                } => {
                    let run = empty_poll_runs.entry(task).or_default();
                    *run += 1;
                    if *run >= BUSY_POLLS {
                        if let Some(site) = site.clone() {
                            facts.note(Lint::BusyWait, site);
                        }
                    }
                }
                EventKind::SendEnd {
                    outcome: Outcome::Disconnected,
                    ..
                }
                | EventKind::TrySend {
                    outcome: Outcome::Disconnected,
                    ..
                }
                | EventKind::SelectEnd {
                    op: SelectOp::Send,
                    outcome: Outcome::Disconnected,
                    ..
                } => {
                    if let Some(site) = site.clone() {
                        facts.note(Lint::SendOnDisconnected, site);
                    }
                }
                _ => {}
            }
            if let Some(kind) = blocking_kind(&event.kind) {
                if kind != WaitKind::Lock && kind != WaitKind::Condvar {
                    let holding = held.get(&task).is_some_and(|locks| !locks.is_empty());
                    if holding {
                        if let Some(site) = site.clone() {
                            facts.note(Lint::LockHeldWhileBlocking, site);
                        }
                    }
                }
            }
            if blocks_the_thread(&event.kind) {
                tokio.blocking.insert(task, (event.ts, site.clone()));
            } else if ends_thread_block(&event.kind) {
                if let Some((start, at)) = tokio.blocking.remove(&task) {
                    let blocks = tokio.blocks.entry(task).or_default();
                    blocks.push((start, event.ts, at));
                }
            }
            let entry = facts.tasks.entry(task).or_default();
            if let Some(kind) = blocking_kind(&event.kind) {
                entry.open_wait = Some(OpenWait {
                    kind,
                    site,
                    object: waited_object(&event.kind),
                });
            } else if ends_wait(&event.kind) {
                entry.open_wait = None;
            }
        }

        for (task, locks) in held {
            for (lock, from, site) in locks {
                holds.push(Hold {
                    task,
                    lock,
                    from,
                    to: end_ts,
                    site,
                });
            }
        }
        for (&task, locks) in &tokio.held {
            for &(lock, from) in locks {
                holds.push(Hold {
                    task,
                    lock,
                    from,
                    to: end_ts,
                    site: None,
                });
            }
        }
        facts.note_tokio_lints(trace, &tokio, &holds);
        for hold in &holds {
            let long = hold.to.saturating_sub(hold.from) >= LONG_HOLD_NS;
            let waited_on = lock_waits.iter().any(|&(lock, waiter, ts)| {
                lock == hold.lock && waiter != hold.task && ts >= hold.from && ts < hold.to
            });
            if long && waited_on {
                if let Some(site) = lock_created_at.get(&hold.lock) {
                    facts.note(Lint::LockHeldLong, site.clone());
                }
            }
        }
        for &(a, b) in &lock_order {
            if a < b && lock_order.contains(&(b, a)) {
                facts.inverted_lock_pairs.insert((a, b));
            }
        }
        facts
    }

    /// Tasks that never exited, by name: the candidates for leaks.
    pub fn unfinished_tasks(&self) -> Vec<(&str, &TaskFacts)> {
        let mut tasks: Vec<_> = self
            .tasks
            .values()
            .filter(|task| task.spawned && !task.exited)
            .map(|task| (task.name.as_str(), task))
            .collect();
        tasks.sort_by_key(|(name, _)| *name);
        tasks
    }

    /// The sites a lint's evidence points at (empty when there is no evidence).
    pub fn lint_sites(&self, lint: Lint) -> BTreeSet<String> {
        self.lint_sites.get(&lint).cloned().unwrap_or_default()
    }

    /// `long_poll` and `lock_held_across_await` evidence (see `Lint`).
    fn note_tokio_lints(&mut self, trace: &Trace, tokio: &TokioFacts, holds: &[Hold]) {
        let no_blocks = Vec::new();
        for (task, polls) in &tokio.polls {
            let blocks = tokio.blocks.get(task).unwrap_or(&no_blocks);
            for &(_, start, end) in polls {
                if end - start < LONG_POLL_NS {
                    continue;
                }
                let inside = || blocks.iter().filter(|b| b.0 >= start && b.1 <= end);
                let blocked: u64 = inside().map(|b| b.1 - b.0).sum();
                let longest = inside().max_by_key(|b| b.1 - b.0);
                let site = match longest {
                    Some((_, _, site)) if blocked >= LONG_POLL_NS => site.clone(),
                    _ if end - start >= LONG_POLL_BUSY_NS => {
                        self.tasks.get(task).and_then(|t| t.spawn_site.clone())
                    }
                    _ => None,
                };
                if let Some(site) = site {
                    self.note(Lint::LongPoll, site);
                }
            }
        }
        // Without task hooks: a worker thread blocked that long.
        for (task, blocks) in &tokio.blocks {
            if is_tokio_task(*task) || !tokio.parks.contains_key(task) {
                continue;
            }
            for (start, end, site) in blocks {
                if end - start >= LONG_POLL_NS {
                    if let Some(site) = site.clone() {
                        self.note(Lint::LongPoll, site);
                    }
                }
            }
        }
        // Where each thread ran: the worker of its first event.
        let mut worker_of: HashMap<TaskId, u32> = HashMap::new();
        for event in &trace.events {
            worker_of.entry(event.task).or_insert(event.worker);
        }
        let no_polls = Vec::new();
        for hold in holds.iter().filter(|h| !tokio.locks.contains(&h.lock)) {
            let inside = |ts: u64| ts > hold.from && ts < hold.to;
            let across = if is_tokio_task(hold.task) {
                let polls = tokio.polls.get(&hold.task).unwrap_or(&no_polls);
                polls.iter().any(|&(_, _, end)| inside(end))
            } else {
                let parked = tokio
                    .parks
                    .get(&hold.task)
                    .is_some_and(|parks| parks.iter().any(|&ts| inside(ts)));
                let worker = worker_of.get(&hold.task);
                let polled_another = tokio
                    .polls
                    .values()
                    .flatten()
                    .any(|&(w, start, _)| Some(&w) == worker && inside(start));
                parked || polled_another
            };
            if across {
                if let Some(site) = hold.site.clone() {
                    self.note(Lint::LockHeldAcrossAwait, site);
                }
            }
        }
    }

    fn note(&mut self, lint: Lint, site: String) {
        self.lint_sites.entry(lint).or_default().insert(site);
    }

    fn busiest_spawn_site(&self, live: &BTreeSet<TaskId>) -> Option<String> {
        let mut by_site: HashMap<&str, usize> = HashMap::new();
        for task in live {
            if let Some(site) = self.tasks.get(task).and_then(|t| t.spawn_site.as_deref()) {
                *by_site.entry(site).or_default() += 1;
            }
        }
        by_site
            .into_iter()
            .max_by_key(|&(_, count)| count)
            .map(|(site, _)| site.to_owned())
    }
}

/// Records that `task` asked for `lock` while holding each lock it holds.
fn note_lock_order(
    lock_order: &mut BTreeSet<(ObjectId, ObjectId)>,
    held: &HashMap<TaskId, Vec<Taken>>,
    task: TaskId,
    lock: ObjectId,
) {
    for &(before, _, _) in held.get(&task).into_iter().flatten() {
        if before != lock {
            lock_order.insert((before, lock));
        }
    }
}

fn release(
    held: &mut HashMap<TaskId, Vec<Taken>>,
    holds: &mut Vec<Hold>,
    task: TaskId,
    lock: ObjectId,
    ts: u64,
) {
    let Some(locks) = held.get_mut(&task) else {
        return;
    };
    if let Some(index) = locks.iter().rposition(|&(l, _, _)| l == lock) {
        let (_, from, site) = locks.remove(index);
        holds.push(Hold {
            task,
            lock,
            from,
            to: ts,
            site,
        });
    }
}

/// A call that blocks the thread that makes it, whatever task that thread runs.
fn blocks_the_thread(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::SleepBegin { .. }
            | EventKind::ParkBegin { .. }
            | EventKind::LockWait { .. }
            | EventKind::CondWait { .. }
            | EventKind::JoinBegin { .. }
    )
}

fn ends_thread_block(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::SleepEnd
            | EventKind::ParkEnd
            | EventKind::LockAcquired { .. }
            | EventKind::CondWake { .. }
            | EventKind::JoinEnd { .. }
    )
}

/// The kind of wait an event begins, if it begins one.
pub fn blocking_kind(kind: &EventKind) -> Option<WaitKind> {
    Some(match kind {
        EventKind::JoinBegin { .. } => WaitKind::Join,
        EventKind::ParkBegin { .. } => WaitKind::Park,
        EventKind::SleepBegin { .. } => WaitKind::Sleep,
        EventKind::SendBegin { .. } => WaitKind::Send,
        EventKind::RecvBegin { .. } => WaitKind::Recv,
        EventKind::SelectBegin { .. } => WaitKind::Select,
        EventKind::LockWait { .. } => WaitKind::Lock,
        EventKind::CondWait { .. } => WaitKind::Condvar,
        _ => return None,
    })
}

fn ends_wait(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::JoinEnd { .. }
            | EventKind::ParkEnd
            | EventKind::SleepEnd
            | EventKind::SendEnd { .. }
            | EventKind::RecvEnd { .. }
            | EventKind::SelectEnd { .. }
            | EventKind::LockAcquired { .. }
            | EventKind::CondWake { .. }
            | EventKind::WaitCancel { .. }
            | EventKind::RecvLagged { .. }
    )
}

fn waited_object(kind: &EventKind) -> Option<ObjectId> {
    match *kind {
        EventKind::SendBegin { chan } | EventKind::RecvBegin { chan } => Some(chan),
        EventKind::LockWait { lock, .. } => Some(lock),
        EventKind::CondWait { cv, .. } => Some(cv),
        _ => None,
    }
}
