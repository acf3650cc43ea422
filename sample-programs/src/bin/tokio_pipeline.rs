//! # Tokio pipeline
//!
//! The pattern: stages connected by bounded mpsc channels — `source` → `parse` → `enrich` →
//! `sink` — each stage a task that receives, works, and sends on. Bounded queues give
//! backpressure: a fast stage waits on `send` when the next one is behind. Shutdown flows down
//! the pipe: each stage ends when its input closes, dropping its output, which closes the next.
//!
//! What the viewer should show (with `--cfg tokio_unstable`): `enrich`, the slow stage (an I/O
//! wait per item), mostly waiting on its timer; `parse` and `source` waiting on `send` in front
//! of it (backpressure); `sink` waiting on `recv` behind it. Every task terminates: no leaks,
//! no lints.

use std::time::{Duration, Instant};

use weft_recorder::tokio::sync::mpsc;
use weft_samples::work::{digest, spin_for};

const ITEMS: u64 = 100;
const QUEUE: usize = 4;

async fn pipeline() -> (u64, u64) {
    let (raw_tx, mut raw_rx) = mpsc::channel::<u64>(QUEUE);
    let (parsed_tx, mut parsed_rx) = mpsc::channel::<u64>(QUEUE);
    let (enriched_tx, mut enriched_rx) = mpsc::channel::<u64>(QUEUE);

    let source = tokio::spawn(async move {
        for item in 0..ITEMS {
            if raw_tx.send(item).await.is_err() {
                break;
            }
        }
    });
    let parse = tokio::spawn(async move {
        while let Some(item) = raw_rx.recv().await {
            spin_for(Duration::from_micros(100)); // parsing: the task runs
            if parsed_tx.send(digest(item)).await.is_err() {
                break;
            }
        }
    });
    let enrich = tokio::spawn(async move {
        while let Some(record) = parsed_rx.recv().await {
            tokio::time::sleep(Duration::from_micros(500)).await; // a lookup: the task waits
            if enriched_tx.send(record.rotate_left(7)).await.is_err() {
                break;
            }
        }
    });
    let sink = tokio::spawn(async move {
        let (mut count, mut checksum) = (0u64, 0u64);
        while let Some(record) = enriched_rx.recv().await {
            count += 1;
            checksum = checksum.wrapping_add(record);
        }
        (count, checksum)
    });

    for stage in [source, parse, enrich] {
        stage.await.expect("a stage panicked");
    }
    sink.await.expect("the sink panicked")
}

fn main() {
    let started = Instant::now();
    let (count, checksum) = weft_recorder::tokio::run(pipeline()); // records when WEFT_TRACE is set
    println!(
        "tokio_pipeline: {count} of {ITEMS} items through 4 stages in {} ms \
         (checksum {checksum:016x})",
        started.elapsed().as_millis()
    );
}
