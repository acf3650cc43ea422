//! Behaviour tests ported from crossbeam-channel's and std's own suites, for what
//! `primitives.rs` does not already cover: select fairness, disconnection, timeouts and
//! deadlines, `try_*` variants (on rendezvous channels and contended locks), poisoning through
//! condition variables, and park tokens. Each body runs twice — with no session, then under a
//! recording session — and must behave the same: tracing must not change what a program does.

use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use weft_recorder::channel::{
    bounded, select, unbounded, RecvError, RecvTimeoutError, SendError, SendTimeoutError,
    TryRecvError, TrySendError,
};
use weft_recorder::event::EventKind;
use weft_recorder::sync::{Arc, Condvar, Mutex, RwLock, TryLockError};
use weft_recorder::{testing, thread};

/// Runs `body` with no session, then under a recording session, and checks that the recorded
/// run did record this thread's operations.
fn with_and_without_recording(body: impl Fn()) {
    {
        let _no_session = testing::exclusive();
        body();
    }
    let mut me = 0;
    let trace = testing::record(|| {
        me = thread::current().task_id();
        body();
    });
    assert!(
        trace
            .events
            .iter()
            .any(|e| e.task == me && !matches!(e.kind, EventKind::TaskStart { .. })),
        "the recorded run recorded nothing"
    );
}

/// Polls `f` until it returns `Some`, for at most five seconds.
fn eventually<T>(mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting");
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ---- select fairness (crossbeam: select_macro.rs fairness1, fairness2) ----

#[test]
fn select_picks_among_ready_receive_arms_at_random() {
    const COUNT: usize = 4_000;
    with_and_without_recording(|| {
        let (tx1, rx1) = bounded::<()>(COUNT);
        let (tx2, rx2) = unbounded::<()>();
        for _ in 0..COUNT {
            tx1.send(()).unwrap();
            tx2.send(()).unwrap();
        }
        // Both channels stay ready throughout: a biased select would always take one arm.
        let mut hits = [0usize; 2];
        for _ in 0..COUNT {
            select! {
                recv(rx1) -> msg => { msg.unwrap(); hits[0] += 1 }
                recv(rx2) -> msg => { msg.unwrap(); hits[1] += 1 }
            }
        }
        assert!(
            hits.iter().all(|&h| h >= COUNT / hits.len() / 2),
            "hits {hits:?}"
        );
    });
}

#[test]
fn select_picks_among_ready_send_arms_at_random() {
    const COUNT: usize = 4_000;
    with_and_without_recording(|| {
        let (tx1, rx1) = unbounded::<usize>();
        let (tx2, rx2) = bounded::<usize>(COUNT);
        for i in 0..COUNT {
            select! {
                send(tx1, i) -> res => res.unwrap(),
                send(tx2, i) -> res => res.unwrap(),
            }
        }
        let hits = [rx1.len(), rx2.len()];
        assert_eq!(hits[0] + hits[1], COUNT);
        assert!(
            hits.iter().all(|&h| h >= COUNT / hits.len() / 2),
            "hits {hits:?}"
        );
    });
}

#[test]
fn select_stays_fair_when_another_thread_selects_on_the_sending_side() {
    const COUNT: usize = 2_000;
    with_and_without_recording(|| {
        let (tx1, rx1) = unbounded::<()>();
        let (tx2, rx2) = bounded::<()>(1);
        let (tx3, rx3) = bounded::<()>(0);
        let hits = thread::scope(|s| {
            s.spawn(|| {
                // A channel nobody receives from stands in for a buffered channel that is
                // not empty, so the sender offers at most one message per channel at a time.
                let (hole, _keep_open) = bounded::<()>(0);
                for _ in 0..COUNT {
                    let to1 = if tx1.is_empty() { &tx1 } else { &hole };
                    let to2 = if tx2.is_empty() { &tx2 } else { &hole };
                    select! {
                        send(to1, ()) -> res => res.unwrap(),
                        send(to2, ()) -> res => res.unwrap(),
                        send(tx3, ()) -> res => res.unwrap(),
                    }
                }
            });
            let mut hits = [0usize; 3];
            for _ in 0..COUNT {
                select! {
                    recv(rx1) -> _ => hits[0] += 1,
                    recv(rx2) -> _ => hits[1] += 1,
                    recv(rx3) -> _ => hits[2] += 1,
                }
            }
            hits
        });
        // crossbeam's own bound: no arm starves.
        assert!(
            hits.iter().all(|&h| h >= COUNT / hits.len() / 50),
            "hits {hits:?}"
        );
    });
}

// ---- disconnection ----

#[test]
fn a_blocked_select_is_woken_by_a_disconnect_and_the_disconnected_arm_wins() {
    with_and_without_recording(|| {
        let (tx1, rx1) = unbounded::<i32>();
        let (_tx2, rx2) = unbounded::<i32>();
        let dropper = thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            drop(tx1);
        });
        let got = select! {
            recv(rx1) -> msg => msg,
            recv(rx2) -> _ => panic!("nothing is sent on rx2"),
            default(Duration::from_secs(5)) => panic!("the disconnect must wake the select"),
        };
        assert_eq!(got, Err(RecvError));
        dropper.join().unwrap();
    });
}

