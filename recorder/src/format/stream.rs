//! Events in time order, decoded one at a time from the chunks that hold them.
//!
//! Why: decoding a whole file into a `Vec<Event>` costs about 48 bytes an event — twice, while
//! the per-worker lists are merged — where the encoded chunks take about 5. A consumer that
//! indexes events as they come (the viewer's model) needs each event once, in time order, and
//! never the list. So the reader keeps each batch's chunk bytes and [`TimeOrderedEvents`]
//! merges the workers' chunk sequences by time, decoding each event as it is taken and freeing
//! a batch's bytes once all its events are out.
//!
//! Each event is checked as it is decoded, not in a pass of its own beforehand (that pass
//! decoded every event twice, a sixth of a load): the writer puts a worker's chunks in time
//! order, each starting no earlier than the last event of the one before, so a worker whose
//! chunks' first timestamps ascend is merged as it goes, and a chunk found damaged (cut inside
//! an event, an invalid event, an event past the start of the worker's next chunk) ends there.
//! What was lost that way is known once its events have been taken: see
//! [`TimeOrderedEvents::loss`].
//!
//! The order is the one [`Trace::events`] has always had: by timestamp, ties to the lower
//! worker, a worker's events in recorded order. A damaged or hostile file can repeat or reorder
//! a worker's chunks; that worker's events are then decoded up front and stably sorted, as the
//! whole-file reader did.

use std::ops::{ControlFlow, Range};

use super::codec::{ChunkCursor, ChunkError};
use super::read::LossAccount;
use super::tournament::Tournament;
use super::{Loss, Trace};
use crate::event::{attribute_raw, Event, EventKind, TaskId};

/// A trace read with its events still encoded: its tables are complete and its events decode
/// one at a time, in time order, from [`StreamedTrace::into_parts`]. Make one with
/// [`open_file`](super::open_file) and friends.
pub struct StreamedTrace {
    tables: Trace,
    events: TimeOrderedEvents,
}

impl StreamedTrace {
    pub(crate) fn new(tables: Trace, events: TimeOrderedEvents) -> Self {
        StreamedTrace { tables, events }
    }

    /// The header, strings, sites, workers and loss (its `events` is empty). The loss is what
    /// reading the frames found; damage inside chunks is found as their events are decoded
    /// (see [`TimeOrderedEvents::loss`]).
    pub fn tables(&self) -> &Trace {
        &self.tables
    }

    /// How many events the trace holds, as its chunks declare them: exact for an undamaged
    /// file; a damaged chunk yields fewer, and the loss says so.
    pub fn event_count(&self) -> u64 {
        self.events.expected() as u64
    }

    /// The tables (with no events) and the events, to be taken in time order.
    pub fn into_parts(self) -> (Trace, TimeOrderedEvents) {
        (self.tables, self.events)
    }

    /// Decodes every event into [`Trace::events`], with the complete loss: what
    /// [`read_file`](super::read_file) returns.
    pub fn into_trace(self) -> Trace {
        let (mut trace, mut events) = self.into_parts();
        let mut all = Vec::with_capacity(events.expected());
        all.extend(events.by_ref());
        trace.events = all;
        trace.loss = events.loss();
        trace
    }
}

/// A batch's chunk bytes and the chunks found in them, as the reader met them.
#[derive(Default)]
pub(crate) struct EncodedChunks {
    /// One buffer per batch with at least one chunk.
    pub buffers: Vec<Vec<u8>>,
    /// Chunks in each buffer not yet fully taken (the buffer is freed at 0).
    pub users: Vec<u32>,
    /// Every chunk, in file order.
    pub found: Vec<FoundChunk>,
    /// The file's chunks delta-code task ids (format version 2 on).
    pub task_deltas: bool,
}

/// A chunk as found in its batch.
pub(crate) struct FoundChunk {
    /// The worker (its dense slot).
    pub worker: u32,
    /// The task running on the worker when the chunk starts.
    pub task: TaskId,
    pub first_ts: u64,
    /// How many events the writer says it holds: what the merge expects, not what it trusts.
    pub claimed: u32,
    /// Where its bytes are.
    pub buffer: usize,
    pub bytes: Range<usize>,
    /// How many loss notes came before it, so that a note about it keeps its place.
    pub note_at: usize,
}

