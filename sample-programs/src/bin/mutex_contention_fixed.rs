//! # Mutex contention, fixed: work outside the lock, state sharded
//!
//! The same work as `mutex_contention` — four workers read requests (200 µs of I/O), parse them
//! (2 ms of CPU each) and count them by type — with the two usual fixes: the parsing happens
//! before taking any lock, and the counts are split over eight shards, each with its own lock,
//! chosen by the key's hash. A lock is now held for a map update only, and two workers rarely
//! want the same shard at once.
//!
//! What the viewer should show: the four `worker-i` tasks running in parallel (as far as the
//! machine's cores allow), with lock holds too short to see at the default zoom and next to no
//! waiting on `lock`. On an idle machine the run takes about 1/cores of `mutex_contention`'s
//! (CPU-bound work cannot beat the core count). No leaks, no deadlocks, no lints.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use weft_recorder::sync::{Arc, Mutex};
use weft_recorder::thread;
use weft_samples::work::spin_for;

const WORKERS: usize = 4;
const REQUESTS_PER_WORKER: u64 = 10;
const SHARDS: usize = 8;

/// Parses a request into its type: 2 ms of CPU.
fn request_type(request: u64) -> &'static str {
    spin_for(Duration::from_millis(2));
    ["get", "put", "list", "delete"][(request % 4) as usize]
}

/// Counts by key, split over independently locked shards.
struct ShardedCounts {
    shards: Vec<Mutex<HashMap<&'static str, u64>>>,
}

impl ShardedCounts {
    fn new() -> Self {
        ShardedCounts {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    fn add(&self, key: &'static str) {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let shard = &self.shards[hasher.finish() as usize % SHARDS];
        *shard.lock().unwrap().entry(key).or_default() += 1;
    }

    fn total(&self) -> u64 {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap().values().sum::<u64>())
            .sum()
    }
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let counts = Arc::new(ShardedCounts::new());
    let workers: Vec<_> = (0..WORKERS)
        .map(|index| {
            let counts = Arc::clone(&counts);
            thread::Builder::new()
                .name(format!("worker-{index}"))
                .spawn(move || {
                    for request in 0..REQUESTS_PER_WORKER {
                        thread::sleep(Duration::from_micros(200)); // reading the request
                        let kind = request_type(index as u64 * 100 + request); // no lock held
                        counts.add(kind);
                    }
                })
                .expect("spawn a worker")
        })
        .collect();
    for worker in workers {
        worker.join().expect("a worker panicked");
    }

    println!(
        "mutex_contention_fixed: {WORKERS} workers handled {} requests in {} ms, parsing outside the lock, {SHARDS} shards",
        counts.total(),
        started.elapsed().as_millis()
    );
}
