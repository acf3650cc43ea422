//! Time-indexed columns: the layout every timeline in the model shares.
//!
//! A [`Lane`] is a run of rows sorted by start time, each lasting until the next row starts (the
//! last one until the end of the trace). Start times sit in their own column so that finding the
//! rows visible in a time window is two binary searches over a dense slice, which is what
//! lets a viewer draw only what is on screen. Each owner's lane (a task's, a worker's, an
//! object's) is two columns of its own, filled in time order as events arrive and kept as they
//! are; other per-owner items (holds, links, …) share one table per kind, sliced by an offsets
//! column.
//!
//! Start times take 4 bytes a row, not 8 ([`Times`]): a column keeps the low 32 bits of each
//! time and notes the rows where the high 32 bits change, which in a sorted column happens once
//! every 4.3 s of trace. Lane rows are most of a model, so this is its largest single saving.

use std::cell::Cell;
use std::ops::Range;

/// Where the high 32 bits of a [`Times`] column change: from row `first` on they are `high`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Epoch {
    first: u32,
    high: u32,
}

/// An owned column of times in 4 bytes a row (see the module docs). Times pushed in any order
/// read back exactly; searches assume them sorted, as lanes are.
#[derive(Clone, Debug, Default)]
pub(crate) struct TimeColumn {
    low: Vec<u32>,
    /// The high bits of the first epoch, kept inline: most lanes never need another.
    first_high: u32,
    /// The high bits of the last epoch, the one a push extends: reading them from `later`
    /// would be a load from another allocation for every row of a lane past 4.3 s.
    last_high: u32,
    later: Vec<Epoch>,
}

impl TimeColumn {
    #[inline(always)]
    pub fn push(&mut self, ts: u64) {
        let high = (ts >> 32) as u32;
        if high != self.last_high || self.low.is_empty() {
            self.begin_epoch(high);
        }
        self.low.push(ts as u32);
    }

    /// The next row (about to be pushed) has high bits `high`, which the last row had not.
    #[cold]
    fn begin_epoch(&mut self, high: u32) {
        if self.low.is_empty() {
            self.first_high = high;
        } else {
            // Rows are fewer than `u32::MAX` (see `build::MAX_EVENTS`).
            let first = u32::try_from(self.low.len()).unwrap_or(u32::MAX);
            self.later.push(Epoch { first, high });
        }
        self.last_high = high;
    }

    pub fn reserve(&mut self, rows: usize) {
        self.low.reserve(rows);
    }

    pub fn shrink_to_fit(&mut self) {
        self.low.shrink_to_fit();
        self.later.shrink_to_fit();
    }

    /// Inserts ascending `times` into this ascending column, `times[k]` before the row that is
    /// `at[k]` now (see [`insert_at`]), in place; the merged column must be ascending too.
    pub fn insert_sorted(&mut self, at: &[usize], times: &[u64]) {
        debug_assert_eq!(at.len(), times.len());
        if times.is_empty() {
            return;
        }
        // In a sorted column an epoch starts where its high bits first occur, so each starts
        // at the rows below it in both columns.
        let old = self.as_times();
        let mut highs: Vec<u32> = std::iter::once(self.first_high)
            .filter(|_| !self.low.is_empty())
            .chain(self.later.iter().map(|e| e.high))
            .chain(times.iter().map(|&t| (t >> 32) as u32))
            .collect();
        highs.sort_unstable();
        highs.dedup();
        let first_row = |high: u32| {
            let floor = u64::from(high) << 32;
            old.partition_point(|t| t < floor) + times.partition_point(|&t| t < floor)
        };
        let later: Vec<Epoch> = highs
            .iter()
            .skip(1)
            .map(|&high| Epoch {
                // Rows are fewer than `u32::MAX` (see `build::MAX_EVENTS`).
                first: u32::try_from(first_row(high)).unwrap_or(u32::MAX),
                high,
            })
            .collect();
        let lows: Vec<u32> = times.iter().map(|&t| t as u32).collect();
        insert_at(&mut self.low, at, &lows);
        self.first_high = highs[0];
        self.last_high = highs[highs.len() - 1];
        self.later = later;
    }

    pub fn heap_bytes(&self) -> usize {
        self.low.capacity() * 4 + self.later.capacity() * std::mem::size_of::<Epoch>()
    }

    pub fn as_times(&self) -> Times<'_> {
        Times {
            low: &self.low,
            first_high: self.first_high,
            later: &self.later,
        }
    }
}

