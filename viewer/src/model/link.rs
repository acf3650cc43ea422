//! Causal links: one task's action that let another task go on.

use serde::Serialize;

use super::ids::{LinkIx, ObjectIx, TaskIx};
use super::lane::{insert_at, partition_index, NearTimes, TimeColumn, Times};

/// What kind of cause a link records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum LinkKind {
    /// A spawn → the child's start.
    Spawn,
    /// A send → the receive of that message (matched by message id).
    Message,
    /// A lock release → the acquisition by a task that had been waiting for it.
    Release,
    /// An `unpark` → the end of the target's `park`.
    Unpark,
    /// A condvar notify → the end of a wait on it.
    Notify,
    /// A task's exit → the end of a join waiting for it.
    Exit,
    /// A wake of an async task → its next poll.
    Wake,
}

impl LinkKind {
    /// The stable name: `spawn`, `message`, `release`, `unpark`, `notify`, `exit`,
    /// `wake`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Spawn => "spawn",
            LinkKind::Message => "message",
            LinkKind::Release => "release",
            LinkKind::Unpark => "unpark",
            LinkKind::Notify => "notify",
            LinkKind::Exit => "exit",
            LinkKind::Wake => "wake",
        }
    }
}

/// `from_task` did something at `from_ts` that let `to_task` go on at `to_ts`.
///
/// Times come from two threads' clocks and the recorder writes some causes just after the fact,
/// so `from_ts` can be slightly after `to_ts` (a rendezvous send is recorded when the sender
/// returns, which may be after the receiver has returned). Draw such a link at `to_ts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The kind of cause.
    pub kind: LinkKind,
    /// When the cause happened.
    pub from_ts: u64,
    /// When the effect happened.
    pub to_ts: u64,
    /// The acting task.
    pub from_task: TaskIx,
    /// The task that went on.
    pub to_task: TaskIx,
    /// The channel, lock or condvar involved.
    pub object: Option<ObjectIx>,
}

impl Link {
    /// The order of the model's links: by effect time, then the rest of the link so that the
    /// order is total and a load always gives the same one.
    pub(crate) fn order(&self) -> (u64, u64, TaskIx, TaskIx, u8, Option<ObjectIx>) {
        (
            self.to_ts,
            self.from_ts,
            self.to_task,
            self.from_task,
            self.kind as u8,
            self.object,
        )
    }
}

/// Every link of a model in [`Link::order`], as columns: effect times 4 bytes a link (sorted,
/// so a [`TimeColumn`]), the rest 17 — about half [`Link`]'s 40 (its `Option<ObjectIx>` has no
/// spare value to mean none, and its `u64`s pad the row). Links are the model's second-largest
/// table, and a recorded pipeline has one for nearly every two events.
#[derive(Clone, Debug, Default)]
pub(crate) struct LinkTable {
    to_ts: TimeColumn,
    rows: Vec<LinkRow>,
    kinds: Vec<LinkKind>,
    /// Cause times too far from their effects for a row's 31 bits, by the index a row keeps.
    far_causes: Vec<u64>,
    /// The last link pushed, which the builder compares every new one with.
    last: Option<Link>,
}

/// A link but its effect time and kind, 16 bytes.
#[derive(Clone, Copy, Debug, Default)]
struct LinkRow {
    /// The cause time as an offset from the effect time (see [`Cause`]).
    cause: Cause,
    from_task: TaskIx,
    to_task: TaskIx,
    /// `NO_OBJECT` for none.
    object: u32,
}

const NO_OBJECT: u32 = u32::MAX;

/// A cause time beside its effect's. Nearly every cause comes shortly before its effect (a send
/// before the receive, a release before the acquire), and some a little after it (two threads'
/// clocks, causes recorded just after the fact): stored as `to_ts + AFTER - from_ts` when that
/// fits 31 bits, a cause up to about 2.1 s before its effect or 1 ms after it. Otherwise the
/// top bit is set and the rest indexes [`LinkTable::far_causes`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cause(u32);

impl Cause {
    /// How far after its effect a cause can be and still be an offset.
    const AFTER: u64 = 1 << 20;
    const FAR: u32 = 1 << 31;

    /// `from_ts` beside `to_ts`, appending it to `far` when it is not near.
    fn new(from_ts: u64, to_ts: u64, far: &mut Vec<u64>) -> Self {
        let offset = to_ts
            .checked_add(Self::AFTER)
            .and_then(|t| t.checked_sub(from_ts));
        match offset {
            Some(offset) if offset < u64::from(Self::FAR) => Cause(offset as u32),
            // Far causes are fewer than links, and links fewer than 2^31 (`build::MAX_EVENTS`).
            _ => {
                far.push(from_ts);
                Cause(Self::FAR | (far.len() - 1) as u32)
            }
        }
    }

