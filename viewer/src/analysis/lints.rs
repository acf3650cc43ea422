//! Lints: patterns that are not bugs by themselves but cost time or hide one.
//!
//! Names are a contract (`weft check --allow NAME`): `lock_held_long`,
//! `lock_held_while_blocking`, `unbounded_spawning`, `busy_wait`, `send_on_disconnected`, and
//! for async (tokio) programs `long_poll` and `lock_held_across_await`. Thresholds live in
//! [`Config`].
//!
//! Tokio's own `Mutex` and `RwLock` are locks for `lock_held_long` (a task waiting for one
//! waits as surely as a thread) but not for the others: holding one across an `.await` is what
//! it is for, and a task suspended at an `.await` does not block a thread.

use std::collections::BTreeMap;

use serde::Serialize;

use super::held::{sweep, HeldLocks};
use super::Config;
use crate::model::idmap::IdMap;
use crate::model::{
    BlockReason, Hold, Model, ObjectIx, Poll, SiteIx, Span, State, TaskIx, WaitTarget, WorkerIx,
};

/// Which lint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LintKind {
    /// A lock held for long while other tasks waited for it.
    LockHeldLong,
    /// A lock held across a blocking wait (sleep, channel, join, park, condvar).
    LockHeldWhileBlocking,
    /// Many more tasks alive at once from one spawn site than could run.
    UnboundedSpawning,
    /// A loop polling `try_recv`/`try_send`/`try_lock` instead of blocking.
    BusyWait,
    /// Sends that found every receiver gone.
    SendOnDisconnected,
    /// A poll of an async task that ran long without yielding: its worker could run nothing
    /// else meanwhile (a blocking call or long computation in async code).
    LongPoll,
    /// A std lock taken in one poll of an async task and released in a later one: held while
    /// the task was suspended at an `.await`.
    LockHeldAcrossAwait,
}

impl LintKind {
    /// Every lint.
    pub const ALL: [LintKind; 7] = [
        LintKind::LockHeldLong,
        LintKind::LockHeldWhileBlocking,
        LintKind::UnboundedSpawning,
        LintKind::BusyWait,
        LintKind::SendOnDisconnected,
        LintKind::LongPoll,
        LintKind::LockHeldAcrossAwait,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            LintKind::LockHeldLong => "lock_held_long",
            LintKind::LockHeldWhileBlocking => "lock_held_while_blocking",
            LintKind::UnboundedSpawning => "unbounded_spawning",
            LintKind::BusyWait => "busy_wait",
            LintKind::SendOnDisconnected => "send_on_disconnected",
            LintKind::LongPoll => "long_poll",
            LintKind::LockHeldAcrossAwait => "lock_held_across_await",
        }
    }

    /// The lint with this name.
    pub fn from_name(name: &str) -> Option<LintKind> {
        LintKind::ALL.into_iter().find(|l| l.as_str() == name)
    }
}

impl Serialize for LintKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One finding, aggregated over its site (or lock).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lint {
    /// Which lint.
    pub kind: LintKind,
    /// One readable sentence.
    pub message: String,
    /// Where to look in the source: for `lock_held_long` where the lock was created, for
    /// `unbounded_spawning` the spawn site, for `long_poll` the blocking call inside the poll
    /// (else the task's spawn site), for `lock_held_across_await` where the lock was taken,
    /// otherwise the offending call.
    pub site: SiteIx,
    /// The tasks involved (a few).
    pub tasks: Vec<TaskIx>,
    /// The objects involved.
    pub objects: Vec<ObjectIx>,
    /// How many occurrences.
    pub count: u64,
    /// Time involved in all (lint-specific: held, blocked, polling).
    pub total_ns: u64,
    /// The longest occurrence.
    pub max_ns: u64,
    /// When the first occurrence began: where to jump to.
    pub first_ts: u64,
}

/// How many tasks a finding lists.
const MAX_TASKS: usize = 8;

#[derive(Default)]
struct Acc {
    count: u64,
    total: u64,
    max: u64,
    max_site: SiteIx,
    first_ts: u64,
    tasks: Vec<TaskIx>,
    objects: Vec<ObjectIx>,
}

