//! # Pipeline with cancellation
//!
//! The pattern: four stages — `read` → `parse` → `enrich` → `write` — each a task, connected by
//! small bounded channels, so the slowest stage (`enrich`, 1 ms of I/O per record) sets the pace
//! and the others wait on full or empty queues. After 40 ms `main` cancels: it drops the sender
//! of a cancellation channel (the "closed done channel" idiom), which `read` polls between
//! records. `read` stops and drops its output sender; `parse` sees the disconnection once it
//! has drained its input, finishes, and drops its own sender; and so on down the line, so the
//! cancellation propagates through every stage without losing a record already in flight.
//!
//! What the viewer should show: `enrich` mostly sleeping, `read` and `parse` blocked on `send`
//! (backpressure), `write` blocked on `recv`; at the cancel, a cascade of disconnections from
//! `read` to `write`, each stage exiting shortly after the one before. No leaks, no deadlocks, no
//! lints (the cancellation polls are few and separated by sleeps: not a busy wait).

use std::time::{Duration, Instant};

use weft_recorder::channel::{self, Receiver, Sender};
use weft_recorder::thread::{self, JoinHandle};
use weft_samples::work::{digest, spin_for};

const QUEUE: usize = 4;

/// A record moving down the pipeline.
struct Record {
    id: u64,
    value: u64,
}

/// Spawns a middle stage: applies `step` to every record until its input closes, then returns
/// (dropping its output sender, which closes the next stage's input). Returns the records seen.
fn spawn_stage(
    name: &str,
    input: Receiver<Record>,
    output: Sender<Record>,
    step: fn(Record) -> Record,
) -> JoinHandle<u64> {
    thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let mut seen = 0;
            while let Ok(record) = input.recv() {
                seen += 1;
                if output.send(step(record)).is_err() {
                    break;
                }
            }
            seen
        })
        .expect("spawn a pipeline stage")
}

fn parse(record: Record) -> Record {
    spin_for(Duration::from_micros(200));
    Record {
        value: digest(record.value),
        ..record
    }
}

fn enrich(record: Record) -> Record {
    thread::sleep(Duration::from_millis(1)); // a lookup in another service
    Record {
        value: record.value ^ record.id,
        ..record
    }
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (cancel_tx, cancel_rx) = channel::bounded::<()>(0);
    let (raw_tx, raw_rx) = channel::bounded::<Record>(QUEUE);
    let (parsed_tx, parsed_rx) = channel::bounded::<Record>(QUEUE);
    let (enriched_tx, enriched_rx) = channel::bounded::<Record>(QUEUE);

    let read = thread::Builder::new()
        .name("read".into())
        .spawn(move || {
            let mut id = 0;
            loop {
                // Cancelled once `main` drops the sender; nothing is ever sent on it.
                match cancel_rx.try_recv() {
                    Err(error) if error.is_empty() => {}
                    _ => break,
                }
                thread::sleep(Duration::from_micros(500)); // reading the next record
                if raw_tx.send(Record { id, value: id }).is_err() {
                    break;
                }
                id += 1;
            }
            id
        })
        .expect("spawn the read stage");
    let parse = spawn_stage("parse", raw_rx, parsed_tx, parse);
    let enrich = spawn_stage("enrich", parsed_rx, enriched_tx, enrich);
    let write = thread::Builder::new()
        .name("write".into())
        .spawn(move || {
            let mut written = 0u64;
            let mut last_id = None;
            while let Ok(record) = enriched_rx.recv() {
                spin_for(Duration::from_micros(100));
                written += 1;
                last_id = Some(record.id);
            }
            (written, last_id)
        })
        .expect("spawn the write stage");

    thread::sleep(Duration::from_millis(40));
    let cancelled_at = started.elapsed();
    drop(cancel_tx); // Cancel: `read` stops, and the closing channels carry it down the line.

    let read_count = read.join().expect("read panicked");
    let parsed = parse.join().expect("parse panicked");
    let enriched = enrich.join().expect("enrich panicked");
    let (written, _last_id) = write.join().expect("write panicked");
    let drained_in = started.elapsed() - cancelled_at;
    println!(
        "pipeline: 4 stages, {read_count} read, {parsed} parsed, {enriched} enriched, {written} written; cancelled at {} ms, drained in {} ms",
        cancelled_at.as_millis(),
        drained_in.as_millis()
    );
}
