//! # Thread per item vs a bounded pool
//!
//! The pitfall and its fix, side by side, on the same work: a server has 200 client connections,
//! and each client sends one request that takes 20 ms of I/O to serve. First one thread per
//! connection: a handler is spawned as each client connects and waits for that client's request,
//! so by the time the requests arrive there are 200 threads alive at once — the thread count
//! grows with the load (each costs a stack and scheduler work; a bigger burst exhausts the
//! machine). Then the same 200 requests go through a bounded queue to a pool of 16 workers: the
//! thread count stays fixed whatever the load.
//!
//! What the viewer should show: first a wall of 200 `conn-i` tasks, all alive together, each
//! blocked on `recv` until its request arrives, then sleeping 20 ms and exiting — the
//! `unbounded_spawning` lint, pointing at the spawn site marked `weft:spawn-handler`; then 16
//! `pool-i` tasks taking requests from the queue one after the other. No leaks, no deadlocks; the
//! only lint is `unbounded_spawning`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use weft_recorder::channel::{self, Receiver};
use weft_recorder::sync::Arc;
use weft_recorder::thread;
use weft_samples::work::{digest, spin_for};

const REQUESTS: u64 = 200;
const POOL_WORKERS: usize = 16;

/// Serving one request: 20 ms of I/O and a little parsing.
fn handle(request: u64) -> u64 {
    thread::sleep(Duration::from_millis(20));
    spin_for(Duration::from_micros(20));
    digest(request)
}

/// Counts live threads and remembers the peak.
#[derive(Default)]
struct LiveCounter {
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl LiveCounter {
    fn enter(&self) {
        let live = self.live.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(live, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's handler: waits for the client's request and serves it.
fn serve_connection(request_rx: Receiver<u64>, counter: &LiveCounter) -> u64 {
    counter.enter();
    let result = request_rx.recv().map(handle).unwrap_or(0);
    counter.leave();
    result
}

/// One thread per connection: as many threads as clients, all alive at once.
fn thread_per_connection() -> (u64, usize) {
    let counter = Arc::new(LiveCounter::default());
    let mut connections = Vec::new();
    let handlers: Vec<_> = (0..REQUESTS)
        .map(|client| {
            let counter = Arc::clone(&counter);
            let (request_tx, request_rx) = channel::bounded::<u64>(1);
            connections.push(request_tx);
            thread::Builder::new()
                .name(format!("conn-{client}"))
                .spawn(move || serve_connection(request_rx, &counter)) // weft:spawn-handler
                .expect("spawn a connection handler")
        })
        .collect();
    // Every client is connected; now their requests arrive.
    for (request, connection) in (0..REQUESTS).zip(&connections) {
        let _ = connection.send(request);
    }
    let checksum = handlers
        .into_iter()
        .map(|handler| handler.join().expect("a connection handler panicked"))
        .fold(0, u64::wrapping_add);
    (checksum, counter.peak.load(Ordering::SeqCst))
}

/// A fixed pool draining a bounded queue: the thread count does not depend on the input.
fn bounded_pool() -> (u64, usize) {
    let counter = Arc::new(LiveCounter::default());
    let (request_tx, request_rx) = channel::bounded::<u64>(POOL_WORKERS);
    let workers: Vec<_> = (0..POOL_WORKERS)
        .map(|index| {
            let requests = request_rx.clone();
            let counter = Arc::clone(&counter);
            thread::Builder::new()
                .name(format!("pool-{index}"))
                .spawn(move || {
                    counter.enter();
                    let mut checksum = 0u64;
                    while let Ok(request) = requests.recv() {
                        checksum = checksum.wrapping_add(handle(request));
                    }
                    counter.leave();
                    checksum
                })
                .expect("spawn a pool worker")
        })
        .collect();
    drop(request_rx);
    for request in 0..REQUESTS {
        if request_tx.send(request).is_err() {
            break;
        }
    }
    drop(request_tx);
    let checksum = workers
        .into_iter()
        .map(|worker| worker.join().expect("a pool worker panicked"))
        .fold(0, u64::wrapping_add);
    (checksum, counter.peak.load(Ordering::SeqCst))
}

fn main() {
    let _guard = weft_recorder::init();

    let started = Instant::now();
    let (per_connection_checksum, per_connection_peak) = thread_per_connection();
    let per_connection_time = started.elapsed();

    let started = Instant::now();
    let (pool_checksum, pool_peak) = bounded_pool();
    let pool_time = started.elapsed();

    println!(
        "bounded_vs_unbounded: {REQUESTS} requests: thread-per-connection peaked at {per_connection_peak} live threads ({} ms), a pool of {POOL_WORKERS} peaked at {pool_peak} ({} ms), same result: {}",
        per_connection_time.as_millis(),
        pool_time.as_millis(),
        per_connection_checksum == pool_checksum
    );
}
