//! Time-indexed columns: the layout every timeline in the model shares.
//!
//! A [`Lane`] is a run of rows sorted by start time, each lasting until the next row starts (the
//! last one until the end of the trace). Start times sit in their own column so that finding the
//! rows visible in a time window is two binary searches over a dense `u64` slice, which is what
//! lets a viewer draw only what is on screen. Each owner's lane (a task's, a worker's, an
//! object's) is two columns of its own, filled in time order as events arrive and kept as they
//! are; other per-owner items (holds, links, …) share one table per kind, sliced by an offsets
//! column.

use std::ops::Range;

/// Rows sorted by start time; row `i` lasts from `starts[i]` until `starts[i + 1]` (or `end`).
#[derive(Clone, Copy, Debug)]
pub struct Lane<'m, R> {
    starts: &'m [u64],
    rows: &'m [R],
    end: u64,
}

impl<'m, R: Copy> Lane<'m, R> {
    pub(crate) fn new(starts: &'m [u64], rows: &'m [R], end: u64) -> Self {
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
    pub fn starts(&self) -> &'m [u64] {
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
    pub fn start_of(&self, i: usize) -> u64 {
        self.starts[i]
    }

    /// The end of row `i`: the start of the next row, or the end of the lane.
    pub fn end_of(&self, i: usize) -> u64 {
        self.starts
            .get(i + 1)
            .copied()
            .unwrap_or(self.end)
            .max(self.starts[i])
    }

    /// The row in force at `ts`, if the lane has begun by then and `ts` is before its end.
    pub fn index_at(&self, ts: u64) -> Option<usize> {
        if ts >= self.end && !(ts == self.end && self.starts.last() == Some(&ts)) {
            return None;
        }
        self.starts.partition_point(|&s| s <= ts).checked_sub(1)
    }

    /// The rows that overlap the window `[from, to)`: binary searches, no scan.
    pub fn visible(&self, from: u64, to: u64) -> Range<usize> {
        if from >= to {
            return 0..0;
        }
        let first = self
            .starts
            .partition_point(|&s| s <= from)
            .saturating_sub(1);
        let last = self.starts.partition_point(|&s| s < to);
        first.min(last)..last
    }
}

/// Items grouped by owner: `items[offsets[o]..offsets[o + 1]]` belong to owner `o`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grouped<T> {
    offsets: Vec<u32>,
    items: Vec<T>,
}

impl<T> Grouped<T> {
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

    pub fn items(&self) -> &[T] {
        &self.items
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
    pub fn push(&mut self, owner: usize, item: T) {
        if owner >= self.lists.len() {
            self.lists.resize_with(owner + 1, Vec::new);
        }
        self.lists[owner].push(item);
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
    lanes: Vec<(Vec<u64>, Vec<R>)>,
}

impl<R> Default for LaneBuilder<R> {
    fn default() -> Self {
        LaneBuilder { lanes: Vec::new() }
    }
}

impl<R: Copy> LaneBuilder<R> {
    pub fn push(&mut self, owner: usize, start: u64, row: R) {
        if owner >= self.lanes.len() {
            self.lanes.resize_with(owner + 1, Default::default);
        }
        let (starts, rows) = &mut self.lanes[owner];
        starts.push(start);
        rows.push(row);
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
    lanes: Vec<(Vec<u64>, Vec<R>)>,
}

impl<R: Copy> GroupedLanes<R> {
    pub fn lane(&self, owner: usize, end: u64) -> Lane<'_, R> {
        match self.lanes.get(owner) {
            Some((starts, rows)) => Lane::new(starts, rows, end),
            None => Lane::new(&[], &[], end),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.lanes.capacity() * std::mem::size_of::<(Vec<u64>, Vec<R>)>()
            + self
                .lanes
                .iter()
                .map(|(starts, rows)| {
                    starts.capacity() * 8 + rows.capacity() * std::mem::size_of::<R>()
                })
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(lanes.lane(0, 10).starts(), &[1, 3]);
        assert_eq!(lanes.lane(1, 10).rows(), &['e']);
        assert_eq!(lanes.lane(2, 10).rows(), &['a', 'c']);
        assert_eq!(lanes.lane(2, 10).starts(), &[5, 6]);
        assert!(lanes.lane(3, 10).is_empty());
        let headers = 3 * std::mem::size_of::<(Vec<u64>, Vec<char>)>();
        assert_eq!(lanes.heap_bytes(), headers + 5 * 8 + 5 * 4);
        let empty = LaneBuilder::<char>::default().finish(2);
        assert!(empty.lane(1, 10).is_empty());
    }

    #[test]
    fn visible_rows_are_found_by_binary_search() {
        let starts = [0, 10, 20, 30];
        let rows = ['a', 'b', 'c', 'd'];
        let lane = Lane::new(&starts, &rows, 40);
        assert_eq!(lane.visible(12, 25), 1..3);
        assert_eq!(lane.visible(0, 10), 0..1);
        assert_eq!(lane.visible(35, 100), 3..4);
        assert_eq!(lane.visible(20, 20), 0..0);
        assert_eq!(lane.index_at(25), Some(2));
        assert_eq!(lane.index_at(45), None);
        assert_eq!(lane.end_of(3), 40);
        assert_eq!(lane.end_of(1), 20);
    }
}
