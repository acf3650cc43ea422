//! The reader: every intact frame of any byte string, and an account of the rest.
//!
//! Only a file that is not a Weft trace at all, or is of a newer format version, is an error;
//! anything else — cut, damaged, empty after the header — decodes to what could be read plus a
//! [`Loss`] that says what could not. Every length in the file is checked against the bytes
//! actually present before anything is allocated for it.
//!
//! Frames are read in file order (a damaged frame decides where the next one starts); their
//! event chunks are kept encoded, and the events come out of a [`StreamedTrace`] one at a time
//! in time order, each checked as it is decoded — all of them at once only for callers of
//! `read_*`, which collect them into [`Trace::events`] with the complete [`Loss`].

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::stream::{
    ChunkDamage, ChunkStop, EncodedChunks, FoundChunk, StreamedTrace, TimeOrderedEvents,
};
use super::{
    Batch, ChunkRef, End, Header, Loss, Site, Trace, WorkerInfo, FLAG_ZSTD, FORMAT_VERSION,
    FRAME_BATCH, FRAME_END, FRAME_HEADER, FRAME_HEADER_LEN, FRAME_MARKER, MAGIC, MAX_FRAME_LEN,
    MAX_PAYLOAD_LEN,
};

/// Why a file could not be read as a trace at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The bytes do not start with the Weft magic.
    #[error("{what} is not a Weft trace (it does not start with the WEFTTRC magic)")]
    NotATrace {
        /// The file, or "input".
        what: String,
    },
    /// Written by a newer Weft.
    #[error(
        "{what} is format version {found}; this Weft reads versions 1 to {supported}: upgrade weft"
    )]
    UnsupportedVersion {
        /// The file, or "input".
        what: String,
        /// The version in the file.
        found: u32,
        /// The newest version this reader knows.
        supported: u32,
    },
    /// The progress callback asked to stop.
    #[error("loading was cancelled")]
    Cancelled,
}

/// Reads and decodes a trace file.
pub fn read_file(path: impl AsRef<Path>) -> Result<Trace, ReadError> {
    read_file_with_progress(path, |_, _| ControlFlow::Continue(()))
}

