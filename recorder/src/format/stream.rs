//! Events in time order, decoded one at a time from the chunks that hold them.
//!
//! Why: decoding a whole file into a `Vec<Event>` costs about 48 bytes an event — twice, while
//! the per-worker lists are merged — where the encoded chunks take about 5. A consumer that
//! indexes events as they come (the viewer's model) needs each event once, in time order, and
//! never the list. So the reader keeps each batch's chunk bytes, checks every chunk once (in
//! parallel: a chunk decodes on its own) to learn how many events it holds, where it stops if
//! damaged, and its first and last timestamps, and [`TimeOrderedEvents`] then merges the
//! workers' chunk sequences by time, decoding each event as it is taken and freeing a batch's
//! bytes once all its events are out.
//!
//! The order is the one [`Trace::events`] has always had: by timestamp, ties to the lower
//! worker, a worker's events in recorded order. A damaged or hostile file can repeat or reorder
//! a worker's chunks; that worker's events are then decoded up front and stably sorted, as the
//! whole-file reader did.

use std::ops::{ControlFlow, Range};

use super::codec::{ChunkCursor, ChunkDecoder, ChunkError};
use super::Trace;
use crate::event::{attribute, attribute_raw, Event, EventKind, TaskId};

/// A trace read with its events still encoded: its tables and the account of its losses are
/// complete, its events decode one at a time, in time order, from [`StreamedTrace::into_parts`].
/// Make one with [`open_file`](super::open_file) and friends.
pub struct StreamedTrace {
    tables: Trace,
    events: TimeOrderedEvents,
}

impl StreamedTrace {
    pub(crate) fn new(tables: Trace, events: TimeOrderedEvents) -> Self {
        StreamedTrace { tables, events }
    }

    /// The header, strings, sites, workers and loss (its `events` is empty).
    pub fn tables(&self) -> &Trace {
        &self.tables
    }

    /// How many events the trace holds (exact: every chunk was checked).
    pub fn event_count(&self) -> u64 {
        self.events.len() as u64
    }

    /// The tables (with no events) and the events, to be taken in time order.
    pub fn into_parts(self) -> (Trace, TimeOrderedEvents) {
        (self.tables, self.events)
    }

    /// Decodes every event into [`Trace::events`]: what [`read_file`](super::read_file)
    /// returns.
    pub fn into_trace(self) -> Trace {
        let (mut trace, events) = self.into_parts();
        trace.events = events.collect();
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
    /// Where its bytes are.
    pub buffer: usize,
    pub bytes: Range<usize>,
    /// How many loss notes came before it, so that a note about it keeps its place.
    pub note_at: usize,
}

/// What checking a chunk found.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ChunkSummary {
    /// Events that decode, from the start.
    pub events: u32,
    /// Why it stopped before its end, if it did.
    pub error: Option<ChunkError>,
    /// Timestamps of its first and last event (meaningless when `events` is 0).
    pub first_ts: u64,
    pub last_ts: u64,
}

/// Events decoded ahead per worker, and in all (fewer per worker when there are many).
const LANE_DECODED_AHEAD: usize = 256;
const LANES_DECODED_AHEAD: usize = 1 << 16;

/// Events per block handed from the decoding thread to the consumer, and blocks in flight.
const AHEAD_BLOCK: usize = 4096;
const AHEAD_BLOCKS: usize = 4;

/// Below this many chunk bytes, checking on one thread costs less than starting others.
const PARALLEL_CHECK_BYTES: usize = 1 << 20;

impl EncodedChunks {
    fn data(&self, chunk: &FoundChunk) -> &[u8] {
        self.buffers
            .get(chunk.buffer)
            .and_then(|b| b.get(chunk.bytes.clone()))
            .unwrap_or(&[])
    }

