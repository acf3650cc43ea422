//! One time axis for two runs: aligned at their starts, or at the first occurrence of something
//! both runs did (a mark, a region, a site, a task).
//!
//! Two runs rarely start doing the interesting part at the same offset (a slower start-up, a
//! longer warm-up), so the compare view lets the user pin both timelines to an anchor. Aligned
//! time is ns relative to each run's anchor: 0 is the anchor in both runs, negative is before
//! it. The viewer pans and zooms in aligned time and converts with [`Alignment::timestamp`].

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use super::Run;
use crate::model::{Model, SiteIx};

/// Where to pin both runs' timelines.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// The first event of each run.
    Start,
    /// The first `tracing` event with this message.
    Mark(String),
    /// The first entry into a `tracing` span with this name.
    Region(String),
    /// The first thing that happened at this `file:line`: a wait, an operation on a channel or
    /// lock, a spawn, an object's creation, a mark.
    Site(String),
    /// The first task with this name beginning (spawned, or started).
    Task(String),
}

impl Anchor {
    /// The anchor in words: `the start`, `mark "ready"`, `site src/main.rs:12`, …
    pub fn describe(&self) -> String {
        match self {
            Anchor::Start => "the start".into(),
            Anchor::Mark(m) => format!("mark {m:?}"),
            Anchor::Region(r) => format!("region {r:?}"),
            Anchor::Site(s) => format!("activity at {s}"),
            Anchor::Task(t) => format!("task {t:?}"),
        }
    }

    /// When the anchor happens in `model` (ns since the recording began), if it does.
    pub fn time_in(&self, model: &Model) -> Option<u64> {
        match self {
            Anchor::Start => Some(model.start_ns()),
            Anchor::Mark(message) => model
                .task_ixs()
                .filter_map(|t| {
                    model
                        .marks(t)
                        .iter()
                        .find(|m| model.string(m.message) == message)
                        .map(|m| m.ts)
                })
                .min(),
            Anchor::Region(name) => model
                .task_ixs()
                .filter_map(|t| {
                    model
                        .regions(t)
                        .iter()
                        .find(|r| model.string(r.name) == name)
                        .map(|r| r.start)
                })
                .min(),
            Anchor::Site(label) => first_at_site(model, label),
            Anchor::Task(name) => model
                .tasks()
                .iter()
                .filter(|task| model.string(task.name) == name)
                .filter_map(|task| task.spawned_at.or(task.started_at))
                .min(),
        }
    }
}

/// Anchors offered for a pair of runs: the first occurrence of each of these in a run.
#[derive(Default)]
struct Firsts {
    marks: FirstSeen,
    regions: FirstSeen,
    tasks: FirstSeen,
    sites: FirstSeen,
}

/// When a run first reached each key (a mark's message, a region's name, …).
type FirstSeen = HashMap<String, u64>;

/// The anchor a key makes (`Anchor::Mark` for a mark's message, …).
type AnchorOf = fn(String) -> Anchor;

impl Firsts {
    /// Each kind's first occurrences, with the anchor a key of that kind makes.
    fn by_kind(&self) -> [(&FirstSeen, AnchorOf); 4] {
        [
            (&self.marks, Anchor::Mark),
            (&self.regions, Anchor::Region),
            (&self.tasks, Anchor::Task),
            (&self.sites, Anchor::Site),
        ]
    }

