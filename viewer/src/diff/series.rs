//! Live tasks by state over time for both runs, sampled on one aligned time axis: the data of
//! the compare view's plot, where A's curve and B's share the x axis.

use super::align::Alignment;
use super::Run;
use crate::model::{Model, State};

/// Time-weighted task counts per state in equal buckets of aligned time, for A and for B.
///
/// Bucket `i` covers aligned time `[from + i * bucket_ns, from + (i + 1) * bucket_ns)`. Each
/// entry is indexed by [`State::index`] and counts, on average over the bucket, how many tasks
/// were in that state (a task blocked for half the bucket counts 0.5). `Done` counts tasks that
/// had finished; leave it out for "live" tasks ([`StateSeries::live`]). Buckets outside a run
/// are zero.
#[derive(Clone, Debug, PartialEq)]
pub struct StateSeries {
    /// Aligned time of the first bucket's start.
    pub from: i64,
    /// Width of every bucket (at least 1 ns).
    pub bucket_ns: u64,
    /// Run A's counts, one entry per bucket.
    pub a: Vec<[f32; State::COUNT]>,
    /// Run B's counts.
    pub b: Vec<[f32; State::COUNT]>,
}

impl StateSeries {
    /// `buckets` buckets over the aligned range that covers both runs.
    pub fn new(a: &Model, b: &Model, alignment: &Alignment, buckets: usize) -> StateSeries {
        let (from, to) = alignment.union_extent(a, b);
        // `to` is the last event; one ns more so that it falls inside the window.
        StateSeries::window(a, b, alignment, from, to.saturating_add(1), buckets)
    }

    /// `buckets` buckets over the aligned window `[from, to)`: what a zoomed plot shows.
    pub fn window(
        a: &Model,
        b: &Model,
        alignment: &Alignment,
        from: i64,
        to: i64,
        buckets: usize,
    ) -> StateSeries {
        let span = to.saturating_sub(from).max(1) as u64;
        let bucket_ns = span.div_ceil(buckets.max(1) as u64).max(1);
        let sample = |run: Run, model: &Model| {
            run_counts(model, alignment.timestamp(run, from), bucket_ns, buckets)
        };
        StateSeries {
            from,
            bucket_ns,
            a: sample(Run::A, a),
            b: sample(Run::B, b),
        }
    }

    /// Number of buckets.
    pub fn len(&self) -> usize {
        self.a.len()
    }

    /// True when there are no buckets.
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }

    /// Aligned time of bucket `i`'s start.
    pub fn bucket_start(&self, i: usize) -> i64 {
        self.from.saturating_add(
            (i as u64)
                .saturating_mul(self.bucket_ns)
                .min(i64::MAX as u64) as i64,
        )
    }

    /// The counts of `run`.
    pub fn of(&self, run: Run) -> &[[f32; State::COUNT]] {
        match run {
            Run::A => &self.a,
            Run::B => &self.b,
        }
    }

    /// Tasks alive (in any state but done) in bucket `i` of `run`.
    pub fn live(&self, run: Run, i: usize) -> f32 {
        self.of(run).get(i).map_or(0.0, |counts| {
            counts
                .iter()
                .enumerate()
                .filter(|&(s, _)| s != State::Done.index())
                .map(|(_, n)| n)
                .sum()
        })
    }
}

/// `buckets` buckets of `width` ns from the run's timestamp `first` (which may be negative: the
/// window starts before the recording did). Only the buckets that overlap the run are sampled.
fn run_counts(model: &Model, first: i64, width: u64, buckets: usize) -> Vec<[f32; State::COUNT]> {
    let mut out = vec![[0.0; State::COUNT]; buckets];
    let (start, end) = (model.start_ns() as i128, model.end_ns() as i128 + 1);
    let (first, width) = (first as i128, width as i128);
    let bucket_of = |ts: i128| ((ts - first).div_euclid(width)).clamp(0, buckets as i128);
    let (lo, hi) = (
        bucket_of(start) as usize,
        bucket_of(end + width - 1) as usize,
    );
    if lo >= hi {
        return out;
    }
    let edge = |i: usize| first + i as i128 * width;
    // A bucket that begins before the recording's clock (ts < 0) is sampled over its part at or
    // after 0 and scaled to the whole bucket.
    let mut lo_full = lo;
    if edge(lo) < 0 {
        let cut = edge(lo + 1);
        if cut > 0 {
            let part = model.state_counts(0, cut as u64, 1);
            let scale = cut as f32 / width as f32;
            for (slot, n) in out[lo].iter_mut().zip(part[0]) {
                *slot = n * scale;
            }
        }
        lo_full = lo + 1;
    }
    if lo_full < hi {
        let counts = model.state_counts(edge(lo_full) as u64, edge(hi) as u64, hi - lo_full);
        out[lo_full..hi].copy_from_slice(&counts);
    }
    out
}
