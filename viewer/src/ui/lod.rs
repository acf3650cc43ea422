//! Level of detail: which spans of a lane to draw, so that drawing cost follows what is visible
//! and not the size of the trace.
//!
//! A lane's spans are sorted by start and do not overlap (the model guarantees it: a task is in
//! one state at a time, a worker runs one task at a time), so their ends are sorted too and both
//! edges of the visible window are found by binary search. Inside the window, a span at least
//! `min_px` wide is drawn as itself; a run of narrower spans is merged into one summary block
//! about `min_px` wide, coloured by the category that covers most of it (of those the lane
//! draws, with the share it covers, so that short bursts between long idle stretches still
//! show). The next block starts
//! at a binary-searched index, so a lane costs O(pixels × log n) however many spans it holds.

use std::marker::PhantomData;
use std::ops::Range;

use crate::model::lane::partition_index;
use crate::model::{Lane, NearTimes};

/// A lane as the level-of-detail pass sees it: `len` spans sorted by start whose ends are
/// sorted too (they do not overlap). A model lane is one through [`LaneSpans`]; tests use
/// plain slices.
pub trait SpanSeq {
    /// Number of spans.
    fn len(&self) -> usize;
    /// True when there are no spans.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Start of span `i`, ns.
    fn start(&self, i: usize) -> u64;
    /// End of span `i`, ns (≥ its start).
    fn end(&self, i: usize) -> u64;
    /// Length of span `i`, ns (a lane can read it with fewer lookups than start and end).
    fn len_ns(&self, i: usize) -> u64 {
        self.end(i).saturating_sub(self.start(i))
    }
}

/// A model lane as a [`SpanSeq`]. Its start times are read through [`NearTimes`]: the pass
/// reads rows close to one another, so most reads skip the search for their 4.3 s epoch.
pub struct LaneSpans<'m, R> {
    starts: NearTimes<'m>,
    end: u64,
    len: usize,
    _rows: PhantomData<&'m [R]>,
}

impl<'m, R: Copy> LaneSpans<'m, R> {
    /// The spans of `lane`.
    pub fn new(lane: &Lane<'m, R>) -> Self {
        LaneSpans {
            starts: NearTimes::new(lane.starts()),
            end: lane.end(),
            len: lane.len(),
            _rows: PhantomData,
        }
    }
}

impl<R: Copy> SpanSeq for LaneSpans<'_, R> {
    fn len(&self) -> usize {
        self.len
    }
    fn start(&self, i: usize) -> u64 {
        match self.starts.get(i) {
            Some(ts) => ts,
            None => panic!("row {i} of a lane of {} rows", self.len),
        }
    }
    fn end(&self, i: usize) -> u64 {
        self.starts
            .get(i + 1)
            .unwrap_or(self.end)
            .max(self.start(i))
    }
    fn len_ns(&self, i: usize) -> u64 {
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(start), Some(next)) => next.saturating_sub(start),
            (Some(start), None) => self.end.saturating_sub(start),
            _ => 0,
        }
    }
}

/// What to draw for one stretch of a lane.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece<K> {
    /// One span, wide enough to draw on its own: its index in the lane.
    Span(usize),
    /// Spans `indices` merged because each is narrower than the threshold.
    Summary {
        /// The merged spans.
        indices: Range<usize>,
        /// Start of the first merged span, ns.
        start_ns: u64,
        /// End of the last merged span, ns.
        end_ns: u64,
        /// The category that covers most of the merged time among those the caller shows
        /// (any, if none of those was met), estimated from at most [`SUMMARY_SAMPLES`] spans
        /// for very long runs.
        dominant: K,
        /// The share of the merged time `dominant` covers, in (0, 1]: a worker busy in short
        /// bursts is shown busy, faintly, rather than as the idle time between them.
        share: f32,
    },
}

/// At most this many spans are looked at to pick a summary block's colour.
pub const SUMMARY_SAMPLES: usize = 16;
/// … in this many runs of neighbouring spans.
const SUMMARY_RUNS: usize = 4;

/// The indices of the spans that intersect `[t0, t1)`: two binary searches.
pub fn visible_range(spans: &impl SpanSeq, t0: f64, t1: f64) -> Range<usize> {
    let n = spans.len();
    let first = partition_index(0, n, |i| (spans.end(i) as f64) <= t0);
    let last = partition_index(first, n, |i| (spans.start(i) as f64) < t1);
    first..last
}