impl FromIterator<u64> for TimeColumn {
    fn from_iter<I: IntoIterator<Item = u64>>(iter: I) -> Self {
        let mut column = TimeColumn::default();
        for ts in iter {
            column.push(ts);
        }
        column
    }
}

/// A lane's start times, ascending: a borrowed [`TimeColumn`].
#[derive(Clone, Copy, Debug)]
pub struct Times<'m> {
    low: &'m [u32],
    first_high: u32,
    later: &'m [Epoch],
}

impl<'m> Times<'m> {
    const EMPTY: Times<'static> = Times {
        low: &[],
        first_high: 0,
        later: &[],
    };

    /// Number of times.
    pub fn len(&self) -> usize {
        self.low.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.low.is_empty()
    }

    /// Time `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<u64> {
        let low = *self.low.get(i)?;
        let epoch = self.later.partition_point(|e| e.first as usize <= i);
        Some(join(self.epoch_high(epoch), low))
    }

    /// The first time.
    pub fn first(&self) -> Option<u64> {
        self.get(0)
    }

    /// The last time.
    pub fn last(&self) -> Option<u64> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// The times in order, from row `from` on: walked epoch by epoch, where reading each with
    /// [`Times::get`] would search the epochs for every one.
    pub fn iter_from(&self, from: usize) -> TimesIter<'m> {
        let epoch = self.later.partition_point(|e| e.first as usize <= from);
        TimesIter {
            times: *self,
            next: from,
            epoch,
            high: self.epoch_high(epoch),
            epoch_end: self.epoch_rows_end(epoch),
        }
    }

    /// The times in order.
    pub fn iter(&self) -> TimesIter<'m> {
        self.iter_from(0)
    }

    /// The number of leading times for which `pred` holds, as [`slice::partition_point`]: `pred`
    /// must hold for a prefix of the column and fail for the rest.
    pub fn partition_point(&self, mut pred: impl FnMut(u64) -> bool) -> usize {
        let epochs = 1 + self.later.len();
        if self.low.is_empty() {
            return 0;
        }
        // The first epoch whose last time fails `pred`; every earlier one passes entirely.
        let (mut lo, mut hi) = (0, epochs);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let rows = self.epoch_rows(mid);
            let last = join(self.epoch_high(mid), self.low[rows.end - 1]);
            if pred(last) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == epochs {
            return self.low.len();
        }
        let rows = self.epoch_rows(lo);
        let high = self.epoch_high(lo);
        rows.start + self.low[rows.clone()].partition_point(|&low| pred(join(high, low)))
    }

    fn epoch_high(&self, epoch: usize) -> u32 {
        match epoch.checked_sub(1) {
            None => self.first_high,
            Some(k) => self.later.get(k).map_or(self.first_high, |e| e.high),
        }
    }

    /// The row after an epoch's last.
    fn epoch_rows_end(&self, epoch: usize) -> usize {
        self.later
            .get(epoch)
            .map_or(self.low.len(), |e| e.first as usize)
    }

    /// The rows of an epoch (never empty: an epoch begins at a row).
    fn epoch_rows(&self, epoch: usize) -> Range<usize> {
        let start = match epoch.checked_sub(1) {
            None => 0,
            Some(k) => self.later.get(k).map_or(0, |e| e.first as usize),
        };
        let end = self
            .later
            .get(epoch)
            .map_or(self.low.len(), |e| e.first as usize);
        start.min(end)..end
    }
}

/// A [`Times`] column read at rows near one another, as a level-of-detail pass reads a lane:
/// it remembers the epoch of the last row read, so a read in the same epoch (almost every one:
/// an epoch is 4.3 s of trace) joins the high bits it already has, where [`Times::get`]
/// searches the epochs every time.
#[derive(Debug)]
pub struct NearTimes<'m> {
    times: Times<'m>,
    /// The rows of the epoch last read and its high bits (an empty range before the first).
    epoch: Cell<(usize, usize, u32)>,
}

impl<'m> NearTimes<'m> {
    /// Reads `times`.
    pub fn new(times: Times<'m>) -> Self {
        NearTimes {
            times,
            epoch: Cell::new((0, 0, 0)),
        }
    }

    /// Time `i`, if there is one; as [`Times::get`].
    #[inline]
    pub fn get(&self, i: usize) -> Option<u64> {
        let low = *self.times.low.get(i)?;
        let (start, end, high) = self.epoch.get();
        if (start..end).contains(&i) {
            return Some(join(high, low));
        }
        let epoch = self.times.later.partition_point(|e| e.first as usize <= i);
        let rows = self.times.epoch_rows(epoch);
        let high = self.times.epoch_high(epoch);
        self.epoch.set((rows.start, rows.end, high));
        Some(join(high, low))
    }
}