/// Reads a trace file, calling `progress(bytes_done, bytes_total)` as it decodes; returning
/// `ControlFlow::Break` from it cancels the load.
pub fn read_file_with_progress(
    path: impl AsRef<Path>,
    progress: impl FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<Trace, ReadError> {
    open_file_with_progress(path, progress).map(StreamedTrace::into_trace)
}

/// Decodes a trace from bytes.
pub fn read_bytes(bytes: &[u8]) -> Result<Trace, ReadError> {
    open_bytes(bytes).map(StreamedTrace::into_trace)
}

/// Decodes a trace from bytes with progress and cancellation, as [`read_file_with_progress`].
pub fn read_bytes_with_progress(
    bytes: &[u8],
    progress: impl FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<Trace, ReadError> {
    open_bytes_with_progress(bytes, progress).map(StreamedTrace::into_trace)
}

/// Reads a trace file's frames and tables, leaving its events encoded to be taken one at a
/// time in time order (see [`StreamedTrace`]): what a consumer that indexes events as they come
/// (the viewer's model) uses instead of [`read_file`], so the decoded events never all exist at
/// once. `progress(bytes_done, bytes_total)` may cancel, as in [`read_file_with_progress`].
pub fn open_file_with_progress(
    path: impl AsRef<Path>,
    progress: impl FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<StreamedTrace, ReadError> {
    let path = path.as_ref();
    let bytes = read_whole(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    decode(&bytes, &path.display().to_string(), progress)
}

/// Files this big are read in two halves at once (see [`read_whole`]); beyond the range's end
/// as std reads them, which reports a failed allocation as an error.
const READ_IN_HALVES: std::ops::RangeInclusive<u64> = (8 << 20)..=(1 << 30);

/// Reads a whole file, as `std::fs::read` does. A big one is read in two halves on two
/// threads when the machine has a second core: the kernel's copy into fresh pages (and their
/// faults) is about half of opening a big trace, and the halves proceed at once.
fn read_whole(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;

    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    #[cfg(unix)]
    if let Some(bytes) = read_in_halves(&mut file, len)? {
        return Ok(bytes);
    }
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(usize::try_from(len).unwrap_or(0))
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))?;
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read_whole`]'s two halves at once, or `None` when the file is small or there is one core.
/// A file that shrinks meanwhile reads as far as it goes; one that grows reads to its new end.
#[cfg(unix)]
fn read_in_halves(file: &mut std::fs::File, len: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::{Read, Seek, SeekFrom};

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let len = match usize::try_from(len) {
        Ok(len) if cores > 1 && READ_IN_HALVES.contains(&(len as u64)) => len,
        _ => return Ok(None),
    };
    let mut bytes = zeroed(len)?;
    let half = len / 2;
    let (front, back) = bytes.split_at_mut(half);
    let shared: &std::fs::File = file;
    let (front_read, back_read) = std::thread::scope(|scope| {
        let front_read = scope.spawn(|| read_at_most(shared, front, 0));
        let back_read = read_at_most(shared, back, half as u64);
        let front_read = front_read
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (front_read, back_read)
    });
    let (front_read, back_read) = (front_read?, back_read?);
    if front_read < half {
        bytes.truncate(front_read);
    } else {
        bytes.truncate(half + back_read);
        if bytes.len() == len {
            file.seek(SeekFrom::Start(len as u64))?;
            file.read_to_end(&mut bytes)?;
        }
    }
    Ok(Some(bytes))
}

/// `len` zero bytes, or an out-of-memory error where `vec![0; len]` would abort the viewer (as
/// `read_whole`'s other path reports it). Zeroed by the allocator's fresh mapping, not by a
/// pass over the bytes, so the pages are first touched by the reads, each half's on its own
/// thread.
#[cfg(unix)]
fn zeroed(len: usize) -> std::io::Result<Vec<u8>> {
    use std::alloc::{alloc_zeroed, Layout};

    let out_of_memory = || std::io::Error::from(std::io::ErrorKind::OutOfMemory);
    if len == 0 {
        return Ok(Vec::new());
    }
    let layout = Layout::array::<u8>(len).map_err(|_| out_of_memory())?;
    // SAFETY: the layout has a non-zero size, as `alloc_zeroed` requires.
    let ptr = unsafe { alloc_zeroed(layout) };
    if ptr.is_null() {
        return Err(out_of_memory());
    }
    // SAFETY: `ptr` comes from the global allocator with the layout of `len` bytes (align 1),
    // which is what a `Vec<u8>` of capacity `len` frees; all `len` bytes are initialised (zero).
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// Fills `buf` from `offset` on, as far as the file goes; returns how many bytes were read.
#[cfg(unix)]
fn read_at_most(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::os::unix::fs::FileExt;

    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// [`open_file_with_progress`] without progress.
pub fn open_file(path: impl AsRef<Path>) -> Result<StreamedTrace, ReadError> {
    open_file_with_progress(path, |_, _| ControlFlow::Continue(()))
}

/// [`open_file_with_progress`] for a trace in memory.
pub fn open_bytes_with_progress(
    bytes: &[u8],
    progress: impl FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<StreamedTrace, ReadError> {
    decode(bytes, "input", progress)
}

/// [`open_file`] for a trace in memory.
pub fn open_bytes(bytes: &[u8]) -> Result<StreamedTrace, ReadError> {
    decode(bytes, "input", |_, _| ControlFlow::Continue(()))
}

/// Ids in a file are dense; a gap means a lost batch defined the missing ones. Gaps are filled
/// with placeholders, but only up to this much beyond what the file really defines, so a forged
/// id cannot make the reader allocate without bound.
const MAX_ID_GAP: usize = 1 << 16;

fn place<T: Default>(table: &mut Vec<T>, defined: &mut usize, id: u32, value: T) -> bool {
    let id = id as usize;
    if id == 0 || id > table.len() + MAX_ID_GAP || table.len() > 2 * *defined + MAX_ID_GAP {
        return false;
    }
    if id >= table.len() {
        table.resize_with(id + 1, T::default);
    }
    table[id] = value;
    *defined += 1;
    true
}

struct Decoder<'a> {
    what: &'a str,
    trace: Trace,
    strings_defined: usize,
    sites_defined: usize,
    workers_defined: usize,
    /// Every batch's chunk bytes, one buffer per batch, and the chunks found in them in file
    /// order; they are checked and decoded after the last frame (see `stream`).
    chunks: EncodedChunks,
    next_seq: u64,
    end: Option<End>,
    dropped_from_batches: u64,
    /// Decompressed bytes still allowed (see [`MAX_EXPANSION`]).
    inflate_budget: u64,
    over_budget_noted: bool,
}

fn decode(
    bytes: &[u8],
    what: &str,
    mut progress: impl FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<StreamedTrace, ReadError> {
    let total = bytes.len() as u64;
    let prefix_len = MAGIC.len() + 4;
    let mut d = Decoder {
        what,
        trace: Trace {
            strings: vec![String::new()],
            sites: vec![Site::default()],
            ..Trace::default()
        },
        strings_defined: 0,
        sites_defined: 0,
        workers_defined: 0,
        chunks: EncodedChunks::default(),
        next_seq: 0,
        end: None,
        dropped_from_batches: 0,
        inflate_budget: total
            .saturating_mul(MAX_EXPANSION)
            .saturating_add(EXPANSION_SLACK),
        over_budget_noted: false,
    };
    if bytes.len() < prefix_len {
        // A cut at any byte must still open: a prefix of the magic is a file that was cut
        // before its header, anything else is not ours.
        let n = bytes.len().min(MAGIC.len());
        if bytes[..n] != MAGIC[..n] {
            return Err(ReadError::NotATrace { what: what.into() });
        }
        d.trace.loss.truncated_bytes = total;
        d.trace.loss.notes.push(format!(
            "the file ends after {total} bytes, before its header"
        ));
        return Ok(d.finish());
    }
    if bytes[..MAGIC.len()] != MAGIC[..] {
        return Err(ReadError::NotATrace { what: what.into() });
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version == 0 || version > FORMAT_VERSION {
        return Err(ReadError::UnsupportedVersion {
            what: what.into(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    d.trace.header.format_version = version;

    let mut pos = prefix_len;
    let mut last_report = 0usize;
    let mut skipped_run: u64 = 0;
    // Each marker that fails its checksum sends the reader to the next marker, which may lie
    // inside the failed frame: a file of overlapping fake frames would make checking quadratic.
    // An intact file is checked once over (its length); damage may cost a few lengths more.
    let mut check_budget = total
        .saturating_mul(CHECK_PASSES)
        .saturating_add(MAX_FRAME_LEN as u64);
    let mut gave_up_checking = false;
    while pos < bytes.len() {
        if pos - last_report >= 1 << 20 {
            last_report = pos;
            if progress(pos as u64, total).is_break() {
                return Err(ReadError::Cancelled);
            }
        }
        let rest = &bytes[pos..];
        if rest.len() < FRAME_HEADER_LEN {
            if FRAME_MARKER.starts_with(&rest[..rest.len().min(4)]) {
                d.trace.loss.truncated_bytes += rest.len() as u64;
            } else {
                d.trace.loss.corrupt_bytes += rest.len() as u64;
            }
            break;
        }
        if rest[..4] != FRAME_MARKER[..] {
            // Lost sync: skip to the next marker.
            let skip = find_marker(&rest[1..]).map_or(rest.len(), |i| i + 1);
            d.trace.loss.corrupt_bytes += skip as u64;
            skipped_run += skip as u64;
            pos += skip;
            continue;
        }
        if skipped_run > 0 {
            d.trace.loss.corrupt_frames += 1;
            skipped_run = 0;
        }
        let kind = rest[4];
        let flags = rest[5];
        let len = u32::from_le_bytes([rest[6], rest[7], rest[8], rest[9]]) as usize;
        let crc = u32::from_le_bytes([rest[10], rest[11], rest[12], rest[13]]);
        if len > MAX_FRAME_LEN {
            d.trace.loss.corrupt_frames += 1;
            let skip = find_marker(&rest[1..]).map_or(rest.len(), |i| i + 1);
            d.trace.loss.corrupt_bytes += skip as u64;
            pos += skip;
            continue;
        }
        if rest.len() < FRAME_HEADER_LEN + len {
            // The length may itself be damaged: if another marker follows, resync on it.
            if let Some(i) = find_marker(&rest[1..]) {
                d.trace.loss.corrupt_frames += 1;
                d.trace.loss.corrupt_bytes += (i + 1) as u64;
                pos += i + 1;
                continue;
            }
            d.trace.loss.truncated_bytes += rest.len() as u64;
            break;
        }
        let body = &rest[FRAME_HEADER_LEN..FRAME_HEADER_LEN + len];
        let intact = if len as u64 <= check_budget {
            check_budget -= len as u64;
            crc32fast::hash(body) == crc
        } else {
            if !gave_up_checking {
                gave_up_checking = true;
                d.trace.loss.notes.push(
                    "stopped checking frames: the file is damaged in too many overlapping places \
                     to check in bounded time"
                        .to_owned(),
                );
            }
            false
        };
        if !intact || !d.frame(kind, flags, body) {
            d.trace.loss.corrupt_frames += 1;
            // A bad frame's length is not trusted either.
            let skip = find_marker(&rest[1..]).map_or(rest.len(), |i| i + 1);
            d.trace.loss.corrupt_bytes += skip as u64;
            pos += skip;
            continue;
        }
        pos += FRAME_HEADER_LEN + len;
    }
    if skipped_run > 0 {
        d.trace.loss.corrupt_frames += 1;
    }
    let _ = progress(total, total);
    Ok(d.finish())
}

fn find_marker(hay: &[u8]) -> Option<usize> {
    hay.windows(FRAME_MARKER.len())
        .position(|w| w == FRAME_MARKER)
}

/// Bytes checksummed while reading may add up to this many times the file's size (plus one
/// largest frame) before the reader stops trusting further frames; see `decode`.
const CHECK_PASSES: u64 = 4;

/// Decompressed payloads may add up to this many times the file's size (plus
/// [`EXPANSION_SLACK`]). Real batches compress 3–5×, so no trace Weft wrote comes near it, while a
/// small hostile file of "zstd bombs" cannot expand into gigabytes of events.
const MAX_EXPANSION: u64 = 64;
const EXPANSION_SLACK: u64 = 1 << 20;

/// Why a compressed payload was not decompressed.
enum Inflate {
    /// Not a zstd frame with a declared size within the limits, or it does not decompress.
    Corrupt,
    /// It would take the file past its decompression budget.
    OverBudget,
}

/// Decompresses one zstd frame into exactly the size its header declares (the writer always
/// declares it), so the buffer is never bigger than the data — `zstd::bulk::decompress` with a
/// capacity would reserve the whole capacity for every frame — and counts it against `budget`.
fn inflate(body: &[u8], budget: &mut u64) -> Result<Vec<u8>, Inflate> {
    let declared = match zstd::zstd_safe::get_frame_content_size(body) {
        Ok(Some(size)) if size <= MAX_PAYLOAD_LEN as u64 => size,
        _ => return Err(Inflate::Corrupt),
    };
    if declared > *budget {
        return Err(Inflate::OverBudget);
    }
    let plain = zstd::bulk::decompress(body, declared as usize).map_err(|_| Inflate::Corrupt)?;
    *budget -= plain.len() as u64;
    Ok(plain)
}

impl Decoder<'_> {
    /// Hands a frame's payload bytes to `parse` — the body itself, or decompressed — and
    /// returns what it made of them; `None` if they do not decompress.
    fn with_payload<T>(
        &mut self,
        flags: u8,
        body: &[u8],
        parse: impl FnOnce(&mut Self, &[u8]) -> T,
    ) -> Option<T> {
        if flags & FLAG_ZSTD == 0 {
            return Some(parse(self, body));
        }
        match inflate(body, &mut self.inflate_budget) {
            Ok(plain) => Some(parse(self, &plain)),
            Err(Inflate::Corrupt) => None,
            Err(Inflate::OverBudget) => {
                if !self.over_budget_noted {
                    self.over_budget_noted = true;
                    self.trace.loss.notes.push(format!(
                        "skipped compressed frames that would expand past {MAX_EXPANSION}× the \
                         file's size (the file is damaged or hostile)"
                    ));
                }
                None
            }
        }
    }

    /// Decodes a frame's payload; `None` if it does not decode.
    fn payload<T: DeserializeOwned>(&mut self, flags: u8, body: &[u8]) -> Option<T> {
        self.with_payload(flags, body, |_, bytes| rmp_serde::from_slice(bytes).ok())
            .flatten()
    }

    /// Applies one intact frame; false if its payload does not decode.
    fn frame(&mut self, kind: u8, flags: u8, body: &[u8]) -> bool {
        match kind {
            FRAME_HEADER => match self.payload::<Header>(flags, body) {
                Some(h) => {
                    let version = self.trace.header.format_version;
                    self.trace.header = h;
                    self.trace.header.format_version = version;
                    true
                }
                None => false,
            },
            // The chunks' bytes are borrowed from the payload, to be copied once.
            FRAME_BATCH => self
                .with_payload(flags, body, |d, bytes| {
                    match rmp_serde::from_slice::<Batch<ChunkRef<'_>>>(bytes) {
                        Ok(b) => {
                            d.batch(b);
                            true
                        }
                        Err(_) => false,
                    }
                })
                .unwrap_or(false),
            FRAME_END => match self.payload::<End>(flags, body) {
                Some(e) => {
                    self.end = Some(e);
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    fn batch(&mut self, batch: Batch<ChunkRef<'_>>) {
        if batch.seq > self.next_seq {
            self.trace.loss.missing_batches += batch.seq - self.next_seq;
        }
        self.next_seq = self.next_seq.max(batch.seq.saturating_add(1));
        for (id, s) in batch.strings {
            place(&mut self.trace.strings, &mut self.strings_defined, id, s);
        }
        for s in batch.sites {
            let site = Site {
                file: s.file,
                line: s.line,
                col: s.col,
            };
            place(&mut self.trace.sites, &mut self.sites_defined, s.id, site);
        }
        for w in batch.workers {
            let info = WorkerInfo {
                os_tid: w.os_tid,
                name: w.name,
            };
            if let Some(slot) = self.worker_slot(w.id) {
                self.trace.workers[slot] = info;
                self.workers_defined += 1;
            }
        }
        for lost in batch.lost {
            self.dropped_from_batches = self.dropped_from_batches.saturating_add(lost.count);
            if lost.count > 0 {
                let who = match self.trace.workers.get(lost.worker as usize) {
                    Some(w) if !w.name.is_empty() => format!("thread {:?}", w.name),
                    Some(_) => format!("worker {}", lost.worker),
                    None => "threads that had exited".to_owned(),
                };
                self.trace.loss.notes.push(format!(
                    "the recorder dropped {} events of {who} after {} ns (buffer full)",
                    lost.count, lost.after_ts
                ));
            }
        }
        // The chunks' bytes move into one buffer for the batch: one allocation, freed as a
        // whole once the merge has taken every event out of it.
        let buffer = self.chunks.buffers.len();
        let mut bytes = Vec::with_capacity(batch.chunks.iter().map(|c| c.data.len()).sum());
        let mut users = 0;
        for chunk in batch.chunks {
            let Some(slot) = self.worker_slot(chunk.worker) else {
                self.trace.loss.notes.push(format!(
                    "skipped a chunk of an implausible worker id {}",
                    chunk.worker
                ));
                continue;
            };
            let start = bytes.len();
            bytes.extend_from_slice(chunk.data);
            users += 1;
            self.chunks.found.push(FoundChunk {
                worker: slot as u32,
                task: chunk.task,
                first_ts: chunk.first_ts,
                claimed: chunk.count,
                buffer,
                bytes: start..bytes.len(),
                note_at: self.trace.loss.notes.len(),
            });
        }
        if users > 0 {
            self.chunks.buffers.push(bytes);
            self.chunks.users.push(users);
        }
    }

    /// The dense index of a worker id, creating placeholders for unseen ids within bounds.
    fn worker_slot(&mut self, id: u32) -> Option<usize> {
        let id = id as usize;
        if id >= self.trace.workers.len() {
            if id > self.trace.workers.len() + MAX_ID_GAP
                || self.trace.workers.len() > 2 * self.workers_defined + MAX_ID_GAP
            {
                return None;
            }
            self.trace.workers.resize_with(id + 1, WorkerInfo::default);
        }
        Some(id)
    }

    fn finish(mut self) -> StreamedTrace {
        self.chunks.task_deltas = self.trace.header.format_version >= 2;
        let account = LossAccount {
            frames: std::mem::take(&mut self.trace.loss),
            end: self.end,
            dropped_from_batches: self.dropped_from_batches,
            next_seq: self.next_seq,
        };
        let _ = self.what;
        let events = TimeOrderedEvents::new(self.chunks, self.trace.workers.len(), account);
        self.trace.loss = events.loss();
        StreamedTrace::new(self.trace, events)
    }
}

/// What reading the frames found a trace to have lost, to be completed by the chunks found
/// damaged as their events are decoded (see [`TimeOrderedEvents::loss`]).
pub(crate) struct LossAccount {
    /// The frames' losses and notes, before the summary notes.
    frames: Loss,
    end: Option<End>,
    dropped_from_batches: u64,
    next_seq: u64,
}

impl LossAccount {
    /// The loss with `damage` counted: each damaged chunk is a damaged frame, its note in the
    /// chunk's place among the others (as if each chunk had been decoded with its batch), then
    /// the sums.
    pub(crate) fn complete(&self, damage: &[ChunkDamage]) -> Loss {
        let mut loss = self.frames.clone();
        let mut damage = damage.to_vec();
        damage.sort_by_key(|d| d.chunk);
        let mut notes = Vec::with_capacity(loss.notes.len() + damage.len() + 4);
        let mut earlier = std::mem::take(&mut loss.notes).into_iter();
        let mut taken = 0;
        for d in &damage {
            notes.extend(earlier.by_ref().take(d.note_at.saturating_sub(taken)));
            taken = taken.max(d.note_at);
            let why = match d.why {
                ChunkStop::Truncated => "ends inside an event",
                ChunkStop::Invalid => "holds an invalid event",
                ChunkStop::PastNextChunk => "runs past the start of the worker's next chunk",
            };
            loss.corrupt_frames += 1;
            notes.push(format!(
                "a chunk of worker {} {why}: kept its first {} events",
                d.worker, d.kept
            ));
        }
        notes.extend(earlier);
        loss.notes = notes;

        match &self.end {
            Some(end) => {
                loss.clean_end = true;
                loss.dropped_events = end.dropped.max(self.dropped_from_batches);
                if end.batches > self.next_seq {
                    loss.missing_batches += end.batches - self.next_seq;
                }
            }
            None => {
                loss.dropped_events = self.dropped_from_batches;
                loss.notes.push(
                    "the trace has no end record: the program was killed or is still running \
                     (events after the last flush are missing)"
                        .to_owned(),
                );
            }
        }
        if loss.truncated_bytes > 0 {
            loss.notes.push(format!(
                "the file is cut: the last {} bytes were an incomplete frame",
                loss.truncated_bytes
            ));
        }
        if loss.corrupt_frames > 0 || loss.corrupt_bytes > 0 {
            loss.notes.push(format!(
                "skipped {} damaged frames ({} bytes)",
                loss.corrupt_frames, loss.corrupt_bytes
            ));
        }
        if loss.missing_batches > 0 {
            loss.notes.push(format!(
                "{} batches of events are missing",
                loss.missing_batches
            ));
        }
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file big enough to be read in halves reads exactly as std reads it, at an odd length
    /// (the halves differ) and with bytes that differ everywhere (a half read into the wrong
    /// place would show).
    #[test]
    fn a_big_file_reads_in_halves_as_std_reads_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("big.bin");
        let len = (*READ_IN_HALVES.start() + 12_345) as usize;
        let bytes: Vec<u8> = (0..len as u64)
            .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8)
            .collect();
        std::fs::write(&path, &bytes).expect("write");
        let read = read_whole(&path).expect("read");
        assert_eq!(read.len(), bytes.len());
        assert!(read == bytes, "the bytes differ");
        #[cfg(unix)]
        {
            let mut file = std::fs::File::open(&path).expect("open");
            let halves = read_in_halves(&mut file, len as u64).expect("read in halves");
            assert!(
                halves.is_some_and(|h| h == bytes),
                "not read in halves, or differently"
            );
            // The length the metadata gave, against a file that has since shrunk (within the
            // back half, or to less than the front half) or grown: read to its real end.
            for told in [len + 1000, 2 * len + 10, len - 5000] {
                let mut file = std::fs::File::open(&path).expect("open");
                let read = read_in_halves(&mut file, told as u64).expect("read in halves");
                assert!(
                    read.is_some_and(|r| r == bytes),
                    "told {told} of {len} bytes"
                );
            }
        }
        #[cfg(unix)]
        {
            // Room the machine cannot give is an error to report, not an abort.
            assert_eq!(zeroed(0).expect("nothing").len(), 0);
            assert_eq!(zeroed(5).expect("five bytes"), vec![0u8; 5]);
            for impossible in [isize::MAX as usize, usize::MAX] {
                let err = zeroed(impossible).expect_err("no such allocation");
                assert_eq!(err.kind(), std::io::ErrorKind::OutOfMemory);
            }
        }
        let small = dir.path().join("small.bin");
        std::fs::write(&small, &bytes[..1000]).expect("write");
        assert_eq!(read_whole(&small).expect("read"), &bytes[..1000]);
    }
}
