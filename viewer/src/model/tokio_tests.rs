//! The model of tokio runs, built from exact event sequences: task states across polls, worker
//! lanes, wake → poll links, waits that end inside a poll or outlive it, tokio locks.

use weft_recorder::event::{
    ChanFlavor, EventKind as K, LockMode, Outcome, ResourceKind, TOKIO_TASK_BASE,
};

use super::*;
use crate::testkit::TraceBuilder;

/// A runtime worker thread.
const W1: u64 = 1;
/// A second runtime worker thread.
const W2: u64 = 2;
/// Tokio tasks.
const T1: u64 = TOKIO_TASK_BASE + 1;
const T2: u64 = TOKIO_TASK_BASE + 2;
const CH: u64 = 100;
const MUTEX: u64 = 300;
const SLEEP: u64 = 301;
const X: LockMode = LockMode::Exclusive;

fn states(model: &Model, id: u64) -> Vec<(u64, &'static str)> {
    let t = model.task_by_id(id).expect("task exists");
    model
        .timeline(t)
        .spans()
        .map(|s| (s.start, s.state.as_str()))
        .collect()
}

/// The worker lane of `thread`'s worker as (start, task id running or 0 for idle).
fn slots(model: &Model, thread: u64) -> Vec<(u64, u64)> {
    let t = model.task_by_id(thread).expect("thread exists");
    let w = model.task(t).worker.expect("it ran on a worker");
    let lane = model.worker_lane(w);
    (0..lane.len())
        .map(|i| {
            let id = lane.row(i).task().map_or(0, |x| model.task(x).id);
            (lane.start_of(i), id)
        })
        .collect()
}

/// Two runtime workers; `W1` spawns `T1`.
fn runtime(b: &mut TraceBuilder) {
    b.start(0, W1, "tokio-rt-worker")
        .ev(1, W1, 0, K::RuntimeThreadStart)
        .start(2, W2, "tokio-rt-worker")
        .ev(3, W2, 0, K::RuntimeThreadStart)
        .ev(
            4,
            W1,
            10,
            K::ChanCreate {
                chan: CH,
                flavor: ChanFlavor::Bounded,
                cap: 1,
            },
        )
        .ev(5, W1, 11, K::TaskSpawn { child: T1, name: 0 });
}

#[test]
fn an_async_task_runs_while_polled_awaits_between_polls_and_is_runnable_once_woken() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    b.poll_begin(10, W1, T1)
        .ev_on(11, W1, T1, 0, K::WakerClone { task: T1 })
        .ev_on(12, W1, T1, 20, K::RecvBegin { chan: CH })
        .poll_end(14, W1, T1)
        .ev(15, W1, 0, K::WorkerPark)
        // W2's own task sends and wakes T1 (the wake is recorded just before the send).
        .ev(
            30,
            W2,
            0,
            K::TaskWake {
                task: T1,
                consumed: true,
            },
        )
        .ev(31, W2, 21, K::Send { chan: CH, msg: 1 })
        .ev(40, W1, 0, K::WorkerUnpark)
        .poll_begin(45, W1, T1)
        .ev_on(
            46,
            W1,
            T1,
            20,
            K::RecvEnd {
                chan: CH,
                msg: 1,
                outcome: Outcome::Ok,
            },
        )
        .ev_on(47, W1, T1, 0, K::TaskTerminate { task: T1 })
        .poll_end(48, W1, T1)
        .ev(50, W1, 0, K::RuntimeThreadStop);
    let model = Model::from_trace(&b.finish());

    assert_eq!(
        states(&model, T1),
        vec![
            (5, "runnable"),
            (10, "running"),
            (12, "recv"),
            (30, "runnable"),
            (45, "running"),
            (47, "done"),
        ]
    );
    let t1 = model.task_by_id(T1).unwrap();
    assert!(model.task(t1).is_async);
    let polls: Vec<(u64, u64)> = model.polls(t1).iter().map(|p| (p.start, p.end)).collect();
    assert_eq!(polls, vec![(10, 14), (45, 48)]);
    assert!(model.polls(t1).iter().all(|p| p.finished));
    // The worker polls T1, runs its own loop, idles while parked, polls T1 again, stops.
    assert_eq!(
        slots(&model, W1),
        vec![
            (0, W1),
            (10, T1),
            (14, W1),
            (15, 0),
            (40, W1),
            (45, T1),
            (48, W1),
            (50, 0)
        ]
    );
    // The worker thread's own task is not running while the worker polls T1.
    assert_eq!(
        states(&model, W1),
        vec![
            (0, "running"),
            (10, "runnable"),
            (14, "running"),
            (15, "park"),
            (40, "running"),
            (45, "runnable"),
            (48, "running"),
            (50, "done")
        ]
    );
    let parked = model.timeline(model.task_by_id(W1).unwrap()).span(3);
    assert!(parked.idle && parked.has_deadline);

    // The recv span is ended by the wake (scheduling latency 30 → 45 follows), and the poll
    // after it was caused by W2's wake; the message links the send to the receive.
    let wake = model.link(model.waker(t1, 2).expect("the wait has a waker"));
    assert_eq!(wake.kind, LinkKind::Wake);
    let into: Vec<(LinkKind, u64, u64)> = model
        .links_into(t1)
        .iter()
        .map(|&l| model.link(l))
        .map(|l| (l.kind, l.from_ts, l.to_ts))
        .collect();
    assert_eq!(
        into,
        vec![
            (LinkKind::Spawn, 5, 10),
            (LinkKind::Wake, 30, 45),
            (LinkKind::Message, 31, 46)
        ]
    );
    assert_eq!(model.task(t1).live_wakers, Some(0));
    assert!(model.records_wakers());
}

