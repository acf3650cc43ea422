//! # Sending on a disconnected channel
//!
//! The pitfall: a `logger` task writes the lines it receives and returns when it sees "shutdown
//! requested" — but the application keeps logging during its cleanup. The logger's receiver is
//! gone, so those sends fail with `SendError` (the message comes back in the error). Unlike Go,
//! where sending on a closed channel panics, Rust surfaces this as an error value — easy to
//! ignore with `let _ =`, which loses the lines silently. This sample counts them instead.
//!
//! What the viewer should show: `logger` receiving three lines and exiting (its receiver
//! disconnects); `main` joining it, then two sends at the line marked `weft:send-disconnected`
//! failing at once with "disconnected". The lint `send_on_disconnected` points at that line. No
//! leaks, no deadlocks.

use std::time::{Duration, Instant};

use weft_recorder::{channel, thread};

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (log_tx, log_rx) = channel::unbounded::<String>();
    let logger = thread::Builder::new()
        .name("logger".into())
        .spawn(move || {
            let mut written = Vec::new();
            while let Ok(line) = log_rx.recv() {
                thread::sleep(Duration::from_micros(200)); // writing the line out
                let quitting = line == "shutdown requested";
                written.push(line);
                if quitting {
                    break; // The bug: the application is not done logging yet.
                }
            }
            written.len()
        })
        .expect("spawn the logger");

    let mut lost = 0;
    let mut log = |line: &str| {
        let sent = log_tx.send(line.to_owned()); // weft:send-disconnected
        if sent.is_err() {
            lost += 1;
        }
    };
    log("starting");
    log("configuration loaded");
    log("shutdown requested");
    let written = logger.join().expect("the logger panicked"); // let the log flush
    log("closing connections");
    log("bye");

    println!(
        "send_on_disconnected: logger wrote {written} lines and quit; {lost} later lines were lost (send failed: receiver disconnected) in {} ms",
        started.elapsed().as_millis()
    );
}
