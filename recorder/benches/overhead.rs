//! What tracing costs a whole program: the wall time of the same workload, in the same binary,
//! untraced and traced (recording to a file), measured side by side.
//!
//! - `worker_pool`: a bounded job channel feeding 4 workers and a results channel back, jobs of
//!   about 1 µs and about 10 µs of CPU work (the goal: ≤ 3 % slower traced);
//! - `ping_pong`: two threads bouncing a message over two rendezvous-sized channels — nothing
//!   but channel operations, the worst case for a tracer (goal: < 2× slower traced). The two
//!   threads are pinned to two different cores (Linux): left to the scheduler, the same
//!   untraced binary takes anywhere from 7 to 32 ms on this 2-core machine, depending on
//!   whether the threads happen to share a core, which drowns what tracing costs. The writer
//!   thread is not pinned: it takes its time from one of the two, as it would in a program.
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

/// Two threads passing one message back and forth `ROUND_TRIPS` times, each on its own core.
fn ping_pong() -> u64 {
    let (ping_tx, ping_rx) = channel::bounded::<u64>(1);
    let (pong_tx, pong_rx) = channel::bounded::<u64>(1);
    let caller = cores::pin_to(0);
    let echo = thread::spawn(move || {
        let _pinned = cores::pin_to(1);
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
    drop(caller);
    n
}

/// Pinning a thread to one core, for as long as a guard lives.
mod cores {
    /// Restores the thread's previous set of cores when dropped.
    pub struct Pinned {
        #[cfg(target_os = "linux")]
        previous: Option<libc::cpu_set_t>,
    }

    /// Pins the calling thread to `core` where the platform allows it and the core exists;
    /// otherwise leaves it where it is.
    #[cfg(target_os = "linux")]
    pub fn pin_to(core: usize) -> Pinned {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: `cpu_set_t` is plain bits, valid zeroed; both calls read or write exactly
        // `size` bytes of it for the calling thread (pid 0).
        let previous = unsafe {
            let mut previous: libc::cpu_set_t = std::mem::zeroed();
            let mut only: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(core, &mut only);
            (libc::sched_getaffinity(0, size, &mut previous) == 0
                && libc::sched_setaffinity(0, size, &only) == 0)
                .then_some(previous)
        };
        Pinned { previous }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn pin_to(_core: usize) -> Pinned {
        Pinned {}
    }

    /// Whether the ping-pong's threads can be given two cores of their own.
    pub fn can_pin_apart() -> bool {
        let first = pin_to(0);
        let second = pin_to(1);
        // Dropped in reverse: `second` restores "core 0 only", then `first` the original set.
        is_pinned(&first) && is_pinned(&second)
    }

    fn is_pinned(p: &Pinned) -> bool {
        #[cfg(target_os = "linux")]
        {
            p.previous.is_some()
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = p;
            false
        }
    }

    impl Drop for Pinned {
        fn drop(&mut self) {
            #[cfg(target_os = "linux")]
            if let Some(previous) = &self.previous {
                // SAFETY: as in `pin_to`; restores the set read there.
                unsafe {
                    libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), previous);
                }
            }
        }
    }
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
    if !cores::can_pin_apart() {
        println!("  (ping_pong's threads could not be pinned to cores 0 and 1: its figures depend on where the scheduler puts them)");
    }
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