/// A chunk that ended before its bytes did, found as its events were decoded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ChunkDamage {
    /// Its place among the file's chunks.
    pub chunk: usize,
    /// How many loss notes came before it (see [`FoundChunk::note_at`]).
    pub note_at: usize,
    pub worker: u32,
    pub why: ChunkStop,
    /// Events taken from it before the damage.
    pub kept: u32,
}

/// Why a chunk ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChunkStop {
    /// Its bytes end inside an event.
    Truncated,
    /// An event does not decode to a valid one.
    Invalid,
    /// An event is later than the start of the worker's next chunk, which no writer does.
    PastNextChunk,
}

impl From<ChunkError> for ChunkStop {
    fn from(e: ChunkError) -> Self {
        match e {
            ChunkError::Truncated => ChunkStop::Truncated,
            ChunkError::Invalid => ChunkStop::Invalid,
        }
    }
}

/// Events decoded ahead per worker, and in all (fewer per worker when there are many).
const LANE_DECODED_AHEAD: usize = 256;
const LANES_DECODED_AHEAD: usize = 1 << 16;

/// Events per block handed from the decoding thread to the consumer, and blocks in flight:
/// big blocks, because each hand-over may wake a sleeping thread (4 096 took 1.04× as long).
const AHEAD_BLOCK: usize = 16384;
const AHEAD_BLOCKS: usize = 3;

/// Every event takes at least this many bytes (a head byte and a time delta): a chunk's bytes
/// bound its events whatever it claims.
const MIN_EVENT_BYTES: usize = 2;

/// A chunk to be merged: where its bytes are and how late its events may be.
struct QueuedChunk {
    buffer: usize,
    bytes: Range<usize>,
    first_ts: u64,
    task: TaskId,
    /// The first timestamp of the worker's next chunk (`u64::MAX` for its last): no event of
    /// this one is later.
    until_ts: u64,
    /// Its place among the file's chunks and its loss notes' (see [`FoundChunk`]).
    chunk: usize,
    note_at: usize,
}

/// One worker's events, in time order.
struct WorkerEvents {
    worker: u32,
    /// Chunks in order, when they are in time order one after the other.
    chunks: Vec<QueuedChunk>,
    next_chunk: usize,
    /// The chunk being decoded and how many of its events were taken.
    cursor: ChunkCursor,
    current: Option<usize>,
    taken_in_chunk: u32,
    /// The task running on the worker, as attribution goes.
    task: TaskId,
    /// Events decoded ahead of the merge, the next at `next_ready`: a few at a time from the
    /// chunks (decoding in a tight loop is cheaper than one event per merge step), or, for a
    /// worker whose chunks overlap in time, all of them, decoded and sorted up front.
    ready: Vec<Event>,
    next_ready: usize,
    /// How many events to decode ahead at a time.
    batch: usize,
}

/// Every event of a trace in time order (ties to the lower worker, a worker's events in
/// recorded order), decoded as it is taken: [`StreamedTrace::event_count`] events unless the
/// file is damaged, then [`TimeOrderedEvents::loss`] says what was lost.
pub struct TimeOrderedEvents {
    buffers: Vec<Vec<u8>>,
    users: Vec<u32>,
    workers: Vec<WorkerEvents>,
    tree: Tournament,
    /// Events the chunks declare and not taken yet, and at most how many their bytes hold.
    expected: usize,
    at_most: usize,
    /// Chunks that ended early so far.
    damage: Vec<ChunkDamage>,
    /// What the frames lost, to which damaged chunks add.
    account: LossAccount,
}

