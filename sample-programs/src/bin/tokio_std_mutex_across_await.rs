//! # Tokio: a std `Mutex` held across an `.await`
//!
//! The pitfall: `main`'s future takes a std (blocking) mutex — the recorded
//! `weft_recorder::sync::Mutex`, which is std's — and keeps the guard while it awaits a timer.
//! The await suspends the future but not the lock: it stays held while the runtime runs other
//! tasks (here `ticker`) and while the thread parks. Any task that then asked for the lock would
//! block the thread that must resume the holder — on this current-thread runtime, for ever.
//! (`tokio::spawn` rejects such a future because the guard is not `Send`; `main`'s future and
//! `LocalSet` tasks are where it happens.) The fix: drop the guard before awaiting, or use
//! `tokio::sync::Mutex`.
//!
//! What the viewer should show (with `--cfg tokio_unstable`): the lock taken at
//! `weft:lock-across-await` and released 20 ms later; in between, `main`'s thread polls the
//! ticker and parks — the hold spans an await. Nobody else wants the lock, so nothing waits on
//! it. One lint: lock held across an await, at the lock call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_recorder::sync::Mutex;

async fn ticker() -> u32 {
    let mut ticks = 0;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(3)).await;
        ticks += 1;
    }
    ticks
}

#[allow(clippy::await_holding_lock)] // the pitfall this sample shows
async fn run() -> (u32, usize) {
    let cache = Arc::new(Mutex::new(Vec::<u64>::new())); // weft:cache-lock
    let ticker = tokio::spawn(ticker());
    let mut entries = cache.lock().expect("not poisoned"); // weft:lock-across-await
    tokio::time::sleep(Duration::from_millis(20)).await; // "refreshing" with the lock held
    entries.extend(0..64);
    let size = entries.len();
    drop(entries);
    (ticker.await.expect("the ticker panicked"), size)
}

fn main() {
    let _weft = weft_recorder::tokio::init();
    let started = Instant::now();
    let (ticks, size) = weft_recorder::tokio::current_thread()
        .build()
        .expect("a tokio runtime")
        .block_on(run());
    println!(
        "tokio_std_mutex_across_await: refreshed {size} entries holding a std lock across an \
         await; {ticks} ticks ran meanwhile, {} ms in all",
        started.elapsed().as_millis()
    );
}
