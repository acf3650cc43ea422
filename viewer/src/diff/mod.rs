//! Comparing two runs: what changed between trace A and trace B.
//!
//! Users fix a concurrency problem and want to see the difference: 2 workers against 8, the
//! contended lock against the sharded one, yesterday's run against today's. A [`Comparison`]
//! answers "what changed, and where in my code" as data that `weft diff` prints and the viewer's
//! compare view draws:
//!
//! - [`Comparison::blocking_sites`]: per blocking site (`file:line`) and reason, the number of
//!   waits and the time blocked in A and in B, delta and ratio, biggest change first;
//! - [`Comparison::spawn_sites`]: per spawn site, the number of tasks and the time they spent in
//!   each state in A and in B, biggest change first;
//! - [`Comparison::findings`]: leaks, deadlocks, lock-order inversions and lints that appeared,
//!   disappeared or persisted;
//! - [`Comparison::throughput`]: duration, tasks completed, events, messages and their rates.
//!
//! Two runs share no ids — task 7 in A has nothing to do with task 7 in B — so everything is
//! matched by what survives a re-run: source sites as `file:line` strings, task names, lint names.
//! Code also moves between runs: a spawn site whose line changed is still paired with its old
//! self when its tasks kept their name ([`GroupMatch::Name`]), and a blocking site when the same
//! tasks wait there for the same reason ([`SiteMatch::Waiters`]), so an edit does not show as
//! one wait vanishing and an unrelated one appearing.
//!
//! For the timelines of the compare view, which need both models while drawing:
//! [`LaneMatching`] maps A's tasks to B's (by name and spawn site), [`Alignment`] puts both runs
//! on one time axis (at their starts or at an [`Anchor`]: the first occurrence of a mark, a
//! region, a site or a task), and [`StateSeries`] samples live tasks by state for both runs over
//! that axis.
//!
//! # JSON (`weft diff --json`)
//!
//! [`Comparison`] serialises to the stable document `weft diff --json` prints. Every compared
//! number is a *change* object `{ "a", "b", "delta", "ratio" }`: the value in run A, in run B,
//! `b - a`, and `b / a` (`null` when `a` is 0). Times are ns; sites are `file:line` strings
//! (`null` when unknown). Top-level keys:
//!
//! - `a`, `b`: the runs — `file` (the path given, or `null`), `program`, `events`, `duration_ns`,
//!   `tasks`, `complete` (false when the trace lost data: verdicts may be missing);
//! - `throughput`: change objects `duration_ns`, `events`, `events_per_second`, `tasks`,
//!   `tasks_completed` (exited, or ended with the program), `tasks_completed_per_second`,
//!   `messages` (channel messages delivered), `messages_per_second`, `peak_live` (most tasks
//!   alive at once), `blocked_ns` (all blocked time, summed over tasks);
//! - `blocking_sites`: a list, biggest `|total_ns.delta|` first; each has `site_a`, `site_b`
//!   (the blocking call's `file:line` in each run; `null` where the row is not in that run or
//!   the site is unknown), `reason` (`send`, `recv`, `select`, `lock`, `lock_read`, `join`,
//!   `park`, `sleep`, `condvar`, `resource`, `await`), `status`, `matched_by` (`site`: the same
//!   `file:line`; `waiters`: the same reason by the same tasks at a line that moved; `null` when
//!   in one run only), `waiters` (the names of the spawn groups whose tasks waited there), and
//!   change objects `count` (waits), `total_ns`, `max_ns`, `unfinished` (waits still in
//!   progress at the end of the trace);
//! - `spawn_sites`: a list, biggest `change_ns` first; each has `name` (the first task's name, `(unnamed)`
//!   if it has none),
//!   `spawn_site_a`, `spawn_site_b` (`null` for threads Weft did not spawn, which are grouped by
//!   name), `status`, `matched_by` (`spawn_site`: the same `file:line`; `name`: the same task
//!   name — threads not spawned by Weft, or a spawn site that moved; `null` when in one run
//!   only), change objects `tasks` and `completed`, `states` (a list of change objects with a
//!   `state` key — `runnable`, `running`, or a reason — for every state either run spent time
//!   in, biggest change first) and `change_ns` (the largest `|delta|` among `states`);
//! - `findings`: a list, appeared first, then disappeared, then persisted; each has `status`,
//!   `kind` (`deadlock`, `leak`, `potential_deadlock`, `lint`), `key` (what was matched, see
//!   below), `name` (the leaked task's name, the deadlocked tasks' names, `lock-order inversion`,
//!   or the lint's name), `spawn_site`, `site` (where the task waits, the lint's site, or the
//!   first lock request of the inversion), `reason` (the leaked task's wait, else `null`),
//!   `count` (a change object: how many such findings each run has) and `description` (from B
//!   when present, else A; it names ids of that run).
//!
//! `status` is `appeared` (only in B), `disappeared` (only in A) or `persisted` (in both).
//! Findings are matched by `key`: a leak by its task's name, spawn site, wait reason and wait
//! site; a deadlock by the same of each of its tasks; an inversion by its lock requests' sites;
//! a lint by its name and site. Deadlocked tasks are leaks too, but only their deadlock is
//! listed. New keys may be added; none of these is renamed or removed.