impl Acc {
    fn add(&mut self, ts: u64, ns: u64, site: SiteIx, task: TaskIx, object: Option<ObjectIx>) {
        if self.count == 0 || ts < self.first_ts {
            self.first_ts = ts;
        }
        self.count += 1;
        // Times come from a file: sums saturate rather than overflow.
        self.total = self.total.saturating_add(ns);
        if ns >= self.max {
            self.max = ns;
            self.max_site = site;
        }
        if self.tasks.len() < MAX_TASKS && !self.tasks.contains(&task) {
            self.tasks.push(task);
        }
        if let Some(o) = object {
            if self.objects.len() < MAX_TASKS && !self.objects.contains(&o) {
                self.objects.push(o);
            }
        }
    }

    fn lint(self, kind: LintKind, site: SiteIx, message: String) -> Lint {
        Lint {
            kind,
            message,
            site,
            tasks: self.tasks,
            objects: self.objects,
            count: self.count,
            total_ns: self.total,
            max_ns: self.max,
            first_ts: self.first_ts,
        }
    }
}

/// The lints about lock holds (10 M events: about 0.12 of the lints' 0.28 s), which need the
/// held locks; [`find_others`] do without, so the analysis runs the two groups side by side.
/// [`sorted`] puts them together.
pub(crate) fn find_on_holds(model: &Model, held: &HeldLocks, config: &Config) -> Vec<Lint> {
    let mut lints = Vec::new();
    lock_held_long(model, config, &mut lints);
    lock_held_while_blocking(model, held, config, &mut lints);
    lints
}

/// Every other lint: spawning, busy waits, sends on disconnected channels, long polls, locks
/// held across `.await`.
pub(crate) fn find_others(model: &Model, config: &Config) -> Vec<Lint> {
    let mut lints = Vec::new();
    unbounded_spawning(model, config, &mut lints);
    busy_wait(model, config, &mut lints);
    send_on_disconnected(model, &mut lints);
    long_poll(model, config, &mut lints);
    lock_held_across_await(model, &mut lints);
    lints
}

/// Every lint finding, by kind then first occurrence: the two groups' findings, holds' first
/// (equal keys keep that order).
pub(crate) fn sorted(on_holds: Vec<Lint>, others: Vec<Lint>) -> Vec<Lint> {
    let mut lints = on_holds;
    lints.extend(others);
    lints.sort_by_key(|l| (l.kind, l.first_ts));
    lints
}

/// Formats nanoseconds for messages: `850 ns`, `12.3 µs`, `4.5 ms`, `2.31 s`.
pub fn format_ns(ns: u64) -> String {
    let f = ns as f64;
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} µs", f / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.1} ms", f / 1e6)
    } else {
        format!("{:.2} s", f / 1e9)
    }
}

fn site(model: &Model, s: SiteIx) -> String {
    model
        .site_label(s)
        .unwrap_or_else(|| "an unknown site".into())
}

fn lock_held_long(model: &Model, config: &Config, out: &mut Vec<Lint>) {
    // The lock waits of every task, per lock: (start, end, waiter).
    let mut waits: IdMap<u32, Vec<(u64, u64, TaskIx)>> = IdMap::default();
    for t in model.task_ixs() {
        for span in model.timeline(t).spans() {
            if let (Some(r), WaitTarget::Object(o)) = (span.state.blocked(), span.target) {
                if r.is_lock() {
                    waits
                        .entry(o.0)
                        .or_default()
                        .push((span.start, span.end, t));
                }
            }
        }
    }
    for (lock, mut waits) in waits {
        let lock = ObjectIx(lock);
        waits.sort_unstable();
        let longest_wait = waits.iter().map(|w| w.1 - w.0).max().unwrap_or(0);
        let mut acc = Acc::default();
        let mut waiters = 0u64;
        for h in model.holds(lock) {
            let held = h.end - h.start;
            if held < config.lock_held_long_ns {
                continue;
            }
            // Waits that overlap the hold began before it ended and at most the longest wait
            // before it began.
            let upto = waits.partition_point(|w| w.0 < h.end);
            let from = waits.partition_point(|w| w.0.saturating_add(longest_wait) < h.start);
            let overlapping = waits[from.min(upto)..upto]
                .iter()
                .filter(|w| w.2 != h.task && w.1 > h.start)
                .count() as u64;
            if overlapping > 0 {
                acc.add(h.start, held, h.site, h.task, Some(lock));
                waiters += overlapping;
            }
        }
        if acc.count == 0 {
            continue;
        }
        // The finding is about the lock: it points where the lock was created.
        let created = model.object(lock).site;
        let at = if created.is_known() {
            created
        } else {
            acc.max_site
        };
        // Tokio reports no site for taking its locks.
        let taken_at = match model.site_label(acc.max_site) {
            Some(taken) => format!(" (taken at {taken})"),
            None => String::new(),
        };
        let message = format!(
            "{} (created at {}) was held {} or longer while other tasks waited: {} hold{}, {} wait{} behind them; the longest hold lasted {}{}",
            model.object_name(lock),
            site(model, created),
            format_ns(config.lock_held_long_ns),
            acc.count,
            if acc.count == 1 { "" } else { "s" },
            waiters,
            if waiters == 1 { "" } else { "s" },
            format_ns(acc.max),
            taken_at,
        );
        out.push(acc.lint(LintKind::LockHeldLong, at, message));
    }
}

