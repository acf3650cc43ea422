//! The report of `weft stats --json`: a stable contract that users script against.
//!
//! Deadlocked tasks are in `leaks` too (with `deadlocked: true`): they never finish.
//!
//! Top-level keys: `program`, `events`, `duration_ns`, `tasks`, `leaks`, `deadlocks`,
//! `potential_deadlocks`, `blocking`, `lints`, `lost_events`, `loss`, and `runtime` for a trace
//! of a tokio program (absent otherwise). Ids are the recorder's
//! (the numbers the trace and the viewer show), times are ns since the recording began, and a
//! site is the string `file:line`. Each leak has `task`, `name`, `spawn_site`,
//! `blocked_on` {`kind`, `object`, `site`} and `since_ns`. New keys may be added; none of these
//! is renamed or removed.

use std::collections::BTreeMap;

use serde::Serialize;

use super::fate::{Fate, FinalWait};
use super::lints::format_ns;
use super::Analysis;
use crate::model::{Model, ObjectIx, SiteIx, State, TaskIx, WaitTarget};

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The traced program.
    pub program: String,
    /// Events in the trace.
    pub events: u64,
    /// From the first to the last event.
    pub duration_ns: u64,
    /// Task counts and per-spawn-site breakdown.
    pub tasks: TasksReport,
    /// Tasks blocked forever, deadlocked ones included, by spawn site.
    pub leaks: Vec<LeakReport>,
    /// Cycles of tasks blocked on each other.
    pub deadlocks: Vec<DeadlockReport>,
    /// Lock-order inversions seen in the run.
    pub potential_deadlocks: Vec<InversionReport>,
    /// Blocked time by reason and by site.
    pub blocking: BlockingReport,
    /// Lint findings.
    pub lints: Vec<LintReport>,
    /// Events the recorder had to drop.
    pub lost_events: u64,
    /// Everything the trace is missing.
    pub loss: LossReport,
    /// A tokio runtime's workers, polls and scheduling latency: `workers`, `tasks`, `polls`
    /// and `scheduling` (`count`, `total_ns`, `max_ns`), `idle_ns`. Absent without tokio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<super::RuntimeProfile>,
}

/// How many tasks ended how, and where they came from.
#[derive(Clone, Debug, Serialize)]
pub struct TasksReport {
    /// All tasks.
    pub total: u64,
    /// Returned or panicked.
    pub exited: u64,
    /// Of those, panicked.
    pub panicked: u64,
    /// The main task, which ended with the program (clean end).
    pub ended_with_program: u64,
    /// Still running (not blocked) at the end: not leaks.
    pub running_at_end: u64,
    /// Blocked at the end but could still be woken: not leaks.
    pub waiting_at_end: u64,
    /// Blocked forever (the number of `leaks`, deadlocked tasks included).
    pub leaked: u64,
    /// Of those, on a deadlock cycle.
    pub deadlocked: u64,
    /// Spawned but never ran.
    pub not_started: u64,
    /// The most alive at once.
    pub peak_live: u64,
    /// Per spawn site, biggest first.
    pub by_spawn_site: Vec<GroupReport>,
}

/// The tasks of one spawn site.
#[derive(Clone, Debug, Serialize)]
pub struct GroupReport {
    /// Where they were spawned (`null` for threads Weft did not spawn, grouped by name).
    pub spawn_site: Option<String>,
    /// The first task's name.
    pub name: String,
    /// How many.
    pub tasks: u64,
    /// How many ended in each fate (`exited`, `running`, `waiting`, `leaked`, …).
    pub fates: BTreeMap<&'static str, u64>,
    /// Time running, summed over the tasks.
    pub running_ns: u64,
    /// Time runnable.
    pub runnable_ns: u64,
    /// Time blocked, for any reason.
    pub blocked_ns: u64,
    /// Time in each state (`running`, `recv`, `lock`, …), zeros left out.
    pub states: super::StateTimes,
}

