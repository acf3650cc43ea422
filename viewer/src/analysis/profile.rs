//! Where time went: blocking profiles (go tool trace's sync and scheduling profiles) and the
//! per-spawn-site breakdown of task states (its goroutine-analysis page).

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::fate::Fate;
use crate::model::{BlockReason, LinkKind, Model, SiteIx, State, TaskIx};

/// Count, total and longest of a set of waits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stat {
    /// How many.
    pub count: u64,
    /// Their total duration.
    pub total_ns: u64,
    /// The longest.
    pub max_ns: u64,
}

impl Stat {
    fn add(&mut self, ns: u64) {
        self.count += 1;
        // Times come from a file: sums saturate rather than overflow.
        self.total_ns = self.total_ns.saturating_add(ns);
        self.max_ns = self.max_ns.max(ns);
    }
}

/// Blocked time by reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReasonStat {
    /// Why.
    pub reason: BlockReason,
    /// How much.
    #[serde(flatten)]
    pub stat: Stat,
}

/// Blocked time at one source site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SiteStat {
    /// Where the waits were called.
    pub site: SiteIx,
    /// Why they blocked.
    pub reason: BlockReason,
    /// How much.
    #[serde(flatten)]
    pub stat: Stat,
    /// Of these, waits still in progress when the trace ended (counted up to the end).
    pub unfinished: u64,
}

/// Blocked time by reason and by site. Waits still in progress at the end count up to the end.
/// A tokio worker's idle time (parked by its runtime with nothing to run) is not a wait and is
/// left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BlockingProfile {
    /// All blocked time.
    pub total_ns: u64,
    /// How many waits lasted `[2^i, 2^(i+1))` ns, for `i` in `0..64` (index 0 also counts
    /// zero-length waits): a log-scale histogram of blocked durations.
    pub histogram: Vec<u64>,
    /// One entry per reason that occurred, in [`BlockReason::ALL`] order.
    pub by_reason: Vec<ReasonStat>,
    /// One entry per (site, reason), most total time first.
    pub by_site: Vec<SiteStat>,
}

/// Time spent in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateTimes(pub [u64; State::COUNT]);

impl StateTimes {
    /// Time in `state`.
    pub fn get(&self, state: State) -> u64 {
        self.0[state.index()]
    }

    /// All blocked time.
    pub fn blocked(&self) -> u64 {
        BlockReason::ALL
            .iter()
            .map(|&r| self.get(State::Blocked(r)))
            .fold(0u64, u64::saturating_add)
    }

    fn add(&mut self, other: &StateTimes) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a = a.saturating_add(b);
        }
    }
}

/// Serialised as `{ "running": ns, "recv": ns, … }`, leaving out zeros and `done`.
impl Serialize for StateTimes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let map: BTreeMap<&str, u64> = (0..State::COUNT)
            .filter_map(|i| State::from_index(i).map(|st| (st, self.0[i])))
            .filter(|&(st, ns)| ns > 0 && st != State::Done)
            .map(|(st, ns)| (st.as_str(), ns))
            .collect();
        map.serialize(s)
    }
}

/// The time task `t` spent in each state (done excluded: it is not time the task used).
pub fn task_state_times(model: &Model, t: TaskIx) -> StateTimes {
    let mut times = StateTimes::default();
    for span in model.timeline(t).spans() {
        if span.state != State::Done {
            let time = &mut times.0[span.state.index()];
            *time = time.saturating_add(span.duration());
        }
    }
    times
}

/// The tasks spawned at one site (or, for tasks not spawned through Weft, sharing a name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpawnGroup {
    /// The spawn site (unknown for adopted threads).
    pub spawn_site: SiteIx,
    /// The name of its first task.
    pub name: String,
    /// Its tasks, by index.
    pub tasks: Vec<TaskIx>,
    /// Time in each state, summed over the tasks.
    pub states: StateTimes,
    /// How many ended in each fate.
    pub fates: BTreeMap<&'static str, u64>,
}

/// Blocked time by reason and by site.
pub(crate) fn blocking_profile(model: &Model) -> BlockingProfile {
    let mut by_reason = [Stat::default(); BlockReason::ALL.len()];
    let mut by_site: BTreeMap<(SiteIx, BlockReason), (Stat, u64)> = BTreeMap::new();
    let mut total = 0;
    let mut histogram = vec![0u64; 64];
    for t in model.task_ixs() {
        let lane = model.timeline(t);
        let last = lane.len().saturating_sub(1);
        for (i, span) in lane.spans().enumerate() {
            let Some(reason) = span.state.blocked() else {
                continue;
            };
            if span.idle {
                continue;
            }
            let ns = span.duration();
            total = u64::saturating_add(total, ns);
            histogram[ns.max(1).ilog2() as usize] += 1;
            by_reason[reason.index()].add(ns);
            let (stat, unfinished) = by_site.entry((span.site, reason)).or_default();
            stat.add(ns);
            if i == last {
                *unfinished += 1;
            }
        }
    }
    let by_reason = BlockReason::ALL
        .iter()
        .zip(by_reason)
        .filter(|(_, s)| s.count > 0)
        .map(|(&reason, stat)| ReasonStat { reason, stat })
        .collect();
    let mut by_site: Vec<SiteStat> = by_site
        .into_iter()
        .map(|((site, reason), (stat, unfinished))| SiteStat {
            site,
            reason,
            stat,
            unfinished,
        })
        .collect();
    by_site.sort_by(|a, b| {
        b.stat
            .total_ns
            .cmp(&a.stat.total_ns)
            .then(a.site.cmp(&b.site))
    });
    BlockingProfile {
        total_ns: total,
        histogram,
        by_reason,
        by_site,
    }
}

