//! # Tokio `Mutex` contention
//!
//! The pitfall: eight tasks share one `tokio::sync::Mutex` and each keeps it for a slow update —
//! an await of 2 ms inside the critical section. Holding a tokio mutex across an await is
//! allowed (that is what it is for), but every other task that wants it waits in line: the
//! updates run one at a time, and the run takes about eight times longer than it needs to.
//! The fix is to do the slow part outside the lock and hold it only to apply the result.
//!
//! What the viewer should show (with `--cfg tokio_unstable`, which makes tokio report its
//! mutex): the mutex created at `weft:shared-state`, each task alternately waiting on
//! `Mutex::lock` and holding it for about 2 ms, always with others waiting: one lint, the lock
//! held long, at the mutex's creation. No leaks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_samples::work::digest;

const TASKS: u64 = 8;
const UPDATES: u64 = 10;

async fn run() -> (u64, u64) {
    let state = Arc::new(tokio::sync::Mutex::new((0u64, 0u64))); // weft:shared-state
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            for update in 0..UPDATES {
                let mut guard = state.lock().await;
                // The slow part, done while holding the lock.
                tokio::time::sleep(Duration::from_millis(2)).await;
                guard.0 += 1;
                guard.1 ^= digest(task * UPDATES + update);
            }
        }));
    }
    for task in tasks {
        task.await.expect("a task panicked");
    }
    let guard = state.lock().await;
    *guard
}

fn main() {
    let _weft = weft_recorder::tokio::init();
    let started = Instant::now();
    let (updates, checksum) = weft_recorder::tokio::runtime()
        .build()
        .expect("a tokio runtime")
        .block_on(run());
    println!(
        "tokio_mutex_contention: {TASKS} tasks applied {updates} updates one at a time in {} ms \
         ({checksum:016x})",
        started.elapsed().as_millis()
    );
}