fn lock_held_while_blocking(model: &Model, held: &HeldLocks, config: &Config, out: &mut Vec<Lint>) {
    // Aggregated by (lock, blocking site, reason).
    let mut found: BTreeMap<(ObjectIx, SiteIx, BlockReason), (Acc, SiteIx)> = BTreeMap::new();
    let mut spans = Vec::new();
    let mut times = Vec::new();
    let mut std_holds = Vec::new();
    for t in model.task_ixs() {
        // Tokio locks are for holding across awaits; only std locks block.
        std_holds.clear();
        std_holds.extend(
            held.of(t)
                .iter()
                .filter(|h| !model.object(h.lock).kind.is_async())
                .copied(),
        );
        if std_holds.is_empty() {
            continue;
        }
        // An async task blocks only inside a poll; its waits between polls are awaits (see
        // `lock_held_across_await`), and a runtime worker's idle time is not a wait.
        let polls = model.polls(t);
        let is_async = model.task(t).is_async;
        spans.clear();
        spans.extend(model.timeline(t).spans().filter(|s| {
            matches!(s.state, State::Blocked(r) if !r.is_lock())
                && !s.idle
                && (!is_async || inside_a_poll(polls, s.start, s.end))
                && s.duration() >= config.lock_held_while_blocking_ns
        }));
        times.clear();
        times.extend(spans.iter().map(|s| s.start));
        sweep(&std_holds, &times, |i, active| {
            let span = spans[i];
            let Some(reason) = span.state.blocked() else {
                return;
            };
            for h in active {
                let key = (h.lock, span.site, reason);
                let (acc, lock_site) = found.entry(key).or_insert((Acc::default(), h.hold.site));
                *lock_site = h.hold.site;
                acc.add(span.start, span.duration(), span.site, t, Some(h.lock));
            }
        });
    }
    for ((lock, at, reason), (acc, lock_site)) in found {
        let message = format!(
            "{} (taken at {}) was held while blocked in {} at {}: {} time{}, {} in all, longest {}",
            model.object_name(lock),
            site(model, lock_site),
            reason.as_str(),
            site(model, at),
            acc.count,
            if acc.count == 1 { "" } else { "s" },
            format_ns(acc.total),
            format_ns(acc.max),
        );
        out.push(acc.lint(LintKind::LockHeldWhileBlocking, at, message));
    }
}

