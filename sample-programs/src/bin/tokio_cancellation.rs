//! # Tokio cancellation with a token and `select!`
//!
//! The pattern: long-running tasks that stop promptly when asked. A cancellation token — here a
//! `watch` channel of `bool`, wrapped in a small `CancelToken` type — is cloned into every task,
//! and each wait the task makes is raced against `token.cancelled()` in `tokio::select!`: the
//! first branch to finish wins and the other future is dropped. `main` lets the tasks work for
//! a while, cancels, and awaits them all: shutdown takes one wake-up, not one more job.
//!
//! What the viewer should show (with `--cfg tokio_unstable`): three workers receiving jobs and
//! a `janitor` task sleeping in long (1 s) intervals; at the cancellation every one of them is
//! woken by `main`'s send on the token channel, its pending `recv` or sleep ends with a
//! cancelled wait (`WaitCancel`), and it terminates within a poll. No leaks, no lints.

use std::time::{Duration, Instant};

use weft_recorder::tokio::sync::{mpsc, watch};
use weft_samples::work::{digest, spin_for};

/// Cancels every clone at once.
#[derive(Clone)]
struct CancelToken {
    cancelled: watch::Receiver<bool>,
}

/// Owned by whoever may cancel.
struct CancelSource {
    cancel: watch::Sender<bool>,
}

fn cancel_token() -> (CancelSource, CancelToken) {
    let (cancel, cancelled) = watch::channel(false);
    (CancelSource { cancel }, CancelToken { cancelled })
}

impl CancelSource {
    fn cancel(&self) {
        self.cancel.send_replace(true);
    }
}

impl CancelToken {
    /// Completes once cancelled (at once if it already is).
    async fn cancelled(&mut self) {
        // An error means the source is gone, which cancels too.
        let _ = self.cancelled.wait_for(|&cancelled| cancelled).await;
    }
}

async fn worker(mut jobs: mpsc::Receiver<u64>, mut token: CancelToken) -> u64 {
    let mut done = 0;
    loop {
        tokio::select! {
            _ = token.cancelled() => return done,
            job = jobs.recv() => match job {
                Some(job) => {
                    spin_for(Duration::from_micros(200));
                    let _ = digest(job);
                    done += 1;
                }
                None => return done,
            },
        }
    }
}

async fn janitor(mut token: CancelToken) -> u64 {
    let mut sweeps = 0;
    loop {
        tokio::select! {
            _ = token.cancelled() => return sweeps,
            _ = tokio::time::sleep(Duration::from_secs(1)) => sweeps += 1,
        }
    }
}

async fn run() -> u64 {
    let (source, token) = cancel_token();
    let mut queues = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let (tx, rx) = mpsc::channel(8);
        queues.push(tx);
        tasks.push(tokio::spawn(worker(rx, token.clone())));
    }
    tasks.push(tokio::spawn(janitor(token)));

    // Feed jobs for a while, then cancel everything mid-stream.
    let deadline = Instant::now() + Duration::from_millis(40);
    let mut job = 0u64;
    while Instant::now() < deadline {
        let _ = queues[job as usize % queues.len()].send(job).await;
        job += 1;
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    source.cancel();

    let mut total = 0;
    for task in tasks {
        total += task.await.expect("a task panicked");
    }
    total
}

fn main() {
    let _weft = weft_recorder::tokio::init();
    let started = Instant::now();
    let handled = weft_recorder::tokio::runtime()
        .build()
        .expect("a tokio runtime")
        .block_on(run());
    println!(
        "tokio_cancellation: 4 tasks stopped promptly after {handled} jobs and sweeps, \
         {} ms in all",
        started.elapsed().as_millis()
    );
}