#[test]
fn a_blocking_call_inside_a_poll_blocks_the_task_and_keeps_its_worker() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    b.poll_begin(10, W1, T1)
        .ev_on(11, W1, T1, 30, K::SleepBegin { ns: 50 })
        .ev_on(61, W1, T1, 30, K::SleepEnd)
        .poll_end(70, W1, T1);
    let model = Model::from_trace(&b.finish());
    assert_eq!(
        states(&model, T1),
        vec![
            (5, "runnable"),
            (10, "running"),
            (11, "sleep"),
            (61, "running"),
            // Nothing registered: an `.await` the recorder cannot see into.
            (70, "await"),
        ]
    );
    // The worker is T1's for the whole poll, blocked or not.
    assert_eq!(slots(&model, W1), vec![(0, W1), (10, T1), (70, W1)]);
    // No waker events anywhere in the trace: the count is unknown, not zero.
    let t1 = model.task_by_id(T1).unwrap();
    assert_eq!(model.task(t1).live_wakers, None);
}

#[test]
fn a_task_woken_during_its_poll_is_runnable_when_the_poll_returns() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    // `yield_now`: the task wakes itself by reference and returns Pending.
    b.poll_begin(10, W1, T1)
        .ev_on(
            11,
            W1,
            T1,
            0,
            K::TaskWake {
                task: T1,
                consumed: false,
            },
        )
        .poll_end(12, W1, T1)
        .poll_begin(20, W1, T1)
        .poll_end(22, W1, T1);
    let model = Model::from_trace(&b.finish());
    assert_eq!(
        states(&model, T1),
        vec![
            (5, "runnable"),
            (10, "running"),
            (12, "runnable"),
            (20, "running"),
            (22, "await")
        ]
    );
    let t1 = model.task_by_id(T1).unwrap();
    let wake = model.link(model.waker(t1, 2).expect("its own wake"));
    assert_eq!(
        (wake.kind, wake.from_ts, wake.to_ts),
        (LinkKind::Wake, 11, 20)
    );
    assert_eq!(
        model.task(t1).live_wakers,
        Some(0),
        "a wake by reference uses none up"
    );
}