    fn of(model: &Model) -> Firsts {
        fn keep(map: &mut FirstSeen, key: &str, ts: u64) {
            if key.is_empty() {
                return;
            }
            match map.get_mut(key) {
                Some(first) => *first = (*first).min(ts),
                None => {
                    map.insert(key.to_owned(), ts);
                }
            }
        }
        let mut out = Firsts::default();
        // Blocking sites by id first: resolving a label per span would allocate per span.
        let mut wait_sites: HashMap<SiteIx, u64> = HashMap::new();
        for t in model.task_ixs() {
            for m in model.marks(t) {
                keep(&mut out.marks, model.string(m.message), m.ts);
            }
            for r in model.regions(t) {
                keep(&mut out.regions, model.string(r.name), r.start);
            }
            let task = model.task(t);
            if let Some(ts) = task.spawned_at.or(task.started_at) {
                keep(&mut out.tasks, model.string(task.name), ts);
            }
            for span in model.timeline(t).spans() {
                if span.state.blocked().is_some() && span.site.is_known() {
                    let first = wait_sites.entry(span.site).or_insert(span.start);
                    *first = (*first).min(span.start);
                }
            }
        }
        for (site, ts) in wait_sites {
            if let Some(label) = model.site_label(site) {
                keep(&mut out.sites, &label, ts);
            }
        }
        out
    }
}

/// The keys of `a` that `b` has too, in the order `a` first reaches them, at most `most`.
fn common_keys(a: &FirstSeen, b: &FirstSeen, most: usize) -> Vec<String> {
    let mut keys: Vec<(&String, u64)> = a
        .iter()
        .filter(|(k, _)| b.contains_key(*k))
        .map(|(k, &ts)| (k, ts))
        .collect();
    keys.sort_by(|x, y| x.1.cmp(&y.1).then_with(|| x.0.cmp(y.0)));
    keys.into_iter()
        .take(most)
        .map(|(k, _)| k.clone())
        .collect()
}

impl Anchor {
    /// What both runs reach, to offer as anchors: the start, then marks, regions, tasks and
    /// blocking sites (at most `per_kind` of each, in the order run A first reaches them).
    /// Every anchor returned aligns: [`Alignment::at`] finds it in both runs.
    pub fn common(a: &Model, b: &Model, per_kind: usize) -> Vec<Anchor> {
        let (x, y) = (Firsts::of(a), Firsts::of(b));
        let mut out = vec![Anchor::Start];
        for ((in_a, anchor), (in_b, _)) in x.by_kind().into_iter().zip(y.by_kind()) {
            out.extend(common_keys(in_a, in_b, per_kind).into_iter().map(anchor));
        }
        out
    }
}

/// The first activity at any site whose `file:line` is `label` (several columns of one line are
/// several sites).
fn first_at_site(model: &Model, label: &str) -> Option<u64> {
    let wanted: Vec<SiteIx> = (1..)
        .map(SiteIx)
        .map_while(|s| model.site(s).map(|site| (s, site)))
        .filter(|(_, site)| site.to_string() == label)
        .map(|(s, _)| s)
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let at = |s: SiteIx| wanted.contains(&s);
    let mut first: Option<u64> = None;
    let mut seen = |ts: u64| first = Some(first.map_or(ts, |f| f.min(ts)));
    for t in model.task_ixs() {
        let task = model.task(t);
        if let (true, Some(ts)) = (at(task.spawn_site), task.spawned_at) {
            seen(ts);
        }
        if let Some(span) = model.timeline(t).spans().find(|s| at(s.site)) {
            seen(span.start);
        }
        if let Some(mark) = model.marks(t).iter().find(|m| at(m.site)) {
            seen(mark.ts);
        }
    }
    for o in model.object_ixs() {
        let object = model.object(o);
        if let (true, Some(ts)) = (at(object.site), object.created_at) {
            seen(ts);
        }
        let lane = model.object_events(o);
        if let Some(i) = lane.rows().iter().position(|e| at(e.site)) {
            seen(lane.start_of(i));
        }
    }
    first
}

/// `start`, `mark:MESSAGE`, `region:NAME`, `site:FILE:LINE`, `task:NAME`.
impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::Start => f.write_str("start"),
            Anchor::Mark(m) => write!(f, "mark:{m}"),
            Anchor::Region(r) => write!(f, "region:{r}"),
            Anchor::Site(s) => write!(f, "site:{s}"),
            Anchor::Task(t) => write!(f, "task:{t}"),
        }
    }
}