/// What a task is blocked on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockedOn {
    /// `send`, `recv`, `select`, `lock`, `lock_read`, `join`, `park`, `sleep`, `condvar`,
    /// `resource`, `await`.
    pub kind: &'static str,
    /// The channel, lock or condvar id; for `join`, the joined task's id; else `null`.
    pub object: Option<u64>,
    /// `channel`, `mutex`, `rwlock`, `condvar`, `lock`, `task`, a tokio resource's kind
    /// (`semaphore`, `barrier`, `oneshot`, `sleep`, `interval`, `resource`; tokio's locks are
    /// `mutex` and `rwlock`), or `null`.
    pub object_kind: Option<&'static str>,
    /// Where the wait was called.
    pub site: Option<String>,
    /// For `select`: the channels of its arms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<u64>,
}

/// One leaked task.
#[derive(Clone, Debug, Serialize)]
pub struct LeakReport {
    /// Its id.
    pub task: u64,
    /// Its name (`task N` if unnamed).
    pub name: String,
    /// Where it was spawned.
    pub spawn_site: Option<String>,
    /// What it is blocked on.
    pub blocked_on: BlockedOn,
    /// Blocked since.
    pub since_ns: u64,
    /// Machine-readable cause (`no_sender`, `no_receiver`, `holder_exited`, …).
    pub cause: &'static str,
    /// On a deadlock cycle (see `deadlocks`).
    pub deadlocked: bool,
    /// Why nothing can wake it.
    pub why: String,
}

/// A task in a deadlock.
#[derive(Clone, Debug, Serialize)]
pub struct DeadlockTask {
    /// Its id.
    pub task: u64,
    /// Its name.
    pub name: String,
    /// Where it was spawned.
    pub spawn_site: Option<String>,
    /// What it is blocked on.
    pub blocked_on: BlockedOn,
    /// Blocked since.
    pub since_ns: u64,
}

/// A channel or lock, named.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectRef {
    /// Its id.
    pub id: u64,
    /// `channel`, `mutex`, `rwlock`, `condvar`, `lock`.
    pub kind: &'static str,
    /// Where it was created.
    pub site: Option<String>,
}

/// One deadlock.
#[derive(Clone, Debug, Serialize)]
pub struct DeadlockReport {
    /// The tasks in cycle order (each waits for the next), then the tangle's others.
    pub tasks: Vec<DeadlockTask>,
    /// How many of `tasks`, from the first, form the cycle.
    pub cycle_len: usize,
    /// The objects waited on.
    pub objects: Vec<ObjectRef>,
    /// The cycle in words.
    pub description: String,
}

/// One lock order of an inversion.
#[derive(Clone, Debug, Serialize)]
pub struct OrderReport {
    /// The lock held.
    pub held: u64,
    /// The lock requested while holding it.
    pub acquired: u64,
    /// The first task seen doing so.
    pub task: u64,
    /// Its name.
    pub name: String,
    /// Where the held lock was taken.
    pub held_site: Option<String>,
    /// Where the other was requested.
    pub acquire_site: Option<String>,
    /// First seen at.
    pub at_ns: u64,
    /// Times seen.
    pub count: u64,
}

/// One lock-order inversion.
#[derive(Clone, Debug, Serialize)]
pub struct InversionReport {
    /// The locks.
    pub locks: Vec<ObjectRef>,
    /// The orders that form the cycle.
    pub orders: Vec<OrderReport>,
    /// The run did deadlock on these locks.
    pub hung: bool,
    /// The inversion in words.
    pub description: String,
}

/// Blocked time by reason and site.
#[derive(Clone, Debug, Serialize)]
pub struct BlockingReport {
    /// All blocked time.
    pub total_ns: u64,
    /// Per reason.
    pub by_reason: Vec<ReasonReport>,
    /// Per (site, reason), most time first.
    pub by_site: Vec<SiteReport>,
}

