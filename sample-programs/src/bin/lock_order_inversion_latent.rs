//! # A latent lock-order inversion
//!
//! The pitfall, not yet biting: the same transfer code as `deadlock_lock_order` — lock the
//! source account, then the destination — run in both directions. Here the second transfer starts
//! 30 ms after the first, which by then has long finished, so this run does not hang. Under other
//! timing (load, a slower first transfer, more transfers) the two would overlap and deadlock.
//!
//! What the viewer should show: `transfer-to-savings` taking `checking` then `savings`; later
//! `transfer-to-checking` taking `savings` then `checking`; both finish, nobody ever waits. No
//! leaks, no deadlocks, no lints — but one potential deadlock: the lock-order graph has the cycle
//! `checking → savings → checking`, found although the run did not hang.

use std::time::{Duration, Instant};

use weft_recorder::sync::{Arc, Mutex};
use weft_recorder::thread::{self, JoinHandle};
use weft_samples::work::spin_for;

/// An account balance in cents.
type Account = Arc<Mutex<i64>>;

/// Moves `amount` from `from` to `to` on a new thread after `start_after`, locking `from` first.
fn spawn_transfer(
    name: &str,
    from: Account,
    to: Account,
    amount: i64,
    start_after: Duration,
) -> JoinHandle<()> {
    thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            thread::sleep(start_after);
            let mut from_balance = from.lock().unwrap();
            spin_for(Duration::from_micros(200)); // check the balance
            let mut to_balance = to.lock().unwrap();
            *from_balance -= amount;
            *to_balance += amount;
        })
        .expect("spawn a transfer")
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let checking: Account = Arc::new(Mutex::new(10_000));
    let savings: Account = Arc::new(Mutex::new(50_000));
    let first = spawn_transfer(
        "transfer-to-savings",
        Arc::clone(&checking),
        Arc::clone(&savings),
        3_000,
        Duration::ZERO,
    );
    let second = spawn_transfer(
        "transfer-to-checking",
        Arc::clone(&savings),
        Arc::clone(&checking),
        2_000,
        Duration::from_millis(30),
    );
    first.join().expect("a transfer panicked");
    second.join().expect("a transfer panicked");

    let checking = *checking.lock().unwrap();
    let savings = *savings.lock().unwrap();
    println!(
        "lock_order_inversion_latent: both transfers done in {} ms (checking {}.{:02}, savings {}.{:02}); they lock in opposite orders but did not overlap this run",
        started.elapsed().as_millis(),
        checking / 100,
        checking % 100,
        savings / 100,
        savings % 100
    );
}
