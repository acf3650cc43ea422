//! # Object pool
//!
//! The pattern (Go's `sync.Pool` idea): buffers are expensive to allocate and cheap to reuse, so
//! workers take one from a shared free list, use it, clear it and give it back; a new buffer is
//! allocated only when the free list is empty. The free list's lock is held just long enough to
//! pop or push — the work on the buffer happens outside it.
//!
//! What the viewer should show: four `encoder-i` tasks each encoding 20 messages — a short lock
//! of the pool, 100 µs of encoding (running), a short lock to give the buffer back, then 300 µs
//! of sending (a sleep). Only as many buffers as encoders get allocated; every other use is a
//! reuse. Brief, uncontended holds: no leaks, no deadlocks, no lints.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use weft_recorder::sync::{Arc, Mutex};
use weft_recorder::thread;
use weft_samples::work::{digest, spin_for};

const ENCODERS: usize = 4;
const MESSAGES_PER_ENCODER: u64 = 20;
const BUFFER_BYTES: usize = 64 * 1024;

/// A free list of reusable buffers.
struct BufferPool {
    free: Mutex<Vec<Vec<u8>>>,
    allocated: AtomicUsize,
}

impl BufferPool {
    fn new() -> Self {
        BufferPool {
            free: Mutex::new(Vec::new()),
            allocated: AtomicUsize::new(0),
        }
    }

    /// A buffer from the free list, or a new one when the list is empty.
    fn take(&self) -> Vec<u8> {
        let reused = self.free.lock().unwrap().pop();
        reused.unwrap_or_else(|| {
            self.allocated.fetch_add(1, Ordering::Relaxed);
            Vec::with_capacity(BUFFER_BYTES)
        })
    }

    /// Returns a buffer for reuse.
    fn give(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        self.free.lock().unwrap().push(buffer);
    }
}

/// Encodes message `id` into `buffer`: a little CPU work.
fn encode(id: u64, buffer: &mut Vec<u8>) {
    buffer.extend_from_slice(&digest(id).to_le_bytes());
    buffer.resize(4096, (id % 251) as u8);
    spin_for(Duration::from_micros(100));
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let pool = Arc::new(BufferPool::new());
    let encoders: Vec<_> = (0..ENCODERS)
        .map(|index| {
            let pool = Arc::clone(&pool);
            thread::Builder::new()
                .name(format!("encoder-{index}"))
                .spawn(move || {
                    for message in 0..MESSAGES_PER_ENCODER {
                        let mut buffer = pool.take();
                        encode(index as u64 * 1000 + message, &mut buffer);
                        pool.give(buffer);
                        thread::sleep(Duration::from_micros(300)); // sending the message
                    }
                })
                .expect("spawn an encoder")
        })
        .collect();
    for encoder in encoders {
        encoder.join().expect("an encoder panicked");
    }

    let uses = ENCODERS as u64 * MESSAGES_PER_ENCODER;
    let allocated = pool.allocated.load(Ordering::Relaxed);
    println!(
        "object_pool: {uses} messages encoded with {allocated} buffers ({} reuses) in {} ms",
        uses - allocated as u64,
        started.elapsed().as_millis()
    );
}
