//! # Singleflight
//!
//! The pattern: many concurrent requests for the same key should cause one computation, not one
//! each. The first request for a key (the leader) registers an in-flight call in a map and
//! computes; requests that find the call in flight wait on its condition variable and share the
//! leader's result. The map lock is held only to look up or remove an entry — never while
//! computing — and the result lock only to store or read the value.
//!
//! What the viewer should show: eight `request-i` tasks starting together; for each of the two
//! keys one leader sleeping 20 ms (the slow lookup) while the other requests for that key sit in
//! a condvar wait; one `notify_all` per key waking them all at once. Two computations for eight
//! requests. No leaks, no deadlocks, no lints.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use weft_recorder::sync::{Arc, Barrier, Condvar, Mutex};
use weft_recorder::thread;

/// One in-flight computation that followers wait for.
struct Call {
    result: Mutex<Option<String>>,
    done: Condvar,
}

/// Deduplicates concurrent calls by key.
struct Group {
    in_flight: Mutex<HashMap<String, Arc<Call>>>,
}

impl Group {
    fn new() -> Self {
        Group {
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Returns `compute(key)`, computed once for all the callers that overlap; the flag is true
    /// for a caller that shared another's computation.
    fn get(&self, key: &str, compute: impl FnOnce(&str) -> String) -> (String, bool) {
        let (call, leader) = {
            let mut in_flight = self.in_flight.lock().unwrap();
            match in_flight.get(key) {
                Some(call) => (Arc::clone(call), false),
                None => {
                    let call = Arc::new(Call {
                        result: Mutex::new(None),
                        done: Condvar::new(),
                    });
                    in_flight.insert(key.to_owned(), Arc::clone(&call));
                    (call, true)
                }
            }
        };
        if leader {
            let value = compute(key);
            *call.result.lock().unwrap() = Some(value.clone());
            self.in_flight.lock().unwrap().remove(key);
            call.done.notify_all();
            return (value, false);
        }
        let mut result = call.result.lock().unwrap();
        loop {
            if let Some(value) = result.as_ref() {
                return (value.clone(), true);
            }
            result = call.done.wait(result).unwrap();
        }
    }
}

const REQUEST_KEYS: [&str; 8] = [
    "user:42", "user:42", "user:7", "user:42", "user:42", "user:7", "user:42", "user:42",
];

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let group = Arc::new(Group::new());
    let computations = Arc::new(AtomicUsize::new(0));
    let start_together = Arc::new(Barrier::new(REQUEST_KEYS.len()));
    let requests: Vec<_> = REQUEST_KEYS
        .iter()
        .enumerate()
        .map(|(index, &key)| {
            let group = Arc::clone(&group);
            let computations = Arc::clone(&computations);
            let start_together = Arc::clone(&start_together);
            thread::Builder::new()
                .name(format!("request-{index}"))
                .spawn(move || {
                    start_together.wait();
                    group.get(key, |key| {
                        computations.fetch_add(1, Ordering::Relaxed);
                        thread::sleep(Duration::from_millis(20)); // the slow lookup
                        format!("profile of {key}")
                    })
                })
                .expect("spawn a request")
        })
        .collect();

    let mut shared = 0;
    for request in requests {
        let (_value, was_shared) = request.join().expect("a request panicked");
        shared += usize::from(was_shared);
    }
    println!(
        "singleflight: {} requests for 2 keys, {} computations, {shared} requests shared a result, in {} ms",
        REQUEST_KEYS.len(),
        computations.load(Ordering::Relaxed),
        started.elapsed().as_millis()
    );
}
