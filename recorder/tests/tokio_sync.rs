//! The `weft_recorder::tokio::sync` wrappers: the exact channel events of mpsc, broadcast, watch
//! and Notify on their immediate, waiting, cancelled and disconnected paths, and the task each
//! is attributed to (the tokio task under `tokio_unstable`, the polling thread without it).
//!
//! Runs on a current-thread runtime, where the order of events is deterministic.
#![cfg(feature = "tokio")]

mod tokio_support;

use std::collections::HashSet;
use std::time::Duration;

use tokio_support::{assert_site, line_of, record_runtime, Canon};
use weft_recorder::event::{ChanFlavor, EventKind, EventKind::*, ObjectId, Outcome, Side, TaskId};
use weft_recorder::format::Trace;
use weft_recorder::tokio::sync::{broadcast, mpsc, watch, Notify};
use weft_recorder::tokio::{current_thread, UNSTABLE};

const OK: Outcome = Outcome::Ok;
const GONE: Outcome = Outcome::Disconnected;

/// Records `body` on a current-thread runtime.
fn record<F: std::future::Future>(body: impl FnOnce() -> F) -> (Trace, TaskId) {
    record_runtime(current_thread, |_| {}, body)
}

/// The object an event is about, if it is a channel event.
fn object(kind: &EventKind) -> Option<ObjectId> {
    Some(match *kind {
        ChanCreate { chan, .. }
        | Send { chan, .. }
        | SendBegin { chan }
        | SendEnd { chan, .. }
        | TrySend { chan, .. }
        | Recv { chan, .. }
        | RecvBegin { chan }
        | RecvEnd { chan, .. }
        | TryRecv { chan, .. }
        | ChanDisconnect { chan, .. }
        | RecvLagged { chan, .. } => chan,
        WaitCancel { object } => object,
        _ => return None,
    })
}

/// The events on the channels the run created, as `(task, kind)`, renumbered with the main
/// task as 1.
fn channel_events(trace: &Trace, main: TaskId) -> Vec<(u64, EventKind)> {
    let channels: HashSet<ObjectId> = trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            ChanCreate { chan, .. } => Some(chan),
            _ => None,
        })
        .collect();
    let mut canon = Canon::with_tasks(&[main]);
    canon.events(
        trace
            .events
            .iter()
            .filter(|e| object(&e.kind).is_some_and(|o| channels.contains(&o))),
    )
}

/// Just the kinds.
fn kinds(events: &[(u64, EventKind)]) -> Vec<EventKind> {
    events.iter().map(|(_, k)| *k).collect()
}

fn bounded(chan: u64, cap: u64) -> EventKind {
    ChanCreate {
        chan,
        flavor: ChanFlavor::Bounded,
        cap,
    }
}

fn gone(chan: u64, side: Side) -> EventKind {
    ChanDisconnect { chan, side }
}

#[test]
fn mpsc_send_waits_while_full_and_the_waiting_task_owns_the_wait() {
    let (trace, main) = record(|| async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.send(1).await.unwrap();
        let sender = tx.clone();
        let task = tokio::spawn(async move { sender.send(2).await.unwrap() }); // WAITING SEND
        tokio::task::yield_now().await; // the task finds the channel full
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2)); // empty until the task is polled again
        task.await.unwrap();
    });
    let events = channel_events(&trace, main);
    assert_eq!(
        kinds(&events),
        vec![
            bounded(1, 1),
            Send { chan: 1, msg: 1 },
            SendBegin { chan: 1 },
            Recv { chan: 1, msg: 1 },
            RecvBegin { chan: 1 },
            SendEnd {
                chan: 1,
                msg: 2,
                outcome: OK
            },
            RecvEnd {
                chan: 1,
                msg: 2,
                outcome: OK
            },
            gone(1, Side::Receiver),
            gone(1, Side::Sender),
        ]
    );
    // The waiting send is the spawned task's (under tokio_unstable) or the thread's.
    let waiter = if UNSTABLE { 2 } else { 1 };
    let owners: Vec<u64> = events
        .iter()
        .filter(|(_, k)| matches!(k, SendBegin { .. } | SendEnd { .. }))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(owners, vec![waiter, waiter]);
    let begin = trace
        .events
        .iter()
        .find(|e| matches!(e.kind, SendBegin { .. }))
        .unwrap();
    let line = line_of(include_str!("tokio_sync.rs"), "// WAITING SEND");
    assert_site(&trace, begin, "tokio_sync.rs", line);
}

