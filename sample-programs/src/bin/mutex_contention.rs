//! # Mutex contention: a hot lock serialises a pool
//!
//! The pitfall: four workers read requests (200 µs of I/O each) and count them by type in one
//! shared map, and each does its parsing (2 ms of CPU) while holding the map's lock. The pool is
//! four threads on paper, but only one can make progress at a time: the lock turns parallel work
//! into a queue. `mutex_contention_fixed` does the same work with the parsing outside the lock and
//! the map sharded.
//!
//! What the viewer should show: the four `worker-i` tasks taking turns on the lock created at the
//! line marked `weft:hot-lock` — one holds it for 2 ms while the others wait — so the
//! lock usually has waiters queued and each worker spends most of the run blocked on
//! `lock`. The blocking profile is dominated by that one lock; the lint `lock_held_long` points at
//! it. No leaks, no deadlocks.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use weft_recorder::sync::{Arc, Mutex};
use weft_recorder::thread;
use weft_samples::work::spin_for;

const WORKERS: usize = 4;
const REQUESTS_PER_WORKER: u64 = 10;

/// Parses a request into its type: 2 ms of CPU.
fn request_type(request: u64) -> &'static str {
    spin_for(Duration::from_millis(2));
    ["get", "put", "list", "delete"][(request % 4) as usize]
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let counts = Arc::new(Mutex::new(HashMap::<&'static str, u64>::new())); // weft:hot-lock
    let workers: Vec<_> = (0..WORKERS)
        .map(|index| {
            let counts = Arc::clone(&counts);
            thread::Builder::new()
                .name(format!("worker-{index}"))
                .spawn(move || {
                    for request in 0..REQUESTS_PER_WORKER {
                        thread::sleep(Duration::from_micros(200)); // reading the request
                        let mut counts = counts.lock().unwrap();
                        // The bug: the expensive part runs with the lock held.
                        let kind = request_type(index as u64 * 100 + request);
                        *counts.entry(kind).or_default() += 1;
                    }
                })
                .expect("spawn a worker")
        })
        .collect();
    for worker in workers {
        worker.join().expect("a worker panicked");
    }

    let total: u64 = counts.lock().unwrap().values().sum();
    println!(
        "mutex_contention: {WORKERS} workers handled {total} requests in {} ms, serialised on one lock",
        started.elapsed().as_millis()
    );
}