    fn time(self, to_ts: u64, far: &[u64]) -> u64 {
        if self.0 & Self::FAR == 0 {
            // `new` made the offset from this sum, so it does not overflow.
            to_ts
                .saturating_add(Self::AFTER)
                .saturating_sub(u64::from(self.0))
        } else {
            far.get((self.0 & !Self::FAR) as usize)
                .copied()
                .unwrap_or(to_ts)
        }
    }
}

impl LinkRow {
    /// The link this row is with its kind and effect time.
    fn link(&self, kind: LinkKind, to_ts: u64, far: &[u64]) -> Link {
        Link {
            kind,
            from_ts: self.cause.time(to_ts, far),
            to_ts,
            from_task: self.from_task,
            to_task: self.to_task,
            object: (self.object != NO_OBJECT).then_some(ObjectIx(self.object)),
        }
    }

    fn new(l: &Link, far: &mut Vec<u64>) -> Self {
        LinkRow {
            cause: Cause::new(l.from_ts, l.to_ts, far),
            from_task: l.from_task,
            to_task: l.to_task,
            // Objects are fewer than `u32::MAX` (see `build::MAX_EVENTS`).
            object: l.object.map_or(NO_OBJECT, |o| o.0),
        }
    }
}

impl LinkTable {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Link `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<Link> {
        let row = self.rows.get(i)?;
        let to_ts = self.to_ts.as_times().get(i)?;
        Some(row.link(*self.kinds.get(i)?, to_ts, &self.far_causes))
    }

    /// Link `l`, which must exist, as indexing a slice.
    pub fn at(&self, l: LinkIx) -> Link {
        match self.get(l.index()) {
            Some(link) => link,
            None => panic!("link {} of {}", l.index(), self.len()),
        }
    }

    pub fn effect_times(&self) -> Times<'_> {
        self.to_ts.as_times()
    }

    pub fn last(&self) -> Option<Link> {
        self.last
    }

    /// Link `l`'s task that went on.
    pub fn woken_task(&self, l: LinkIx) -> TaskIx {
        self.rows[l.index()].to_task
    }

    /// A reader of links' cause times (links that must exist). The effect times they are kept
    /// beside are read through one cursor, so links read in increasing order cost no searches.
    pub fn cause_times(&self) -> impl Fn(LinkIx) -> u64 + '_ {
        let times = NearTimes::new(self.to_ts.as_times());
        move |l| {
            let to_ts = times.get(l.index()).unwrap_or(0);
            self.rows[l.index()].cause.time(to_ts, &self.far_causes)
        }
    }

    /// Every link's acting task, in link order.
    pub fn acting_tasks(&self) -> impl Iterator<Item = TaskIx> + '_ {
        self.rows.iter().map(|row| row.from_task)
    }

    /// Every link's acting task and cause time, in link order: one walk down the columns.
    pub fn causes(&self) -> impl Iterator<Item = (TaskIx, u64)> + '_ {
        self.effect_times()
            .iter()
            .zip(&self.rows)
            .map(|(to_ts, row)| (row.from_task, row.cause.time(to_ts, &self.far_causes)))
    }

    /// The links in order, the effect times read in one walk down their column.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Link> + '_ {
        self.effect_times()
            .iter()
            .zip(&self.rows)
            .zip(&self.kinds)
            .map(|((to_ts, row), &kind)| row.link(kind, to_ts, &self.far_causes))
    }

    /// Appends `link`, which must not come before the last in [`Link::order`].
    pub fn push(&mut self, link: &Link) {
        self.to_ts.push(link.to_ts);
        self.rows.push(LinkRow::new(link, &mut self.far_causes));
        self.kinds.push(link.kind);
        self.last = Some(*link);
    }

    pub fn reserve(&mut self, links: usize) {
        self.to_ts.reserve(links);
        self.rows.reserve(links);
        self.kinds.reserve(links);
    }

    /// Merges `late` (links that arrived out of order, any order themselves) in, in place.
    pub fn merge(&mut self, mut late: Vec<Link>) {
        if late.is_empty() {
            return;
        }
        late.sort_unstable_by_key(Link::order);
        // Each goes after every link not after it (equal links are equal in every field).
        let at: Vec<usize> = late
            .iter()
            .map(|l| {
                let key = l.order();
                partition_index(0, self.len(), |i| self.at(LinkIx::at(i)).order() <= key)
            })
            .collect();
        let to_ts: Vec<u64> = late.iter().map(|l| l.to_ts).collect();
        let far = &mut self.far_causes;
        let rows: Vec<LinkRow> = late.iter().map(|l| LinkRow::new(l, far)).collect();
        let kinds: Vec<LinkKind> = late.iter().map(|l| l.kind).collect();
        self.to_ts.insert_sorted(&at, &to_ts);
        insert_at(&mut self.rows, &at, &rows);
        insert_at(&mut self.kinds, &at, &kinds);
        self.last = self.len().checked_sub(1).and_then(|i| self.get(i));
    }

    pub fn shrink_to_fit(&mut self) {
        self.to_ts.shrink_to_fit();
        self.rows.shrink_to_fit();
        self.kinds.shrink_to_fit();
        self.far_causes.shrink_to_fit();
    }

    pub fn heap_bytes(&self) -> usize {
        self.to_ts.heap_bytes()
            + self.rows.capacity() * std::mem::size_of::<LinkRow>()
            + self.kinds.capacity()
            + self.far_causes.capacity() * std::mem::size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_16_bytes() {
        assert_eq!(std::mem::size_of::<LinkRow>(), 16);
    }

    #[test]
    fn cause_times_near_and_far_come_back_exactly() {
        let mut far = Vec::new();
        let to_ts = 10_000_000_000u64;
        let cases = [
            to_ts,
            to_ts - 1,
            to_ts + 1,
            to_ts + Cause::AFTER,
            to_ts + Cause::AFTER + 1,
            to_ts - (u64::from(Cause::FAR) - Cause::AFTER - 1),
            to_ts - (u64::from(Cause::FAR) - Cause::AFTER),
            0,
            u64::MAX - Cause::AFTER,
        ];
        let causes: Vec<Cause> = cases
            .iter()
            .map(|&c| Cause::new(c, to_ts, &mut far))
            .collect();
        for (&from_ts, cause) in cases.iter().zip(&causes) {
            assert_eq!(cause.time(to_ts, &far), from_ts, "{from_ts}");
        }
        // Only those beyond the offset's reach are kept aside.
        assert_eq!(
            far,
            vec![
                to_ts + Cause::AFTER + 1,
                to_ts - (u64::from(Cause::FAR) - Cause::AFTER),
                0,
                u64::MAX - Cause::AFTER
            ]
        );
    }

    #[test]
    fn late_links_merge_into_the_order_a_full_sort_gives() {
        // Links from a small generator, mostly in order with stragglers, split the way the
        // builder splits them; now and then time jumps past a 2^32 ns boundary, so merging
        // also moves where the effect times' high bits change.
        let mut next = crate::testkit::below(0x2545_f491_4f6c_dd1d);
        for round in 0..80 {
            let mut all = Vec::new();
            let mut ts = 0;
            for _ in 0..(round * 7 + 1) {
                ts += if next(9) == 0 {
                    (1 << 32) - next(3)
                } else {
                    next(5)
                };
                let to_ts = if next(4) == 0 {
                    ts.saturating_sub(next(20))
                } else {
                    ts
                };
                all.push(Link {
                    kind: if next(2) == 0 {
                        LinkKind::Message
                    } else {
                        LinkKind::Release
                    },
                    // Mostly just before the effect; now and then after it (near and far),
                    // or too long before it for a row's offset.
                    from_ts: match next(8) {
                        0 => to_ts + 5_000,
                        1 => to_ts + (3 << 20),
                        2 => to_ts.saturating_sub(3 << 30),
                        _ => to_ts.saturating_sub(next(3)),
                    },
                    to_ts,
                    from_task: TaskIx(next(3) as u32),
                    to_task: TaskIx(next(3) as u32),
                    object: (next(2) == 0).then_some(ObjectIx(next(2) as u32)),
                });
            }
            let (mut links, mut late) = (LinkTable::default(), Vec::new());
            for l in &all {
                match links.last() {
                    Some(last) if l.order() < last.order() => late.push(*l),
                    _ => links.push(l),
                }
            }
            links.merge(late);
            all.sort_by_key(Link::order);
            assert_eq!(links.iter().collect::<Vec<_>>(), all, "round {round}");
            let times = links.to_ts.as_times();
            for (i, l) in all.iter().enumerate() {
                // The column's searches see the merged times too.
                let first = times.partition_point(|t| t < l.to_ts);
                assert_eq!(links.get(first).map(|f| f.to_ts), Some(l.to_ts));
                assert!(first <= i);
            }
        }
    }
}
