//! # Rate limiter (token bucket)
//!
//! The pattern: calls to a rate-limited service must stay under 100 per second but may burst up to
//! 5 at once. The bucket is a bounded channel of tokens with capacity 5, full at the start (the
//! burst); a `refill` task adds one token every 10 ms with `try_send` (a full bucket simply drops
//! the token), timing itself with `recv_timeout` on a stop channel — a tick on timeout, an exit on
//! disconnection. Each call first takes a token with a blocking `recv`.
//!
//! What the viewer should show: the three `client-i` tasks making their first calls back to back
//! (the burst), then each call preceded by a `recv` wait of up to 10 ms on the bucket, the calls
//! spaced 10 ms apart across all clients; `refill` waking every 10 ms (a `recv` ending in a
//! timeout) and handing a token to whichever client waits. At the end `main` stops `refill` by
//! dropping the stop sender. No leaks, no deadlocks, no lints.

use std::time::{Duration, Instant};

use weft_recorder::{channel, thread};
use weft_samples::work::spin_for;

const BURST: usize = 5;
const REFILL_EVERY: Duration = Duration::from_millis(10);
const CLIENTS: usize = 3;
const CALLS_PER_CLIENT: usize = 6;

/// Permission for one call.
struct Token;

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (bucket_tx, bucket_rx) = channel::bounded::<Token>(BURST);
    for _ in 0..BURST {
        let _ = bucket_tx.try_send(Token); // Start full: the first calls may burst.
    }
    let (stop_tx, stop_rx) = channel::bounded::<()>(0);

    let refill = thread::Builder::new()
        .name("refill".into())
        .spawn(move || {
            let mut added = 0u32;
            loop {
                match stop_rx.recv_timeout(REFILL_EVERY) {
                    Err(error) if error.is_timeout() => {
                        if bucket_tx.try_send(Token).is_ok() {
                            added += 1;
                        }
                    }
                    _ => return added,
                }
            }
        })
        .expect("spawn the refiller");

    let clients: Vec<_> = (0..CLIENTS)
        .map(|index| {
            let bucket = bucket_rx.clone();
            thread::Builder::new()
                .name(format!("client-{index}"))
                .spawn(move || {
                    let mut longest_wait = Duration::ZERO;
                    for _ in 0..CALLS_PER_CLIENT {
                        let asked = Instant::now();
                        if bucket.recv().is_err() {
                            break;
                        }
                        longest_wait = longest_wait.max(asked.elapsed());
                        spin_for(Duration::from_micros(200)); // the rate-limited call
                    }
                    longest_wait
                })
                .expect("spawn a client")
        })
        .collect();

    let longest_wait = clients
        .into_iter()
        .map(|client| client.join().expect("a client panicked"))
        .max()
        .unwrap_or_default();
    drop(stop_tx); // Stop the refiller; `bucket_rx` stays alive until it has, so it never sends
                   // into a closed bucket.
    let refilled = refill.join().expect("the refiller panicked");
    drop(bucket_rx);

    let calls = CLIENTS * CALLS_PER_CLIENT;
    let elapsed = started.elapsed();
    println!(
        "rate_limiter: {calls} calls in {} ms at <= {}/s with bursts of {BURST} ({refilled} tokens refilled, longest wait {} ms)",
        elapsed.as_millis(),
        1000 / REFILL_EVERY.as_millis(),
        longest_wait.as_millis()
    );
}
