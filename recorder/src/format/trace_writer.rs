//! Writing a trace from already-known events: converters, generators and tests use this; the
//! live recorder uses the same framing and chunk encoding through its writer thread.

use std::collections::HashMap;
use std::io::{self, Write};

use super::codec::ChunkEncoder;
use super::{Batch, Chunk, End, FrameWriter, Header, SiteRecord, WorkerRecord, FORMAT_VERSION};
use crate::event::{attribute, EventKind, SiteId, StrId, TaskId, WorkerId};

/// Events buffered before a batch is written: large enough to amortise framing, small enough
/// that a reader's progress moves smoothly.
const BATCH_EVENTS: usize = 1 << 16;

struct WorkerChunk {
    enc: ChunkEncoder,
    first_ts: u64,
    last_ts: u64,
    /// Task running when the current chunk started, and now.
    chunk_task: TaskId,
    running: TaskId,
}

/// Writes a trace event by event. Events of one worker must come in time order; workers may
/// interleave freely.
pub struct TraceWriter<W: Write> {
    frames: FrameWriter<W>,
    batch: Batch,
    workers: Vec<Option<WorkerChunk>>,
    strings: HashMap<String, StrId>,
    sites: HashMap<(String, u32, u32), SiteId>,
    pending: usize,
    events: u64,
    end_ts: u64,
}

impl<W: Write> TraceWriter<W> {
    /// Starts a trace on `out` (magic, version, header). `compression` is a zstd level.
    pub fn new(out: W, mut header: Header, compression: Option<i32>) -> io::Result<Self> {
        header.format_version = FORMAT_VERSION;
        Ok(TraceWriter {
            frames: FrameWriter::start(out, &header, compression)?,
            batch: Batch::default(),
            workers: Vec::new(),
            strings: HashMap::new(),
            sites: HashMap::new(),
            pending: 0,
            events: 0,
            end_ts: 0,
        })
    }

    /// The id of `s`, defining it on first use ("" is 0).
    pub fn string(&mut self, s: &str) -> StrId {
        if s.is_empty() {
            return 0;
        }
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.strings.len() as StrId + 1;
        self.strings.insert(s.to_owned(), id);
        self.batch.strings.push((id, s.to_owned()));
        id
    }

    /// The id of a source site, defining it on first use.
    pub fn site(&mut self, file: &str, line: u32, col: u32) -> SiteId {
        let key = (file.to_owned(), line, col);
        if let Some(&id) = self.sites.get(&key) {
            return id;
        }
        let id = self.sites.len() as SiteId + 1;
        self.sites.insert(key, id);
        self.batch.sites.push(SiteRecord {
            id,
            file: file.to_owned(),
            line,
            col,
        });
        id
    }

    /// Declares a new worker (an OS thread) and returns its id.
    pub fn worker(&mut self, name: &str, os_tid: u64) -> WorkerId {
        let id = self.workers.len() as WorkerId;
        self.workers.push(None);
        self.batch.workers.push(WorkerRecord {
            id,
            os_tid,
            name: name.to_owned(),
        });
        id
    }

    /// Appends one event of `worker` at `ts` ns. Timestamps earlier than the worker's previous
    /// event are raised to it (time never runs backwards within a worker).
    pub fn event(
        &mut self,
        worker: WorkerId,
        ts: u64,
        site: SiteId,
        kind: EventKind,
    ) -> io::Result<()> {
        let Some(slot) = self.workers.get_mut(worker as usize) else {
            return Err(io::Error::other(format!(
                "worker {worker} was not declared"
            )));
        };
        let chunk = slot.get_or_insert_with(|| WorkerChunk {
            enc: ChunkEncoder::new(ts),
            first_ts: ts,
            last_ts: ts,
            chunk_task: 0,
            running: 0,
        });
        if chunk.enc.count == 0 {
            chunk.enc = ChunkEncoder::new(ts.max(chunk.last_ts));
            chunk.first_ts = ts.max(chunk.last_ts);
            chunk.chunk_task = chunk.running;
        }
        let ts = ts.max(chunk.last_ts);
        chunk.last_ts = ts;
        chunk.running = attribute(chunk.running, &kind).1;
        chunk.enc.push(ts, site, kind.to_raw());
        self.end_ts = self.end_ts.max(ts);
        self.events += 1;
        self.pending += 1;
        if self.pending >= BATCH_EVENTS {
            self.write_batch()?;
        }
        Ok(())
    }

    pub(crate) fn write_batch(&mut self) -> io::Result<()> {
        for (id, slot) in self.workers.iter_mut().enumerate() {
            let Some(chunk) = slot else { continue };
            if chunk.enc.count == 0 {
                continue;
            }
            let enc = std::mem::replace(&mut chunk.enc, ChunkEncoder::new(chunk.last_ts));
            self.batch.chunks.push(Chunk {
                worker: id as WorkerId,
                task: chunk.chunk_task,
                first_ts: chunk.first_ts,
                count: enc.count,
                data: enc.data,
            });
        }
        let next_seq = self.batch.seq + 1;
        let batch = std::mem::take(&mut self.batch);
        self.frames.write_batch(&batch)?;
        self.batch.seq = next_seq;
        self.pending = 0;
        Ok(())
    }

    /// Events appended so far.
    pub fn events_written(&self) -> u64 {
        self.events
    }

    /// Writes the remaining events and the end record; returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.write_batch()?;
        self.frames.write_end(&End {
            events: self.events,
            dropped: 0,
            end_ts: self.end_ts,
            batches: self.batch.seq,
        })?;
        Ok(self.frames.into_inner())
    }
}
