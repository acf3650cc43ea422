//! # One-time initialisation
//!
//! The pattern: a value (here a configuration that takes 15 ms to load) is initialised on first
//! use, and many threads race to be first. Exactly one runs the initialiser; the others wait for
//! it and then all share the same value. `std::sync::OnceLock` does this; it is spelled out here
//! with the recorder's `Mutex` and `Condvar` so the waiting is visible in the trace: the winner
//! marks the cell "running", releases the lock and loads without holding it; the losers wait on
//! the condition variable until the winner publishes the value and calls `notify_all`.
//!
//! What the viewer should show: eight `caller-i` tasks starting together; one of them sleeping
//! 15 ms in the initialiser; the seven others in a condvar wait for those 15 ms, all woken by one
//! `notify_all`. The lock is only ever held for a moment. No leaks, no deadlocks, no lints.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use weft_recorder::sync::{Arc, Barrier, Condvar, Mutex};
use weft_recorder::thread;

const CALLERS: usize = 8;

/// Where a lazily initialised value stands.
enum State<T> {
    Uninitialised,
    Running,
    Ready(Arc<T>),
}

/// A value initialised once, on first use, by whichever caller gets there first.
struct InitOnce<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

impl<T> InitOnce<T> {
    fn new() -> Self {
        InitOnce {
            state: Mutex::new(State::Uninitialised),
            ready: Condvar::new(),
        }
    }

    /// The value, running `init` first if nobody has yet. (A panicking `init` would leave the
    /// cell "running" forever; `OnceLock` handles that case, this sample does not need to.)
    fn get_or_init(&self, init: impl FnOnce() -> T) -> Arc<T> {
        let mut state = self.state.lock().unwrap();
        loop {
            match &*state {
                State::Ready(value) => return Arc::clone(value),
                State::Running => state = self.ready.wait(state).unwrap(),
                State::Uninitialised => {
                    *state = State::Running;
                    drop(state); // Never hold the lock while initialising.
                    let value = Arc::new(init());
                    *self.state.lock().unwrap() = State::Ready(Arc::clone(&value));
                    self.ready.notify_all();
                    return value;
                }
            }
        }
    }
}

/// The expensive value.
struct Config {
    shards: usize,
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let config = Arc::new(InitOnce::<Config>::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let start_together = Arc::new(Barrier::new(CALLERS));
    let callers: Vec<_> = (0..CALLERS)
        .map(|index| {
            let config = Arc::clone(&config);
            let runs = Arc::clone(&runs);
            let start_together = Arc::clone(&start_together);
            thread::Builder::new()
                .name(format!("caller-{index}"))
                .spawn(move || {
                    start_together.wait();
                    let config = config.get_or_init(|| {
                        runs.fetch_add(1, Ordering::Relaxed);
                        thread::sleep(Duration::from_millis(15)); // loading from disk
                        Config { shards: 16 }
                    });
                    Arc::as_ptr(&config) as usize
                })
                .expect("spawn a caller")
        })
        .collect();

    let seen: Vec<usize> = callers
        .into_iter()
        .map(|caller| caller.join().expect("a caller panicked"))
        .collect();
    let all_same = seen.windows(2).all(|pair| pair[0] == pair[1]);
    let shards = config.get_or_init(|| Config { shards: 0 }).shards;
    println!(
        "once_init: {CALLERS} threads raced, the initialiser ran {} time(s), {} one config ({shards} shards), in {} ms",
        runs.load(Ordering::Relaxed),
        if all_same { "all shared" } else { "NOT all shared" },
        started.elapsed().as_millis()
    );
}
