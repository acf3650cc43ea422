//! # Backpressure
//!
//! The pattern: a fast producer (50 µs per item) feeds a slow consumer (1 ms per item) through a
//! bounded channel of capacity 4. Once the queue is full the producer's `send` blocks until the
//! consumer takes an item, so the producer runs at the consumer's pace and memory stays bounded
//! (an unbounded channel would instead grow without limit).
//!
//! What the viewer should show: `producer` filling the queue at once, then spending most of the
//! run blocked on `send`, each send released by one of `consumer`'s `recv`s (send → recv links);
//! the channel's depth pinned at 4. No leaks, no deadlocks, no lints.

use std::time::{Duration, Instant};

use weft_recorder::{channel, thread};
use weft_samples::work::spin_for;

const CAPACITY: usize = 4;
const ITEMS: u64 = 60;

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (tx, rx) = channel::bounded::<u64>(CAPACITY);
    let producer = thread::Builder::new()
        .name("producer".into())
        .spawn(move || {
            let mut time_blocked = Duration::ZERO;
            for item in 0..ITEMS {
                spin_for(Duration::from_micros(50)); // producing is fast
                let sending = Instant::now();
                if tx.send(item).is_err() {
                    break;
                }
                time_blocked += sending.elapsed();
            }
            time_blocked
        })
        .expect("spawn the producer");
    let consumer = thread::Builder::new()
        .name("consumer".into())
        .spawn(move || {
            let mut consumed = 0u64;
            while rx.recv().is_ok() {
                thread::sleep(Duration::from_millis(1)); // consuming is slow
                consumed += 1;
            }
            consumed
        })
        .expect("spawn the consumer");

    let time_blocked = producer.join().expect("the producer panicked");
    let consumed = consumer.join().expect("the consumer panicked");
    let elapsed = started.elapsed();
    println!(
        "backpressure: {consumed} items through a queue of {CAPACITY} in {} ms; the producer spent {} ms blocked on send",
        elapsed.as_millis(),
        time_blocked.as_millis()
    );
}
