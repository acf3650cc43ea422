//! # Tokio worker pool
//!
//! The pattern: a fixed number of worker tasks, each fed by its own bounded mpsc queue, with the
//! producer (`main`'s future) handing jobs out in turn and a collector task receiving every
//! result. Shutdown is graceful: the producer drops the job senders once every job is queued,
//! each worker drains its queue, sees `None` and returns (dropping its results sender), and the
//! collector's `recv` returns `None` when the last worker is done.
//!
//! What the viewer should show (with `--cfg tokio_unstable`): four worker tasks, each job one
//! poll of about 0.3 ms (its CPU part) then a wait on a `Sleep` (its I/O), polled on whichever
//! runtime worker was free; short `recv` waits on their queues; the producer waiting on `send`
//! whenever a queue is full (the pool sets the pace); the collector woken by every result.
//! Every task terminates: no leaks, no lints. Without `tokio_unstable` the channel waits are
//! still recorded, on the runtime's worker threads.

use std::time::{Duration, Instant};

use weft_recorder::tokio::sync::mpsc;
use weft_samples::work::{digest, spin_for};

const WORKERS: usize = 4;
const JOBS: u64 = 64;

/// One unit of work.
struct Job {
    id: u64,
}

/// A job: a little computation (the task runs) and an I/O call (the task waits on a timer).
async fn run(job: Job) -> u64 {
    spin_for(Duration::from_micros(300));
    tokio::time::sleep(Duration::from_millis(1)).await;
    digest(job.id)
}

async fn pool() -> (usize, u64) {
    let (result_tx, mut result_rx) = mpsc::channel::<u64>(WORKERS);
    let collector = tokio::spawn(async move {
        let (mut received, mut checksum) = (0usize, 0u64);
        while let Some(digest) = result_rx.recv().await {
            received += 1;
            checksum = checksum.wrapping_add(digest);
        }
        (received, checksum)
    });

    let mut queues = Vec::with_capacity(WORKERS);
    let mut workers = Vec::with_capacity(WORKERS);
    for _ in 0..WORKERS {
        let (job_tx, mut job_rx) = mpsc::channel::<Job>(2);
        let results = result_tx.clone();
        workers.push(tokio::spawn(async move {
            while let Some(job) = job_rx.recv().await {
                // The collector lives until every worker has dropped its sender.
                let _ = results.send(run(job).await).await;
            }
        }));
        queues.push(job_tx);
    }
    drop(result_tx); // Only the workers keep senders: the results close when they are done.

    for id in 0..JOBS {
        // Waits while that worker's queue is full.
        if queues[id as usize % WORKERS]
            .send(Job { id })
            .await
            .is_err()
        {
            break;
        }
    }
    drop(queues); // Close the queues: the workers drain them and return.

    for worker in workers {
        worker.await.expect("a worker panicked");
    }
    collector.await.expect("the collector panicked")
}

fn main() {
    let _weft = weft_recorder::tokio::init();
    let started = Instant::now();
    let (received, checksum) = weft_recorder::tokio::runtime()
        .build()
        .expect("a tokio runtime")
        .block_on(pool());
    println!(
        "tokio_worker_pool: {WORKERS} worker tasks ran {received} of {JOBS} jobs in {} ms \
         (checksum {checksum:016x})",
        started.elapsed().as_millis()
    );
}
