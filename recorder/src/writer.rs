//! The writer thread: the one owner of the output and of all encoding state.
//!
//! Every `flush_interval` (or sooner, when a ring reports it is half full, or on request) it
//! drains every thread's ring, turns clock ticks into nanoseconds, resolves call-site pointers
//! to site ids, encodes one chunk per worker and writes them as one batch frame. Rings of
//! threads that exited are forgotten once drained; rings of threads that are blocked forever
//! keep being drained, which is how their last wait reaches the file.

use std::collections::HashMap;
use std::io::{self, Write};
use std::panic::Location;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::event::{running_after, RawArgs, SiteId, TaskId};
use crate::format::{
    Batch, Chunk, ChunkEncoder, End, FrameWriter, LostRecord, SiteRecord, WorkerRecord,
};
use crate::record::{Shared, LATE_DROPPED};
use crate::ring::Ring;

/// Slots of the writer's call-site cache.
const SITE_CACHE: usize = 256;

/// What the writer is asked to do besides its periodic drain.
pub(crate) enum Cmd {
    /// A ring is filling up: drain now.
    Wake,
    /// Drain and write everything recorded so far, then acknowledge.
    Flush(Sender<()>),
    /// Final drain, end record, and exit.
    Stop,
}

/// Totals of a finished session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Events written to the file.
    pub events: u64,
    /// Events the recorder dropped (counted in the file).
    pub dropped: u64,
    /// Bytes written.
    pub bytes: u64,
}

struct RingState {
    ring: Arc<Ring>,
    announced: bool,
    last_ts: u64,
    task: TaskId,
    reported_dropped: u64,
}

pub(crate) struct Writer<W: Write> {
    shared: Arc<Shared>,
    out: FrameWriter<W>,
    rings: Vec<RingState>,
    known_rings: usize,
    sites: HashMap<u64, SiteId>,
    /// Recently seen call sites by a hash of their pointer; `(0, 0)` marks an empty slot.
    site_cache: Vec<(u64, SiteId)>,
    seq: u64,
    /// Each ring's `(closed, published position)` at the start of a collect.
    cut: Vec<(bool, usize)>,
    events: u64,
    dropped: u64,
    late_dropped_seen: u64,
    end_ts: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(shared: Arc<Shared>, out: FrameWriter<W>) -> Self {
        Writer {
            shared,
            out,
            rings: Vec::new(),
            known_rings: 0,
            sites: HashMap::new(),
            site_cache: vec![(0, 0); SITE_CACHE],
            seq: 0,
            cut: Vec::new(),
            events: 0,
            dropped: 0,
            late_dropped_seen: LATE_DROPPED.load(Ordering::Relaxed),
            end_ts: 0,
        }
    }

    /// The writer thread's loop; returns the session's totals.
    pub fn run(mut self, commands: Receiver<Cmd>, interval: Duration) -> io::Result<Summary> {
        let mut next = Instant::now() + interval;
        loop {
            let timeout = next.saturating_duration_since(Instant::now());
            match commands.recv_timeout(timeout) {
                Ok(Cmd::Wake) => self.collect()?,
                Ok(Cmd::Flush(ack)) => {
                    self.collect()?;
                    self.out.flush()?;
                    let _ = ack.send(());
                }
                Ok(Cmd::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    self.collect()?;
                    self.out.flush()?;
                    next = Instant::now() + interval;
                }
            }
        }
        self.collect()?;
        self.out.write_end(&End {
            events: self.events,
            dropped: self.dropped,
            end_ts: self.end_ts,
            batches: self.seq,
        })?;
        Ok(Summary {
            events: self.events,
            dropped: self.dropped,
            bytes: self.out.bytes_written(),
        })
    }

    fn ns(&self, raw: u64) -> u64 {
        self.shared.clock.delta_as_nanos(self.shared.start_raw, raw)
    }

    /// Drains every ring and writes one batch if anything was recorded.
    fn collect(&mut self) -> io::Result<()> {
        {
            let rings = self.shared.rings.lock().unwrap_or_else(|e| e.into_inner());
            for ring in &rings[self.known_rings..] {
                self.rings.push(RingState {
                    ring: ring.clone(),
                    announced: false,
                    last_ts: 0,
                    task: 0,
                    reported_dropped: 0,
                });
            }
            self.known_rings = rings.len();
        }
        let mut batch = Batch {
            seq: self.seq,
            ..Batch::default()
        };
        // Where every ring stands, read before any is drained: the batch is then a cut taken
        // at one moment. Draining ring by ring to wherever each stood when its turn came would
        // let a thread drained early miss events recorded before those of a thread drained
        // later (a message id drawn before another's, say) by the time encoding takes.
        // `closed` is read before the position: everything a thread pushed before closing is
        // then in it.
        let mut cut = std::mem::take(&mut self.cut);
        cut.clear();
        cut.extend(self.rings.iter().map(|r| {
            let closed = r.ring.is_closed();
            (closed, r.ring.published())
        }));
        let mut i = 0;
        while i < self.rings.len() {
            let (closed, head) = cut[i];
            self.drain_ring(i, head, &mut batch);
            if closed {
                self.rings.swap_remove(i);
                cut.swap_remove(i);
            } else {
                i += 1;
            }
        }
        self.cut = cut;
        let late = LATE_DROPPED.load(Ordering::Relaxed);
        if late > self.late_dropped_seen {
            let count = late - self.late_dropped_seen;
            self.late_dropped_seen = late;
            self.dropped += count;
            batch.lost.push(LostRecord {
                worker: u32::MAX,
                count,
                after_ts: self.end_ts,
            });
        }
        // Strings are taken after the rings: any string an event just drained refers to was
        // interned before that event was pushed, so it is in this batch at the latest.
        batch.strings = std::mem::take(
            &mut self
                .shared
                .interner
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pending,
        );
        if batch.chunks.is_empty()
            && batch.strings.is_empty()
            && batch.workers.is_empty()
            && batch.lost.is_empty()
        {
            return Ok(());
        }
        self.out.write_batch(&batch)?;
        self.seq += 1;
        Ok(())
    }