mod align;
mod blocking;
mod change;
mod findings;
mod groups;
mod lanes;
mod series;
pub mod text;
mod throughput;

#[cfg(test)]
mod sample_pairs;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::model::Model;
pub use align::{AlignError, Alignment, Anchor, AnchorParseError};
pub use blocking::{BlockingSiteChange, SiteMatch};
pub use change::{Change, RateChange, Status};
pub use findings::{FindingChange, FindingKind};
pub use groups::{GroupMatch, SpawnSiteChange, StateChange};
pub use lanes::{LaneMatching, LanePair, MatchedBy};
pub use series::StateSeries;
pub use throughput::Throughput;

/// One of the two runs being compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Run {
    /// The first run (the baseline: "before").
    A,
    /// The second run ("after").
    B,
}

impl Run {
    /// `A` or `B`.
    pub fn as_str(self) -> &'static str {
        match self {
            Run::A => "A",
            Run::B => "B",
        }
    }
}

/// What a run is, in a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunInfo {
    /// The trace file, when the caller knows it (`weft diff` sets it).
    pub file: Option<String>,
    /// The traced program.
    pub program: String,
    /// Events in the trace.
    pub events: u64,
    /// From the first to the last event.
    pub duration_ns: u64,
    /// Tasks in the trace.
    pub tasks: u64,
    /// Nothing was lost: every verdict saw the whole run.
    pub complete: bool,
}

impl RunInfo {
    fn new(model: &Model) -> RunInfo {
        RunInfo {
            file: None,
            program: model.header().program.clone(),
            events: model.event_count(),
            duration_ns: model.duration_ns(),
            tasks: model.tasks().len() as u64,
            complete: model.loss().is_complete() && model.notes().is_empty(),
        }
    }
}

/// Everything that differs between run A and run B, resolved to names and sites so that it
/// outlives both models. See the [module docs](self) for the JSON it serialises to.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Run A.
    pub a: RunInfo,
    /// Run B.
    pub b: RunInfo,
    /// How much each run got done, and how fast.
    pub throughput: Throughput,
    /// Blocked time per (site, reason), biggest change first.
    pub blocking_sites: Vec<BlockingSiteChange>,
    /// Tasks and their state times per spawn site, biggest change first.
    pub spawn_sites: Vec<SpawnSiteChange>,
    /// Leaks, deadlocks, lock-order inversions and lints: appeared, disappeared, persisted.
    pub findings: Vec<FindingChange>,
}

impl Comparison {
    /// Compares run A (`a`, analysed as `a_analysis`) with run B.
    pub fn new(a: &Model, a_analysis: &Analysis, b: &Model, b_analysis: &Analysis) -> Comparison {
        let groups = groups::SpawnGroups::new(a, a_analysis, b, b_analysis);
        Comparison {
            a: RunInfo::new(a),
            b: RunInfo::new(b),
            throughput: Throughput::new(a, a_analysis, b, b_analysis),
            blocking_sites: blocking::blocking_sites(a, a_analysis, b, b_analysis, &groups),
            spawn_sites: groups::spawn_sites(&groups),
            findings: findings::compare(a, a_analysis, b, b_analysis),
        }
    }

    /// Names the trace files (shown by `weft diff` and kept in the JSON).
    pub fn with_files(mut self, a: impl Into<String>, b: impl Into<String>) -> Comparison {
        self.a.file = Some(a.into());
        self.b.file = Some(b.into());
        self
    }

    /// The findings with `status`.
    pub fn findings_with(&self, status: Status) -> impl Iterator<Item = &FindingChange> {
        self.findings.iter().filter(move |f| f.status == status)
    }
}