/// A string that names no anchor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot align at `{0}`: expected `start`, `mark:MESSAGE`, `region:NAME`, `site:FILE:LINE` \
     or `task:NAME`"
)]
pub struct AnchorParseError(pub String);

/// Parses what [`Anchor`]'s `Display` writes.
impl FromStr for Anchor {
    type Err = AnchorParseError;

    fn from_str(s: &str) -> Result<Anchor, AnchorParseError> {
        if s == "start" {
            return Ok(Anchor::Start);
        }
        let bad = || AnchorParseError(s.to_owned());
        let (kind, value) = s.split_once(':').ok_or_else(bad)?;
        if value.is_empty() {
            return Err(bad());
        }
        let value = value.to_owned();
        match kind {
            "mark" => Ok(Anchor::Mark(value)),
            "region" => Ok(Anchor::Region(value)),
            "site" => Ok(Anchor::Site(value)),
            "task" => Ok(Anchor::Task(value)),
            _ => Err(bad()),
        }
    }
}

/// One of the runs never reaches the anchor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("run {} has no {}", run.as_str(), anchor.describe())]
pub struct AlignError {
    /// The run without it.
    pub run: Run,
    /// The anchor asked for.
    pub anchor: Anchor,
}

/// Where aligned time 0 is in each run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alignment {
    /// Run A's timestamp of aligned time 0.
    pub origin_a: u64,
    /// Run B's timestamp of aligned time 0.
    pub origin_b: u64,
}

impl Alignment {
    /// Both runs from their first event.
    pub fn at_start(a: &Model, b: &Model) -> Alignment {
        Alignment {
            origin_a: a.start_ns(),
            origin_b: b.start_ns(),
        }
    }

    /// Both runs pinned at `anchor`; an error names the run that never reaches it.
    pub fn at(a: &Model, b: &Model, anchor: &Anchor) -> Result<Alignment, AlignError> {
        let find = |model: &Model, run: Run| {
            anchor.time_in(model).ok_or_else(|| AlignError {
                run,
                anchor: anchor.clone(),
            })
        };
        Ok(Alignment {
            origin_a: find(a, Run::A)?,
            origin_b: find(b, Run::B)?,
        })
    }

    fn origin(&self, run: Run) -> i64 {
        let origin = match run {
            Run::A => self.origin_a,
            Run::B => self.origin_b,
        };
        origin.min(i64::MAX as u64) as i64
    }

    /// A timestamp of `run` in aligned time.
    pub fn aligned(&self, run: Run, ts: u64) -> i64 {
        ts.min(i64::MAX as u64) as i64 - self.origin(run)
    }

    /// The timestamp of `run` at aligned time `t` (negative or past the end when `t` is outside
    /// the run).
    pub fn timestamp(&self, run: Run, t: i64) -> i64 {
        self.origin(run).saturating_add(t)
    }

    /// The moment of B that lines up with A's timestamp `ts`.
    pub fn a_to_b(&self, ts: u64) -> i64 {
        self.timestamp(Run::B, self.aligned(Run::A, ts))
    }

    /// The moment of A that lines up with B's timestamp `ts`.
    pub fn b_to_a(&self, ts: u64) -> i64 {
        self.timestamp(Run::A, self.aligned(Run::B, ts))
    }

    /// Where `model` (run `run`) begins and ends in aligned time.
    pub fn extent(&self, run: Run, model: &Model) -> (i64, i64) {
        (
            self.aligned(run, model.start_ns()),
            self.aligned(run, model.end_ns()),
        )
    }

    /// The aligned range covering both runs.
    pub fn union_extent(&self, a: &Model, b: &Model) -> (i64, i64) {
        let (a0, a1) = self.extent(Run::A, a);
        let (b0, b1) = self.extent(Run::B, b);
        (a0.min(b0), a1.max(b1))
    }
}
