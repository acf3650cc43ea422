//! Blocking sites in A against B: where tasks waited, for what, and for how long.
//!
//! Rows are keyed by the blocking call's `file:line` and the reason, never by the traces' site
//! ids (the same line has different ids in two runs; two columns of one line have two ids but
//! one `file:line`, and merge). A row of A left without a partner is then paired with one of B
//! when both are waits of the same reason by the same tasks — spawn groups paired between the
//! runs — and that combination is unique on both sides: the call moved to another line (an
//! edit, a renamed file), so its time is compared instead of showing as one wait vanishing and
//! an unrelated one appearing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::change::{Change, Status};
use super::groups::SpawnGroups;
use crate::analysis::Analysis;
use crate::model::{BlockReason, Model, SiteIx};

/// How a blocking site of A was paired with one of B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteMatch {
    /// The same `file:line`.
    Site,
    /// The same reason, by the same tasks, at a line that moved.
    Waiters,
}

impl SiteMatch {
    /// The stable name: `site`, `waiters`.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteMatch::Site => "site",
            SiteMatch::Waiters => "waiters",
        }
    }
}

/// Blocked time at one site for one reason, in A and in B.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlockingSiteChange {
    /// `file:line` of the blocking call in A (`None`: not in A, or unknown).
    pub site_a: Option<String>,
    /// `file:line` of the blocking call in B.
    pub site_b: Option<String>,
    /// Why the tasks blocked there.
    pub reason: BlockReason,
    /// In A, in B, or both.
    pub status: Status,
    /// How A's row was paired with B's (`None` unless in both).
    pub matched_by: Option<SiteMatch>,
    /// The spawn groups whose tasks waited there, by their first task's name.
    pub waiters: Vec<String>,
    /// How many waits.
    pub count: Change,
    /// Their total duration, summed over tasks: the sort key.
    pub total_ns: Change,
    /// The longest wait.
    pub max_ns: Change,
    /// Waits still in progress at the end of the trace (counted up to the end).
    pub unfinished: Change,
    /// The site ids in A with this `file:line` (for jumping to the spans).
    #[serde(skip)]
    pub sites_a: Vec<SiteIx>,
    /// The site ids in B.
    #[serde(skip)]
    pub sites_b: Vec<SiteIx>,
}

impl BlockingSiteChange {
    /// The site to show: A's, or B's for a wait only B has.
    pub fn site(&self) -> Option<&str> {
        self.site_a.as_deref().or(self.site_b.as_deref())
    }
}

/// `file:line` (if known) and reason.
type SiteKey = (Option<String>, BlockReason);

/// One run's blocking at a `(file:line, reason)`.
#[derive(Default)]
struct SiteTotals {
    count: u64,
    total_ns: u64,
    max_ns: u64,
    unfinished: u64,
    sites: Vec<SiteIx>,
    /// The spawn groups (indices into the run's groups) whose tasks waited there.
    groups: BTreeSet<usize>,
}

fn site_totals(
    model: &Model,
    analysis: &Analysis,
    group_of: &[usize],
) -> BTreeMap<SiteKey, SiteTotals> {
    let mut waiters: HashMap<(SiteIx, BlockReason), BTreeSet<usize>> = HashMap::new();
    for t in model.task_ixs() {
        let Some(&group) = group_of.get(t.index()).filter(|&&g| g != usize::MAX) else {
            continue;
        };
        for row in model.timeline(t).rows() {
            if let Some(reason) = row.state().blocked() {
                waiters
                    .entry((row.site(), reason))
                    .or_default()
                    .insert(group);
            }
        }
    }
    let mut out: BTreeMap<SiteKey, SiteTotals> = BTreeMap::new();
    for s in &analysis.blocking.by_site {
        let totals = out.entry((model.site_label(s.site), s.reason)).or_default();
        totals.count += s.stat.count;
        totals.total_ns += s.stat.total_ns;
        totals.max_ns = totals.max_ns.max(s.stat.max_ns);
        totals.unfinished += s.unfinished;
        totals.sites.push(s.site);
        if let Some(groups) = waiters.get(&(s.site, s.reason)) {
            totals.groups.extend(groups);
        }
    }
    out
}

/// Who waited, as pairs of spawn groups: `None` unless every group waiting there has a
/// partner in the other run.
fn waiter_pairs(
    totals: &SiteTotals,
    pair_of: &[usize],
    groups: &SpawnGroups,
) -> Option<Vec<usize>> {
    let pairs: Vec<usize> = totals
        .groups
        .iter()
        .map(|&g| pair_of.get(g).copied().unwrap_or(usize::MAX))
        .collect();
    (!pairs.is_empty() && pairs.iter().all(|&p| groups.is_paired(p))).then_some(pairs)
}

