//! Verdicts over a [`Model`]: where time went, what leaked, what deadlocked, what smells.
//!
//! [`Analysis::run`] computes everything at once (each part is a pass over the model's columns):
//!
//! - [`profile`]: blocking profiles by reason and by site; task state times grouped by spawn
//!   site; a tokio runtime's polls, idle workers and scheduling latency;
//! - [`fate`]: what became of each task — exited, still running, waiting but wakeable, leaked,
//!   deadlocked — found as a fixpoint over who could still wake whom;
//! - [`deadlock`]: cycles of waits among the stuck tasks;
//! - [`leak`]: every stuck task (deadlocked ones too), with the reason nothing can wake it;
//! - [`lock_order`]: lock-order inversions anywhere in the run (potential deadlocks);
//! - [`lints`]: `lock_held_long`, `lock_held_while_blocking`, `unbounded_spawning`,
//!   `busy_wait`, `send_on_disconnected`, `long_poll`, `lock_held_across_await`.
//!
//! Results use the model's indices so a viewer can jump to them; [`Analysis::report`] resolves
//! them into the stable, documented JSON of `weft stats --json` ([`report::Report`]).

pub mod deadlock;
pub mod fate;
mod graph;
mod held;
pub mod leak;
pub mod lints;
pub mod lock_order;
pub mod profile;
pub mod report;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tokio_tests;

use serde::{Deserialize, Serialize};

use crate::model::{Model, TaskIx};
pub use deadlock::Deadlock;
pub use fate::{Fate, FinalWait};
pub use leak::{Leak, LeakCause};
pub use lints::{format_ns, Lint, LintKind};
pub use lock_order::{LockInversion, LockOrder};
pub use profile::{
    task_state_times, BlockingProfile, RuntimeProfile, SpawnGroup, Stat, StateTimes,
};
pub use report::Report;

/// Thresholds of the lints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `lock_held_long`: a hold at least this long while another task waited (default 1 ms).
    pub lock_held_long_ns: u64,
    /// `lock_held_while_blocking`: blocked at least this long with a lock held (default 1 ms).
    pub lock_held_while_blocking_ns: u64,
    /// `unbounded_spawning`: this many tasks from one spawn site alive at once (default 64).
    /// A std program runs each task on its own OS thread, so the bound is absolute rather than
    /// a multiple of the worker count.
    pub unbounded_spawning_live: u32,
    /// `busy_wait`: this many failed `try_*` polls in a row by one task on one object
    /// (default 100) …
    pub busy_wait_polls: u32,
    /// … each within this long of the previous one (default 100 µs).
    pub busy_wait_gap_ns: u64,
    /// `long_poll`: a poll of an async task that blocked its worker thread in synchronous
    /// calls (a sleep, a std lock, a join…) for at least this long (default 20 ms). Tokio's own
    /// advice is 10–100 µs between `.await`s; the default flags what is clearly a blocking
    /// call in async code.
    pub long_poll_ns: u64,
    /// `long_poll`: a poll this long (default 200 ms) with no recorded blocking call in it —
    /// a long computation. Only the wall clock is recorded, and a loaded machine can preempt a
    /// short poll for tens of milliseconds, so the bar is higher without evidence.
    pub long_poll_busy_ns: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lock_held_long_ns: 1_000_000,
            lock_held_while_blocking_ns: 1_000_000,
            unbounded_spawning_live: 64,
            busy_wait_polls: 100,
            busy_wait_gap_ns: 100_000,
            long_poll_ns: 20_000_000,
            long_poll_busy_ns: 200_000_000,
        }
    }
}

/// Everything the analysis found.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// Each task's fate, indexed by [`TaskIx`].
    pub fates: Vec<Fate>,
    /// The wait each task was in at the end, if blocked, indexed by [`TaskIx`].
    pub final_waits: Vec<Option<FinalWait>>,
    /// Tasks blocked forever (deadlocked ones included), by spawn site.
    pub leaks: Vec<Leak>,
    /// Actual deadlocks.
    pub deadlocks: Vec<Deadlock>,
    /// Lock-order inversions seen in the run.
    pub potential_deadlocks: Vec<LockInversion>,
    /// Blocked time by reason and site.
    pub blocking: BlockingProfile,
    /// Tasks grouped by spawn site.
    pub groups: Vec<SpawnGroup>,
    /// Lint findings.
    pub lints: Vec<Lint>,
    /// The most tasks alive at once.
    pub peak_live: u64,
    /// The tokio runtime's polls, idle time and scheduling latency (`None` without tokio).
    pub runtime: Option<RuntimeProfile>,
}

impl Analysis {
    /// Analyses `model` with the default thresholds.
    pub fn run(model: &Model) -> Analysis {
        Analysis::with_config(model, &Config::default())
    }

    /// Analyses `model`.
    pub fn with_config(model: &Model, config: &Config) -> Analysis {
        let mut state = fate::end_state(model);
        let deadlocks = deadlock::find(model, &mut state);
        let leaks = leak::find(model, &state);
        let fates = &state.fates;
        // Two groups of about equal time (10 M events: 0.28 and 0.25 s), made side by side:
        // the lock questions (held locks, lock order, the lints on holds), and the profiles with
        // the other lints, which need only the model and the fates.
        let profiles = || {
            (
                profile::blocking_profile(model),
                profile::spawn_groups(model, fates),
                profile::peak_live(model),
                profile::runtime_profile(model),
                lints::find_others(model, config),
            )
        };
        let locks = || {
            let held = held::HeldLocks::new(model);
            let deadlocked: Vec<_> = deadlocks
                .iter()
                .flat_map(|d| d.objects.iter().copied())
                .collect();
            let potential_deadlocks = lock_order::find(model, &held, &deadlocked);
            let lints = lints::find_on_holds(model, &held, config);
            (potential_deadlocks, lints)
        };
        let ((potential_deadlocks, lints_on_holds), (blocking, groups, peak_live, runtime, others)) =
            crate::two_cores::join("weft-analysis", profiles, locks);
        let lints = lints::sorted(lints_on_holds, others);
        Analysis {
            blocking,
            groups,
            peak_live,
            runtime,
            fates: state.fates,
            final_waits: state.waits,
            leaks,
            deadlocks,
            potential_deadlocks,
            lints,
        }
    }

    /// The fate of task `t`.
    pub fn fate(&self, t: TaskIx) -> Fate {
        self.fates[t.index()]
    }

    /// The leak entry of task `t`, if it leaked.
    pub fn leak_of(&self, t: TaskIx) -> Option<&Leak> {
        self.leaks.iter().find(|l| l.task == t)
    }

    /// The deadlock task `t` is part of.
    pub fn deadlock_of(&self, t: TaskIx) -> Option<&Deadlock> {
        self.deadlocks.iter().find(|d| d.tasks.contains(&t))
    }

    /// The stable report (`weft stats --json`).
    pub fn report(&self, model: &Model) -> Report {
        report::build(model, self)
    }
}