fn unbounded_spawning(model: &Model, config: &Config, out: &mut Vec<Lint>) {
    // Lifetimes per spawn site: +1 at spawn, -1 at exit.
    let mut by_site: BTreeMap<SiteIx, Vec<(u64, i64, TaskIx)>> = BTreeMap::new();
    for t in model.task_ixs() {
        let task = model.task(t);
        if task.parent.is_none() || !task.spawn_site.is_known() {
            continue;
        }
        let Some(begin) = task.spawned_at.or(task.started_at) else {
            continue;
        };
        let changes = by_site.entry(task.spawn_site).or_default();
        changes.push((begin, 1, t));
        if let Some(end) = task.exited_at {
            changes.push((end, -1, t));
        }
    }
    for (at, mut changes) in by_site {
        // Exits before spawns at the same instant.
        changes.sort_by_key(|c| (c.0, c.1));
        let spawned = changes.iter().filter(|c| c.1 > 0).count() as u64;
        let (mut live, mut peak, mut peak_ts) = (0i64, 0i64, 0u64);
        for &(ts, delta, _) in &changes {
            live += delta;
            if live > peak {
                peak = live;
                peak_ts = ts;
            }
        }
        if (peak as u64) < u64::from(config.unbounded_spawning_live) {
            continue;
        }
        let mut acc = Acc::default();
        for &(ts, delta, t) in &changes {
            if delta > 0 {
                acc.add(ts, 0, at, t, None);
            }
        }
        let message = format!(
            "{} tasks spawned at {} were alive at once ({} spawned in all): spawning one per item does not bound concurrency; use a pool or a bounded channel",
            peak,
            site(model, at),
            spawned,
        );
        let mut lint = acc.lint(LintKind::UnboundedSpawning, at, message);
        lint.count = peak as u64;
        lint.first_ts = peak_ts;
        out.push(lint);
    }
}

fn busy_wait(model: &Model, config: &Config, out: &mut Vec<Lint>) {
    #[derive(Clone, Copy)]
    struct Streak {
        polls: u64,
        first: u64,
        last: u64,
        site: SiteIx,
    }
    let mut found: BTreeMap<SiteIx, (Acc, u64)> = BTreeMap::new();
    let mut finish = |streak: Streak, task: TaskIx, object: ObjectIx| {
        if streak.polls >= u64::from(config.busy_wait_polls) {
            let (acc, polls) = found.entry(streak.site).or_default();
            acc.add(
                streak.first,
                streak.last - streak.first,
                streak.site,
                task,
                Some(object),
            );
            *polls += streak.polls;
        }
    };
    let mut streaks: IdMap<u32, Streak> = IdMap::default();
    for o in model.object_ixs() {
        streaks.clear();
        let lane = model.object_events(o);
        for (i, e) in lane.rows().iter().enumerate() {
            let ts = lane.start_of(i);
            if !e.op().is_failed_attempt() {
                if let Some(s) = streaks.remove(&e.task.0) {
                    finish(s, e.task, o);
                }
                continue;
            }
            match streaks.get_mut(&e.task.0) {
                Some(s) if ts - s.last <= config.busy_wait_gap_ns => {
                    s.polls += 1;
                    s.last = ts;
                }
                _ => {
                    let fresh = Streak {
                        polls: 1,
                        first: ts,
                        last: ts,
                        site: e.site,
                    };
                    if let Some(old) = streaks.insert(e.task.0, fresh) {
                        finish(old, e.task, o);
                    }
                }
            }
        }
        for (t, s) in streaks.drain() {
            finish(s, TaskIx(t), o);
        }
    }
    for (at, (acc, polls)) in found {
        let message = format!(
            "{} failed polls at {} in {} busy loop{} ({} spinning in all, longest {}): block (recv, send, lock) or select with a timeout instead",
            polls,
            site(model, at),
            acc.count,
            if acc.count == 1 { "" } else { "s" },
            format_ns(acc.total),
            format_ns(acc.max),
        );
        let mut lint = acc.lint(LintKind::BusyWait, at, message);
        lint.count = polls;
        out.push(lint);
    }
}

fn send_on_disconnected(model: &Model, out: &mut Vec<Lint>) {
    let mut found: BTreeMap<SiteIx, Acc> = BTreeMap::new();
    for o in model.object_ixs() {
        let lane = model.object_events(o);
        for (i, e) in lane.rows().iter().enumerate() {
            if e.op().send_disconnected() {
                let acc = found.entry(e.site).or_default();
                acc.add(lane.start_of(i), 0, e.site, e.task, Some(o));
            }
        }
    }
    for (at, acc) in found {
        let message = format!(
            "{} send{} at {} found every receiver of {} gone: the message was lost",
            acc.count,
            if acc.count == 1 { "" } else { "s" },
            site(model, at),
            acc.objects
                .iter()
                .map(|&o| model.object_name(o))
                .collect::<Vec<_>>()
                .join(", "),
        );
        out.push(acc.lint(LintKind::SendOnDisconnected, at, message));
    }
}

