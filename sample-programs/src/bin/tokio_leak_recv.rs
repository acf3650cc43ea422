//! # Tokio leak: a task awaiting a channel that never sends
//!
//! The pitfall: a `config-watcher` task waits for reload requests on a channel whose sender is
//! kept "for later" in the application state and never used. The task never finishes — it
//! cannot even be told to stop — and in a long-running service such tasks pile up.
//!
//! The trace ends while `main`'s runtime is still up (the recording guard is dropped before the
//! runtime shuts down, which would cancel the task and hide the leak — as a real leak lives
//! until the process exits).
//!
//! What the viewer should show (with `--cfg tokio_unstable`): the watcher polled once, then
//! waiting on `recv` (at the `weft:leak-recv` line, on the channel made at
//! `weft:reload-channel`) until the end, with the channel's sender still alive: a leak. The
//! other work finishes normally.

use std::time::{Duration, Instant};

use weft_recorder::tokio::sync::mpsc;
use weft_samples::work::digest;

/// What the application keeps around.
struct App {
    /// Kept "for later"; nothing ever sends on it.
    reload: mpsc::Sender<()>,
}

async fn run() -> (App, u64) {
    let (reload, mut reload_requests) = mpsc::channel::<()>(1); // weft:reload-channel
    let config_watcher = async move {
        loop {
            let request = reload_requests.recv().await; // weft:leak-recv
            if request.is_none() {
                break;
            }
            println!("tokio_leak_recv: reloading the configuration");
        }
    };
    tokio::spawn(config_watcher); // weft:spawn-watcher
    let mut checksum = 0;
    for request in 0..20 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        checksum ^= digest(request);
    }
    (App { reload }, checksum)
}

fn main() {
    let weft = weft_recorder::tokio::init();
    let started = Instant::now();
    let runtime = weft_recorder::tokio::runtime()
        .build()
        .expect("a tokio runtime");
    let (app, checksum) = runtime.block_on(run());
    println!(
        "tokio_leak_recv: served 20 requests in {} ms ({checksum:016x}); the config watcher \
         still waits (reload sender alive: {})",
        started.elapsed().as_millis(),
        !app.reload.is_closed()
    );
    // End the trace with the watcher still waiting; shutting the runtime down would cancel it.
    drop(weft);
}