/// Blocked time for one reason.
#[derive(Clone, Debug, Serialize)]
pub struct ReasonReport {
    /// The reason.
    pub reason: &'static str,
    /// Waits.
    pub count: u64,
    /// Total.
    pub total_ns: u64,
    /// Longest.
    pub max_ns: u64,
}

/// Blocked time at one site.
#[derive(Clone, Debug, Serialize)]
pub struct SiteReport {
    /// `file:line`, or `null` when unknown.
    pub site: Option<String>,
    /// The reason.
    pub reason: &'static str,
    /// Waits.
    pub count: u64,
    /// Total.
    pub total_ns: u64,
    /// Longest.
    pub max_ns: u64,
    /// Waits still in progress at the end.
    pub unfinished: u64,
}

/// One lint finding.
#[derive(Clone, Debug, Serialize)]
pub struct LintReport {
    /// The lint's name.
    pub lint: &'static str,
    /// What was found.
    pub message: String,
    /// Where to look.
    pub site: Option<String>,
    /// Task ids involved (a few).
    pub tasks: Vec<u64>,
    /// Object ids involved.
    pub objects: Vec<u64>,
    /// Occurrences.
    pub count: u64,
    /// Time involved.
    pub total_ns: u64,
    /// Longest occurrence.
    pub max_ns: u64,
    /// First occurrence at.
    pub first_ns: u64,
}

/// What the trace is missing.
#[derive(Clone, Debug, Serialize)]
pub struct LossReport {
    /// Nothing is missing.
    pub complete: bool,
    /// The recorder shut down cleanly.
    pub clean_end: bool,
    /// Events dropped by the recorder.
    pub dropped_events: u64,
    /// Bytes cut from the end of the file.
    pub truncated_bytes: u64,
    /// Damaged bytes skipped.
    pub corrupt_bytes: u64,
    /// Damaged frames skipped.
    pub corrupt_frames: u64,
    /// Batches missing from the file.
    pub missing_batches: u64,
    /// One line per problem (the reader's and the model's).
    pub notes: Vec<String>,
}

struct Names<'m>(&'m Model);

impl Names<'_> {
    fn site(&self, s: SiteIx) -> Option<String> {
        self.0.site_label(s)
    }

    fn task(&self, t: TaskIx) -> (u64, String, Option<String>) {
        let task = self.0.task(t);
        (
            task.id,
            self.0.task_name(t).into_owned(),
            self.site(task.spawn_site),
        )
    }

    fn object(&self, o: ObjectIx) -> ObjectRef {
        let object = self.0.object(o);
        ObjectRef {
            id: object.id,
            kind: object.kind.as_str(),
            site: self.site(object.site),
        }
    }

    fn blocked_on(&self, wait: &FinalWait) -> BlockedOn {
        let (object, object_kind, channels) = match wait.target {
            WaitTarget::Object(o) => {
                let object = self.0.object(o);
                (Some(object.id), Some(object.kind.as_str()), Vec::new())
            }
            WaitTarget::Task(t) => (Some(self.0.task(t).id), Some("task"), Vec::new()),
            WaitTarget::Select(s) => {
                let arms = self.0.select(s).1;
                let ids = arms.iter().map(|a| self.0.object(a.channel).id).collect();
                (None, None, ids)
            }
            WaitTarget::Nothing => (None, None, Vec::new()),
        };
        BlockedOn {
            kind: wait.reason.as_str(),
            object,
            object_kind,
            site: self.site(wait.site),
            channels,
        }
    }

    /// "task 3 (a) waits for mutex 7 at src/x.rs:10"
    fn waits_for(&self, t: TaskIx, wait: &FinalWait) -> String {
        let (id, name, _) = self.task(t);
        let on = match wait.target {
            WaitTarget::Object(o) => {
                format!("{} on {}", wait.reason.as_str(), self.0.object_name(o))
            }
            WaitTarget::Task(x) => format!("join of task {}", self.0.task(x).id),
            _ => wait.reason.as_str().to_string(),
        };
        let at = self
            .site(wait.site)
            .unwrap_or_else(|| "an unknown site".into());
        format!("task {id} ({name}) blocked in {on} at {at}")
    }
}