#[test]
fn cancelled_and_lagged_waits_end_and_a_select_leaves_several_pending() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    const OTHER: u64 = 101;
    b.ev(
        6,
        W1,
        12,
        K::ResourceCreate {
            resource: SLEEP,
            kind: ResourceKind::Sleep,
            loc: 0,
        },
    )
    .ev(7, W1, 13, K::TaskSpawn { child: T2, name: 0 });
    // T1: a select over a timer and a channel; the channel wins, the timer wait is cancelled.
    let op = b.name("Sleep::new_timeout");
    b.poll_begin(10, W1, T1)
        .ev_on(
            11,
            W1,
            T1,
            0,
            K::ResourceWait {
                resource: SLEEP,
                op,
            },
        )
        .ev_on(12, W1, T1, 20, K::RecvBegin { chan: CH })
        .poll_end(13, W1, T1);
    b.poll_begin(30, W1, T1)
        .ev_on(
            31,
            W1,
            T1,
            20,
            K::RecvEnd {
                chan: CH,
                msg: 0,
                outcome: Outcome::Disconnected,
            },
        )
        .ev_on(32, W1, T1, 0, K::WaitCancel { object: SLEEP })
        .poll_end(33, W1, T1);
    // T2: a broadcast receive that lags ends its wait; then it waits on two channels at once.
    b.poll_begin(40, W2, T2)
        .ev_on(41, W2, T2, 22, K::RecvBegin { chan: OTHER })
        .ev_on(
            42,
            W2,
            T2,
            22,
            K::RecvLagged {
                chan: OTHER,
                missed: 3,
            },
        )
        .ev_on(43, W2, T2, 23, K::RecvBegin { chan: CH })
        .ev_on(44, W2, T2, 22, K::RecvBegin { chan: OTHER })
        .poll_end(45, W2, T2);
    let model = Model::from_trace(&b.finish());
    assert_eq!(
        states(&model, T1),
        vec![
            (5, "runnable"),
            (10, "running"),
            (12, "recv"),
            (30, "running"),
            (33, "await")
        ]
    );
    let t1 = model.task_by_id(T1).unwrap();
    assert!(model.pending_waits(t1).is_empty(), "both waits ended");
    assert_eq!(
        states(&model, T2),
        vec![
            (7, "runnable"),
            (40, "running"),
            (41, "recv"),
            (42, "running"),
            (43, "recv"),
            (44, "recv"),
        ]
    );
    let t2 = model.task_by_id(T2).unwrap();
    let pending: Vec<Option<u64>> = model
        .pending_waits(t2)
        .iter()
        .map(|w| w.object().map(|o| model.object(o).id))
        .collect();
    assert_eq!(pending, vec![Some(CH), Some(OTHER)]);
    let sleep = model.object_by_id(SLEEP).unwrap();
    let ops: Vec<ObjectOp> = model
        .object_events(sleep)
        .rows()
        .iter()
        .map(|e| e.op())
        .collect();
    assert_eq!(
        ops,
        vec![
            ObjectOp::Create,
            ObjectOp::ResourceWait,
            ObjectOp::WaitCancel
        ]
    );
}

