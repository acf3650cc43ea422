//! A per-thread single-producer, single-consumer ring of raw events.
//!
//! The traced thread is the only producer and never blocks, locks or allocates here; the writer
//! thread is the only consumer and drains every ring on its own schedule. Because the writer
//! *collects*, a thread that blocks forever — the leak and deadlock cases Weft exists to show —
//! still gets its last events (the wait it is stuck in) into the file without doing anything.
//! When a ring is full the event is dropped and counted; the writer records the count in the file.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use crate::event::WorkerId;

/// An event as the hot path stores it: 32 bytes, no pointers to chase.
///
/// `head` packs the event code (bits 56..64), the small argument (48..56) and the call-site
/// pointer (0..48, see `record::site_bits`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RawEvent {
    pub ts: u64,
    pub head: u64,
    pub a: u64,
    pub b: u64,
}

impl RawEvent {
    pub fn code(&self) -> u8 {
        (self.head >> 56) as u8
    }
    pub fn small(&self) -> u8 {
        (self.head >> 48) as u8
    }
    pub fn site_bits(&self) -> u64 {
        self.head & SITE_MASK
    }
}

pub(crate) const SITE_MASK: u64 = (1 << 48) - 1;

/// A drain gives the slots it has read back to the producer every this many events.
const FREE_EVERY: usize = 1024;

/// Keeps the producer's index and the consumer's index on different cache lines.
#[repr(align(64))]
struct Padded<T>(T);

pub(crate) struct Ring {
    slots: Box<[UnsafeCell<MaybeUninit<RawEvent>>]>,
    mask: usize,
    /// Half the capacity: when the producer crosses it, it wakes the writer.
    half: usize,
    /// Seven eighths of it: when the producer crosses it, the writer has not drained the ring
    /// since it was woken (see [`Pushed::NearlyFull`]).
    nearly_full: usize,
    /// Next slot the producer writes; published with `Release` after the slot is written.
    head: Padded<AtomicUsize>,
    /// Next slot the consumer reads; published with `Release` after the slots are copied out.
    tail: Padded<AtomicUsize>,
    /// Events the producer could not store because the ring was full.
    dropped: AtomicU64,
    /// The thread has exited: once drained, the ring can be forgotten.
    closed: AtomicBool,
    pub worker: WorkerId,
    pub os_tid: u64,
    pub name: String,
}

// SAFETY: slots are written only by the single producer at indices in [head, tail + capacity)
// and read only by the single consumer at indices in [tail, head); the Release/Acquire pairs on
// `head` and `tail` order those accesses, so no slot is read and written at the same time.
unsafe impl Sync for Ring {}
unsafe impl Send for Ring {}