pub(crate) fn build(model: &Model, analysis: &Analysis) -> Report {
    let names = Names(model);
    let count = |f: Fate| analysis.fates.iter().filter(|&&x| x == f).count() as u64;
    let tasks = TasksReport {
        total: model.tasks().len() as u64,
        exited: count(Fate::Exited),
        panicked: model.tasks().iter().filter(|t| t.panicked).count() as u64,
        ended_with_program: count(Fate::EndedWithProgram),
        running_at_end: count(Fate::Running),
        waiting_at_end: count(Fate::Waiting),
        leaked: count(Fate::Leaked) + count(Fate::Deadlocked),
        deadlocked: count(Fate::Deadlocked),
        not_started: count(Fate::NotStarted),
        peak_live: analysis.peak_live,
        by_spawn_site: analysis
            .groups
            .iter()
            .map(|g| GroupReport {
                spawn_site: names.site(g.spawn_site),
                name: g.name.clone(),
                tasks: g.tasks.len() as u64,
                fates: g.fates.clone(),
                running_ns: g.states.get(State::Running),
                runnable_ns: g.states.get(State::Runnable),
                blocked_ns: g.states.blocked(),
                states: g.states,
            })
            .collect(),
    };

    let leaks = analysis
        .leaks
        .iter()
        .map(|l| {
            let (task, name, spawn_site) = names.task(l.task);
            LeakReport {
                task,
                name,
                spawn_site,
                blocked_on: names.blocked_on(&l.wait),
                since_ns: l.wait.since,
                cause: cause_name(&l.cause),
                deadlocked: l.deadlocked,
                why: l.cause.describe(model),
            }
        })
        .collect();

    let deadlocks = analysis
        .deadlocks
        .iter()
        .map(|d| {
            let tasks = d
                .tasks
                .iter()
                .zip(&d.waits)
                .map(|(&t, w)| {
                    let (task, name, spawn_site) = names.task(t);
                    DeadlockTask {
                        task,
                        name,
                        spawn_site,
                        blocked_on: names.blocked_on(w),
                        since_ns: w.since,
                    }
                })
                .collect();
            let steps: Vec<String> = d
                .tasks
                .iter()
                .zip(&d.waits)
                .map(|(&t, w)| names.waits_for(t, w))
                .collect();
            let cycle = d.cycle_len.min(steps.len());
            let mut description = format!(
                "{}; each waits for the next, the last for the first",
                steps[..cycle].join(", ")
            );
            if cycle < steps.len() {
                description.push_str(&format!("; stuck with them: {}", steps[cycle..].join(", ")));
            }
            DeadlockReport {
                tasks,
                cycle_len: d.cycle_len,
                objects: d.objects.iter().map(|&o| names.object(o)).collect(),
                description,
            }
        })
        .collect();

    let potential_deadlocks = analysis
        .potential_deadlocks
        .iter()
        .map(|inv| {
            let orders: Vec<OrderReport> = inv
                .edges
                .iter()
                .map(|e| {
                    let (task, name, _) = names.task(e.task);
                    OrderReport {
                        held: model.object(e.held).id,
                        acquired: model.object(e.acquired).id,
                        task,
                        name,
                        held_site: names.site(e.held_site),
                        acquire_site: names.site(e.acquire_site),
                        at_ns: e.ts,
                        count: e.count,
                    }
                })
                .collect();
            let words: Vec<String> = inv
                .edges
                .iter()
                .map(|e| {
                    format!(
                        "task {} took {} (at {}) while holding {} (taken at {})",
                        model.task(e.task).id,
                        model.object_name(e.acquired),
                        names.site(e.acquire_site).unwrap_or_else(|| "?".into()),
                        model.object_name(e.held),
                        names.site(e.held_site).unwrap_or_else(|| "?".into()),
                    )
                })
                .collect();
            let outcome = if inv.hung {
                "this run deadlocked on it"
            } else {
                "this run did not hang, but another interleaving deadlocks"
            };
            InversionReport {
                locks: inv.locks.iter().map(|&o| names.object(o)).collect(),
                orders,
                hung: inv.hung,
                description: format!("lock-order inversion: {}; {outcome}", words.join("; ")),
            }
        })
        .collect();

    let blocking = BlockingReport {
        total_ns: analysis.blocking.total_ns,
        by_reason: analysis
            .blocking
            .by_reason
            .iter()
            .map(|r| ReasonReport {
                reason: r.reason.as_str(),
                count: r.stat.count,
                total_ns: r.stat.total_ns,
                max_ns: r.stat.max_ns,
            })
            .collect(),
        by_site: analysis
            .blocking
            .by_site
            .iter()
            .map(|s| SiteReport {
                site: names.site(s.site),
                reason: s.reason.as_str(),
                count: s.stat.count,
                total_ns: s.stat.total_ns,
                max_ns: s.stat.max_ns,
                unfinished: s.unfinished,
            })
            .collect(),
    };

    let lints = analysis
        .lints
        .iter()
        .map(|l| LintReport {
            lint: l.kind.as_str(),
            message: l.message.clone(),
            site: names.site(l.site),
            tasks: l.tasks.iter().map(|&t| model.task(t).id).collect(),
            objects: l.objects.iter().map(|&o| model.object(o).id).collect(),
            count: l.count,
            total_ns: l.total_ns,
            max_ns: l.max_ns,
            first_ns: l.first_ts,
        })
        .collect();

    let loss = model.loss();
    let mut notes = loss.notes.clone();
    notes.extend(model.notes().iter().cloned());
    Report {
        program: model.header().program.clone(),
        events: model.event_count(),
        duration_ns: model.duration_ns(),
        tasks,
        leaks,
        deadlocks,
        potential_deadlocks,
        blocking,
        lints,
        lost_events: loss.dropped_events,
        loss: LossReport {
            complete: loss.is_complete() && model.notes().is_empty(),
            clean_end: loss.clean_end,
            dropped_events: loss.dropped_events,
            truncated_bytes: loss.truncated_bytes,
            corrupt_bytes: loss.corrupt_bytes,
            corrupt_frames: loss.corrupt_frames,
            missing_batches: loss.missing_batches,
            notes,
        },
        runtime: analysis.runtime,
    }
}