/// As [`partition_index`], for an answer expected near `lo`: probes `lo`, `lo + 2`, `lo + 6`, …
/// (gaps doubling) until one fails, then bisects the last gap. A summary block covers a small
/// share of a big lane, so this stays among a few neighbouring cache lines where bisecting the
/// whole rest of the lane would start with a miss at every step: O(log d) reads for an answer
/// `d` rows on.
fn gallop(lo: usize, hi: usize, pred: impl Fn(usize) -> bool) -> usize {
    let mut passed = lo;
    let mut step = 1;
    loop {
        let probe = passed.saturating_add(step - 1);
        if probe >= hi {
            return partition_index(passed, hi, pred);
        }
        if !pred(probe) {
            return partition_index(passed, probe, pred);
        }
        passed = probe + 1;
        step = step.saturating_mul(2);
    }
}

/// As [`partition_index`], from a guess of the answer: gallops up or down from `guess`, so an
/// answer `d` rows from the guess takes O(log d) reads.
fn gallop_from(lo: usize, hi: usize, guess: usize, pred: impl Fn(usize) -> bool) -> usize {
    let guess = guess.clamp(lo, hi);
    if guess < hi && pred(guess) {
        return gallop(guess + 1, hi, pred);
    }
    // The answer is in lo..=guess, where `pred` fails (or which is `hi`).
    let mut failed = guess;
    let mut step = 1;
    while failed > lo {
        let probe = failed.saturating_sub(step).max(lo);
        if pred(probe) {
            return partition_index(probe + 1, failed, pred);
        }
        failed = probe;
        step = step.saturating_mul(2);
    }
    lo
}

fn width(spans: &impl SpanSeq, i: usize) -> f64 {
    spans.len_ns(i) as f64
}

/// Calls `out` with what to draw for one lane in the time `window` seen at `ns_per_px`:
/// spans at least `min_px` wide one by one, narrower ones merged. `category` gives the key a
/// summary block is coloured by; `shown` says which keys the lane draws (a worker's idle time
/// is not drawn): a block takes the one of those covering most time if it met any. Returns the
/// number of pieces.
pub fn pieces<S: SpanSeq, K: Copy + PartialEq>(
    spans: &S,
    window: Range<f64>,
    ns_per_px: f64,
    min_px: f64,
    category: impl Fn(usize) -> K,
    shown: impl Fn(K) -> bool,
    out: impl FnMut(Piece<K>),
) -> usize {
    let range = visible_range(spans, window.start, window.end);
    pieces_in(spans, range, ns_per_px, min_px, category, shown, out)
}

/// As [`pieces`], over spans `range` found by the caller (for lanes whose spans may overlap,
/// such as shared lock holds, where the visible range needs a prefix maximum of the ends).
pub fn pieces_in<S: SpanSeq, K: Copy + PartialEq>(
    spans: &S,
    range: Range<usize>,
    ns_per_px: f64,
    min_px: f64,
    category: impl Fn(usize) -> K,
    shown: impl Fn(K) -> bool,
    mut out: impl FnMut(Piece<K>),
) -> usize {
    let min_ns = (ns_per_px * min_px).max(0.0);
    let mut count = 0;
    let mut i = range.start;
    // Neighbouring blocks hold about as many spans: the last one's count is where the next
    // block's end is looked for first.
    let mut last_block = 1;
    while i < range.end {
        if width(spans, i) >= min_ns {
            out(Piece::Span(i));
            i += 1;
        } else {
            // Merge every span that starts before this block is `min_px` wide. Spans do not
            // overlap, so only the last one caught can be wide; that one is drawn on its own.
            let block_end = spans.start(i) as f64 + min_ns;
            let mut j = gallop_from(i + 1, range.end, i + last_block, |k| {
                (spans.start(k) as f64) < block_end
            });
            last_block = j - i;
            if j > i + 1 && width(spans, j - 1) >= min_ns {
                j -= 1;
            }
            let (dominant, share) = dominant(spans, i..j, &category, &shown);
            out(Piece::Summary {
                indices: i..j,
                start_ns: spans.start(i),
                end_ns: spans.end(j - 1).max(spans.start(i)),
                dominant,
                share,
            });
            i = j;
        }
        count += 1;
    }
    count
}