    /// Encodes ring `i`'s events up to `head` into a chunk of `batch`.
    fn drain_ring(&mut self, i: usize, head: usize, batch: &mut Batch) {
        let ring = self.rings[i].ring.clone();
        let chunk_task = self.rings[i].task;
        let mut task = chunk_task;
        let mut last_ts = self.rings[i].last_ts;
        // Made at the first event, whose time the chunk starts from.
        let mut chunk: Option<(ChunkEncoder, u64)> = None;
        // Encoded straight from the ring's slots: the events are read once, not copied first.
        ring.drain_to(head, |ev| {
            // The TSC read is not serialising: clamp so time never runs backwards.
            let ts = self.ns(ev.ts).max(last_ts);
            last_ts = ts;
            let raw = RawArgs {
                code: ev.code(),
                a: ev.a,
                b: ev.b,
                small: ev.small(),
            };
            task = running_after(task, &raw);
            let site = self.site_id(ev.site_bits(), batch);
            let (enc, _) = chunk.get_or_insert_with(|| (ChunkEncoder::new(ts), ts));
            enc.push(ts, site, raw);
        });
        if !self.rings[i].announced {
            self.rings[i].announced = true;
            batch.workers.push(WorkerRecord {
                id: ring.worker,
                os_tid: ring.os_tid,
                name: ring.name.clone(),
            });
        }
        let dropped = ring.dropped();
        if dropped > self.rings[i].reported_dropped {
            let count = dropped - self.rings[i].reported_dropped;
            self.rings[i].reported_dropped = dropped;
            self.dropped += count;
            batch.lost.push(LostRecord {
                worker: ring.worker,
                count,
                // Where the ring's events stood before this drain.
                after_ts: self.rings[i].last_ts,
            });
        }
        if let Some((enc, first_ts)) = chunk {
            self.rings[i].last_ts = last_ts;
            self.rings[i].task = task;
            self.end_ts = self.end_ts.max(last_ts);
            self.events += enc.count as u64;
            batch.chunks.push(Chunk {
                worker: ring.worker,
                task: chunk_task,
                first_ts,
                count: enc.count,
                data: enc.data,
            });
        }
    }

    /// The id of a call site, defining it in this batch the first time it is seen.
    fn site_id(&mut self, bits: u64, batch: &mut Batch) -> SiteId {
        if bits == 0 {
            return 0;
        }
        // Most events come from a few hot call sites: a direct-mapped cache in front of the
        // map spares hashing the pointer for nearly every event.
        let slot = (bits.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize % SITE_CACHE;
        if let Some(&(cached, id)) = self.site_cache.get(slot) {
            if cached == bits {
                return id;
            }
        }
        let id = self.site_id_slow(bits, batch);
        if let Some(entry) = self.site_cache.get_mut(slot) {
            *entry = (bits, id);
        }
        id
    }

    fn site_id_slow(&mut self, bits: u64, batch: &mut Batch) -> SiteId {
        if let Some(&id) = self.sites.get(&bits) {
            return id;
        }
        let (file, line, col) = if bits & 1 == 1 {
            // SAFETY: odd site bits are only ever made from a `&'static Metadata<'static>`
            // (record::emit_with_metadata), which lives for the whole program.
            let meta = unsafe { &*((bits & !1) as *const tracing::Metadata<'static>) };
            (
                meta.file().unwrap_or(meta.target()),
                meta.line().unwrap_or(0),
                0,
            )
        } else {
            // SAFETY: even site bits are only ever made from a `&'static Location<'static>`
            // (record::site_bits), which lives for the whole program.
            let loc = unsafe { &*(bits as *const Location<'static>) };
            (loc.file(), loc.line(), loc.column())
        };
        let id = self.sites.len() as SiteId + 1;
        self.sites.insert(bits, id);
        batch.sites.push(SiteRecord {
            id,
            file: file.to_owned(),
            line,
            col,
        });
        id
    }
}
