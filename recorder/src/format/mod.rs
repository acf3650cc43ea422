//! The trace file: layout, the writer's framing, and the one reader everyone uses.
//!
//! # Layout (format version 2)
//!
//! ```text
//! file   := MAGIC "WEFTTRC\0" (8 bytes) · version (u32 LE) · frame*
//! frame  := "WFRM" · type (u8) · flags (u8) · len (u32 LE) · crc32(payload) (u32 LE) · payload[len]
//! type   := 0 header | 1 batch | 2 end          flags bit 0: payload is zstd-compressed
//! ```
//!
//! Payloads are MessagePack (rmp-serde, structs as arrays): [`Header`] once, then one `Batch`
//! per writer cycle, then `End` when the recorder shut down cleanly. A batch is self-contained:
//! it carries the strings, sites and workers first used by its events, and its events as one
//! chunk per worker. A chunk is a byte string of events (see `codec`): per event a code byte
//! (with two bits saying whether a site follows), the timestamp delta in ns as a varint, then
//! only the arguments its code uses as varints — message ids as deltas per channel — for
//! about 4–6 bytes an event before compression.
//!
//! # Crash tolerance
//! Every frame is checksummed and announced by a marker, so the reader returns every complete,
//! intact frame of a file cut at any byte or damaged anywhere, skips what it cannot trust
//! (resynchronising on the next marker), and says in [`Loss`] what it skipped. Events the
//! recorder itself had to drop are counted in the file and reported there too.

mod codec;
mod read;
mod stream;
mod tournament;
mod trace_writer;
mod write;

pub(crate) use codec::ChunkEncoder;
pub use read::{
    open_bytes, open_bytes_with_progress, open_file, open_file_with_progress, read_bytes,
    read_bytes_with_progress, read_file, read_file_with_progress, ReadError,
};
pub use stream::{StreamedTrace, TimeOrderedEvents};
pub use trace_writer::TraceWriter;
pub(crate) use write::FrameWriter;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::event::{Event, SiteId, StrId, TaskId, WorkerId};

/// The first bytes of every trace file.
pub const MAGIC: &[u8; 8] = b"WEFTTRC\0";
/// The format version this crate writes; the reader accepts versions `1..=FORMAT_VERSION`.
/// Version 2 delta-codes task ids inside chunks (see `codec`); nothing else changed.
pub const FORMAT_VERSION: u32 = 2;
const FRAME_MARKER: &[u8; 4] = b"WFRM";
const FRAME_HEADER_LEN: usize = 14;
/// No writer produces a frame this big; a larger length field is corruption.
const MAX_FRAME_LEN: usize = 64 << 20;
/// Decompressed payloads are capped so a hostile frame cannot expand without bound.
const MAX_PAYLOAD_LEN: usize = 256 << 20;

const FRAME_HEADER: u8 = 0;
const FRAME_BATCH: u8 = 1;
const FRAME_END: u8 = 2;
const FLAG_ZSTD: u8 = 1;

/// What the recorder knew about the run when it started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The version of the format the file was written in.
    pub format_version: u32,
    /// The `weft-recorder` version that wrote it.
    pub recorder_version: String,
    /// The traced program (its executable name).
    pub program: String,
    /// The traced process id.
    pub pid: u32,
    /// Wall-clock time of timestamp 0, in ns since the Unix epoch.
    pub start_unix_ns: u64,
    /// The clock the timestamps came from ("tsc" or "monotonic").
    pub clock: String,
}

/// A source location in the traced program.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Site {
    /// Path as the compiler saw it (relative to the workspace for workspace crates).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// An OS thread that recorded events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// The kernel's thread id (0 where unknown).
    pub os_tid: u64,
    /// The thread's name when it first recorded ("" if unnamed).
    pub name: String,
}