/// The group name of tokio tasks with no spawn: blocking work (`spawn_blocking`, and each
/// multi-thread worker's own loop).
const BLOCKING_WORK: &str = "(tokio blocking work)";

/// Tasks grouped by spawn site, with their state times and fates; biggest groups first.
pub(crate) fn spawn_groups(model: &Model, fates: &[Fate]) -> Vec<SpawnGroup> {
    let mut groups: Vec<SpawnGroup> = Vec::new();
    let mut index: BTreeMap<(SiteIx, String), usize> = BTreeMap::new();
    for t in model.task_ixs() {
        let task = model.task(t);
        // Adopted threads have no spawn site: group them by name instead. Tokio tasks that
        // nothing spawned are the runtime's blocking work (`spawn_blocking`, its own workers).
        let name = if task.is_async && task.parent.is_none() && task.name == 0 {
            BLOCKING_WORK.to_string()
        } else {
            model.task_name(t).into_owned()
        };
        let key = if task.spawn_site.is_known() {
            (task.spawn_site, String::new())
        } else {
            (SiteIx::UNKNOWN, name.clone())
        };
        let g = *index.entry(key).or_insert_with(|| {
            groups.push(SpawnGroup {
                spawn_site: task.spawn_site,
                name,
                tasks: Vec::new(),
                states: StateTimes::default(),
                fates: BTreeMap::new(),
            });
            groups.len() - 1
        });
        let group = &mut groups[g];
        group.tasks.push(t);
        group.states.add(&task_state_times(model, t));
        *group.fates.entry(fates[t.index()].as_str()).or_default() += 1;
    }
    groups.sort_by(|a, b| {
        b.tasks
            .len()
            .cmp(&a.tasks.len())
            .then(a.spawn_site.cmp(&b.spawn_site))
    });
    groups
}

/// The most tasks alive at once (spawned or started, not exited).
pub(crate) fn peak_live(model: &Model) -> u64 {
    let mut changes: Vec<(u64, i64)> = Vec::with_capacity(model.tasks().len() * 2);
    for task in model.tasks() {
        if let Some(begin) = task.spawned_at.or(task.started_at) {
            changes.push((begin, 1));
            if let Some(end) = task.exited_at {
                changes.push((end, -1));
            }
        }
    }
    changes.sort_unstable();
    let (mut live, mut peak) = (0i64, 0i64);
    for (_, d) in changes {
        live += d;
        peak = peak.max(live);
    }
    peak as u64
}

/// What a tokio runtime did: its workers' polls and idle time, and how long woken tasks waited
/// for a worker (go tool trace's scheduler latency).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuntimeProfile {
    /// Threads the runtime parked when idle: its workers (and a current-thread runtime's
    /// `block_on` thread).
    pub workers: u64,
    /// Async tasks seen (spawned, polled or terminated).
    pub tasks: u64,
    /// Polls of async tasks (needs tokio's task hooks: `tokio_unstable`).
    pub polls: Stat,
    /// Workers' idle time: parked with nothing to run, summed over the workers.
    pub idle_ns: u64,
    /// Wake → poll: how long each woken task waited for a worker.
    pub scheduling: Stat,
}

/// The runtime's profile; `None` for a trace with no tokio runtime in it.
pub(crate) fn runtime_profile(model: &Model) -> Option<RuntimeProfile> {
    let mut profile = RuntimeProfile::default();
    for t in model.task_ixs() {
        let task = model.task(t);
        if task.is_async {
            profile.tasks += 1;
            for poll in model.polls(t) {
                profile.polls.add(poll.duration());
            }
            continue;
        }
        let idle: Vec<u64> = model
            .timeline(t)
            .spans()
            .filter(|s| s.idle)
            .map(|s| s.duration())
            .collect();
        if task.runtime_thread || !idle.is_empty() {
            profile.workers += u64::from(!idle.is_empty());
            let idle_ns = idle.iter().fold(0u64, |sum, &ns| sum.saturating_add(ns));
            profile.idle_ns = profile.idle_ns.saturating_add(idle_ns);
        }
    }
    if profile.tasks == 0 && profile.workers == 0 {
        return None;
    }
    for link in model.links().filter(|l| l.kind == LinkKind::Wake) {
        profile
            .scheduling
            .add(link.to_ts.saturating_sub(link.from_ts));
    }
    Some(profile)
}
