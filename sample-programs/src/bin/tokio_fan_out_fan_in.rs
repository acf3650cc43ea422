//! # Tokio fan-out, fan-in with a `JoinSet`
//!
//! The pattern: one request is split into parts fetched concurrently — one task per part,
//! spawned into a `tokio::task::JoinSet` — and the answers are combined as they complete
//! (`join_next`), in whatever order they finish. The set owns the tasks: dropping it would abort
//! the unfinished ones, so nothing can outlive the request.
//!
//! What the viewer should show (with `--cfg tokio_unstable`): sixteen short-lived tasks spawned
//! at one site in a burst, each polled twice around a timer wait of 2 to 5 ms (its I/O), spread
//! over the runtime's workers; `main`'s future woken once per finished part. Every task
//! terminates: no leaks, no lints.

use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use weft_samples::work::{digest, spin_for};

const PARTS: u64 = 16;

/// Fetches one part: an I/O wait whose length depends on the part, then a little parsing.
async fn fetch(part: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(2 + part % 4)).await;
    spin_for(Duration::from_micros(200));
    digest(part)
}

async fn request() -> (u64, u64) {
    let mut parts = JoinSet::new();
    for part in 0..PARTS {
        parts.spawn(fetch(part)); // weft:spawn-part
    }
    let (mut received, mut combined) = (0, 0u64);
    while let Some(answer) = parts.join_next().await {
        received += 1;
        combined ^= answer.expect("a part panicked");
    }
    (received, combined)
}

fn main() {
    let started = Instant::now();
    let (received, combined) = weft_recorder::tokio::run(request()); // records when WEFT_TRACE is set
    println!(
        "tokio_fan_out_fan_in: combined {received} of {PARTS} parts in {} ms ({combined:016x})",
        started.elapsed().as_millis()
    );
}
