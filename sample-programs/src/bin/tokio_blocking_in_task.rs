//! # Tokio: a blocking call inside a task
//!
//! The pitfall: a task calls a blocking function — here `thread::sleep`, standing for a
//! synchronous file read or a blocking client — in the middle of async code. The call does not
//! yield: the poll lasts as long as the call, and the runtime worker running it can do nothing
//! else meanwhile. On this one-worker runtime the `heartbeat` task, due every 5 ms, is held up
//! for the whole 50 ms. The fix is `tokio::task::spawn_blocking` or an async API.
//!
//! What the viewer should show (with `--cfg tokio_unstable`): one poll of the `report` task
//! lasting about 50 ms, with the blocking sleep (at `weft:blocking-call`) inside it; the
//! worker busy throughout; the heartbeat's timer due meanwhile but the task not polled until the
//! report's poll ends (a long scheduling latency). One lint: a long poll, at the blocking call.

use std::time::{Duration, Instant};

use weft_recorder::thread;

async fn heartbeat(beats: u32) -> Duration {
    let mut worst = Duration::ZERO;
    for _ in 0..beats {
        let due = Instant::now() + Duration::from_millis(5);
        tokio::time::sleep_until(due.into()).await;
        worst = worst.max(due.elapsed());
    }
    worst
}

async fn report() -> usize {
    tokio::time::sleep(Duration::from_millis(10)).await;
    // Reads the "file" synchronously: blocks the worker for 50 ms.
    thread::sleep(Duration::from_millis(50)); // weft:blocking-call
    tokio::task::yield_now().await;
    4096
}

async fn run() -> (Duration, usize) {
    let heartbeat = tokio::spawn(heartbeat(16));
    let report = tokio::spawn(report());
    let bytes = report.await.expect("the report panicked");
    let worst = heartbeat.await.expect("the heartbeat panicked");
    (worst, bytes)
}

fn main() {
    let _weft = weft_recorder::tokio::init();
    let (worst, bytes) = weft_recorder::tokio::runtime()
        .worker_threads(1)
        .build()
        .expect("a tokio runtime")
        .block_on(run());
    println!(
        "tokio_blocking_in_task: read {bytes} bytes; the 5 ms heartbeat was late by up to {} ms",
        worst.as_millis()
    );
}