/// True when `[start, end]` lies within one poll of `polls` (by start): a wait that began and
/// ended while the task was being polled blocked its worker thread.
fn inside_a_poll(polls: &[Poll], start: u64, end: u64) -> bool {
    let i = polls.partition_point(|p| p.start <= start);
    i > 0 && polls[i - 1].end >= end && polls[i - 1].start <= start
}

/// A synchronous wait: one that blocks the thread whatever task it runs (not an async wait on
/// a channel of tokio's or a tokio resource, and not a runtime worker's idle time).
fn is_thread_block(model: &Model, span: &Span) -> bool {
    let Some(reason) = span.state.blocked() else {
        return false;
    };
    if span.idle {
        return false;
    }
    match reason {
        BlockReason::Sleep | BlockReason::Park => span.target == WaitTarget::Nothing,
        BlockReason::Join | BlockReason::Condvar => true,
        BlockReason::Lock | BlockReason::LockRead => {
            matches!(span.target, WaitTarget::Object(o) if !model.object(o).kind.is_async())
        }
        _ => false,
    }
}

/// Polls that kept a worker from other tasks. With tokio's task hooks that is a poll of an async
/// task that blocked in synchronous calls (sleep, park, std lock, condvar, join) for
/// `long_poll_ns` or longer — site: the longest such call — or, with no such evidence, one that
/// lasted `long_poll_busy_ns` (a long computation; a shorter one may just have been preempted)
/// — site: the task's spawn site. Without task hooks (no `tokio_unstable`) the recorder sees no
/// polls, but a runtime worker thread blocked in a synchronous call for `long_poll_ns` was
/// inside a poll at least that long.
fn long_poll(model: &Model, config: &Config, out: &mut Vec<Lint>) {
    let mut found: BTreeMap<SiteIx, (Acc, u64)> = BTreeMap::new();
    let mut add = |site: SiteIx, ts: u64, ns: u64, task: TaskIx, blocked: u64| {
        let (acc, blocked_ns) = found.entry(site).or_default();
        acc.add(ts, ns, site, task, None);
        *blocked_ns = blocked_ns.saturating_add(blocked);
    };
    for t in model.task_ixs() {
        let task = model.task(t);
        let lane = model.timeline(t);
        if task.is_async {
            for poll in model.polls(t) {
                if poll.duration() < config.long_poll_ns {
                    continue;
                }
                let (mut blocked, mut longest) = (0u64, None::<Span>);
                for span in lane.visible(poll.start, poll.end).map(|i| lane.span(i)) {
                    let inside = span.start >= poll.start && span.end <= poll.end;
                    if inside && is_thread_block(model, &span) {
                        blocked = blocked.saturating_add(span.duration());
                        if longest.is_none_or(|l| span.duration() > l.duration()) {
                            longest = Some(span);
                        }
                    }
                }
                // Wall-clock time alone can be a preempted thread: a poll counts on the
                // evidence of its blocking calls, or when it is too long for preemption.
                match longest {
                    Some(block) if blocked >= config.long_poll_ns => {
                        add(block.site, poll.start, poll.duration(), t, blocked)
                    }
                    _ if poll.duration() >= config.long_poll_busy_ns => {
                        add(task.spawn_site, poll.start, poll.duration(), t, 0)
                    }
                    _ => {}
                }
            }
        } else if lane.spans().any(|s| s.idle) {
            // A thread its runtime parks is a worker: whatever blocks it blocks the runtime.
            for span in lane.spans() {
                if span.duration() >= config.long_poll_ns && is_thread_block(model, &span) {
                    add(span.site, span.start, span.duration(), t, span.duration());
                }
            }
        }
    }
    for (at, (acc, blocked)) in found {
        let cause = if blocked > 0 {
            format!(
                "blocked in the call at {} for {} of it",
                site(model, at),
                format_ns(blocked)
            )
        } else {
            format!(
                "running without an .await that yields (tasks spawned at {})",
                site(model, at)
            )
        };
        let message = format!(
            "{} poll{} ran {} or longer without yielding, {} in all, longest {}: {}; the worker could run no other task meanwhile. Move blocking work to spawn_blocking or use an async API",
            acc.count,
            if acc.count == 1 { "" } else { "s" },
            format_ns(config.long_poll_ns),
            format_ns(acc.total),
            format_ns(acc.max),
            cause,
        );
        out.push(acc.lint(LintKind::LongPoll, at, message));
    }
}