impl TimeOrderedEvents {
    pub(crate) fn new(chunks: EncodedChunks, workers: usize, account: LossAccount) -> Self {
        let EncodedChunks {
            mut buffers,
            mut users,
            found,
            task_deltas,
        } = chunks;
        let mut per_worker: Vec<Vec<(usize, &FoundChunk)>> =
            (0..workers).map(|_| Vec::new()).collect();
        for (i, chunk) in found.iter().enumerate() {
            match per_worker.get_mut(chunk.worker as usize) {
                Some(list) if !chunk.bytes.is_empty() => list.push((i, chunk)),
                _ => release(&mut buffers, &mut users, chunk.buffer),
            }
        }
        // Only workers with events take part, in worker order (so ties still go to the lower
        // worker): a smaller tournament.
        let active = per_worker.iter().filter(|list| !list.is_empty()).count();
        let mut lanes = Vec::with_capacity(active);
        let batch = (LANES_DECODED_AHEAD / active.max(1)).clamp(1, LANE_DECODED_AHEAD);
        let (mut expected, mut at_most) = (0usize, 0usize);
        let mut damage = Vec::new();
        for (worker, list) in per_worker.into_iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            let in_order = list
                .windows(2)
                .all(|pair| pair[0].1.first_ts <= pair[1].1.first_ts);
            let mut lane = WorkerEvents {
                worker: worker as u32,
                chunks: Vec::new(),
                next_chunk: 0,
                cursor: ChunkCursor::new(0, task_deltas),
                current: None,
                taken_in_chunk: 0,
                task: 0,
                ready: Vec::new(),
                next_ready: 0,
                batch,
            };
            lane.chunks = list
                .iter()
                .enumerate()
                .map(|(k, &(i, c))| QueuedChunk {
                    buffer: c.buffer,
                    bytes: c.bytes.clone(),
                    first_ts: c.first_ts,
                    task: c.task,
                    until_ts: match list.get(k + 1) {
                        Some(next) if in_order => next.1.first_ts,
                        _ => u64::MAX,
                    },
                    chunk: i,
                    note_at: c.note_at,
                })
                .collect();
            if in_order {
                for &(_, c) in &list {
                    let bound = c.bytes.len() / MIN_EVENT_BYTES;
                    expected = expected.saturating_add((c.claimed as usize).min(bound));
                    at_most = at_most.saturating_add(bound);
                }
            } else {
                // The writer keeps each worker's chunks in time order, but a damaged or hostile
                // file can repeat or reorder them: all of this worker's events are decoded now
                // (the same checks, no chunk bounded by the next) and sorted. Stable: equal
                // timestamps keep their recorded order.
                lane.batch = usize::MAX;
                decode_ahead(&mut lane, &mut buffers, &mut users, &mut damage);
                lane.batch = batch;
                lane.ready.sort_by_key(|e| e.ts);
                expected = expected.saturating_add(lane.ready.len());
                at_most = at_most.saturating_add(lane.ready.len());
            }
            lanes.push(lane);
        }
        let mut merged = TimeOrderedEvents {
            buffers,
            users,
            tree: Tournament::new(&[]),
            workers: lanes,
            expected,
            at_most,
            damage,
            account,
        };
        for w in 0..merged.workers.len() {
            if merged.workers[w].ready.is_empty() {
                merged.refill(w);
            }
        }
        let heads: Vec<Option<u64>> = merged.workers.iter().map(WorkerEvents::head).collect();
        merged.tree = Tournament::new(&heads);
        merged
    }

    /// How many events are still to come, as the chunks declare them (exact for an undamaged
    /// file).
    pub fn expected(&self) -> usize {
        self.expected
    }

    /// What the trace lost: the frames' losses (as in [`StreamedTrace::tables`]) and every
    /// chunk found damaged so far — all of them once every event has been taken.
    pub fn loss(&self) -> Loss {
        self.account.complete(&self.damage)
    }

    /// Hands every event, in order, to `visit` until it breaks, decoding and merging on
    /// another thread meanwhile when the machine has a core for it — so a consumer as costly
    /// as the decoder (the viewer's model) takes about half the time. Events cross in blocks,
    /// a few of them in flight, so the memory this takes is small and fixed. Returns how the
    /// visit ended and the trace's loss (see [`TimeOrderedEvents::loss`]).
    pub fn for_each_decoded_ahead(
        mut self,
        mut visit: impl FnMut(Event) -> ControlFlow<()>,
    ) -> (ControlFlow<()>, Loss) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cores < 2 || self.expected < 2 * AHEAD_BLOCK {
            let flow = self.try_for_each(visit);
            return (flow, self.loss());
        }
        std::thread::scope(|scope| {
            let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<Event>>(AHEAD_BLOCKS);
            let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<Event>>();
            let decoder = scope.spawn(move || loop {
                let mut block = empty_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(AHEAD_BLOCK));
                block.clear();
                block.extend(self.by_ref().take(AHEAD_BLOCK));
                // An empty block ends the stream; a closed channel means the visitor stopped.
                let last = block.is_empty();
                if full_tx.send(block).is_err() || last {
                    return self.loss();
                }
            });
            let mut take_all = || {
                for block in full_rx.iter() {
                    if block.is_empty() {
                        break;
                    }
                    for &event in &block {
                        visit(event)?;
                    }
                    let _ = empty_tx.send(block);
                }
                ControlFlow::Continue(())
            };
            let flow = take_all();
            // A visitor that stopped early lets the decoder see the channel closed.
            drop(full_rx);
            let loss = decoder
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (flow, loss)
        })
    }

    /// Decodes worker `w`'s next few events into its `ready` list.
    fn refill(&mut self, w: usize) {
        let lane = &mut self.workers[w];
        if lane.ready.capacity() > lane.batch {
            // The sorted events of an overlapping worker, all taken: give them back.
            lane.ready = Vec::new();
        }
        lane.ready.clear();
        lane.next_ready = 0;
        decode_ahead(lane, &mut self.buffers, &mut self.users, &mut self.damage);
    }
}

