//! # Busy waiting on `try_recv`
//!
//! The pitfall: a consumer polls its channel with `try_recv` in a loop, spinning a few
//! microseconds between polls instead of blocking in `recv`. It reacts no faster — a blocked
//! `recv` wakes as soon as a message arrives — but it burns a core the whole time, and on a busy
//! machine it steals that core from the producer it is waiting for. The fix is a blocking `recv`
//! (or `recv_timeout` when there is something else to do).
//!
//! What the viewer should show: `consumer` running without a break for the whole run, thousands
//! of empty `try_recv`s at the line marked `weft:busy-poll` between five real messages; `producer`
//! sending one message every 5 ms and then closing the channel. The lint `busy_wait` points at
//! the poll. No leaks, no deadlocks.

use std::time::{Duration, Instant};

use weft_recorder::{channel, thread};
use weft_samples::work::spin_for;

const MESSAGES: u64 = 5;

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (tx, rx) = channel::unbounded::<u64>();
    let producer = thread::Builder::new()
        .name("producer".into())
        .spawn(move || {
            for message in 0..MESSAGES {
                thread::sleep(Duration::from_millis(5));
                if tx.send(message).is_err() {
                    break;
                }
            }
        })
        .expect("spawn the producer");
    let consumer = thread::Builder::new()
        .name("consumer".into())
        .spawn(move || {
            let (mut received, mut empty_polls) = (0u64, 0u64);
            loop {
                let polled = rx.try_recv(); // weft:busy-poll
                match polled {
                    Ok(_) => received += 1,
                    Err(error) if error.is_empty() => {
                        empty_polls += 1;
                        spin_for(Duration::from_micros(10)); // the "pause" between polls
                    }
                    Err(_) => return (received, empty_polls),
                }
            }
        })
        .expect("spawn the consumer");

    producer.join().expect("the producer panicked");
    let (received, empty_polls) = consumer.join().expect("the consumer panicked");
    println!(
        "busy_wait: consumer polled an empty channel {empty_polls} times to receive {received} messages in {} ms (a blocking recv would not have spun at all)",
        started.elapsed().as_millis()
    );
}
