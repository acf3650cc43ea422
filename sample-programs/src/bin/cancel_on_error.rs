//! # Cancel on error (an error group)
//!
//! The pattern: four tasks work on shards of a job; the first one to fail cancels its siblings,
//! which notice at their next checkpoint and stop promptly instead of finishing useless work.
//! Every task reports its outcome on one channel; `main` (the group) cancels on the first real
//! error by dropping the sender of a cancellation channel — every task's `try_recv` on it then
//! says "disconnected" — and keeps receiving until every task has reported, then joins them.
//!
//! What the viewer should show: `task-0` … `task-3` working in 1 ms chunks (sleeps) with a
//! `try_recv` checkpoint between chunks; `task-2` failing about 8 ms in; `main` woken by its
//! report and dropping the cancellation sender; the three siblings each exiting within a chunk
//! after that. No leaks, no deadlocks, no lints (checkpoints are separated by sleeps).

use std::fmt;
use std::time::{Duration, Instant};

use weft_recorder::channel::{self, Receiver};
use weft_recorder::thread;

const TASKS: usize = 4;
const CHUNKS: u32 = 40;
const FAILING_TASK: usize = 2;
const FAILING_CHUNK: u32 = 8;

/// Why a task stopped early.
#[derive(Debug)]
enum TaskError {
    /// Its own work failed.
    Failed(String),
    /// A sibling failed and the group cancelled it.
    Cancelled { after_chunks: u32 },
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Failed(reason) => write!(f, "failed: {reason}"),
            TaskError::Cancelled { after_chunks } => {
                write!(f, "cancelled after {after_chunks} chunks")
            }
        }
    }
}

/// True once the group has cancelled: the cancellation sender is gone.
fn is_cancelled(cancel: &Receiver<()>) -> bool {
    matches!(cancel.try_recv(), Err(error) if error.is_disconnected())
}

/// One task's work: `CHUNKS` chunks of 1 ms I/O, checking for cancellation between chunks.
fn process_shard(shard: usize, cancel: &Receiver<()>) -> Result<u32, TaskError> {
    for chunk in 0..CHUNKS {
        if is_cancelled(cancel) {
            return Err(TaskError::Cancelled {
                after_chunks: chunk,
            });
        }
        thread::sleep(Duration::from_millis(1));
        if shard == FAILING_TASK && chunk == FAILING_CHUNK {
            return Err(TaskError::Failed(format!(
                "checksum mismatch in shard {shard}"
            )));
        }
    }
    Ok(CHUNKS)
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (cancel_tx, cancel_rx) = channel::bounded::<()>(0);
    let (outcome_tx, outcome_rx) = channel::unbounded::<(usize, Result<u32, TaskError>)>();
    let tasks: Vec<_> = (0..TASKS)
        .map(|shard| {
            let cancel = cancel_rx.clone();
            let outcomes = outcome_tx.clone();
            thread::Builder::new()
                .name(format!("task-{shard}"))
                .spawn(move || {
                    let _ = outcomes.send((shard, process_shard(shard, &cancel)));
                })
                .expect("spawn a task")
        })
        .collect();
    drop(outcome_tx);

    let mut cancel_tx = Some(cancel_tx);
    let mut first_error = None;
    let mut cancelled_at = None;
    let mut stopped_early = 0;
    while let Ok((shard, outcome)) = outcome_rx.recv() {
        match outcome {
            Err(TaskError::Failed(reason)) if first_error.is_none() => {
                first_error = Some((shard, reason, started.elapsed()));
                cancelled_at = Some(Instant::now());
                drop(cancel_tx.take()); // Cancel the siblings.
            }
            Err(TaskError::Cancelled { .. }) => stopped_early += 1,
            Err(error) => eprintln!("cancel_on_error: task-{shard} {error}"),
            Ok(_) => {}
        }
    }
    for task in tasks {
        task.join().expect("a task panicked");
    }
    let all_stopped_in = cancelled_at.map_or(Duration::ZERO, |at| at.elapsed());
    match first_error {
        Some((shard, reason, after)) => println!(
            "cancel_on_error: task-{shard} failed ({reason}) after {} ms; {stopped_early} of {} siblings cancelled, all stopped {} ms later",
            after.as_millis(),
            TASKS - 1,
            all_stopped_in.as_millis()
        ),
        None => println!("cancel_on_error: all {TASKS} tasks succeeded"),
    }
}