fn cause_name(cause: &super::LeakCause) -> &'static str {
    use super::LeakCause as C;
    match cause {
        C::NoSender { .. } => "no_sender",
        C::NoReceiver { .. } => "no_receiver",
        C::SelectCannotComplete => "select_cannot_complete",
        C::HolderExited { .. } => "holder_exited",
        C::HolderEnded { .. } => "holder_ended",
        C::HolderStuck { .. } => "holder_stuck",
        C::JoinsStuck { .. } => "joins_stuck",
        C::NobodyToUnpark => "nobody_to_unpark",
        C::NobodyToNotify { .. } => "nobody_to_notify",
        C::NoWaker => "no_waker",
        C::NobodyToWake => "nobody_to_wake",
        C::NobodyToRelease { .. } => "nobody_to_release",
    }
}

impl Report {
    /// A one-line summary: `1234 events, 5 tasks, 12.3 ms; 1 leak, 0 deadlocks, 2 lints`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let mut s = format!(
            "{} events, {}, {}; {}, {}, {}, {}",
            self.events,
            plural(self.tasks.total as usize, "task"),
            format_ns(self.duration_ns),
            plural(self.leaks.len(), "leak"),
            plural(self.deadlocks.len(), "deadlock"),
            plural(self.potential_deadlocks.len(), "potential deadlock"),
            plural(self.lints.len(), "lint"),
        );
        if !self.loss.complete {
            s.push_str("; the trace is incomplete");
        }
        s
    }
}