impl Ring {
    /// A ring with room for `capacity` events (rounded up to a power of two). The memory is
    /// reserved, not touched, so an idle thread costs address space, not RSS.
    pub fn new(capacity: usize, worker: WorkerId, os_tid: u64, name: String) -> Self {
        let capacity = capacity.max(16).next_power_of_two();
        let mut slots: Vec<UnsafeCell<MaybeUninit<RawEvent>>> = Vec::with_capacity(capacity);
        // SAFETY: `UnsafeCell<MaybeUninit<_>>` is valid uninitialised, so the slots need no
        // writes: the allocation stays untouched (and out of RSS) until events fill it, and a
        // spawn does not pay for initialising a ring it may barely use.
        unsafe { slots.set_len(capacity) };
        let mask = capacity - 1;
        Ring {
            slots: slots.into_boxed_slice(),
            mask,
            half: capacity / 2,
            nearly_full: mask - mask / 8,
            head: Padded(AtomicUsize::new(0)),
            tail: Padded(AtomicUsize::new(0)),
            dropped: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            worker,
            os_tid,
            name,
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Consumer side: where the producer is now. Every event before it is published, and
    /// stays until [`Ring::drain_to`] takes it.
    pub fn published(&self) -> usize {
        self.head.0.load(Ordering::Acquire)
    }

    /// Consumer side: hands every published event to `each`, oldest first, straight from its
    /// slot, then frees the slots. Returns how many were taken.
    #[cfg(test)]
    pub fn drain(&self, each: impl FnMut(&RawEvent)) -> usize {
        self.drain_to(self.published(), each)
    }

    /// [`Ring::drain`] up to `head`, a position [`Ring::published`] returned: the writer reads
    /// every ring's position first and then drains each up to it, so one batch is a cut
    /// across the threads taken at one moment, however long encoding the first rings takes.
    pub fn drain_to(&self, head: usize, mut each: impl FnMut(&RawEvent)) -> usize {
        let tail = self.tail.0.load(Ordering::Relaxed);
        // A position past what is published now (not one `published` gave) goes no further.
        let now = self.published();
        let head = if head.wrapping_sub(tail) <= now.wrapping_sub(tail) {
            head
        } else {
            now
        };
        for i in tail..head {
            // SAFETY: slots in [tail, head) were written and published by the producer (Acquire
            // on head in `published`) and will not be rewritten before we store a tail past
            // them; `each` cannot keep the reference beyond its call.
            each(unsafe { (*self.slots[i & self.mask].get()).assume_init_ref() });
            // Slots are given back as the drain goes, not at its end: the writer encodes as it
            // reads, and a thread recording flat out would otherwise wait that long for room.
            if (i + 1) % FREE_EVERY == 0 {
                self.tail.0.store(i + 1, Ordering::Release);
            }
        }
        self.tail.0.store(head, Ordering::Release);
        head.wrapping_sub(tail)
    }

    /// [`Ring::drain`] into a vector.
    #[cfg(test)]
    pub fn drain_into(&self, out: &mut Vec<RawEvent>) -> usize {
        self.drain(|ev| out.push(*ev))
    }
}

/// The producer's view of its ring: the indices it owns, cached so the common push touches only
/// thread-local memory plus one `Release` store (a plain store on x86).
pub(crate) struct Producer {
    head: usize,
    cached_tail: usize,
}

/// What a push did, so the caller can wake the writer when a ring is filling up.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Pushed {
    Stored,
    /// Stored, and the ring just became half full.
    HalfFull,
    /// Stored, and the ring is seven eighths full: the writer, woken at half, has not drained
    /// it yet — on a machine whose cores are all busy it may be waiting for one.
    NearlyFull,
    Dropped,
}

impl Producer {
    pub const fn new() -> Self {
        Producer {
            head: 0,
            cached_tail: 0,
        }
    }

