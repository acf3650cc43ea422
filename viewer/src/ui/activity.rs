//! Display aggregates over the model's task states: how many tasks were in each state over time
//! (the overview strip and the "live tasks by state" plot) and how long blocked spans lasted (the
//! histogram). They only add up the spans the model already resolved — no state is derived here —
//! and are computed once per trace, in one pass over the spans.

use crate::model::{Model, State};

/// Number of time buckets the overview and the plot use.
pub const BUCKETS: usize = 600;

/// Time-weighted number of tasks in each state, per time bucket.
#[derive(Clone, Debug, Default)]
pub struct Activity {
    /// Start of the first bucket, ns.
    pub start_ns: u64,
    /// Width of one bucket, ns (at least 1).
    pub bucket_ns: f64,
    /// `counts[b][s]`: average number of tasks in state `s` (by [`State::index`]) during bucket
    /// `b`.
    pub counts: Vec<[f32; State::COUNT]>,
    /// The largest number of live (not done) tasks in any bucket, for scaling.
    pub peak_live: f32,
}

impl Activity {
    /// Adds up every task's spans into [`BUCKETS`] buckets over the trace.
    pub fn new(model: &Model) -> Self {
        let start = model.start_ns();
        let duration = model.duration_ns().max(1);
        let bucket_ns = (duration as f64 / BUCKETS as f64).max(1.0);
        let mut counts = vec![[0f32; State::COUNT]; BUCKETS];
        for t in model.task_ixs() {
            let lane = model.timeline(t);
            for i in 0..lane.len() {
                let state = lane.row(i).state();
                if state == State::Done {
                    continue;
                }
                let s = lane.start_of(i).saturating_sub(start) as f64;
                let e = lane.end_of(i).saturating_sub(start) as f64;
                let first = ((s / bucket_ns) as usize).min(BUCKETS - 1);
                let last = ((e / bucket_ns) as usize).min(BUCKETS - 1);
                for (b, bucket) in counts.iter_mut().enumerate().take(last + 1).skip(first) {
                    let b0 = b as f64 * bucket_ns;
                    let overlap = e.min(b0 + bucket_ns) - s.max(b0);
                    if overlap > 0.0 {
                        bucket[state.index()] += (overlap / bucket_ns) as f32;
                    }
                }
            }
        }
        let peak_live = counts
            .iter()
            .map(|c| c.iter().sum::<f32>())
            .fold(0.0, f32::max);
        Activity {
            start_ns: start,
            bucket_ns,
            counts,
            peak_live,
        }
    }

    /// The middle of bucket `b`, ns.
    pub fn bucket_mid(&self, b: usize) -> f64 {
        self.start_ns as f64 + (b as f64 + 0.5) * self.bucket_ns
    }
}

/// Blocked span durations on a log scale: bucket `i` holds durations in `[10^(i/4), 10^((i+1)/4))`
/// ns, four buckets per decade.
#[derive(Clone, Debug, Default)]
pub struct BlockedHistogram {
    /// Per bucket, per blocked state (by [`State::index`]): number of spans.
    pub counts: Vec<[u32; State::COUNT]>,
}

/// Buckets per decade of the histogram.
pub const HIST_PER_DECADE: f64 = 4.0;

impl BlockedHistogram {
    /// Counts every blocked span of every task.
    pub fn new(model: &Model) -> Self {
        let mut counts: Vec<[u32; State::COUNT]> = Vec::new();
        for t in model.task_ixs() {
            let lane = model.timeline(t);
            for i in 0..lane.len() {
                let state = lane.row(i).state();
                if state.blocked().is_none() {
                    continue;
                }
                let d = lane.end_of(i).saturating_sub(lane.start_of(i)).max(1) as f64;
                let b = (d.log10() * HIST_PER_DECADE).floor().max(0.0) as usize;
                if counts.len() <= b {
                    counts.resize(b + 1, [0; State::COUNT]);
                }
                counts[b][state.index()] += 1;
            }
        }
        BlockedHistogram { counts }
    }

    /// The lower edge of bucket `b`, ns.
    pub fn bucket_floor_ns(b: usize) -> f64 {
        10f64.powf(b as f64 / HIST_PER_DECADE)
    }
}