#[test]
fn mpsc_disconnections_end_waits_and_fail_sends_and_tries_say_why() {
    let (trace, main) = record(|| async {
        // A receive waiting when the last sender goes.
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let task = tokio::spawn(async move { rx.recv().await });
        tokio::task::yield_now().await;
        drop(tx);
        assert_eq!(task.await.unwrap(), None);
        // A send after the receiver closed; closing records the disconnect once.
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        assert!(matches!(
            rx.try_recv(),
            Err(mpsc::error::TryRecvError::Empty)
        ));
        tx.try_send(1).unwrap();
        assert!(matches!(
            tx.try_send(2),
            Err(mpsc::error::TrySendError::Full(2))
        ));
        rx.close();
        assert_eq!(tx.send(3).await.unwrap_err().0, 3);
        assert_eq!(rx.recv().await, Some(1));
        drop(tx);
        assert!(matches!(
            rx.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
    });
    let try_send = |msg, outcome| TrySend {
        chan: 2,
        msg,
        outcome,
    };
    let try_recv = |msg, outcome| TryRecv {
        chan: 2,
        msg,
        outcome,
    };
    assert_eq!(
        kinds(&channel_events(&trace, main)),
        vec![
            bounded(1, 1),
            RecvBegin { chan: 1 },
            gone(1, Side::Sender),
            RecvEnd {
                chan: 1,
                msg: 0,
                outcome: GONE
            },
            gone(1, Side::Receiver),
            bounded(2, 1),
            try_recv(0, Outcome::Empty),
            try_send(1, OK),
            try_send(0, Outcome::Full),
            gone(2, Side::Receiver),
            SendEnd {
                chan: 2,
                msg: 0,
                outcome: GONE
            },
            Recv { chan: 2, msg: 1 },
            gone(2, Side::Sender),
            try_recv(0, GONE),
        ]
    );
}

#[test]
fn a_wait_dropped_by_select_or_ended_by_a_timeout_says_so() {
    let (trace, main) = record(|| async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tokio::select! {
            _ = rx.recv() => unreachable!("nothing is sent"),
            _ = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
        tx.send(1).await.unwrap();
        let late = tx.send_timeout(2, Duration::from_millis(10)).await;
        assert!(matches!(
            late,
            Err(mpsc::error::SendTimeoutError::Timeout(2))
        ));
        drop(rx);
    });
    assert_eq!(
        kinds(&channel_events(&trace, main)),
        vec![
            bounded(1, 1),
            RecvBegin { chan: 1 },
            WaitCancel { object: 1 },
            Send { chan: 1, msg: 1 },
            SendBegin { chan: 1 },
            SendEnd {
                chan: 1,
                msg: 0,
                outcome: Outcome::Timeout
            },
            gone(1, Side::Receiver),
            gone(1, Side::Sender),
        ]
    );
}

#[test]
fn unbounded_sends_never_wait() {
    let (trace, main) = record(|| async {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let task = tokio::spawn(async move { rx.recv().await });
        tokio::task::yield_now().await;
        tx.send(1).unwrap();
        assert_eq!(task.await.unwrap(), Some(1));
        assert_eq!(tx.send(2).unwrap_err().0, 2);
    });
    assert_eq!(
        kinds(&channel_events(&trace, main)),
        vec![
            ChanCreate {
                chan: 1,
                flavor: ChanFlavor::Unbounded,
                cap: 0
            },
            RecvBegin { chan: 1 },
            Send { chan: 1, msg: 1 },
            RecvEnd {
                chan: 1,
                msg: 1,
                outcome: OK
            },
            gone(1, Side::Receiver),
            SendEnd {
                chan: 1,
                msg: 0,
                outcome: GONE
            },
            gone(1, Side::Sender),
        ]
    );
}

#[test]
fn broadcast_receivers_see_each_message_by_id_and_lag_is_recorded() {
    let (trace, main) = record(|| async {
        let (tx, mut first) = broadcast::channel::<u32>(1);
        let mut second = tx.subscribe();
        tx.send(1).unwrap();
        assert_eq!(first.recv().await.unwrap(), 1);
        assert_eq!(second.recv().await.unwrap(), 1);
        tx.send(2).unwrap();
        tx.send(3).unwrap(); // `first` misses 2
        assert!(matches!(
            first.recv().await,
            Err(broadcast::error::RecvError::Lagged(1))
        ));
        assert_eq!(first.recv().await.unwrap(), 3);
        drop(tx);
        assert!(matches!(
            first.recv().await,
            Err(broadcast::error::RecvError::Closed)
        ));
        drop((first, second));
    });
    assert_eq!(
        kinds(&channel_events(&trace, main)),
        vec![
            bounded(1, 1),
            Send { chan: 1, msg: 1 },
            Recv { chan: 1, msg: 1 },
            Recv { chan: 1, msg: 1 },
            Send { chan: 1, msg: 2 },
            Send { chan: 1, msg: 3 },
            RecvLagged { chan: 1, missed: 1 },
            Recv { chan: 1, msg: 3 },
            gone(1, Side::Sender),
            RecvEnd {
                chan: 1,
                msg: 0,
                outcome: GONE
            },
            gone(1, Side::Receiver),
        ]
    );
}

#[test]
fn watch_changes_carry_the_number_of_the_value_seen() {
    let (trace, main) = record(|| async {
        let (tx, mut rx) = watch::channel(0u32);
        tx.send(1).unwrap();
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 1);
        let mut waiter = rx.clone();
        let task = tokio::spawn(async move {
            waiter.changed().await.unwrap();
            let seen = *waiter.borrow_and_update();
            seen
        });
        tokio::task::yield_now().await;
        assert!(!tx.send_if_modified(|_| false)); // not a new value: not recorded
        tx.send_modify(|v| *v = 2);
        assert_eq!(task.await.unwrap(), 2);
        assert_eq!(*rx.borrow_and_update(), 2);
        drop(tx);
        assert!(rx.changed().await.is_err());
    });
    assert_eq!(
        kinds(&channel_events(&trace, main)),
        vec![
            bounded(1, 1),
            Send { chan: 1, msg: 1 },
            Recv { chan: 1, msg: 1 },
            RecvBegin { chan: 1 },
            Send { chan: 1, msg: 2 },
            RecvEnd {
                chan: 1,
                msg: 2,
                outcome: OK
            },
            gone(1, Side::Sender),
            RecvEnd {
                chan: 1,
                msg: 0,
                outcome: GONE
            },
            gone(1, Side::Receiver),
        ]
    );
}

#[test]
fn notify_records_permits_waits_notifications_and_abandoned_waits() {
    let (trace, main) = record(|| async {
        let notify = std::sync::Arc::new(Notify::new());
        notify.notify_one(); // stores a permit
        notify.notified().await;
        let shared = notify.clone();
        let task = tokio::spawn(async move { shared.notified().await });
        tokio::task::yield_now().await;
        notify.notify_waiters();
        task.await.unwrap();
        tokio::select! {
            _ = notify.notified() => unreachable!("nobody notifies"),
            _ = tokio::task::yield_now() => {}
        }
    });
    assert_eq!(
        kinds(&channel_events(&trace, main)),
        vec![
            bounded(1, 1),
            Send { chan: 1, msg: 1 },
            Recv { chan: 1, msg: 1 },
            RecvBegin { chan: 1 },
            Send { chan: 1, msg: 2 },
            RecvEnd {
                chan: 1,
                msg: 2,
                outcome: OK
            },
            RecvBegin { chan: 1 },
            WaitCancel { object: 1 },
        ]
    );
}

#[test]
fn the_wrappers_work_unchanged_without_a_recording() {
    let _no_session = weft_recorder::testing::exclusive();
    let rt = current_thread().build().unwrap();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let task = tokio::spawn(async move { rx.recv().await });
        tx.send(5).await.unwrap();
        assert_eq!(task.await.unwrap(), Some(5));
        let (btx, mut brx) = broadcast::channel::<u32>(2);
        btx.send(6).unwrap();
        assert_eq!(brx.recv().await.unwrap(), 6);
        let (wtx, mut wrx) = watch::channel(0);
        wtx.send(7).unwrap();
        wrx.changed().await.unwrap();
        assert_eq!(*wrx.borrow(), 7);
        let notify = Notify::new();
        notify.notify_one();
        notify.notified().await;
    });
}
