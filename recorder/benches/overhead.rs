//! What tracing costs a whole program: the wall time of the same workload, in the same binary,
//! untraced and traced (recording to a file), measured side by side.
//!
//! - `worker_pool`: a bounded job channel feeding 4 workers and a results channel back, jobs of
//!   about 1 µs and about 10 µs of CPU work (the goal: ≤ 3 % slower traced);
//! - `ping_pong`: two threads bouncing a message over two rendezvous-sized channels — nothing
//!   but channel operations, the worst case for a tracer (goal: < 2× slower traced).
//!
//! Untraced means no recording session: the instrumented primitives then skip straight to the
//! wrapped crossbeam/std call after one relaxed load. Criterion reports each variant; the
//! summary at the end prints traced / untraced ratios from interleaved rounds (median of
//! several, so a noisy neighbour on the shared machine skews both alike).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use weft_recorder::{channel, thread, Recorder};

const WORKERS: usize = 4;
const JOBS: u64 = 20_000;
const ROUND_TRIPS: u64 = 20_000;

/// Busy work of a fixed number of iterations (calibrated to a duration once, at start).
#[inline(never)]
fn spin(iterations: u64) -> u64 {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..iterations {
        x = black_box(x.rotate_left(5) ^ i).wrapping_mul(0x2545_f491_4f6c_dd1d);
    }
    x
}

/// Iterations of [`spin`] that take about `target` on this machine.
fn calibrate(target: Duration) -> u64 {
    let probe = 1_000_000;
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        black_box(spin(probe));
        best = best.min(start.elapsed());
    }
    ((probe as f64) * target.as_secs_f64() / best.as_secs_f64()).max(1.0) as u64
}

/// The worker-pool sample's shape: jobs through a bounded channel, results back, close, join.
fn worker_pool(work_iterations: u64) -> u64 {
    let (jobs_tx, jobs_rx) = channel::bounded::<u64>(WORKERS * 2);
    let (results_tx, results_rx) = channel::unbounded::<u64>();
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let jobs = jobs_rx.clone();
            let results = results_tx.clone();
            thread::spawn(move || {
                while let Ok(job) = jobs.recv() {
                    let _ = results.send(spin(work_iterations) ^ job);
                }
            })
        })
        .collect();
    drop((jobs_rx, results_tx));
    let producer = thread::spawn(move || {
        for job in 0..JOBS {
            if jobs_tx.send(job).is_err() {
                break;
            }
        }
    });
    let sum = results_rx.iter().fold(0u64, u64::wrapping_add);
    let _ = producer.join();
    for w in workers {
        let _ = w.join();
    }
    sum
}

/// Two threads passing one message back and forth `ROUND_TRIPS` times.
fn ping_pong() -> u64 {
    let (ping_tx, ping_rx) = channel::bounded::<u64>(1);
    let (pong_tx, pong_rx) = channel::bounded::<u64>(1);
    let echo = thread::spawn(move || {
        while let Ok(n) = ping_rx.recv() {
            if pong_tx.send(n + 1).is_err() {
                break;
            }
        }
    });
    let mut n = 0;
    for _ in 0..ROUND_TRIPS {
        let _ = ping_tx.send(n);
        n = pong_rx.recv().unwrap_or(n);
    }
    drop(ping_tx);
    let _ = echo.join();
    n
}

/// Times `workload`, recording it into `trace` when given, and returns the time and the events
/// recorded and dropped. Only the workload is timed: starting and finishing the session (file creation, the
/// final flush) happen once per program, not per event.
fn timed(trace: Option<&Path>, workload: &impl Fn() -> u64) -> (Duration, u64, u64) {
    let guard = trace.map(|path| {
        Recorder::builder()
            .path(path)
            .program("overhead-bench")
            .start()
            .expect("start recording")
    });
    let start = Instant::now();
    black_box(workload());
    let elapsed = start.elapsed();
    // Drops are reported, not fatal: on a starved machine the writer thread may fall behind,
    // which is the recorder working as designed (bounded memory, counted loss).
    let (events, dropped) = match guard {
        Some(guard) => {
            let summary = guard.finish().expect("finish recording");
            (summary.events, summary.dropped)
        }
        None => (0, 0),
    };
    (elapsed, events, dropped)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort_unstable();
    xs[xs.len() / 2]
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let trace = dir.path().join("overhead.weft");

    let one_us = calibrate(Duration::from_micros(1));
    let ten_us = calibrate(Duration::from_micros(10));
    let pool_1us = move || worker_pool(one_us);
    let pool_10us = move || worker_pool(ten_us);
    let workloads: [(&str, &dyn Fn() -> u64); 3] = [
        ("worker_pool_1us_jobs", &pool_1us),
        ("worker_pool_10us_jobs", &pool_10us),
        ("ping_pong", &ping_pong),
    ];

    for (name, workload) in workloads {
        let mut group = c.benchmark_group(name);
        group.bench_function("untraced", |b| {
            b.iter_custom(|iters| (0..iters).map(|_| timed(None, &workload).0).sum())
        });
        group.bench_function("traced", |b| {
            b.iter_custom(|iters| (0..iters).map(|_| timed(Some(&trace), &workload).0).sum())
        });
        group.finish();
    }

    // The ratios, from interleaved rounds of the same binary.
    const ROUNDS: usize = 15;
    println!("\noverhead summary (median of {ROUNDS} interleaved rounds; same binary)");
    for (name, workload) in workloads {
        let mut plain = Vec::with_capacity(ROUNDS);
        let mut traced = Vec::with_capacity(ROUNDS);
        let (mut events, mut dropped) = (0, 0);
        for _ in 0..ROUNDS {
            plain.push(timed(None, &workload).0);
            let (time, recorded, lost) = timed(Some(&trace), &workload);
            traced.push(time);
            events = recorded;
            dropped += lost;
        }
        let (plain, traced) = (median(plain), median(traced));
        println!(
            "  {name:<24} untraced {:>8.2} ms   traced {:>8.2} ms   traced/untraced {:.3}×   \
             ({events} events, {:.0} ns added per event; {dropped} dropped in all rounds)",
            plain.as_secs_f64() * 1e3,
            traced.as_secs_f64() * 1e3,
            traced.as_secs_f64() / plain.as_secs_f64(),
            (traced.as_secs_f64() - plain.as_secs_f64()) * 1e9 / events.max(1) as f64,
        );
    }
}
