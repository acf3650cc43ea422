//! Regression tests for what fuzzing the reader found (scripts/fuzz.sh; fuzz/), one per bug,
//! each named after it. Inputs are built here from the asset traces or from scratch, so each
//! test shows the shape of the hostile file, not just a blob.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use weft_recorder::event::EventKind;
use weft_recorder::format::{read_bytes, MAGIC};

// ---- measuring the largest allocation the reader makes ----

/// Counts the largest single allocation made by a thread while it is measuring (tests run in
/// parallel: only the measured thread's requests count).
struct LargestAllocation;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MEASURING: Cell<bool> = const { Cell::new(false) };
}

fn note_request(size: usize) {
    if MEASURING.try_with(Cell::get).unwrap_or(false) {
        LARGEST.fetch_max(size, Ordering::Relaxed);
    }
}

// SAFETY: defers every operation to the system allocator unchanged; it only observes sizes.
unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_request(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_request(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_request(new_size);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// Runs `f` on a fresh thread and returns its result with the largest allocation it made.
fn largest_allocation_of<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> (T, usize) {
    std::thread::spawn(move || {
        LARGEST.store(0, Ordering::Relaxed);
        MEASURING.with(|m| m.set(true));
        let out = f();
        MEASURING.with(|m| m.set(false));
        (out, LARGEST.load(Ordering::Relaxed))
    })
    .join()
    .expect("the measured reader does not panic")
}

/// Serialises the measured tests: the largest-allocation counter is process-wide.
static MEASURE_SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

// ---- building trace files by hand (the layout documented in weft_recorder::format) ----

const FLAG_ZSTD: u8 = 1;
const FRAME_BATCH: u8 = 1;

fn frame(kind: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = b"WFRM".to_vec();
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn file_prefix() -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out
}

/// A batch frame's payload as the writer encodes it (MessagePack, structs as arrays): the
/// fields in the format's order, with the one chunk given.
#[derive(Serialize)]
struct BatchPayload {
    seq: u64,
    strings: Vec<(u32, String)>,
    sites: Vec<(u32, String, u32, u32)>,
    workers: Vec<(u32, u64, String)>,
    chunks: Vec<ChunkPayload>,
    lost: Vec<(u32, u64, u64)>,
}

#[derive(Serialize)]
struct ChunkPayload {
    worker: u32,
    task: u64,
    first_ts: u64,
    count: u32,
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
}

fn batch_with_chunk(data: Vec<u8>, count: u32) -> Vec<u8> {
    let batch = BatchPayload {
        seq: 0,
        strings: Vec::new(),
        sites: Vec::new(),
        workers: vec![(0, 1, "w".into())],
        chunks: vec![ChunkPayload {
            worker: 0,
            task: 1,
            first_ts: 0,
            count,
            data,
        }],
        lost: Vec::new(),
    };
    rmp_serde::to_vec(&batch).expect("encode a batch")
}

fn asset(name: &str) -> Vec<u8> {
    let path = format!("{}/../assets/traces/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// Offsets of the frames of a well-formed file: (offset, kind, payload length).
fn frames_of(file: &[u8]) -> Vec<(usize, u8, usize)> {
    let mut out = Vec::new();
    let mut pos = 12;
    while pos + 14 <= file.len() {
        let len = u32::from_le_bytes(file[pos + 6..pos + 10].try_into().unwrap()) as usize;
        out.push((pos, file[pos + 4], len));
        pos += 14 + len;
    }
    out
}

// ---- the regressions ----

/// Found by `read_bytes` in its first minute: flipping the (unchecksummed) compression flag of a
/// plain frame made the reader call `zstd::bulk::decompress(body, 256 MiB)`, which reserves its
/// whole capacity up front — a 256 MiB allocation for a 4 KiB file, and for every compressed
/// frame of a genuine trace too.
#[test]
fn zstd_decompression_reserved_256_mib_for_every_compressed_frame() {
    let _serial = MEASURE_SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut flagged = asset("pipeline.weft");
    let (at, kind, _) = frames_of(&flagged)[1];
    assert_eq!(kind, FRAME_BATCH);
    flagged[at + 5] |= FLAG_ZSTD;
    let (trace, largest) = largest_allocation_of(move || read_bytes(&flagged));
    let trace = trace.expect("a damaged trace still opens");
    assert!(
        trace.loss.corrupt_frames >= 1,
        "the flagged frame is reported"
    );
    assert!(largest < 1 << 20, "largest allocation {largest} bytes");

    // A genuine compressed trace reads the same events as the plain one, without outsized
    // buffers either.
    let (plain, compressed) = record_both_ways();
    let plain = read_bytes(&plain).expect("read the plain recording");
    let (trace, largest) = largest_allocation_of(move || read_bytes(&compressed));
    let trace = trace.expect("read the compressed recording");
    assert!(trace.loss.is_complete(), "{:?}", trace.loss);
    assert_eq!(trace.events.len(), plain.events.len());
    assert!(largest < 4 << 20, "largest allocation {largest} bytes");
}

/// The same program recorded plain and with zstd.
fn record_both_ways() -> (Vec<u8>, Vec<u8>) {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Memory(Arc<Mutex<Vec<u8>>>);
    impl Write for Memory {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let _serial = weft_recorder::testing::exclusive();
    let mut out = Vec::new();
    for compression in [None, Some(3)] {
        let memory = Memory::default();
        let guard = weft_recorder::Recorder::builder()
            .writer(memory.clone())
            .compression(compression)
            .start()
            .expect("start a recording");
        for _ in 0..5_000 {
            weft_recorder::bench::emit_event();
        }
        guard.finish().expect("finish the recording");
        let bytes = std::mem::take(&mut *memory.0.lock().unwrap());
        out.push(bytes);
    }
    let compressed = out.pop().unwrap();
    (out.pop().unwrap(), compressed)
}

/// A "zstd bomb": 8 MiB of `Yield` events compress to about a KiB. Before the decompression
/// budget, each such frame decoded to 4 M events (about 200 MiB of memory) per KiB of file.
/// Now a file may expand at most 64× its size (plus 1 MiB); what would expand beyond that is
/// skipped, counted and explained.
#[test]
fn a_kilobyte_zstd_bomb_expanded_into_hundreds_of_megabytes_of_events() {
    let _serial = MEASURE_SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let yield_code = EventKind::Yield.to_raw().code;
    let events = [yield_code, 0].repeat(4 << 20);
    let payload = batch_with_chunk(events, 4 << 20);
    let packed = zstd::bulk::compress(&payload, 1).expect("compress the bomb");
    let mut bomb = file_prefix();
    bomb.extend_from_slice(&frame(FRAME_BATCH, FLAG_ZSTD, &packed));
    assert!(bomb.len() < 64 << 10, "the bomb is {} bytes", bomb.len());
    eprintln!("a {}-byte file declaring 8 MiB of events", bomb.len());

    let (trace, largest) = largest_allocation_of(move || read_bytes(&bomb));
    let trace = trace.expect("a hostile trace still opens");
    assert!(trace.events.is_empty());
    assert_eq!(trace.loss.corrupt_frames, 1);
    assert!(
        trace.loss.notes.iter().any(|n| n.contains("expand")),
        "{:?}",
        trace.loss.notes
    );
    assert!(largest < 8 << 20, "largest allocation {largest} bytes");

    // The same batch at a size a genuine trace could have still decodes in full.
    let events = [yield_code, 0].repeat(1000);
    let packed = zstd::bulk::compress(&batch_with_chunk(events, 1000), 1).unwrap();
    let mut small = file_prefix();
    small.extend_from_slice(&frame(FRAME_BATCH, FLAG_ZSTD, &packed));
    let trace = read_bytes(&small).expect("open");
    assert_eq!(trace.events.len(), 1000);
}

/// A file of overlapping fake frames: a marker every 14 bytes, each claiming a length that
/// reaches the end of the file, none with a valid checksum. Each failed frame sent the reader
/// to the next marker, inside it, and every one was checksummed over the rest of the file:
/// quadratic, hours for a few megabytes. Checking is now bounded by a few passes over the
/// file, after which the damage is reported rather than checked.
#[test]
fn overlapping_fake_frames_made_checking_quadratic() {
    let good = asset("backpressure.weft");
    let good_events = read_bytes(&good).expect("open").events.len();
    let mut file = good.clone();
    let junk_start = file.len();
    let total = junk_start + (2 << 20);
    while file.len() + 14 <= total {
        let pos = file.len();
        let len = (total - pos - 14) as u32;
        file.extend_from_slice(b"WFRM");
        file.extend_from_slice(&[FRAME_BATCH, 0]);
        file.extend_from_slice(&len.to_le_bytes());
        file.extend_from_slice(&0u32.to_le_bytes());
    }
    file.resize(total, 0);

    let started = Instant::now();
    let trace = read_bytes(&file).expect("a damaged trace still opens");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert_eq!(
        trace.events.len(),
        good_events,
        "the intact frames before the damage are kept"
    );
    assert!(trace.loss.corrupt_bytes > 0);
    assert!(
        trace
            .loss
            .notes
            .iter()
            .any(|n| n.contains("stopped checking")),
        "{:?}",
        trace.loss.notes
    );
    eprintln!("2 MiB of overlapping fake frames read in {elapsed:?}");

    // Damage that is not hostile stays well inside the budget: a few flipped length fields
    // cost at most a few passes, and every other frame is still read.
    let mut damaged = asset("bounded_vs_unbounded.weft");
    let all = read_bytes(&damaged).expect("open").events.len();
    for &(at, _, _) in frames_of(&damaged.clone()).iter().skip(2).step_by(4) {
        damaged[at + 7] ^= 0x01; // length + 256: checked, fails, resynchronised
    }
    let trace = read_bytes(&damaged).expect("open");
    assert!(!trace
        .loss
        .notes
        .iter()
        .any(|n| n.contains("stopped checking")));
    assert!(trace.events.len() < all && !trace.events.is_empty());
}

/// Found by `read_mutated` once the reader merged per-worker event lists instead of sorting
/// them all: the merge assumed each worker's events arrive in time order, which the writer
/// guarantees but a file with a repeated (or reordered) batch does not, and `Trace::events`
/// came out of time order.
#[test]
fn a_repeated_batch_left_events_out_of_time_order() {
    let original = asset("pipeline.weft");
    let frames = frames_of(&original);
    let batches: Vec<_> = frames.iter().filter(|f| f.1 == FRAME_BATCH).collect();
    assert!(batches.len() >= 2, "pipeline.weft has several batches");
    let (first_at, _, first_len) = *batches[0];
    let (second_at, _, second_len) = *batches[1];
    // The first batch again, right after the second.
    let mut file = original[..second_at + 14 + second_len].to_vec();
    file.extend_from_slice(&original[first_at..first_at + 14 + first_len]);
    file.extend_from_slice(&original[second_at + 14 + second_len..]);

    let trace = read_bytes(&file).expect("open");
    assert!(
        trace.events.windows(2).all(|w| w[0].ts <= w[1].ts),
        "events are in time order"
    );
    let once = read_bytes(&original).expect("open").events.len();
    assert!(trace.events.len() > once);
}