/// The first index in `lo..hi` for which `pred` is false, `pred` being true then false: a
/// binary search over positions, for columns read through an accessor rather than a slice.
pub(crate) fn partition_index(
    mut lo: usize,
    mut hi: usize,
    mut pred: impl FnMut(usize) -> bool,
) -> usize {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Inserts `items[k]` before the element that is `v[at[k]]` now (at the end for `v.len()`),
/// `at` ascending, later items after earlier ones at the same place: in place, moving each
/// element once, from the back.
pub(crate) fn insert_at<T: Copy>(v: &mut Vec<T>, at: &[usize], items: &[T]) {
    debug_assert_eq!(at.len(), items.len());
    debug_assert!(at.is_sorted() && at.last().is_none_or(|&a| a <= v.len()));
    let mut read = v.len();
    v.extend_from_slice(items);
    let mut write = v.len();
    for (&place, &item) in at.iter().zip(items).rev() {
        let place = place.min(read);
        let moved = read - place;
        v.copy_within(place..read, write - moved);
        write -= moved;
        read = place;
        write -= 1;
        v[write] = item;
    }
}

/// A [`Times`] column in order, see [`Times::iter_from`].
#[derive(Clone, Debug)]
pub struct TimesIter<'m> {
    times: Times<'m>,
    next: usize,
    epoch: usize,
    high: u32,
    epoch_end: usize,
}

impl Iterator for TimesIter<'_> {
    type Item = u64;

    #[inline]
    fn next(&mut self) -> Option<u64> {
        let low = *self.times.low.get(self.next)?;
        // Epochs never end before they begin, so one step is enough but for a hostile empty
        // one; loop to be safe.
        while self.next >= self.epoch_end && self.epoch < self.times.later.len() {
            self.epoch += 1;
            self.high = self.times.epoch_high(self.epoch);
            self.epoch_end = self.times.epoch_rows_end(self.epoch);
        }
        self.next += 1;
        Some(join(self.high, low))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.times.low.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for TimesIter<'_> {}

fn join(high: u32, low: u32) -> u64 {
    (u64::from(high) << 32) | u64::from(low)
}

/// Rows sorted by start time; row `i` lasts from the start of row `i` until the start of row
/// `i + 1` (or `end`).
#[derive(Clone, Copy, Debug)]
pub struct Lane<'m, R> {
    starts: Times<'m>,
    rows: &'m [R],
    end: u64,
}

impl<'m, R: Copy> Lane<'m, R> {
    pub(crate) fn new(starts: Times<'m>, rows: &'m [R], end: u64) -> Self {
        debug_assert_eq!(starts.len(), rows.len());
        Lane { starts, rows, end }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// True when the lane has no rows.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The start times, ascending.
    pub fn starts(&self) -> Times<'m> {
        self.starts
    }

    /// The rows, in the order of [`Lane::starts`].
    pub fn rows(&self) -> &'m [R] {
        self.rows
    }

    /// Where the lane ends: the end of the trace.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> R {
        self.rows[i]
    }

    /// The start of row `i`.
    ///
    /// # Panics
    ///
    /// When `i` is out of bounds, as indexing a slice does.
    pub fn start_of(&self, i: usize) -> u64 {
        match self.starts.get(i) {
            Some(ts) => ts,
            None => panic!("row {i} of a lane of {} rows", self.len()),
        }
    }

    /// The end of row `i`: the start of the next row, or the end of the lane.
    pub fn end_of(&self, i: usize) -> u64 {
        self.starts
            .get(i + 1)
            .unwrap_or(self.end)
            .max(self.start_of(i))
    }

    /// The row in force at `ts`, if the lane has begun by then and `ts` is before its end.
    pub fn index_at(&self, ts: u64) -> Option<usize> {
        if ts >= self.end && !(ts == self.end && self.starts.last() == Some(ts)) {
            return None;
        }
        self.starts.partition_point(|s| s <= ts).checked_sub(1)
    }

    /// The rows that overlap the window `[from, to)`: binary searches, no scan.
    pub fn visible(&self, from: u64, to: u64) -> Range<usize> {
        if from >= to {
            return 0..0;
        }
        let first = self.starts.partition_point(|s| s <= from).saturating_sub(1);
        let last = self.starts.partition_point(|s| s < to);
        first.min(last)..last
    }
}