#[test]
fn dropping_one_of_several_senders_does_not_disconnect() {
    with_and_without_recording(|| {
        let (tx, rx) = unbounded::<i32>();
        let other = tx.clone();
        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        other.send(1).unwrap();
        assert_eq!(rx.recv(), Ok(1));
        // The same for receivers.
        let rx2 = rx.clone();
        drop(rx);
        other.send(2).unwrap();
        assert_eq!(rx2.recv(), Ok(2));
        drop(rx2);
        assert_eq!(other.send(3), Err(SendError(3)));
    });
}

#[test]
fn sends_fail_once_every_receiver_is_gone_even_with_room_and_hand_the_value_back() {
    with_and_without_recording(|| {
        let (tx, rx) = bounded::<String>(10);
        tx.send("queued".into()).unwrap();
        drop(rx);
        assert_eq!(tx.send("a".into()), Err(SendError("a".into())));
        assert_eq!(
            tx.try_send("b".into()),
            Err(TrySendError::Disconnected("b".into()))
        );
        assert_eq!(
            tx.send_timeout("c".into(), Duration::from_secs(1)),
            Err(SendTimeoutError::Disconnected("c".into()))
        );
        assert!(tx.try_send("d".into()).unwrap_err().is_disconnected());
        assert_eq!(tx.len(), 1, "the queued message is still counted");
    });
}

#[test]
fn a_rendezvous_receiver_is_woken_by_the_last_sender_leaving() {
    with_and_without_recording(|| {
        let (tx, rx) = bounded::<i32>(0);
        let receiver = thread::spawn(move || {
            let first = rx.recv();
            let second = rx.recv_timeout(Duration::from_secs(5));
            (first, second)
        });
        tx.send(1).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        drop(tx);
        assert_eq!(
            receiver.join().unwrap(),
            (Ok(1), Err(RecvTimeoutError::Disconnected))
        );
    });
}

// ---- timeouts and deadlines ----

#[test]
fn timeouts_wait_at_least_their_duration_and_past_deadlines_fail_at_once() {
    const WAIT: Duration = Duration::from_millis(30);
    with_and_without_recording(|| {
        let (tx, rx) = bounded::<i32>(1);

        let start = Instant::now();
        assert_eq!(rx.recv_timeout(WAIT), Err(RecvTimeoutError::Timeout));
        assert!(start.elapsed() >= WAIT);

        tx.send(1).unwrap(); // now full
        let start = Instant::now();
        assert_eq!(tx.send_timeout(2, WAIT), Err(SendTimeoutError::Timeout(2)));
        assert!(start.elapsed() >= WAIT);

        let start = Instant::now();
        let timed_out = select! {
            send(tx, 3) -> _ => false,
            default(WAIT) => true,
        };
        assert!(timed_out && start.elapsed() >= WAIT);

        // A deadline already past: no wait at all, but a ready operation still succeeds.
        let past = Instant::now() - Duration::from_secs(1);
        assert_eq!(tx.send_deadline(4, past), Err(SendTimeoutError::Timeout(4)));
        assert_eq!(rx.recv_deadline(past), Ok(1));
        assert_eq!(rx.recv_deadline(past), Err(RecvTimeoutError::Timeout));
        assert_eq!(
            rx.recv_timeout(Duration::ZERO),
            Err(RecvTimeoutError::Timeout)
        );
        tx.send(5).unwrap();
        assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(5));

        // A message arriving during the wait ends it early.
        let sender = thread::spawn({
            let tx = tx.clone();
            move || {
                std::thread::sleep(Duration::from_millis(10));
                tx.send(6).unwrap();
            }
        });
        let start = Instant::now();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(6));
        assert!(start.elapsed() < Duration::from_secs(5));
        sender.join().unwrap();
    });
}