    /// Checks every chunk: how many events decode, where and why it stops, its first and last
    /// timestamps. Chunks decode independently, so this runs on every core.
    pub fn check(&self) -> Vec<ChunkSummary> {
        let mut summaries = vec![ChunkSummary::default(); self.found.len()];
        let total: usize = self.found.iter().map(|c| c.bytes.len()).sum();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        if threads < 2 || total < PARALLEL_CHECK_BYTES {
            for (chunk, summary) in self.found.iter().zip(&mut summaries) {
                *summary = summarize(self.data(chunk), chunk.first_ts, self.task_deltas);
            }
            return summaries;
        }
        // Contiguous shares of about equal bytes.
        let share = total.div_ceil(threads);
        let mut parts = Vec::with_capacity(threads);
        let (mut from, mut bytes) = (0, 0);
        for (i, chunk) in self.found.iter().enumerate() {
            bytes += chunk.bytes.len();
            if bytes >= share {
                parts.push(from..i + 1);
                from = i + 1;
                bytes = 0;
            }
        }
        if from < self.found.len() {
            parts.push(from..self.found.len());
        }
        let all_started = std::thread::scope(|scope| {
            let mut rest = summaries.as_mut_slice();
            let mut offset = 0;
            for part in parts {
                let (mine, others) = rest.split_at_mut(part.end - offset);
                rest = others;
                offset = part.end;
                let found = &self.found[part];
                let work = move || {
                    for (chunk, summary) in found.iter().zip(mine) {
                        *summary = summarize(self.data(chunk), chunk.first_ts, self.task_deltas);
                    }
                };
                // The last share is this thread's; a thread that cannot be started is too.
                if offset == self.found.len() {
                    work();
                } else if std::thread::Builder::new()
                    .spawn_scoped(scope, work)
                    .is_err()
                {
                    return false;
                }
            }
            true
        });
        if all_started {
            return summaries;
        }
        self.found
            .iter()
            .map(|chunk| summarize(self.data(chunk), chunk.first_ts, self.task_deltas))
            .collect()
    }
}

fn summarize(data: &[u8], first_ts: u64, task_deltas: bool) -> ChunkSummary {
    let mut summary = ChunkSummary::default();
    let mut cursor = ChunkCursor::new(first_ts, task_deltas);
    while let Some(next) = cursor.next_raw(data) {
        let valid = next.and_then(|(ts, _, raw)| match EventKind::from_raw(raw) {
            Some(_) => Ok(ts),
            None => Err(ChunkError::Invalid),
        });
        match valid {
            Ok(ts) => {
                if summary.events == 0 {
                    summary.first_ts = ts;
                }
                summary.last_ts = ts;
                summary.events += 1;
                if summary.events == u32::MAX {
                    // No writer puts this many events in a chunk; keep the count exact.
                    summary.error = Some(ChunkError::Invalid);
                    break;
                }
            }
            Err(e) => {
                summary.error = Some(e);
                break;
            }
        }
    }
    summary
}

/// A chunk to be merged: where its bytes are and how many events to take from it.
struct QueuedChunk {
    buffer: usize,
    bytes: Range<usize>,
    first_ts: u64,
    task: TaskId,
    events: u32,
}

/// One worker's events, in time order.
struct WorkerEvents {
    worker: u32,
    /// Chunks in order, when they are in time order one after the other.
    chunks: Vec<QueuedChunk>,
    next_chunk: usize,
    /// The chunk being decoded and how many of its events remain.
    cursor: ChunkCursor,
    current: Option<usize>,
    left_in_chunk: u32,
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
/// recorded order), decoded as it is taken: an iterator of exactly
/// [`StreamedTrace::event_count`] events.
pub struct TimeOrderedEvents {
    buffers: Vec<Vec<u8>>,
    users: Vec<u32>,
    workers: Vec<WorkerEvents>,
    tree: LoserTree,
    remaining: usize,
}

impl TimeOrderedEvents {
    pub(crate) fn new(chunks: EncodedChunks, summaries: &[ChunkSummary], workers: usize) -> Self {
        let EncodedChunks {
            mut buffers,
            mut users,
            found,
            task_deltas,
        } = chunks;
        let mut per_worker: Vec<Vec<(usize, &FoundChunk)>> =
            (0..workers).map(|_| Vec::new()).collect();
        let mut remaining = 0usize;
        for (i, chunk) in found.iter().enumerate() {
            let events = summaries.get(i).map_or(0, |s| s.events);
            match per_worker.get_mut(chunk.worker as usize) {
                Some(list) if events > 0 => {
                    list.push((i, chunk));
                    remaining += events as usize;
                }
                _ => release(&mut buffers, &mut users, chunk.buffer),
            }
        }
        // Only workers with events take part, in worker order (so ties still go to the lower
        // worker): a smaller tournament.
        let active = per_worker.iter().filter(|list| !list.is_empty()).count();
        let mut lanes = Vec::with_capacity(active);
        let batch = (LANES_DECODED_AHEAD / active.max(1)).clamp(1, LANE_DECODED_AHEAD);
        for (worker, list) in per_worker.into_iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            let in_order = list
                .windows(2)
                .all(|pair| summaries[pair[0].0].last_ts <= summaries[pair[1].0].first_ts);
            let mut lane = WorkerEvents {
                worker: worker as u32,
                chunks: Vec::new(),
                next_chunk: 0,
                cursor: ChunkCursor::new(0, task_deltas),
                current: None,
                left_in_chunk: 0,
                task: 0,
                ready: Vec::new(),
                next_ready: 0,
                batch,
            };
            if in_order {
                lane.chunks = list
                    .iter()
                    .map(|&(i, c)| QueuedChunk {
                        buffer: c.buffer,
                        bytes: c.bytes.clone(),
                        first_ts: c.first_ts,
                        task: c.task,
                        events: summaries[i].events,
                    })
                    .collect();
            } else {
                // The writer keeps each worker's chunks in time order, but a damaged or hostile
                // file can repeat or reorder them. Stable: equal timestamps keep their recorded
                // order.
                let mut events = Vec::with_capacity(
                    list.iter()
                        .map(|&(i, _)| summaries[i].events as usize)
                        .sum(),
                );
                for &(i, c) in &list {
                    let data = buffers
                        .get(c.buffer)
                        .and_then(|b| b.get(c.bytes.clone()))
                        .unwrap_or(&[]);
                    let mut dec = ChunkDecoder::new(data, c.first_ts, task_deltas);
                    let mut task = c.task;
                    for _ in 0..summaries[i].events {
                        let Some(Ok((ts, site, kind))) = dec.next_event() else {
                            break;
                        };
                        let (owner, running) = attribute(task, &kind);
                        task = running;
                        events.push(Event {
                            ts,
                            worker: worker as u32,
                            task: owner,
                            site,
                            kind,
                        });
                    }
                    release(&mut buffers, &mut users, c.buffer);
                }
                events.sort_by_key(|e| e.ts);
                lane.ready = events;
            }
            lanes.push(lane);
        }
        let mut merged = TimeOrderedEvents {
            buffers,
            users,
            tree: LoserTree::new(lanes.len()),
            workers: lanes,
            remaining,
        };
        for w in 0..merged.workers.len() {
            if merged.workers[w].ready.is_empty() {
                merged.refill(w);
            }
            merged.set_key(w);
        }
        merged.tree.rebuild();
        merged
    }

