//! # A lock held across a blocking wait
//!
//! The pitfall: a read-through cache. On a miss, a reader asks the `backend` task for the value
//! and waits for the answer on a channel — while still holding the cache's lock. The backend takes
//! 5 ms per answer, and for those 5 ms every other reader, even one whose key is cached, is stuck
//! waiting for the lock. The fix: release the lock before fetching (and, to avoid duplicate
//! fetches, use a singleflight — see that sample).
//!
//! What the viewer should show: the three `reader-i` tasks; the one holding the cache lock
//! (created at `weft:cache-lock`) blocked on `recv` at the line marked `weft:recv-under-lock`
//! while the others wait on `lock`; `backend` sleeping 5 ms per request in between. Lints:
//! `lock_held_while_blocking` (the `recv` with the lock held) and `lock_held_long` (5 ms holds
//! with readers waiting). No leaks, no deadlocks: the backend exits when the last reader drops
//! its request sender.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use weft_recorder::channel::{self, Sender};
use weft_recorder::sync::{Arc, Mutex};
use weft_recorder::thread;

const READERS: usize = 3;

/// A request to the backend: the key and where to send its value.
struct Fetch {
    key: u32,
    reply: Sender<String>,
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let (fetch_tx, fetch_rx) = channel::unbounded::<Fetch>();
    let backend = thread::Builder::new()
        .name("backend".into())
        .spawn(move || {
            let mut served = 0u32;
            while let Ok(fetch) = fetch_rx.recv() {
                thread::sleep(Duration::from_millis(5)); // the database query
                let _ = fetch.reply.send(format!("value of key {}", fetch.key));
                served += 1;
            }
            served
        })
        .expect("spawn the backend");

    let cache = Arc::new(Mutex::new(HashMap::<u32, String>::new())); // weft:cache-lock
    let readers: Vec<_> = (0..READERS as u32)
        .map(|index| {
            let cache = Arc::clone(&cache);
            let fetch_tx = fetch_tx.clone();
            thread::Builder::new()
                .name(format!("reader-{index}"))
                .spawn(move || {
                    let mut misses = 0u32;
                    for key in [index, index + 10, index, (index + 1) % READERS as u32] {
                        let mut cache = cache.lock().unwrap();
                        if cache.contains_key(&key) {
                            continue;
                        }
                        misses += 1;
                        let (reply_tx, reply_rx) = channel::bounded::<String>(1);
                        let request = Fetch {
                            key,
                            reply: reply_tx,
                        };
                        if fetch_tx.send(request).is_err() {
                            break;
                        }
                        // The bug: waiting for the backend with the cache lock held.
                        let Ok(value) = reply_rx.recv() else { break }; // weft:recv-under-lock
                        cache.insert(key, value);
                    }
                    misses
                })
                .expect("spawn a reader")
        })
        .collect();
    drop(fetch_tx);

    let misses: u32 = readers
        .into_iter()
        .map(|reader| reader.join().expect("a reader panicked"))
        .sum();
    let served = backend.join().expect("the backend panicked");
    println!(
        "lock_held_while_blocking: {READERS} readers, {misses} cache misses ({served} backend fetches) in {} ms, each fetch made with the cache lock held",
        started.elapsed().as_millis()
    );
}
