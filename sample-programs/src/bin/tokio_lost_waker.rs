//! # Tokio lost waker
//!
//! The pitfall: a hand-written future that returns `Poll::Pending` without arranging to be
//! woken. `FlagSet::poll` checks a flag and, when it is not set yet, just returns `Pending` —
//! it neither stores `cx.waker()` anywhere the flag's setter could find it nor wakes it later.
//! The `opener` task sets the flag 10 ms later, but nothing wakes the `waiter`: tokio never
//! polls it again, and it waits forever although what it waits for has happened.
//!
//! The trace ends while the runtime is still up (the recording guard is dropped first; shutting
//! the runtime down would cancel the waiter and hide the leak).
//!
//! What the viewer should show (with `--cfg tokio_unstable`): the waiter polled once, then idle
//! to the end with no waker left (it never cloned one: no `WakerClone` for it) and no wait
//! recorded — a lost waker, which is a leak with nothing to wake it. The opener sets the flag
//! and terminates.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Completes once `flag` is set — written wrong: see `poll`.
struct FlagSet {
    flag: Arc<AtomicBool>,
}

impl Future for FlagSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.flag.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            // The bug: `Pending` without keeping `_cx.waker()` for whoever sets the flag.
            Poll::Pending
        }
    }
}

async fn run() -> bool {
    let flag = Arc::new(AtomicBool::new(false));
    let waiter_flag = flag.clone();
    let wait_for_flag = async move {
        FlagSet { flag: waiter_flag }.await; // weft:lost-await
    };
    let waiter = tokio::spawn(wait_for_flag); // weft:spawn-waiter
    let opener = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        flag.store(true, Ordering::Release); // nobody to wake
    });
    opener.await.expect("the opener panicked");
    // Give the waiter every chance: it is never polled again.
    tokio::time::sleep(Duration::from_millis(50)).await;
    waiter.is_finished()
}

fn main() {
    let weft = weft_recorder::tokio::init();
    let started = Instant::now();
    let runtime = weft_recorder::tokio::runtime()
        .build()
        .expect("a tokio runtime");
    let finished = runtime.block_on(run());
    println!(
        "tokio_lost_waker: the flag was set, yet the waiter {} after {} ms",
        if finished { "finished" } else { "still waits" },
        started.elapsed().as_millis()
    );
    // End the trace with the waiter still idle; shutting the runtime down would cancel it.
    drop(weft);
}