    #[inline(always)]
    pub fn push(&mut self, ring: &Ring, ev: RawEvent) -> Pushed {
        let mut used = self.head.wrapping_sub(self.cached_tail);
        // From the wake-up mark on, read where the consumer really is: the count must meet the
        // mark on every fill. Refreshed only when the ring looked full, the cached tail could
        // sit behind a drain, the count pass the mark without meeting it, and the ring fill up
        // unannounced until the writer's timer came round.
        if used >= ring.half {
            self.cached_tail = ring.tail.0.load(Ordering::Acquire);
            used = self.head.wrapping_sub(self.cached_tail);
            if used > ring.mask {
                ring.dropped.fetch_add(1, Ordering::Relaxed);
                return Pushed::Dropped;
            }
        }
        // SAFETY: head - tail <= mask, so this slot is not in [tail, head) and the consumer
        // does not read it until we publish the new head below.
        unsafe { (*ring.slots[self.head & ring.mask].get()).write(ev) };
        self.head = self.head.wrapping_add(1);
        ring.head.0.store(self.head, Ordering::Release);
        if used == ring.half {
            Pushed::HalfFull
        } else if used == ring.nearly_full {
            Pushed::NearlyFull
        } else {
            Pushed::Stored
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(i: u64) -> RawEvent {
        RawEvent {
            ts: i,
            head: 0,
            a: i,
            b: 0,
        }
    }

    #[test]
    fn full_ring_drops_and_counts_then_accepts_again_after_drain() {
        let ring = Ring::new(16, 0, 0, String::new());
        let mut p = Producer::new();
        for i in 0..16 {
            assert_ne!(p.push(&ring, ev(i)), Pushed::Dropped);
        }
        assert_eq!(p.push(&ring, ev(99)), Pushed::Dropped);
        assert_eq!(ring.dropped(), 1);
        let mut out = Vec::new();
        assert_eq!(ring.drain_into(&mut out), 16);
        assert_eq!(
            out.iter().map(|e| e.a).collect::<Vec<_>>(),
            (0..16).collect::<Vec<_>>()
        );
        assert_eq!(p.push(&ring, ev(16)), Pushed::Stored);
        out.clear();
        ring.drain_into(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].a, 16);
    }

    #[test]
    fn a_drain_stops_where_the_ring_stood_when_its_position_was_read() {
        let ring = Ring::new(64, 0, 0, String::new());
        let mut p = Producer::new();
        for i in 0..5 {
            p.push(&ring, ev(i));
        }
        let cut = ring.published();
        // Recorded after the cut: left for the next batch.
        for i in 5..8 {
            p.push(&ring, ev(i));
        }
        let mut taken = Vec::new();
        assert_eq!(ring.drain_to(cut, |e| taken.push(e.a)), 5);
        assert_eq!(taken, vec![0, 1, 2, 3, 4]);
        taken.clear();
        // A position beyond what is published goes no further than what is.
        assert_eq!(ring.drain_to(cut + 1000, |e| taken.push(e.a)), 3);
        assert_eq!(taken, vec![5, 6, 7]);
        assert_eq!(ring.drain_to(ring.published(), |_| {}), 0);
    }

    #[test]
    fn a_drain_gives_slots_back_as_it_goes() {
        let ring = Ring::new(4 * FREE_EVERY, 0, 0, String::new());
        let mut p = Producer::new();
        let n = 4 * FREE_EVERY as u64;
        for i in 0..n {
            assert_ne!(p.push(&ring, ev(i)), Pushed::Dropped);
        }
        assert_eq!(p.push(&ring, ev(n)), Pushed::Dropped, "full");
        let mut pushed_meanwhile = Vec::new();
        ring.drain_to(ring.published(), |e| {
            // Halfway through, the first half's slots are free again.
            if e.a == 2 * FREE_EVERY as u64 {
                pushed_meanwhile.push(p.push(&ring, ev(n + 1)));
            }
        });
        // Stored; the ring, half free, is half full again, so the writer is woken again.
        assert_eq!(pushed_meanwhile, vec![Pushed::HalfFull]);
        let mut rest = Vec::new();
        ring.drain_into(&mut rest);
        assert_eq!(rest.iter().map(|e| e.a).collect::<Vec<_>>(), vec![n + 1]);
    }

    #[test]
    fn every_fill_to_half_wakes_the_writer() {
        let ring = Ring::new(16, 0, 0, String::new());
        let mut p = Producer::new();
        let mut out = Vec::new();
        let mut wakes = Vec::new();
        for i in 0..200 {
            if p.push(&ring, ev(i)) == Pushed::HalfFull {
                wakes.push(i);
                // The writer wakes and drains the ring; the next fill to half must wake it
                // again.
                out.clear();
                ring.drain_into(&mut out);
            }
        }
        assert_eq!(ring.dropped(), 0);
        // 8 events fill the 16-slot ring to half, and each drain empties it.
        assert_eq!(wakes.len(), 200 / 9, "{wakes:?}");
        assert!(wakes.windows(2).all(|w| w[1] - w[0] == 9), "{wakes:?}");
    }

    #[test]
    fn a_ring_left_undrained_says_so_at_half_then_at_seven_eighths() {
        let ring = Ring::new(64, 0, 0, String::new());
        let mut p = Producer::new();
        let said: Vec<(u64, Pushed)> = (0..70)
            .map(|i| (i, p.push(&ring, ev(i))))
            .filter(|(_, pushed)| *pushed != Pushed::Stored)
            .collect();
        let mut want = vec![(32, Pushed::HalfFull), (56, Pushed::NearlyFull)];
        want.extend((64..70).map(|i| (i, Pushed::Dropped)));
        assert_eq!(said, want);
    }

    #[test]
    fn concurrent_producer_and_consumer_lose_nothing_but_what_is_counted() {
        let ring = std::sync::Arc::new(Ring::new(64, 0, 0, String::new()));
        let producer_ring = ring.clone();
        const N: u64 = 200_000;
        let t = std::thread::spawn(move || {
            let mut p = Producer::new();
            for i in 0..N {
                p.push(&producer_ring, ev(i));
            }
        });
        let mut out = Vec::new();
        while !t.is_finished() {
            ring.drain_into(&mut out);
        }
        t.join().unwrap();
        ring.drain_into(&mut out);
        assert_eq!(out.len() as u64 + ring.dropped(), N);
        assert!(out.windows(2).all(|w| w[0].a < w[1].a), "order kept");
    }
}