/// The category covering the most time among spans `range` — of those `shown`, if any is met —
/// and the share of the time it covers, sampling at most [`SUMMARY_SAMPLES`] of them so that a
/// block over a million spans costs the same as one over a hundred.
fn dominant<K: Copy + PartialEq>(
    spans: &impl SpanSeq,
    range: Range<usize>,
    category: &impl Fn(usize) -> K,
    shown: &impl Fn(K) -> bool,
) -> (K, f32) {
    let first = range.start;
    let len = range.len();
    // Samples come in runs of neighbours, one run in each of up to SUMMARY_RUNS equal strides:
    // neighbours share cache lines, so a run costs about one memory access where scattered
    // samples cost one each, and a run sees both phases of a lane that alternates two states (a
    // worker running and idle in turn) where single samples at a fixed offset would see one
    // phase only. The runs' offsets vary from stride to stride but are fixed per position, so
    // a block keeps its colour from frame to frame.
    let run = SUMMARY_SAMPLES / SUMMARY_RUNS;
    let stride = len / SUMMARY_RUNS;
    let samples = (0..len.min(SUMMARY_SAMPLES)).map(|k| {
        if len <= SUMMARY_SAMPLES {
            return first + k;
        }
        let s = k / run;
        // A fixed 32-bit hash of the stride, scaled into the stride's free room by a multiply
        // (a division here was a tenth of the whole pass). `len` > SUMMARY_SAMPLES, so a
        // stride holds a whole run.
        let hash = u128::from((s as u32).wrapping_mul(0x9e37_79b9));
        let offset = ((hash * (stride + 1 - run) as u128) >> 32) as usize;
        first + s * stride + offset + k % run
    });
    // On the stack: a frame zoomed out over millions of spans makes tens of thousands of
    // blocks, each of which would otherwise allocate. There are at most as many keys as samples.
    let mut totals = [(category(first), 0u64); SUMMARY_SAMPLES];
    let mut keys = 0;
    for i in samples {
        // Zero-length spans still count a little so a block of instants gets their colour.
        let weight = spans.len_ns(i).max(1);
        let key = category(i);
        match totals[..keys].iter_mut().find(|(k, _)| *k == key) {
            Some((_, total)) => *total += weight,
            None if keys < SUMMARY_SAMPLES => {
                totals[keys] = (key, weight);
                keys += 1;
            }
            None => {}
        }
    }
    let all: u64 = totals[..keys].iter().map(|(_, total)| total).sum();
    let most = |candidates: &mut dyn Iterator<Item = &(K, u64)>| {
        candidates.max_by_key(|(_, total)| *total).copied()
    };
    let picked = most(&mut totals[..keys].iter().filter(|(k, _)| shown(*k)))
        .or_else(|| most(&mut totals[..keys].iter()));
    match picked {
        Some((key, total)) => (key, total as f32 / all.max(1) as f32),
        None => (category(first), 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug)]
    struct S(u64, u64, u8);

    struct Slice<'a>(&'a [S]);
    impl SpanSeq for Slice<'_> {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn start(&self, i: usize) -> u64 {
            self.0[i].0
        }
        fn end(&self, i: usize) -> u64 {
            self.0[i].1
        }
    }

    fn collect(spans: &[S], t0: f64, t1: f64, ns_per_px: f64) -> Vec<Piece<u8>> {
        let mut v = Vec::new();
        pieces(
            &Slice(spans),
            t0..t1,
            ns_per_px,
            2.0,
            |i| spans[i].2,
            |_| true,
            |p| v.push(p),
        );
        v
    }

    #[test]
    fn only_spans_in_the_window_are_visited() {
        let spans: Vec<S> = (0..100).map(|i| S(i * 10, i * 10 + 10, 0)).collect();
        let lane = Slice(&spans);
        assert_eq!(visible_range(&lane, 205.0, 230.0), 20..23);
        assert_eq!(visible_range(&lane, 2_000.0, 3_000.0), 100..100);
        assert_eq!(visible_range(&lane, -50.0, 0.5), 0..1);
        assert_eq!(visible_range(&Slice(&[]), 0.0, 1.0), 0..0);
    }

    #[test]
    fn wide_spans_are_drawn_one_by_one() {
        let spans = [S(0, 100, 1), S(100, 300, 2)];
        assert_eq!(
            collect(&spans, 0.0, 300.0, 1.0),
            vec![Piece::Span(0), Piece::Span(1)]
        );
    }

    #[test]
    fn narrow_spans_merge_and_take_the_majority_colour() {
        // 1000 spans of 1 ns at 10 ns per pixel: blocks of 2 px = 20 ns each.
        let spans: Vec<S> = (0..1000).map(|i| S(i, i + 1, (i % 3 == 0) as u8)).collect();
        let pieces = collect(&spans, 0.0, 1000.0, 10.0);
        assert_eq!(pieces.len(), 50, "one block per 2 px");
        for p in &pieces {
            match p {
                Piece::Summary {
                    dominant, indices, ..
                } => {
                    assert_eq!(*dominant, 0, "two thirds of the spans are category 0");
                    assert_eq!(indices.len(), 20);
                }
                Piece::Span(_) => panic!("no span is 2 px wide"),
            }
        }
    }

    #[test]
    fn alternating_states_do_not_alias_the_colour() {
        // A worker idle 1 ns, running 3 ns, in turn: running covers three quarters of every
        // block whatever its stride, so every block is running (category 1). Sampled at a
        // fixed offset in even strides, a block that begins idle would see only idle spans.
        let spans: Vec<S> = (0..4_000)
            .map(|i| {
                let (start, running) = (i / 2 * 4 + i % 2, i % 2 == 1);
                S(start, start + if running { 3 } else { 1 }, running as u8)
            })
            .collect();
        for ns_per_px in [10.0, 40.0, 160.0, 1_000.0] {
            let pieces = collect(&spans, 0.0, 8_000.0, ns_per_px);
            for p in &pieces {
                if let Piece::Summary { dominant, .. } = p {
                    assert_eq!(*dominant, 1, "at {ns_per_px} ns/px: {p:?}");
                }
            }
        }
    }

    #[test]
    fn a_block_takes_the_shown_category_that_covers_most_and_says_how_much() {
        // A worker idle 9 ns (category 0, not drawn), then busy 1 ns (category 1), in turn.
        let spans: Vec<S> = (0..2_000)
            .map(|i| {
                let (start, busy) = (i / 2 * 10 + (i % 2) * 9, i % 2 == 1);
                S(start, start + if busy { 1 } else { 9 }, busy as u8)
            })
            .collect();
        let summaries = |shown: fn(u8) -> bool| {
            let mut v = Vec::new();
            pieces(
                &Slice(&spans),
                0.0..10_000.0,
                100.0,
                2.0,
                |i| spans[i].2,
                shown,
                |p| {
                    if let Piece::Summary {
                        dominant, share, ..
                    } = p
                    {
                        v.push((dominant, share));
                    }
                },
            );
            v
        };
        let busy = summaries(|k| k == 1);
        assert!(!busy.is_empty());
        for (dominant, share) in busy {
            assert_eq!(dominant, 1);
            assert!(
                (0.05..0.2).contains(&share),
                "busy a tenth of the time: {share}"
            );
        }
        for (dominant, share) in summaries(|_| true) {
            assert_eq!(dominant, 0, "idle covers most time");
            assert!(share > 0.8, "{share}");
        }
        // Nothing shown is met: the block still says what covers it.
        for (dominant, _) in summaries(|_| false) {
            assert_eq!(dominant, 0);
        }
    }

    #[test]
    fn a_wide_span_after_narrow_ones_is_not_swallowed() {
        let spans = [S(0, 1, 0), S(1, 2, 0), S(2, 1_000, 1)];
        let pieces = collect(&spans, 0.0, 1_000.0, 10.0);
        assert_eq!(pieces.len(), 2);
        assert!(matches!(&pieces[0], Piece::Summary { indices, .. } if *indices == (0..2)));
        assert_eq!(pieces[1], Piece::Span(2));
    }

    #[test]
    fn galloping_finds_what_bisecting_finds() {
        let values: Vec<u64> = (0..300).map(|i| i * 3).collect();
        for lo in [0, 1, 7, 150, 299, 300] {
            for limit in [0, 1, 2, 3, 4, 5, 100, 448, 449, 450, 898, 899, 900, 10_000] {
                let pred = |k: usize| values[k] < limit;
                assert_eq!(
                    gallop(lo, values.len(), pred),
                    partition_index(lo, values.len(), pred),
                    "from {lo} for values below {limit}"
                );
            }
        }
    }

    #[test]
    fn galloping_from_a_guess_finds_what_bisecting_finds() {
        let values: Vec<u64> = (0..300).map(|i| i * 3).collect();
        for lo in [0, 1, 150, 299, 300] {
            for guess in [0, 1, 2, 5, 149, 150, 151, 160, 298, 299, 300, 400] {
                for limit in [0, 1, 3, 4, 448, 449, 450, 455, 898, 899, 900, 10_000] {
                    let pred = |k: usize| values[k] < limit;
                    assert_eq!(
                        gallop_from(lo, values.len(), guess, pred),
                        partition_index(lo, values.len(), pred),
                        "from {lo}, guess {guess}, values below {limit}"
                    );
                }
            }
        }
    }

    #[test]
    fn cost_follows_pixels_not_spans() {
        let spans: Vec<S> = (0..1_000_000).map(|i| S(i * 2, i * 2 + 1, 0)).collect();
        // 2 M ns over 1000 px: 2 px blocks cover 4000 ns = 2000 spans each.
        let n = pieces(
            &Slice(&spans),
            0.0..2_000_000.0,
            2_000.0,
            2.0,
            |i| spans[i].2,
            |_| true,
            |_| {},
        );
        assert!(n <= 501, "{n} pieces for 1000 px");
    }
}