/// Std locks held across an `.await`: by an async task, a hold during which one of its polls
/// ended (taken in one poll, released in a later one, or never); by a thread that drives a
/// runtime (a current-thread runtime's `block_on` thread, a worker without task hooks), a
/// hold during which its runtime parked it or it polled another task — its own future was
/// suspended. Aggregated by the site that took the lock.
fn lock_held_across_await(model: &Model, out: &mut Vec<Lint>) {
    // Which threads a runtime ever parked, and which workers ever polled an async task: only
    // their holds can be suspended, so the others' (every hold of a program without tokio)
    // skip the search of their spans and slots — which was most of the analysis' time.
    let parked: Vec<bool> = model
        .task_ixs()
        .map(|t| model.timeline(t).rows().iter().any(|r| r.is_idle()))
        .collect();
    let polls_async: Vec<bool> = (0..model.workers().len())
        .map(|w| {
            let slots = model.worker_lane(WorkerIx::at(w));
            slots
                .rows()
                .iter()
                .any(|s| s.task().is_some_and(|x| model.task(x).is_async))
        })
        .collect();
    let can_suspend = Suspendable {
        parked,
        polls_async,
    };
    let mut found: BTreeMap<SiteIx, Acc> = BTreeMap::new();
    for o in model.object_ixs() {
        let kind = model.object(o).kind;
        if !kind.is_lock() || kind.is_async() {
            continue;
        }
        for h in model.holds(o) {
            let task = model.task(h.task);
            let across = if task.is_async {
                model
                    .polls(h.task)
                    .iter()
                    .any(|p| p.finished && p.end > h.start && (!h.released || p.end < h.end))
            } else {
                suspended_while_held(model, &h, &can_suspend)
            };
            if across {
                let acc = found.entry(h.site).or_default();
                acc.add(h.start, h.end - h.start, h.site, h.task, Some(o));
            }
        }
    }
    for (at, acc) in found {
        let message = format!(
            "{} (taken at {}) was held across an .await {} time{} ({} in all, longest {}): it stays locked while the task is suspended and other tasks run, and a task that then wants it blocks the worker that must resume the holder. Release it before awaiting, or use tokio::sync::Mutex",
            acc.objects
                .iter()
                .map(|&o| model.object_name(o))
                .collect::<Vec<_>>()
                .join(", "),
            site(model, at),
            acc.count,
            if acc.count == 1 { "" } else { "s" },
            format_ns(acc.total),
            format_ns(acc.max),
        );
        out.push(acc.lint(LintKind::LockHeldAcrossAwait, at, message));
    }
}

/// Per thread, whether a runtime ever parked it; per worker, whether it ever polled an async
/// task.
struct Suspendable {
    parked: Vec<bool>,
    polls_async: Vec<bool>,
}

/// For a hold by a thread: did its runtime park the thread (idle) or did the thread poll
/// another task while it held the lock?
fn suspended_while_held(model: &Model, h: &Hold, can: &Suspendable) -> bool {
    if can.parked.get(h.task.index()) == Some(&true) {
        let lane = model.timeline(h.task);
        let parked = lane
            .visible(h.start, h.end)
            .map(|i| lane.span(i))
            .any(|s| s.idle && s.start > h.start && s.start < h.end);
        if parked {
            return true;
        }
    }
    let Some(worker) = model.task(h.task).worker else {
        return false;
    };
    if can.polls_async.get(worker.index()) != Some(&true) {
        return false;
    }
    let slots = model.worker_lane(worker);
    slots.visible(h.start, h.end).any(|i| {
        slots.start_of(i) > h.start
            && slots
                .row(i)
                .task()
                .is_some_and(|x| x != h.task && model.task(x).is_async)
    })
}