#[test]
fn a_tokio_mutex_is_a_lock_whose_next_holder_is_let_in_by_the_release() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    let op = b.name("Mutex::lock");
    let loc = b.name("src/app.rs:7:13");
    b.ev(
        6,
        W1,
        0,
        K::ResourceCreate {
            resource: MUTEX,
            kind: ResourceKind::Mutex,
            loc,
        },
    )
    .ev(7, W1, 13, K::TaskSpawn { child: T2, name: 0 });
    // T1 takes the mutex and keeps it across an await.
    b.poll_begin(10, W1, T1)
        .ev_on(
            11,
            W1,
            T1,
            0,
            K::ResourceAcquire {
                resource: MUTEX,
                mode: X,
            },
        )
        .poll_end(12, W1, T1);
    // T2 waits for it on the other worker.
    b.poll_begin(20, W2, T2)
        .ev_on(
            21,
            W2,
            T2,
            0,
            K::ResourceWait {
                resource: MUTEX,
                op,
            },
        )
        .poll_end(22, W2, T2);
    // T1 unlocks: tokio wakes T2 first, and T2 (polled at once on W2) records its acquisition
    // before T1's release is recorded.
    b.poll_begin(40, W1, T1)
        .ev_on(
            41,
            W1,
            T1,
            0,
            K::TaskWake {
                task: T2,
                consumed: true,
            },
        )
        .poll_begin(42, W2, T2)
        .ev_on(43, W2, T2, 0, K::ResourceReady { resource: MUTEX })
        .ev_on(
            44,
            W2,
            T2,
            0,
            K::ResourceAcquire {
                resource: MUTEX,
                mode: X,
            },
        )
        .ev_on(
            45,
            W1,
            T1,
            0,
            K::ResourceRelease {
                resource: MUTEX,
                mode: X,
            },
        )
        .poll_end(46, W1, T1)
        .ev_on(
            47,
            W2,
            T2,
            0,
            K::ResourceRelease {
                resource: MUTEX,
                mode: X,
            },
        )
        .poll_end(48, W2, T2);
    let model = Model::from_trace(&b.finish());
    let mutex = model.object_by_id(MUTEX).unwrap();
    let object = model.object(mutex);
    assert_eq!(object.kind, ObjectKind::Resource(ResourceKind::Mutex));
    assert!(object.kind.is_lock() && object.kind.is_async());
    assert_eq!(model.object_name(mutex), format!("mutex {MUTEX}"));
    assert_eq!(
        model.site_label(object.site).as_deref(),
        Some("src/app.rs:7")
    );
    // The wait shows from the end of T2's poll (it ran until then) until the wake.
    assert_eq!(
        states(&model, T2),
        vec![
            (7, "runnable"),
            (20, "running"),
            (22, "lock"),
            (41, "runnable"),
            (42, "running"),
            (48, "await")
        ]
    );
    let holds: Vec<(u64, u64, AcquireKind)> = model
        .holds(mutex)
        .iter()
        .map(|h| (model.task(h.task).id, h.start, h.how))
        .collect();
    assert_eq!(
        holds,
        vec![
            (T1, 11, AcquireKind::Immediate),
            (T2, 44, AcquireKind::AfterWait)
        ]
    );
    let t2 = model.task_by_id(T2).unwrap();
    let release: Vec<(u64, u64, u64)> = model
        .links_into(t2)
        .iter()
        .map(|&l| model.link(l))
        .filter(|l| l.kind == LinkKind::Release)
        .map(|l| (model.task(l.from_task).id, l.from_ts, l.to_ts))
        .collect();
    assert_eq!(
        release,
        vec![(T1, 45, 44)],
        "linked at the release recorded after"
    );
    let levels: Vec<u32> = model
        .object_events(mutex)
        .rows()
        .iter()
        .map(|e| e.level())
        .collect();
    assert_eq!(
        levels,
        vec![0, 0, 1, 0, 0, 0, 0],
        "one waiter from the wait to the ready"
    );
}

#[test]
fn the_main_thread_is_the_root_even_when_a_runtime_worker_records_first() {
    const MAIN: u64 = 7;
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    b.start(8, MAIN, "main").exit(20, MAIN);
    let model = Model::from_trace(&b.finish());
    assert_eq!(model.root(), model.task_by_id(MAIN));
}

#[test]
fn without_task_hooks_an_async_wait_on_a_worker_thread_ends_when_the_thread_moves_on() {
    // No `tokio_unstable`: a wrapper's recv wait is recorded on the worker thread's own task,
    // which is not blocked: it goes on polling other futures (here one that sends).
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    b.ev(10, W1, 20, K::RecvBegin { chan: CH })
        .ev(12, W1, 21, K::Send { chan: CH, msg: 1 })
        .ev(14, W1, 22, K::RecvBegin { chan: CH })
        .ev(15, W1, 0, K::WorkerPark)
        .ev(30, W1, 0, K::WorkerUnpark)
        .ev(
            31,
            W1,
            22,
            K::RecvEnd {
                chan: CH,
                msg: 1,
                outcome: Outcome::Ok,
            },
        );
    let model = Model::from_trace(&b.finish());
    assert_eq!(
        states(&model, W1),
        vec![
            (0, "running"),
            (10, "recv"),
            (12, "running"),
            (14, "recv"),
            (15, "park"),
            (30, "running")
        ]
    );
}