    /// Hands every event, in order, to `visit` until it breaks, decoding and merging on
    /// another thread meanwhile when the machine has a core for it — so a consumer as costly
    /// as the decoder (the viewer's model) takes about half the time. Events cross in blocks,
    /// a few of them in flight, so the memory this takes is small and fixed.
    pub fn for_each_decoded_ahead(
        mut self,
        mut visit: impl FnMut(Event) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cores < 2 || self.remaining < 2 * AHEAD_BLOCK {
            return self.try_for_each(visit);
        }
        std::thread::scope(|scope| {
            let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<Event>>(AHEAD_BLOCKS);
            let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<Event>>();
            scope.spawn(move || loop {
                let mut block = empty_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(AHEAD_BLOCK));
                block.clear();
                block.extend(self.by_ref().take(AHEAD_BLOCK));
                // An empty block ends the stream; a closed channel means the visitor stopped.
                let last = block.is_empty();
                if full_tx.send(block).is_err() || last {
                    return;
                }
            });
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
        while lane.ready.len() < lane.batch {
            match decode_next(lane, &mut self.buffers, &mut self.users) {
                Some(event) => lane.ready.push(event),
                None => break,
            }
        }
    }

    /// Worker `w`'s key in the tournament: the time of its next event (not replayed).
    #[inline]
    fn set_key(&mut self, w: usize) {
        let lane = &self.workers[w];
        self.tree
            .set(w, lane.ready.get(lane.next_ready).map(|e| e.ts));
    }
}

/// The next event of a worker's chunks, moving on to the next chunk when one is done and
/// freeing a batch's bytes when their last chunk is.
#[inline]
fn decode_next(
    lane: &mut WorkerEvents,
    buffers: &mut [Vec<u8>],
    users: &mut [u32],
) -> Option<Event> {
    loop {
        let Some(c) = lane.current else {
            let chunk = lane.chunks.get(lane.next_chunk)?;
            lane.current = Some(lane.next_chunk);
            lane.next_chunk += 1;
            lane.left_in_chunk = chunk.events;
            lane.task = chunk.task;
            lane.cursor.reset(chunk.first_ts);
            continue;
        };
        let chunk = lane.chunks.get(c)?;
        let data = buffers
            .get(chunk.buffer)
            .and_then(|b| b.get(chunk.bytes.clone()))
            .unwrap_or(&[]);
        let decoded = match lane.left_in_chunk {
            0 => None,
            _ => lane.cursor.next_raw(data).and_then(Result::ok),
        };
        lane.left_in_chunk = lane.left_in_chunk.saturating_sub(1);
        if decoded.is_none() || lane.left_in_chunk == 0 {
            // Done with the chunk (the check counted the events that decode, so `None` here
            // would only mean an empty chunk).
            release(buffers, users, chunk.buffer);
            lane.current = None;
            lane.left_in_chunk = 0;
        }
        // The check ran the same `from_raw` over these bytes and counted only events it took.
        if let Some((ts, site, raw)) = decoded {
            let (owner, running) = attribute_raw(lane.task, &raw);
            let Some(kind) = EventKind::from_raw(raw) else {
                continue; // unreachable: see above
            };
            lane.task = running;
            return Some(Event {
                ts,
                worker: lane.worker,
                task: owner,
                site,
                kind,
            });
        }
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
        self.set_key(w);
        self.tree.replay(w);
        self.remaining = self.remaining.saturating_sub(1);
        Some(event)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for TimeOrderedEvents {}

/// Merge order: timestamp, then leaf (the workers with events, in worker order), packed so one
/// compare decides. Any event's key is below `EXHAUSTED`, even at timestamp `u64::MAX`.
type Key = u128;
const EXHAUSTED: Key = Key::MAX;

fn key(ts: u64, leaf: usize) -> Key {
    (Key::from(ts) << 32) | leaf as Key
}

/// A tournament over the workers' next events (a tree of losers): the earliest is the champion,
/// and replacing it replays only its path to the root, one compare per level against the loser
/// stored there — half the work of a binary heap's pop and push.
struct LoserTree {
    /// Each leaf's key.
    keys: Vec<Key>,
    /// `losers[node]` for internal nodes `1..size`; `losers[0]` is the champion.
    losers: Vec<u32>,
    size: usize,
}

impl LoserTree {
    fn new(leaves: usize) -> Self {
        // Leaves are worker slots, which the reader bounds far below `u32::MAX`.
        let size = leaves.next_power_of_two().max(1);
        LoserTree {
            keys: vec![EXHAUSTED; size],
            losers: vec![0; size],
            size,
        }
    }

    #[inline]
    fn set(&mut self, leaf: usize, ts: Option<u64>) {
        self.keys[leaf] = ts.map_or(EXHAUSTED, |ts| key(ts, leaf));
    }

    /// Plays every match from the leaves up.
    fn rebuild(&mut self) {
        // winners[node] for the subtree at `node`; leaves are `size..2 * size`.
        let mut winners = vec![0u32; 2 * self.size];
        for leaf in 0..self.size {
            winners[self.size + leaf] = leaf as u32;
        }
        for node in (1..self.size).rev() {
            let (l, r) = (winners[2 * node], winners[2 * node + 1]);
            let (win, lose) = if self.keys[r as usize] < self.keys[l as usize] {
                (r, l)
            } else {
                (l, r)
            };
            winners[node] = win;
            self.losers[node] = lose;
        }
        self.losers[0] = if self.size == 1 { 0 } else { winners[1] };
    }

    /// Replays the path of `leaf`, whose key changed (it must be the champion).
    #[inline]
    fn replay(&mut self, leaf: usize) {
        let mut winner = leaf as u32;
        let mut winner_key = self.keys[leaf];
        let mut node = (leaf + self.size) / 2;
        // Which side wins is as good as random, so the match is decided by selects rather than
        // a branch the processor would mispredict half the time.
        while node >= 1 {
            let other = self.losers[node];
            let other_key = self.keys[other as usize];
            let other_wins = other_key < winner_key;
            self.losers[node] = select(other_wins, winner, other);
            winner = select(other_wins, other, winner);
            winner_key = if other_wins { other_key } else { winner_key };
            node /= 2;
        }
        self.losers[0] = winner;
    }

    /// The leaf with the earliest event, unless all are exhausted.
    #[inline]
    fn champion(&self) -> Option<usize> {
        let w = self.losers[0] as usize;
        (self.keys[w] != EXHAUSTED).then_some(w)
    }
}

/// `if pick_a { a } else { b }` without a branch.
#[inline(always)]
fn select(pick_a: bool, a: u32, b: u32) -> u32 {
    let mask = (pick_a as u32).wrapping_neg();
    (a & mask) | (b & !mask)
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use crate::event::{Event, EventKind};
    use crate::format::{open_bytes, read_bytes, Header, TraceWriter};
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
        assert_eq!(events.len(), written.len());
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
        let flow = events.for_each_decoded_ahead(|e| {
            ahead.push(e);
            ControlFlow::Continue(())
        });
        assert_eq!(flow, ControlFlow::Continue(()));
        assert_eq!(ahead, whole.events);

        let mut seen = 0;
        let (_, events) = open_bytes(&bytes).expect("a trace").into_parts();
        let flow = events.for_each_decoded_ahead(|_| {
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