impl WorkerEvents {
    /// The time of the worker's next event, if it has one.
    #[inline]
    fn head(&self) -> Option<u64> {
        self.ready.get(self.next_ready).map(|e| e.ts)
    }
}

/// Decodes a worker's next events into its `ready` list until it holds `batch` or the chunks
/// run out, moving on to the next chunk when one is done (noting it in `damage` if it ended
/// early) and freeing a batch's bytes when their last chunk is.
fn decode_ahead(
    lane: &mut WorkerEvents,
    buffers: &mut [Vec<u8>],
    users: &mut [u32],
    damage: &mut Vec<ChunkDamage>,
) {
    while lane.ready.len() < lane.batch {
        let c = match lane.current {
            Some(c) => c,
            None => {
                let next = lane.next_chunk;
                let Some(chunk) = lane.chunks.get(next) else {
                    return;
                };
                lane.taken_in_chunk = 0;
                lane.task = chunk.task;
                lane.cursor.reset(chunk.first_ts);
                lane.current = Some(next);
                lane.next_chunk = next + 1;
                next
            }
        };
        let Some(chunk) = lane.chunks.get(c) else {
            return;
        };
        let data = buffers
            .get(chunk.buffer)
            .and_then(|b| b.get(chunk.bytes.clone()))
            .unwrap_or(&[]);
        // The chunk's events, in a tight loop, until the list is full or the chunk is done.
        let stop = loop {
            if lane.ready.len() == lane.batch {
                return;
            }
            let (ts, site, raw) = match lane.cursor.next_raw(data) {
                None => break None,
                Some(Err(e)) => break Some(ChunkStop::from(e)),
                Some(Ok(decoded)) => decoded,
            };
            if ts > chunk.until_ts {
                break Some(ChunkStop::PastNextChunk);
            }
            let (owner, running) = attribute_raw(lane.task, &raw);
            let Some(kind) = EventKind::from_raw(raw) else {
                break Some(ChunkStop::Invalid);
            };
            lane.task = running;
            lane.taken_in_chunk = lane.taken_in_chunk.saturating_add(1);
            lane.ready.push(Event {
                ts,
                worker: lane.worker,
                task: owner,
                site,
                kind,
            });
        };
        // Done with the chunk: at the end of its bytes, or where it is damaged.
        if let Some(why) = stop {
            damage.push(ChunkDamage {
                chunk: chunk.chunk,
                note_at: chunk.note_at,
                worker: lane.worker,
                why,
                kept: lane.taken_in_chunk,
            });
        }
        release(buffers, users, chunk.buffer);
        lane.current = None;
    }
}

