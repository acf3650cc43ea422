//! Overload: 64 threads recording faster than the writer and a slow disk can take their
//! events. The recorder's policy (see `ring.rs`): each thread has a fixed ring; when it is full
//! the event is dropped — the program is never blocked or slowed — and counted; the writer
//! puts the counts in the file, per batch and in the end record, and the reader reports them
//! in `Loss`. So memory stays bounded by threads × ring size, and nothing is lost silently.
//! Without overload, nothing is dropped.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_recorder::event::EventKind;
use weft_recorder::format::{read_bytes, read_file, Trace};
use weft_recorder::{testing, Recorder, Summary};

const THREADS: usize = 64;
/// The recorder's default ring: events per thread.
const RING_EVENTS: u64 = 1 << 14;
/// What the hot path stores per event (`ring::RawEvent`).
const RAW_EVENT_BYTES: u64 = 32;

/// A file that takes `per_write` for every write: a disk slower than the program.
struct SlowDisk {
    file: File,
    per_write: Duration,
}

impl Write for SlowDisk {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        std::thread::sleep(self.per_write);
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn rss_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("a number of kB");
    kib * 1024
}

/// Samples the process's resident memory until stopped; returns the peak seen.
struct RssMonitor {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl RssMonitor {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss_bytes("VmRSS:")));
        let thread = std::thread::spawn({
            let (stop, peak) = (stop.clone(), peak.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_bytes("VmRSS:"), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        });
        RssMonitor { stop, peak, thread }
    }

    fn peak(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the monitor does not panic");
        self.peak.load(Ordering::Relaxed)
    }
}

/// Records `body` on `THREADS` plain threads (each adopted on its first event) into `path`
/// through a disk taking `per_write` per write.
fn record_threads(
    path: &Path,
    per_write: Duration,
    body: impl Fn() + Send + Sync + 'static,
) -> Summary {
    let disk = SlowDisk {
        file: File::create(path).expect("create the trace file"),
        per_write,
    };
    let guard = Recorder::builder()
        .writer(disk)
        .start()
        .expect("start recording");
    let body = Arc::new(body);
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let body = body.clone();
            std::thread::spawn(move || body())
        })
        .collect();
    for t in threads {
        t.join().expect("a recording thread does not panic");
    }
    guard.finish().expect("finish recording")
}

fn yields(trace: &Trace) -> u64 {
    trace
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Yield)
        .count() as u64
}

/// The file cut just before its end record: what a crash at the last moment would leave.
fn without_end_record(bytes: &[u8]) -> &[u8] {
    let mut pos = 12;
    let mut last = pos;
    while pos + 14 <= bytes.len() {
        last = pos;
        let len = u32::from_le_bytes(bytes[pos + 6..pos + 10].try_into().unwrap()) as usize;
        pos += 14 + len;
    }
    assert_eq!(bytes[last + 4], 2, "the last frame is the end record");
    &bytes[..last]
}

#[test]
fn sixty_four_threads_faster_than_the_disk_stay_bounded_and_every_drop_is_counted() {
    const PER_THREAD: u64 = 250_000;
    let _serial = testing::exclusive();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("overload.weft");

    let before = rss_bytes("VmRSS:");
    let monitor = RssMonitor::start();
    let started = Instant::now();
    let summary = record_threads(&path, Duration::from_millis(20), || {
        for _ in 0..PER_THREAD {
            weft_recorder::bench::emit_event();
        }
    });
    let elapsed = started.elapsed();
    let peak = monitor.peak();

    let produced = THREADS as u64 * PER_THREAD;
    let trace = read_file(&path).expect("read the overloaded trace");
    let written = yields(&trace);
    let loss = &trace.loss;

    // Memory: bounded by the rings, not by what was produced.
    let rings = THREADS as u64 * RING_EVENTS * RAW_EVENT_BYTES;
    let growth = peak.saturating_sub(before);
    let unbounded = produced * RAW_EVENT_BYTES;
    eprintln!(
        "overload: {produced} events produced in {elapsed:?}, {written} written, {} dropped; \
         resident memory grew by {:.1} MiB at most (rings: {:.1} MiB; keeping every event \
         would take {:.0} MiB); file {} bytes",
        loss.dropped_events,
        growth as f64 / 1048576.0,
        rings as f64 / 1048576.0,
        unbounded as f64 / 1048576.0,
        summary.bytes
    );
    assert!(
        growth <= rings + (32 << 20),
        "resident memory grew by {growth} bytes; the rings are {rings}"
    );

    // Every event is either in the file or counted as dropped, and the reader says so.
    assert!(
        loss.dropped_events > 0,
        "the disk was too slow: events must drop"
    );
    assert_eq!(written + loss.dropped_events, produced);
    assert_eq!(loss.dropped_events, summary.dropped);
    assert_eq!(trace.events.len() as u64, summary.events);
    assert!(loss.clean_end && !loss.is_complete());
    assert!(
        loss.notes
            .iter()
            .any(|n| n.contains("dropped") && n.contains("buffer full")),
        "{:?}",
        loss.notes
    );

    // The counts are in the batches too, not only in the end record: a trace cut before its
    // end still accounts for every drop it saw.
    let bytes = std::fs::read(&path).expect("read the trace bytes");
    let cut = read_bytes(without_end_record(&bytes)).expect("read the cut trace");
    assert!(!cut.loss.clean_end);
    assert_eq!(cut.loss.dropped_events, loss.dropped_events);
    assert_eq!(yields(&cut), written);
}

#[test]
fn sixty_four_threads_at_a_realistic_rate_drop_nothing_even_on_a_slow_disk() {
    const BURSTS: u64 = 200;
    const PER_BURST: u64 = 50;
    let _serial = testing::exclusive();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("steady.weft");

    let summary = record_threads(&path, Duration::from_millis(10), || {
        // 50 events a millisecond per thread, 3.2 M/s in all: busy, but within what one
        // writer batching every 25 ms can take.
        for _ in 0..BURSTS {
            for _ in 0..PER_BURST {
                weft_recorder::bench::emit_event();
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    });

    let trace = read_file(&path).expect("read the trace");
    eprintln!(
        "steady: {} events written, {} dropped, {} bytes",
        summary.events, summary.dropped, summary.bytes
    );
    assert!(trace.loss.is_complete(), "{:?}", trace.loss);
    assert_eq!(yields(&trace), THREADS as u64 * BURSTS * PER_BURST);
}
