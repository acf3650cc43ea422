//! # Deadlock: two locks taken in opposite orders
//!
//! The pitfall: a transfer (`run_transfer`) locks the source account, then the destination. Two
//! transfers in opposite directions run at once: `transfer-to-savings` holds `checking` and wants
//! `savings`, `transfer-to-checking` holds `savings` and wants `checking`. Each waits for the
//! other forever. (A barrier makes this interleaving certain so the sample always hangs; in real
//! programs it is a matter of timing.) The fix is one global lock order — e.g. by account id —
//! whatever the direction of the transfer.
//!
//! What the viewer should show: both `transfer-*` tasks take their first lock, then each waits
//! on a lock at the line marked `weft:lock-to` for the rest of the trace — an actual deadlock,
//! the cycle `transfer-to-savings → savings → transfer-to-checking → checking →
//! transfer-to-savings`, and therefore also a lock-order inversion; both tasks are leaks; each
//! lock is held for the whole run while the other task waits on it (`lock_held_long`). `main`
//! waits 300 ms for the transfers to report, gives up and returns without joining them.

use std::time::{Duration, Instant};

use weft_recorder::channel::{self, Sender};
use weft_recorder::sync::{Arc, Barrier, Mutex};
use weft_recorder::thread;
use weft_samples::work::spin_for;

/// An account balance in cents.
type Account = Arc<Mutex<i64>>;

/// One transfer: what it moves, and how it reports.
struct Transfer {
    name: &'static str,
    from: Account,
    to: Account,
    amount: i64,
    both_hold_their_first_lock: Arc<Barrier>,
    done: Sender<&'static str>,
}

/// Moves the money, locking the source account first — the bug.
fn run_transfer(transfer: Transfer) {
    let mut from_balance = transfer.from.lock().unwrap();
    spin_for(Duration::from_micros(200)); // check the balance
    transfer.both_hold_their_first_lock.wait();
    let mut to_balance = transfer.to.lock().unwrap(); // weft:lock-to
    *from_balance -= transfer.amount;
    *to_balance += transfer.amount;
    let _ = transfer.done.send(transfer.name);
}

/// Runs `transfer` on a thread of its own, named after it (not joined: it may never finish).
fn spawn_transfer(transfer: Transfer) {
    let _detached = thread::Builder::new()
        .name(transfer.name.into())
        .spawn(move || run_transfer(transfer)) // weft:spawn-transfer
        .expect("spawn a transfer");
}

fn main() {
    let _guard = weft_recorder::init();
    let started = Instant::now();

    let checking: Account = Arc::new(Mutex::new(10_000)); // weft:account-checking
    let savings: Account = Arc::new(Mutex::new(50_000)); // weft:account-savings
    let both_hold_their_first_lock = Arc::new(Barrier::new(2));
    let (done_tx, done_rx) = channel::unbounded::<&'static str>();
    spawn_transfer(Transfer {
        name: "transfer-to-savings",
        from: Arc::clone(&checking),
        to: Arc::clone(&savings),
        amount: 3_000,
        both_hold_their_first_lock: Arc::clone(&both_hold_their_first_lock),
        done: done_tx.clone(),
    });
    spawn_transfer(Transfer {
        name: "transfer-to-checking",
        from: Arc::clone(&savings),
        to: Arc::clone(&checking),
        amount: 2_000,
        both_hold_their_first_lock,
        done: done_tx,
    });

    // A watchdog: wait for both transfers, but not forever.
    let deadline = Instant::now() + Duration::from_millis(300);
    let mut finished = 0;
    while finished < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match done_rx.recv_timeout(left) {
            Ok(_) => finished += 1,
            Err(_) => break,
        }
    }
    if finished == 2 {
        println!("deadlock_lock_order: both transfers finished (the deadlock did not happen)");
    } else {
        println!(
            "deadlock_lock_order: deadlocked: {finished} of 2 transfers finished after {} ms; the others stay blocked on each other's lock",
            started.elapsed().as_millis()
        );
    }
}