/// Items grouped by owner: `items[offsets[o]..offsets[o + 1]]` belong to owner `o`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grouped<T> {
    offsets: Vec<u32>,
    items: Vec<T>,
}

impl<T: Copy + Default> Grouped<T> {
    /// Groups rows `0..rows` of a table by `owner_of(row)`, keeping `item(row)`, each owner's
    /// in row order: a counting sort, two passes over the table and every item written once
    /// into its final place (owners beyond `owners` are dropped). For a table already held
    /// whole, where a [`GroupBuilder`] would hold every item twice on the way.
    pub fn by_owner(
        owners: usize,
        rows: usize,
        owner_of: impl Fn(usize) -> usize,
        item: impl Fn(usize) -> T,
    ) -> Self {
        let mut offsets = vec![0u32; owners + 1];
        for row in 0..rows {
            let o = owner_of(row);
            if o < owners {
                offsets[o + 1] += 1;
            }
        }
        for o in 0..owners {
            offsets[o + 1] += offsets[o];
        }
        let mut next = offsets.clone();
        let mut items = vec![T::default(); offsets[owners] as usize];
        for row in 0..rows {
            let o = owner_of(row);
            if o < owners {
                items[next[o] as usize] = item(row);
                next[o] += 1;
            }
        }
        Grouped { offsets, items }
    }
}

impl<T> Grouped<T> {
    /// The groups `items[offsets[o]..offsets[o + 1]]`; `offsets` ascending from 0 to
    /// `items.len()`, one more than there are owners.
    pub fn from_parts(offsets: Vec<u32>, items: Vec<T>) -> Self {
        debug_assert!(
            offsets.is_sorted() && offsets.last().map(|&o| o as usize) == Some(items.len())
        );
        Grouped { offsets, items }
    }

    pub fn get(&self, owner: usize) -> &[T] {
        &self.items[self.range(owner)]
    }

    pub fn get_mut(&mut self, owner: usize) -> &mut [T] {
        let r = self.range(owner);
        &mut self.items[r]
    }

