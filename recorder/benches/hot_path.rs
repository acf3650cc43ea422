//! The recorder's cost per event, beside the floor and a peer, measured in one run.
//!
//! - floor: one clock read plus one store into a thread-local buffer — what any in-process
//!   tracer must at least do;
//! - weft: one full event through the hot path (epoch check, thread-local ring, TSC, store),
//!   with the writer thread draining and encoding concurrently;
//! - writer: what the writer thread spends per event to drain, encode and write it;
//! - peer: one plain `tracing::info!` event through tracing-chrome's Layer;
//! - decode: the reader's throughput on a recorded trace.
//!
//! Criterion reports each with confidence intervals; the summary at the end prints the ratios
//! from a second, interleaved measurement (min of several rounds, so the noisy shared machine
//! skews all three alike) and the bytes per event of both formats.

use std::cell::UnsafeCell;
use std::hint::black_box;
use std::io;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use tracing_subscriber::layer::SubscriberExt;
use weft_recorder::{bench::emit_event, format, testing, Recorder};

struct FloorBuf {
    slots: [u64; 4096],
    next: usize,
}

thread_local! {
    static FLOOR: UnsafeCell<FloorBuf> = const { UnsafeCell::new(FloorBuf { slots: [0; 4096], next: 0 }) };
}

#[inline(never)]
fn floor_event(clock: &quanta::Clock) {
    FLOOR.with(|f| {
        // SAFETY: thread-local, not re-entered.
        let f = unsafe { &mut *f.get() };
        f.slots[f.next & 4095] = clock.raw();
        f.next += 1;
    });
}

#[inline(never)]
fn weft_event() {
    emit_event();
}

/// Runs `n` events through `f` in rounds that fit in a ring, flushing between rounds so the
/// measurement is of the store path, not of the drop path.
fn timed_rounds(n: u64, guard: &weft_recorder::Guard, mut f: impl FnMut()) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = n;
    while left > 0 {
        let round = left.min(20_000);
        let start = Instant::now();
        for _ in 0..round {
            f();
        }
        total += start.elapsed();
        left -= round;
        guard.flush();
    }
    total
}

fn per_event_ns(d: Duration, n: u64) -> f64 {
    d.as_nanos() as f64 / n as f64
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let clock = quanta::Clock::new();

    let mut group = c.benchmark_group("per_event");
    group.throughput(Throughput::Elements(1));
    group.bench_function("floor_tsc_plus_tls_store", |b| {
        b.iter(|| floor_event(black_box(&clock)))
    });
    {
        let guard = Recorder::builder()
            .writer(io::sink())
            .ring_capacity(1 << 16)
            .start()
            .expect("start recording");
        group.bench_function("weft_hot_path", |b| {
            b.iter_custom(|iters| timed_rounds(iters, &guard, weft_event))
        });
        drop(guard);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let chrome_path = dir.path().join("peer.json");
    {
        let (layer, flush) = tracing_chrome::ChromeLayerBuilder::new()
            .file(&chrome_path)
            .build();
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            group.sample_size(20);
            group.bench_function("peer_tracing_chrome_event", |b| {
                b.iter(|| tracing::info!(value = 1u32, "event"))
            });
        });
        drop(flush);
    }
    group.finish();

    let (bytes, trace) = testing::record_bytes(|| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..50_000 {
                        emit_event();
                    }
                })
            })
            .collect();
        for w in workers {
            let _ = w.join();
        }
    });
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(trace.events.len() as u64));
    group.bench_function("read_bytes", |b| {
        b.iter(|| format::read_bytes(black_box(&bytes)).map(|t| t.events.len()))
    });
    group.finish();

    summary(&clock, &chrome_path, bytes.len(), trace.events.len());
}

/// Interleaved rounds of the three, min per-event time of each, and the ratios.
fn summary(clock: &quanta::Clock, chrome_path: &std::path::Path, bytes: usize, events: usize) {
    const N: u64 = 200_000;
    let guard = Recorder::builder()
        .writer(io::sink())
        .ring_capacity(1 << 16)
        .start()
        .expect("start recording");
    let (layer, flush) = tracing_chrome::ChromeLayerBuilder::new()
        .file(chrome_path)
        .build();
    let subscriber = tracing_subscriber::registry().with(layer);
    let (mut floor, mut weft, mut peer) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..N {
            floor_event(clock);
        }
        floor = floor.min(per_event_ns(start.elapsed(), N));
        weft = weft.min(per_event_ns(timed_rounds(N, &guard, weft_event), N));
    }
    drop(guard);
    let writer = writer_ns_per_event();
    let peer_events = 20_000u64;
    tracing::subscriber::with_default(subscriber, || {
        for _ in 0..3 {
            let start = Instant::now();
            for _ in 0..peer_events {
                tracing::info!(value = 1u32, "event");
            }
            peer = peer.min(per_event_ns(start.elapsed(), peer_events));
        }
    });
    drop(flush);
    let peer_bytes = std::fs::metadata(chrome_path).map_or(0, |m| m.len());
    let peer_written = 3 * peer_events;
    println!();
    println!("== weft recorder: figures from one interleaved run ==");
    println!("floor (TSC read + thread-local store): {floor:8.2} ns/event");
    println!("weft hot path:                          {weft:8.2} ns/event   ({:.2}x the floor; goal <= 1.5x)", weft / floor);
    println!("writer thread (drain, encode, write):   {writer:8.2} ns/event   ({:.2}x the hot path; on a machine with no idle core this is taken from the traced program)", writer / weft);
    println!("peer (tracing event via tracing-chrome): {peer:8.2} ns/event   (weft is {:.0}x faster; goal >= 50x)", peer / weft);
    println!(
        "size: weft {:.2} B/event on a synthetic stream ({events} events); tracing-chrome {:.1} B/event",
        bytes as f64 / events.max(1) as f64,
        peer_bytes as f64 / peer_written as f64
    );
}

/// The writer thread's CPU per event: events recorded with no drain in between (a ring big
/// enough, no periodic flush), then one flush that drains, encodes and writes them all to a sink
/// while the producer waits. Best of several rounds.
fn writer_ns_per_event() -> f64 {
    const N: u64 = 500_000;
    let guard = Recorder::builder()
        .writer(io::sink())
        .ring_capacity(1 << 21)
        .flush_interval(Duration::from_secs(3600))
        .start()
        .expect("start recording");
    let mut best = f64::MAX;
    for _ in 0..7 {
        for _ in 0..N {
            weft_event();
        }
        let start = Instant::now();
        guard.flush();
        best = best.min(per_event_ns(start.elapsed(), N));
    }
    best
}