/// What a trace is missing, and why. Nothing is ever lost silently.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loss {
    /// Events the recorder dropped because its buffers were full (counted in the file).
    pub dropped_events: u64,
    /// Bytes at the end of the file that did not form a complete frame (a cut file).
    pub truncated_bytes: u64,
    /// Bytes skipped because they were damaged (bad marker, checksum or payload).
    pub corrupt_bytes: u64,
    /// Frames skipped because they were damaged.
    pub corrupt_frames: u64,
    /// Batches the writer numbered but the file does not contain.
    pub missing_batches: u64,
    /// The recorder shut down cleanly and wrote its end record.
    pub clean_end: bool,
    /// One readable line per problem, for the CLI and the viewer.
    pub notes: Vec<String>,
}

impl Loss {
    /// True when the trace is complete: clean end, nothing dropped, skipped or cut.
    pub fn is_complete(&self) -> bool {
        self.clean_end
            && self.dropped_events == 0
            && self.truncated_bytes == 0
            && self.corrupt_bytes == 0
            && self.corrupt_frames == 0
            && self.missing_batches == 0
    }
}

/// A decoded trace: tables plus every event in time order.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// What the recorder knew at start.
    pub header: Header,
    /// Interned strings; index = [`StrId`], `strings[0]` is "".
    pub strings: Vec<String>,
    /// Source sites; index = [`SiteId`], `sites[0]` is the unknown site.
    pub sites: Vec<Site>,
    /// OS threads; index = [`WorkerId`].
    pub workers: Vec<WorkerInfo>,
    /// Every event, sorted by timestamp (events of one worker keep their recorded order).
    pub events: Vec<Event>,
    /// What is missing.
    pub loss: Loss,
}

impl Trace {
    /// The string with this id ("" for 0 or an id the file never defined).
    pub fn string(&self, id: StrId) -> &str {
        self.strings.get(id as usize).map_or("", String::as_str)
    }

    /// The site with this id; `None` for 0 or an id the file never defined.
    pub fn site(&self, id: SiteId) -> Option<&Site> {
        if id == 0 {
            return None;
        }
        self.sites.get(id as usize)
    }

    /// Nanoseconds from the first to the last event.
    pub fn duration_ns(&self) -> u64 {
        match (self.events.first(), self.events.last()) {
            (Some(a), Some(b)) => b.ts - a.ts,
            _ => 0,
        }
    }
}

// ---- frame payloads (private to the format) ----

/// A batch of chunks and the table entries they introduce. The writer fills `Chunk`s that own
/// their bytes; the reader takes [`ChunkRef`]s that borrow them from the frame (copied once,
/// into the batch's buffer for the merge, instead of twice).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Batch<C = Chunk> {
    /// Numbered from 0 by the writer, so the reader can tell a batch went missing.
    pub seq: u64,
    pub strings: Vec<(StrId, String)>,
    pub sites: Vec<SiteRecord>,
    pub workers: Vec<WorkerRecord>,
    pub chunks: Vec<C>,
    pub lost: Vec<LostRecord>,
}

// Derived, it would ask for `C: Default`.
impl<C> Default for Batch<C> {
    fn default() -> Self {
        Batch {
            seq: 0,
            strings: Vec::new(),
            sites: Vec::new(),
            workers: Vec::new(),
            chunks: Vec::new(),
            lost: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SiteRecord {
    pub id: SiteId,
    pub file: String,
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WorkerRecord {
    pub id: WorkerId,
    pub os_tid: u64,
    pub name: String,
}

/// A run of one worker's events; decodable on its own.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(
    serialize = "D: serde_bytes::Serialize",
    deserialize = "D: serde_bytes::Deserialize<'de>"
))]
pub(crate) struct Chunk<D = Vec<u8>> {
    pub worker: WorkerId,
    /// The task running on the worker when the chunk starts.
    pub task: TaskId,
    pub first_ts: u64,
    pub count: u32,
    #[serde(with = "serde_bytes")]
    pub data: D,
}

/// A chunk whose bytes are borrowed from the frame it was read from.
pub(crate) type ChunkRef<'a> = Chunk<&'a [u8]>;

/// Events dropped by the recorder; `worker` is `u32::MAX` when no worker can be named.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LostRecord {
    pub worker: WorkerId,
    pub count: u64,
    pub after_ts: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct End {
    pub events: u64,
    pub dropped: u64,
    pub end_ts: u64,
    pub batches: u64,
}