type Side = (SiteKey, SiteTotals);

/// Blocked time per `(file:line, reason)` in both runs, biggest change in total time first.
pub(crate) fn blocking_sites(
    a: &Model,
    a_analysis: &Analysis,
    b: &Model,
    b_analysis: &Analysis,
    groups: &SpawnGroups,
) -> Vec<BlockingSiteChange> {
    let in_a = site_totals(a, a_analysis, &groups.group_of_a);
    let mut in_b = site_totals(b, b_analysis, &groups.group_of_b);

    let mut matched: Vec<(Option<Side>, Option<Side>, Option<SiteMatch>)> = Vec::new();
    let mut a_left: Vec<Side> = Vec::new();
    for (key, x) in in_a {
        match in_b.remove(&key) {
            Some(y) => matched.push((
                Some((key.clone(), x)),
                Some((key, y)),
                Some(SiteMatch::Site),
            )),
            None => a_left.push((key, x)),
        }
    }
    let mut b_left: Vec<Option<Side>> = in_b.into_iter().map(Some).collect();

    // Moved lines: the same reason by the same (paired) tasks, unique on both sides.
    type WaiterKey = (BlockReason, Vec<usize>);
    let key_a = |(key, x): &Side| waiter_pairs(x, &groups.pair_of_a, groups).map(|p| (key.1, p));
    let key_b = |(key, y): &Side| waiter_pairs(y, &groups.pair_of_b, groups).map(|p| (key.1, p));
    let mut counts: HashMap<WaiterKey, (usize, usize)> = HashMap::new();
    for k in a_left.iter().filter_map(key_a) {
        counts.entry(k).or_default().0 += 1;
    }
    for k in b_left.iter().flatten().filter_map(key_b) {
        counts.entry(k).or_default().1 += 1;
    }
    for x in a_left {
        let partner = key_a(&x)
            .filter(|k| counts.get(k) == Some(&(1, 1)))
            .and_then(|k| {
                b_left
                    .iter_mut()
                    .find(|slot| slot.as_ref().and_then(key_b).as_ref() == Some(&k))
                    .and_then(Option::take)
            });
        match partner {
            Some(y) => matched.push((Some(x), Some(y), Some(SiteMatch::Waiters))),
            None => matched.push((Some(x), None, None)),
        }
    }
    matched.extend(b_left.into_iter().flatten().map(|y| (None, Some(y), None)));

    let names = |side: &Option<Side>, all: &[super::groups::Group]| -> Vec<String> {
        side.as_ref().map_or_else(Vec::new, |(_, t)| {
            t.groups
                .iter()
                .filter_map(|&g| all.get(g).map(|g| g.name.clone()))
                .collect()
        })
    };
    let mut rows: Vec<BlockingSiteChange> = matched
        .into_iter()
        .filter_map(|(x, y, matched_by)| {
            let status = Status::of(x.is_some(), y.is_some())?;
            let mut waiters = names(&x, &groups.a);
            waiters.extend(names(&y, &groups.b));
            waiters.sort();
            waiters.dedup();
            let reason = x.as_ref().or(y.as_ref())?.0 .1;
            let (site_a, x) = x.map_or((None, SiteTotals::default()), |(k, t)| (k.0, t));
            let (site_b, y) = y.map_or((None, SiteTotals::default()), |(k, t)| (k.0, t));
            Some(BlockingSiteChange {
                site_a,
                site_b,
                reason,
                status,
                matched_by,
                waiters,
                count: Change::new(x.count, y.count),
                total_ns: Change::new(x.total_ns, y.total_ns),
                max_ns: Change::new(x.max_ns, y.max_ns),
                unfinished: Change::new(x.unfinished, y.unfinished),
                sites_a: x.sites,
                sites_b: y.sites,
            })
        })
        .collect();
    rows.sort_by(|x, y| {
        y.total_ns
            .magnitude()
            .cmp(&x.total_ns.magnitude())
            .then(y.count.magnitude().cmp(&x.count.magnitude()))
            .then_with(|| x.site_a.cmp(&y.site_a))
            .then_with(|| x.site_b.cmp(&y.site_b))
            .then(x.reason.cmp(&y.reason))
    });
    rows
}