    pub fn range(&self, owner: usize) -> Range<usize> {
        match (self.offsets.get(owner), self.offsets.get(owner + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<T>() + self.offsets.capacity() * 4
    }
}

/// Collects `(owner, item)` pairs in any owner order and groups them by owner, items of one
/// owner in the order they were pushed (time order, for the model).
///
/// Each owner's items go to a list of its own while building, and the lists are laid end to
/// end at the finish, each freed as soon as it is copied: the copy is sequential, and the peak
/// is one table plus the largest owner's list, where a counting sort of one column would hold
/// every item twice (or, sorted in place, chase every item through memory at random).
#[derive(Debug)]
pub(crate) struct GroupBuilder<T> {
    lists: Vec<Vec<T>>,
}

impl<T> Default for GroupBuilder<T> {
    fn default() -> Self {
        GroupBuilder { lists: Vec::new() }
    }
}

impl<T: Copy> GroupBuilder<T> {
    /// Inlined with only the first push for an owner out of line: an out-of-line push saved
    /// and restored a frame of registers around two stores.
    #[inline(always)]
    pub fn push(&mut self, owner: usize, item: T) {
        if owner >= self.lists.len() {
            self.add_owners(owner + 1);
        }
        self.lists[owner].push(item);
    }

    #[cold]
    #[inline(never)]
    fn add_owners(&mut self, owners: usize) {
        self.lists.resize_with(owners, Vec::new);
    }

    /// Groups everything pushed into `owners` groups; items naming an owner beyond that are
    /// impossible by construction and dropped.
    pub fn finish(mut self, owners: usize) -> Grouped<T> {
        self.lists.truncate(owners);
        let (offsets, items) = concatenate(
            owners,
            self.lists,
            |list| list.len(),
            |items, list| items.extend_from_slice(&list),
        );
        Grouped { offsets, items }
    }
}

/// Lane rows pushed as `(owner, start, row)` in any owner order, each owner's in a list of its
/// own (see [`GroupedLanes`]), start times in their own column.
#[derive(Debug)]
pub(crate) struct LaneBuilder<R> {
    lanes: Vec<(TimeColumn, Vec<R>)>,
}

impl<R> Default for LaneBuilder<R> {
    fn default() -> Self {
        LaneBuilder { lanes: Vec::new() }
    }
}

impl<R: Copy> LaneBuilder<R> {
    /// Inlined with only the first push for an owner out of line, as [`GroupBuilder::push`].
    #[inline(always)]
    pub fn push(&mut self, owner: usize, start: u64, row: R) {
        if owner >= self.lanes.len() {
            self.add_owners(owner + 1);
        }
        let (starts, rows) = &mut self.lanes[owner];
        starts.push(start);
        rows.push(row);
    }

    #[cold]
    #[inline(never)]
    fn add_owners(&mut self, owners: usize) {
        self.lanes.resize_with(owners, Default::default);
    }

    /// How many rows `owner`'s lane has so far.
    pub fn len_of(&self, owner: usize) -> usize {
        self.lanes.get(owner).map_or(0, |(_, rows)| rows.len())
    }

    /// The lanes of `owners` owners; rows naming an owner beyond that are impossible by
    /// construction and dropped.
    pub fn finish(mut self, owners: usize) -> GroupedLanes<R> {
        self.lanes.truncate(owners);
        for (starts, rows) in &mut self.lanes {
            starts.shrink_to_fit();
            rows.shrink_to_fit();
        }
        self.lanes.shrink_to_fit();
        GroupedLanes { lanes: self.lanes }
    }
}

/// Lays `lists` (one per owner, possibly fewer than `owners`) end to end, dropping each once
/// copied; returns the offsets column (`owners + 1` entries) and the items.
fn concatenate<L, T>(
    owners: usize,
    lists: Vec<L>,
    len: impl Fn(&L) -> usize,
    append: impl Fn(&mut Vec<T>, L),
) -> (Vec<u32>, Vec<T>) {
    let total: usize = lists.iter().map(&len).sum();
    let mut offsets = Vec::with_capacity(owners + 1);
    let mut items = Vec::with_capacity(total);
    offsets.push(0);
    for list in lists {
        append(&mut items, list);
        // The model holds fewer than `u32::MAX` rows (see `build::MAX_EVENTS`).
        offsets.push(u32::try_from(items.len()).unwrap_or(u32::MAX));
    }
    offsets.resize(owners + 1, u32::try_from(items.len()).unwrap_or(u32::MAX));
    (offsets, items)
}

/// Lane rows grouped by owner: each owner's start times and rows in two columns of its own,
/// as the builder filled them. (Laid end to end in one table they would be copied once more
/// at the end of every load, every page of them touched twice.)
#[derive(Clone, Debug, Default)]
pub(crate) struct GroupedLanes<R> {
    lanes: Vec<(TimeColumn, Vec<R>)>,
}

impl<R: Copy> GroupedLanes<R> {
    pub fn lane(&self, owner: usize, end: u64) -> Lane<'_, R> {
        match self.lanes.get(owner) {
            Some((starts, rows)) => Lane::new(starts.as_times(), rows, end),
            None => Lane::new(Times::EMPTY, &[], end),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.lanes.capacity() * std::mem::size_of::<(TimeColumn, Vec<R>)>()
            + self
                .lanes
                .iter()
                .map(|(starts, rows)| {
                    starts.heap_bytes() + rows.capacity() * std::mem::size_of::<R>()
                })
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_a_table_by_owner_keeps_row_order_and_drops_unknown_owners() {
        let owners = [2, 0, 2, 7, 1, 0, 2];
        let g = Grouped::by_owner(3, owners.len(), |row| owners[row], |row| row as u32 * 10);
        assert_eq!(g.get(0), &[10, 50]);
        assert_eq!(g.get(1), &[40]);
        assert_eq!(g.get(2), &[0, 20, 60]);
        assert_eq!(g.get(3), &[] as &[u32]);
        let empty = Grouped::<u32>::by_owner(0, owners.len(), |row| owners[row], |_| 1);
        assert_eq!(empty.get(0), &[] as &[u32]);
    }

    #[test]
    fn grouping_is_stable_per_owner() {
        let mut b = GroupBuilder::default();
        b.push(1, 'a');
        b.push(0, 'b');
        b.push(1, 'c');
        b.push(2, 'd');
        b.push(0, 'e');
        let g = b.finish(4);
        assert_eq!(g.get(0), &['b', 'e']);
        assert_eq!(g.get(1), &['a', 'c']);
        assert_eq!(g.get(2), &['d']);
        assert!(g.get(3).is_empty());
        assert!(g.get(9).is_empty());
    }

    #[test]
    fn lanes_group_stably_and_drop_unknown_owners() {
        let mut b = LaneBuilder::default();
        let pushed = [
            (2, 5, 'a'),
            (0, 1, 'b'),
            (7, 9, 'x'),
            (2, 6, 'c'),
            (0, 3, 'd'),
            (1, 4, 'e'),
        ];
        for (owner, start, row) in pushed {
            b.push(owner, start, row);
        }
        let lanes = b.finish(3);
        assert_eq!(lanes.lane(0, 10).rows(), &['b', 'd']);
        assert_eq!(
            lanes.lane(0, 10).starts().iter().collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(lanes.lane(1, 10).rows(), &['e']);
        assert_eq!(lanes.lane(2, 10).rows(), &['a', 'c']);
        assert_eq!(
            lanes.lane(2, 10).starts().iter().collect::<Vec<_>>(),
            [5, 6]
        );
        assert!(lanes.lane(3, 10).is_empty());
        let headers = 3 * std::mem::size_of::<(TimeColumn, Vec<char>)>();
        assert_eq!(lanes.heap_bytes(), headers + 5 * 4 + 5 * 4);
        let empty = LaneBuilder::<char>::default().finish(2);
        assert!(empty.lane(1, 10).is_empty());
    }

    #[test]
    fn visible_rows_are_found_by_binary_search() {
        let starts: TimeColumn = [0, 10, 20, 30].into_iter().collect();
        let rows = ['a', 'b', 'c', 'd'];
        let lane = Lane::new(starts.as_times(), &rows, 40);
        assert_eq!(lane.visible(12, 25), 1..3);
        assert_eq!(lane.visible(0, 10), 0..1);
        assert_eq!(lane.visible(35, 100), 3..4);
        assert_eq!(lane.visible(20, 20), 0..0);
        assert_eq!(lane.index_at(25), Some(2));
        assert_eq!(lane.index_at(45), None);
        assert_eq!(lane.end_of(3), 40);
        assert_eq!(lane.end_of(1), 20);
    }

    #[test]
    fn times_cross_4_3_second_epochs_exactly() {
        const EPOCH: u64 = 1 << 32;
        let sorted = [
            3,
            EPOCH - 1,
            EPOCH,
            EPOCH + 7,
            3 * EPOCH + 1,
            3 * EPOCH + 1,
            3 * EPOCH + 9,
            u64::MAX - 1,
        ];
        let column: TimeColumn = sorted.into_iter().collect();
        let times = column.as_times();
        assert_eq!(times.iter().collect::<Vec<_>>(), sorted);
        for from in 0..=sorted.len() {
            assert_eq!(times.iter_from(from).len(), sorted.len() - from);
            assert_eq!(times.iter_from(from).collect::<Vec<_>>(), sorted[from..]);
        }
        assert_eq!(times.first(), Some(3));
        assert_eq!(times.last(), Some(u64::MAX - 1));
        assert_eq!(times.get(sorted.len()), None);
        // Read near the last read, in every order, across and within epochs.
        let near = NearTimes::new(times);
        let n = sorted.len();
        let orders = [
            (0..=n).collect::<Vec<_>>(),
            (0..=n).rev().collect(),
            (0..=n).map(|k| k * 5 % (n + 1)).collect(),
        ];
        for order in orders {
            for i in order {
                assert_eq!(near.get(i), sorted.get(i).copied(), "row {i}");
            }
        }
        // Every partition point agrees with the plain slice's, at and around every time.
        let probes = sorted
            .iter()
            .flat_map(|&t| [t.saturating_sub(1), t, t.saturating_add(1)])
            .chain([0, EPOCH / 2, 2 * EPOCH, u64::MAX]);
        for probe in probes {
            assert_eq!(
                times.partition_point(|t| t < probe),
                sorted.partition_point(|&t| t < probe),
                "< {probe}"
            );
            assert_eq!(
                times.partition_point(|t| t <= probe),
                sorted.partition_point(|&t| t <= probe),
                "<= {probe}"
            );
        }
        // Four bytes a row and one epoch note per change of the high bits.
        assert_eq!(column.heap_bytes() - column.later.capacity() * 8, 8 * 4);
        assert_eq!(column.later.len(), 3);
    }

    #[test]
    fn unsorted_times_read_back_exactly() {
        let pushed = [5 << 32, 1, (9 << 32) + 4, 2];
        let column: TimeColumn = pushed.into_iter().collect();
        assert_eq!(column.as_times().iter().collect::<Vec<_>>(), pushed);
        assert_eq!(
            TimeColumn::default().as_times().partition_point(|_| true),
            0
        );
    }
}