#[test]
fn lock_and_condvar_timeouts_behave_like_std() {
    with_and_without_recording(|| {
        // wait_timeout_while returns as soon as the condition holds, and times out otherwise.
        let state = Arc::new((Mutex::new(false), Condvar::new()));
        let notifier = thread::spawn({
            let state = state.clone();
            move || {
                std::thread::sleep(Duration::from_millis(10));
                *state.0.lock().unwrap() = true;
                state.1.notify_one();
            }
        });
        let (guard, result) = state
            .1
            .wait_timeout_while(state.0.lock().unwrap(), Duration::from_secs(5), |ready| {
                !*ready
            })
            .unwrap();
        assert!(*guard && !result.timed_out());
        drop(guard);
        notifier.join().unwrap();

        let start = Instant::now();
        let (guard, result) = state
            .1
            .wait_timeout_while(
                state.0.lock().unwrap(),
                Duration::from_millis(20),
                |ready| *ready,
            )
            .unwrap();
        assert!(result.timed_out() && *guard);
        assert!(start.elapsed() >= Duration::from_millis(20));
    });
}

// ---- try_* variants ----

#[test]
fn try_operations_on_a_rendezvous_channel_need_a_waiting_partner() {
    with_and_without_recording(|| {
        let (tx, rx) = bounded::<i32>(0);
        assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));

        // With a receiver blocked in recv, try_send hands over directly.
        let receiver = thread::spawn({
            let rx = rx.clone();
            move || rx.recv()
        });
        eventually(|| tx.try_send(2).ok());
        assert_eq!(receiver.join().unwrap(), Ok(2));

        // With a sender blocked in send, try_recv takes its value.
        let sender = thread::spawn({
            let tx = tx.clone();
            move || tx.send(3)
        });
        assert_eq!(eventually(|| rx.try_recv().ok()), 3);
        assert_eq!(sender.join().unwrap(), Ok(()));

        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn try_lock_variants_fail_while_another_thread_holds_the_lock() {
    with_and_without_recording(|| {
        let mutex = Arc::new(Mutex::new(0));
        let lock = Arc::new(RwLock::new(0));
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = thread::spawn({
            let (mutex, lock) = (mutex.clone(), lock.clone());
            move || {
                let _m = mutex.lock().unwrap();
                let _r = lock.read().unwrap();
                held_tx.send(()).unwrap();
                release_rx.recv().unwrap();
            }
        });
        held_rx.recv().unwrap();
        assert!(matches!(mutex.try_lock(), Err(TryLockError::WouldBlock)));
        assert!(matches!(lock.try_write(), Err(TryLockError::WouldBlock)));
        // Readers share.
        assert_eq!(*lock.try_read().unwrap(), 0);
        release_tx.send(()).unwrap();
        holder.join().unwrap();
        *mutex.try_lock().unwrap() += 1;
        *lock.try_write().unwrap() += 1;
        // A writer excludes readers.
        let writer = lock.write().unwrap();
        let blocked = thread::scope(|s| {
            s.spawn(|| matches!(lock.try_read(), Err(TryLockError::WouldBlock)))
                .join()
                .unwrap()
        });
        assert!(blocked);
        drop(writer);
        assert_eq!((*mutex.lock().unwrap(), *lock.read().unwrap()), (1, 1));
    });
}

// ---- poisoning (std: sync/mutex/tests.rs, sync/condvar/tests.rs) ----

#[test]
fn a_panicking_wait_while_condition_poisons_the_mutex() {
    with_and_without_recording(|| {
        let pair = Arc::new((Mutex::new(0), Condvar::new()));
        let result = thread::spawn({
            let pair = pair.clone();
            move || {
                let (lock, cv) = &*pair;
                let _guard = cv
                    .wait_while(lock.lock().unwrap(), |_| panic!("condition panics"))
                    .unwrap();
            }
        })
        .join();
        assert!(result.is_err());
        assert!(pair.0.is_poisoned());
        let err = pair.0.lock().unwrap_err();
        assert_eq!(**err.get_ref(), 0);
    });
}

#[test]
fn a_condvar_waiter_gets_its_guard_back_inside_the_poison_error() {
    with_and_without_recording(|| {
        let pair = Arc::new((Mutex::new(0), Condvar::new()));
        let (waiting_tx, waiting_rx) = std::sync::mpsc::channel();
        let waiter = thread::spawn({
            let pair = pair.clone();
            move || {
                let (lock, cv) = &*pair;
                let mut guard = lock.lock().unwrap();
                waiting_tx.send(()).unwrap();
                // Woken after another thread poisoned the mutex: Err, with the guard inside.
                loop {
                    match cv.wait(guard) {
                        Ok(g) => guard = g,
                        Err(poisoned) => {
                            let mut g = poisoned.into_inner();
                            *g += 10;
                            return *g;
                        }
                    }
                }
            }
        });
        waiting_rx.recv().unwrap();
        let poisoner = thread::spawn({
            let pair = pair.clone();
            move || {
                let _guard = pair.0.lock().unwrap();
                pair.1.notify_all();
                panic!("poison while the waiter waits");
            }
        });
        assert!(poisoner.join().is_err());
        assert_eq!(waiter.join().unwrap(), 10);
        let mut err = pair.0.lock().unwrap_err();
        assert_eq!(**err.get_mut(), 10);
    });
}

#[test]
fn a_panic_in_another_thread_poisons_an_rwlock_for_readers_and_writers() {
    with_and_without_recording(|| {
        let lock = Arc::new(RwLock::new(1));
        let result = thread::spawn({
            let lock = lock.clone();
            move || {
                let mut guard = lock.write().unwrap();
                *guard = 2;
                panic!("poison the rwlock");
            }
        })
        .join();
        assert!(result.is_err());
        assert_eq!(*lock.read().unwrap_err().into_inner(), 2);
        assert_eq!(*lock.write().unwrap_err().into_inner(), 2);
        assert!(matches!(lock.try_read(), Err(TryLockError::Poisoned(_))));
        // A panicking reader elsewhere does not poison a clean lock.
        let clean = Arc::new(RwLock::new(0));
        let _ = thread::spawn({
            let clean = clean.clone();
            move || {
                let _guard = clean.read().unwrap();
                panic!("reader");
            }
        })
        .join();
        assert!(!clean.is_poisoned());
        // catch_unwind on the same thread poisons too, and the data stays reachable.
        let mutex = Mutex::new(vec![1]);
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            let mut guard = mutex.lock().unwrap();
            guard.push(2);
            panic!("same thread");
        }));
        assert_eq!(*mutex.lock().unwrap_err().into_inner(), [1, 2]);
    });
}

// ---- park tokens (std: thread/tests.rs) ----

#[test]
fn unparks_before_a_park_coalesce_into_one_token() {
    with_and_without_recording(|| {
        let me = thread::current();
        me.unpark();
        me.unpark();
        thread::park(); // consumes the one token at once
        let start = Instant::now();
        thread::park_timeout(Duration::from_millis(20)); // no token left: waits it out
        assert!(start.elapsed() >= Duration::from_millis(20));

        // An unpark from another thread wakes a park.
        let parked = thread::current();
        let unparker = thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            parked.unpark();
        });
        let start = Instant::now();
        thread::park_timeout(Duration::from_secs(5));
        assert!(start.elapsed() < Duration::from_secs(5));
        unparker.join().unwrap();
    });
}
