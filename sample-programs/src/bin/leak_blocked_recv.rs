//! # Leak: a receive that will never get a message
//!
//! The pitfall: a `config-watcher` thread waits for reload signals on a channel and would stop
//! when the channel closes — but the sender was put in a global (`RELOAD`) so any code can ask for
//! a reload, and a global is never dropped. Nothing happens to send a reload in this run, so the
//! watcher waits in `recv` forever, and shutdown, which stops the other background thread
//! properly, forgets it. The healthy twin, `metrics-flusher`, owns nothing global: `main` drops
//! its stop sender at shutdown and the flusher's `recv_timeout` ends with a disconnection.
//!
//! What the viewer should show: `config-watcher` blocked on `recv` at the line marked
//! `weft:leak-recv` from its start to the end of the trace — one leak, blocked on a channel whose
//! sender is alive but never used; `metrics-flusher` waking every 5 ms (timeouts) to flush, then
//! exiting at shutdown; `main` handling requests, joining the flusher, returning. No deadlock, no
//! lints.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use weft_recorder::channel::{self, Receiver, Sender};
use weft_recorder::thread;
use weft_samples::work::spin_for;

/// Anyone may ask for a configuration reload through this sender; it lives forever.
static RELOAD: OnceLock<Sender<()>> = OnceLock::new();

/// Reloads the configuration on every signal; returns when the signal channel closes.
fn watch_config(reload_rx: Receiver<()>) -> u32 {
    let mut reloads = 0u32;
    loop {
        let signal = reload_rx.recv(); // weft:leak-recv
        if signal.is_err() {
            return reloads;
        }
        spin_for(Duration::from_micros(200)); // re-read the configuration
        reloads += 1;
    }
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (reload_tx, reload_rx) = channel::unbounded::<()>(); // weft:reload-channel
    let _ = RELOAD.set(reload_tx);
    let _detached = thread::Builder::new()
        .name("config-watcher".into())
        .spawn(move || watch_config(reload_rx)) // weft:spawn-watcher
        .expect("spawn the config watcher");

    let (stop_tx, stop_rx) = channel::bounded::<()>(0);
    let flusher = thread::Builder::new()
        .name("metrics-flusher".into())
        .spawn(move || {
            let mut flushes = 0u32;
            loop {
                match stop_rx.recv_timeout(Duration::from_millis(5)) {
                    Err(error) if error.is_timeout() => {
                        spin_for(Duration::from_micros(100)); // flush the counters
                        flushes += 1;
                    }
                    _ => return flushes,
                }
            }
        })
        .expect("spawn the metrics flusher");

    for _request in 0..6 {
        thread::sleep(Duration::from_millis(5)); // serving a request
    }

    // Shutdown: stop and join the flusher. The watcher is forgotten; joining it would hang.
    drop(stop_tx);
    let flushes = flusher.join().expect("the metrics flusher panicked");
    println!(
        "leak_blocked_recv: served 6 requests, metrics flushed {flushes} times; config-watcher left blocked on recv after {} ms",
        started.elapsed().as_millis()
    );
}