/// One user fewer for a buffer; the last frees it.
fn release(buffers: &mut [Vec<u8>], users: &mut [u32], buffer: usize) {
    if let Some(n) = users.get_mut(buffer) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            if let Some(b) = buffers.get_mut(buffer) {
                *b = Vec::new();
            }
        }
    }
}

impl Iterator for TimeOrderedEvents {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let w = self.tree.champion()?;
        let lane = &mut self.workers[w];
        let event = *lane.ready.get(lane.next_ready)?;
        lane.next_ready += 1;
        if lane.next_ready == lane.ready.len() {
            self.refill(w);
        }
        let workers = &self.workers;
        let next = workers[w].head();
        self.tree
            .replace_champion(next, |l| workers.get(l).and_then(WorkerEvents::head));
        self.expected = self.expected.saturating_sub(1);
        self.at_most = self.at_most.saturating_sub(1);
        Some(event)
    }

    /// At most what the chunks' bytes can hold: what they declare is not trusted here.
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.at_most))
    }
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use crate::event::{Event, EventKind};
    use crate::format::{
        open_bytes, read_bytes, Batch, Chunk, ChunkEncoder, End, FrameWriter, Header, Loss,
        TraceWriter, WorkerRecord, FORMAT_VERSION,
    };
    use crate::synth::{generate, SynthConfig};

    /// Three workers whose events interleave and tie, written across several batches.
    fn interleaved() -> (Vec<u8>, Vec<(u32, u64, u64)>) {
        let mut w = TraceWriter::new(Vec::new(), Header::default(), None).expect("a writer");
        let workers: Vec<u32> = (0..3).map(|i| w.worker(&format!("w{i}"), i)).collect();
        let mut written = Vec::new();
        for round in 0..70_000u64 {
            let worker = workers[(round % 3) as usize];
            // Ties across workers every few events; a worker's own timestamps never go back.
            let ts = 1_000 + round / 2 * 10;
            let kind = if round < 3 {
                EventKind::TaskStart {
                    task: u64::from(worker) + 1,
                    name: 0,
                }
            } else {
                EventKind::Send {
                    chan: 7,
                    msg: round,
                }
            };
            w.event(worker, ts, 0, kind).expect("an event");
            written.push((worker, ts, round));
        }
        (w.finish().expect("the end"), written)
    }

    fn msg(e: &Event) -> u64 {
        match e.kind {
            EventKind::Send { msg, .. } => msg,
            _ => e.task - 1,
        }
    }

    #[test]
    fn events_come_by_time_then_worker_then_recorded_order() {
        let (bytes, mut written) = interleaved();
        // The order promised: stable by (time, worker).
        written.sort_by_key(|&(worker, ts, _)| (ts, worker));
        let stream = open_bytes(&bytes).expect("a trace");
        assert_eq!(stream.event_count(), written.len() as u64);
        let (_, events) = stream.into_parts();
        assert_eq!(events.expected(), written.len());
        let got: Vec<(u32, u64, u64)> = events.map(|e| (e.worker, e.ts, msg(&e))).collect();
        assert_eq!(got, written);
    }

    proptest::proptest! {
        /// Any number of workers (the tournament pads to a power of two), any steps of time
        /// (many ties), batches cut anywhere: the stable (time, worker) order.
        #[test]
        fn any_interleaving_merges_stably_by_time_then_worker(
            workers in 1usize..40,
            steps in proptest::collection::vec((0usize..40, 0u64..3, proptest::bool::weighted(0.02)), 1..2_000),
        ) {
            let mut w = TraceWriter::new(Vec::new(), Header::default(), None).expect("a writer");
            let ids: Vec<u32> = (0..workers).map(|i| w.worker(&format!("w{i}"), i as u64)).collect();
            let mut clock = vec![0u64; workers];
            let mut written = Vec::new();
            for (round, (who, dt, cut)) in steps.into_iter().enumerate() {
                let who = who % workers;
                clock[who] += dt;
                let kind = EventKind::Send { chan: 7, msg: round as u64 + 1 };
                w.event(ids[who], clock[who], 0, kind).expect("an event");
                written.push((ids[who], clock[who], round as u64 + 1));
                if cut {
                    w.write_batch().expect("a batch");
                }
            }
            let bytes = w.finish().expect("the end");
            written.sort_by_key(|&(worker, ts, _)| (ts, worker));
            let (_, events) = open_bytes(&bytes).expect("a trace").into_parts();
            let got: Vec<(u32, u64, u64)> = events.map(|e| (e.worker, e.ts, msg(&e))).collect();
            proptest::prop_assert_eq!(got, written);
        }
    }

    #[test]
    fn decoding_ahead_hands_over_the_same_events_and_stops_when_asked() {
        let cfg = SynthConfig {
            events: 60_000,
            tasks: 6,
            ..SynthConfig::default()
        };
        let bytes = generate(&cfg, Vec::new(), |_| {}).expect("a trace");
        let whole = read_bytes(&bytes).expect("a trace");
        let mut ahead = Vec::new();
        let (_, events) = open_bytes(&bytes).expect("a trace").into_parts();
        let (flow, loss) = events.for_each_decoded_ahead(|e| {
            ahead.push(e);
            ControlFlow::Continue(())
        });
        assert_eq!(flow, ControlFlow::Continue(()));
        assert_eq!(ahead, whole.events);
        assert_eq!(loss, whole.loss);

        let mut seen = 0;
        let (_, events) = open_bytes(&bytes).expect("a trace").into_parts();
        let (flow, _) = events.for_each_decoded_ahead(|_| {
            seen += 1;
            if seen == 10_000 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(flow, ControlFlow::Break(()));
        assert_eq!(seen, 10_000);
    }

    /// One worker's chunks of `Send` events at the given times, each chunk starting at its
    /// first event as the writer starts them, then `damage`d inside their frames (checksums
    /// stay good: only decoding the events can tell).
    fn one_worker_file(times: &[Vec<u64>], damage: impl FnOnce(&mut [Chunk])) -> Vec<u8> {
        let mut chunks: Vec<Chunk> = times
            .iter()
            .map(|ts| {
                let mut enc = ChunkEncoder::new(ts[0]);
                for &t in ts {
                    let kind = EventKind::Send {
                        chan: 7,
                        msg: t + 1,
                    };
                    enc.push(t, 0, kind.to_raw());
                }
                Chunk {
                    worker: 0,
                    task: 1,
                    first_ts: ts[0],
                    count: enc.count,
                    data: enc.data,
                }
            })
            .collect();
        damage(&mut chunks);
        let header = Header {
            format_version: FORMAT_VERSION,
            ..Header::default()
        };
        let mut out = FrameWriter::start(Vec::new(), &header, None).expect("a writer");
        let batch = Batch {
            workers: vec![WorkerRecord {
                id: 0,
                os_tid: 1,
                name: "w".into(),
            }],
            chunks,
            ..Batch::default()
        };
        out.write_batch(&batch).expect("a batch");
        out.write_end(&End {
            batches: 1,
            ..End::default()
        })
        .expect("the end");
        out.into_inner()
    }

    /// Streamed, decoded ahead, and read whole, a file gives the same events and, once they
    /// are all taken, the same loss; the loss before they are taken may know less.
    fn read_every_way(bytes: &[u8]) -> (Vec<Event>, Loss) {
        let whole = read_bytes(bytes).expect("a trace");
        let stream = open_bytes(bytes).expect("a trace");
        let (tables, mut events) = stream.into_parts();
        assert!(tables.loss.corrupt_frames <= whole.loss.corrupt_frames);
        let streamed: Vec<Event> = events.by_ref().collect();
        assert_eq!(streamed, whole.events);
        assert_eq!(events.loss(), whole.loss);
        let mut ahead = Vec::new();
        let (_, events) = open_bytes(bytes).expect("a trace").into_parts();
        let (_, loss) = events.for_each_decoded_ahead(|e| {
            ahead.push(e);
            ControlFlow::Continue(())
        });
        assert_eq!(ahead, whole.events);
        assert_eq!(loss, whole.loss);
        assert!(whole.events.windows(2).all(|w| w[0].ts <= w[1].ts));
        (whole.events, whole.loss)
    }

    #[test]
    fn damage_inside_chunks_is_found_as_their_events_are_decoded() {
        let times: Vec<Vec<u64>> = (0..3).map(|c| (c * 100..c * 100 + 100).collect()).collect();
        let bytes = one_worker_file(&times, |chunks| {
            // Cut inside the middle chunk's last event; an invalid byte after the last one's.
            let cut = chunks[1].data.len() - 1;
            chunks[1].data.truncate(cut);
            chunks[2].data.push(0xff);
        });
        let (events, loss) = read_every_way(&bytes);
        assert_eq!(events.len(), 299);
        assert_eq!(loss.corrupt_frames, 2);
        let damage: Vec<&String> = loss.notes.iter().filter(|n| n.contains("chunk")).collect();
        assert_eq!(
            damage,
            [
                "a chunk of worker 0 ends inside an event: kept its first 99 events",
                "a chunk of worker 0 holds an invalid event: kept its first 100 events",
            ]
        );

        let intact = one_worker_file(&times, |_| {});
        let (events, loss) = read_every_way(&intact);
        assert_eq!(events.len(), 300);
        assert!(loss.is_complete(), "{loss:?}");
    }

    #[test]
    fn a_chunk_running_past_the_next_ones_start_ends_there() {
        // The first chunk's events run to 99, but the next chunk starts at 50: no writer does
        // that, and merging the first past 50 would put events out of time order.
        let times = vec![(0..100).collect(), (50..150).collect()];
        let bytes = one_worker_file(&times, |_| {});
        let (events, loss) = read_every_way(&bytes);
        assert_eq!(events.len(), 51 + 100);
        assert_eq!(loss.corrupt_frames, 1);
        assert!(
            loss.notes.contains(
                &"a chunk of worker 0 runs past the start of the worker's next chunk: kept its \
                  first 51 events"
                    .to_owned()
            ),
            "{:?}",
            loss.notes
        );
    }

    #[test]
    fn a_worker_whose_chunks_go_back_in_time_is_sorted_with_its_damage_noted() {
        // A later chunk first (a repeated or reordered batch), cut inside its last event.
        let times = vec![(100..200).collect(), (0..100).collect()];
        let bytes = one_worker_file(&times, |chunks| {
            let cut = chunks[0].data.len() - 1;
            chunks[0].data.truncate(cut);
        });
        let (events, loss) = read_every_way(&bytes);
        let got: Vec<u64> = events.iter().map(|e| e.ts).collect();
        assert_eq!(got, (0..199).collect::<Vec<u64>>());
        assert_eq!(loss.corrupt_frames, 1);
        assert!(
            loss.notes.contains(
                &"a chunk of worker 0 ends inside an event: kept its first 99 events".to_owned()
            ),
            "{:?}",
            loss.notes
        );
    }

    #[test]
    fn a_cut_trace_streams_what_could_be_read() {
        let (bytes, _) = interleaved();
        for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 5] {
            let whole = read_bytes(&bytes[..cut]).expect("a cut trace opens");
            let stream = open_bytes(&bytes[..cut]).expect("a cut trace opens");
            assert_eq!(stream.tables().loss, whole.loss);
            assert!(stream.tables().events.is_empty());
            assert_eq!(stream.event_count(), whole.events.len() as u64);
            assert!(whole.loss.truncated_bytes > 0);
            let (_, events) = stream.into_parts();
            assert!(events.eq(whole.events.iter().copied()));
        }
    }
}
