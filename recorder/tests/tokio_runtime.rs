//! Recording tokio runtimes: the exact events of small current-thread and multi-thread runs
//! (spawn → polls → wake → poll → terminate), worker lanes and idle time, and — under
//! `--cfg tokio_unstable` — tokio's own resources.
//!
//! Run under both cfgs: `cargo test -p weft-recorder --features tokio --test tokio_runtime`, and
//! the same with `RUSTFLAGS="--cfg tokio_unstable"` and another `CARGO_TARGET_DIR`. Expected
//! sequences depend on [`UNSTABLE`]: without it tokio calls no task hook, so everything a task
//! does is attributed to the thread that polled it.
#![cfg(feature = "tokio")]
// `tokio_unstable` comes from RUSTFLAGS, not from a Cargo feature.

mod tokio_support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio_support::{assert_site, line_of, record_runtime, Canon};
use weft_recorder::event::{
    is_tokio_task, ChanFlavor, Event, EventKind, EventKind::*, Outcome, Side, TaskId, WorkerId,
};
use weft_recorder::format::Trace;
use weft_recorder::tokio::sync::mpsc;
use weft_recorder::tokio::{current_thread, runtime, UNSTABLE};

/// Time given to a task to reach the wait it is about to start.
const SETTLE: Duration = Duration::from_millis(100);

fn is_idle(kind: &EventKind) -> bool {
    matches!(kind, WorkerPark | WorkerUnpark)
}

/// Asserts that each worker's park/unpark events alternate, starting with a park.
fn assert_idle_alternates(trace: &Trace) {
    let mut parked: HashMap<WorkerId, bool> = HashMap::new();
    for e in trace.events.iter().filter(|e| is_idle(&e.kind)) {
        let was_parked = parked.entry(e.worker).or_insert(false);
        let parks = matches!(e.kind, WorkerPark);
        assert_ne!(*was_parked, parks, "worker {} {:?} twice", e.worker, e.kind);
        *was_parked = parks;
    }
}

/// The task each worker's `TaskStart` named: the worker thread's own task.
fn thread_tasks(trace: &Trace) -> HashMap<WorkerId, TaskId> {
    let mut own = HashMap::new();
    for e in &trace.events {
        if let TaskStart { task, .. } = e.kind {
            own.entry(e.worker).or_insert(task);
        }
    }
    own
}

#[test]
fn hooks_are_harmless_without_a_recording() {
    let _no_session = weft_recorder::testing::exclusive();
    let rt = runtime().worker_threads(2).build().unwrap();
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let got = rt.block_on(async move {
        let task = tokio::spawn(async move { rx.recv().await });
        tx.send(3).await.unwrap();
        task.await.unwrap()
    });
    assert_eq!(got, Some(3));
}

#[test]
fn run_records_the_program_and_then_the_runtime_shutdown() {
    let _serial = weft_recorder::testing::exclusive();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.weft");
    // Only this test reads or writes the variable, and only while it holds `exclusive`.
    std::env::set_var(weft_recorder::TRACE_ENV, &path);
    let answer = weft_recorder::tokio::run(async {
        tokio::spawn(std::future::pending::<()>()); // still running at shutdown
        tokio::task::yield_now().await;
        42
    });
    std::env::remove_var(weft_recorder::TRACE_ENV);
    assert_eq!(answer, 42);
    let trace = weft_recorder::format::read_file(&path).unwrap();
    assert!(trace.loss.is_complete(), "{:?}", trace.loss);
    let stops = trace
        .events
        .iter()
        .filter(|e| e.kind == RuntimeThreadStop)
        .count();
    assert!(stops >= 1, "the workers stopped inside the recording");
    if UNSTABLE {
        let spawned = trace.events.iter().find_map(|e| match e.kind {
            TaskSpawn { child, .. } => Some(child),
            _ => None,
        });
        let cancelled = spawned.unwrap();
        assert!(trace
            .events
            .iter()
            .any(|e| e.kind == TaskTerminate { task: cancelled }));
    }
}

#[test]
fn a_current_thread_run_records_spawn_polls_wake_and_termination_in_order() {
    let (trace, main) = record_runtime(
        current_thread,
        |_| {},
        || async {
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            let task = tokio::spawn(async move { rx.recv().await }); // SPAWN
            tokio::task::yield_now().await; // the task polls, finds nothing, waits
            tx.send(7).await.unwrap(); // SEND
            assert_eq!(task.await.unwrap(), Some(7));
        },
    );
    const SOURCE: &str = include_str!("tokio_runtime.rs");
    let (spawn_line, send_line) = (line_of(SOURCE, "// SPAWN"), line_of(SOURCE, "// SEND"));
    let mut canon = Canon::with_tasks(&[main]);
    let events: Vec<&Event> = trace
        .events
        .iter()
        .filter(|e| !is_idle(&e.kind) && !matches!(e.kind, TaskStart { .. }))
        .collect();
    let seen = canon.events(events.iter().copied());
    let create = ChanCreate {
        chan: 1,
        flavor: ChanFlavor::Bounded,
        cap: 1,
    };
    let ok = Outcome::Ok;
    let expected = if UNSTABLE {
        vec![
            (1, create),
            (1, TaskSpawn { child: 2, name: 0 }),
            (2, PollBegin { task: 2 }),
            (2, WakerClone { task: 2 }),
            (2, RecvBegin { chan: 1 }),
            (2, PollEnd { task: 2, resume: 1 }),
            (
                1,
                TaskWake {
                    task: 2,
                    consumed: true,
                },
            ),
            (1, Send { chan: 1, msg: 1 }),
            (2, PollBegin { task: 2 }),
            (
                2,
                RecvEnd {
                    chan: 1,
                    msg: 1,
                    outcome: ok,
                },
            ),
            (
                2,
                ChanDisconnect {
                    chan: 1,
                    side: Side::Receiver,
                },
            ),
            (2, TaskTerminate { task: 2 }),
            (2, PollEnd { task: 2, resume: 1 }),
            (
                1,
                ChanDisconnect {
                    chan: 1,
                    side: Side::Sender,
                },
            ),
        ]
    } else {
        // No task hooks: the task's receive is the block_on thread's own.
        vec![
            (1, create),
            (1, RecvBegin { chan: 1 }),
            (1, Send { chan: 1, msg: 1 }),
            (
                1,
                RecvEnd {
                    chan: 1,
                    msg: 1,
                    outcome: ok,
                },
            ),
            (
                1,
                ChanDisconnect {
                    chan: 1,
                    side: Side::Receiver,
                },
            ),
            (
                1,
                ChanDisconnect {
                    chan: 1,
                    side: Side::Sender,
                },
            ),
        ]
    };
    assert_eq!(seen, expected);
    let file = "tokio_runtime.rs";
    let recv_begin = events.iter().find(|e| matches!(e.kind, RecvBegin { .. }));
    assert_site(&trace, recv_begin.unwrap(), file, spawn_line);
    let send = events.iter().find(|e| matches!(e.kind, Send { .. }));
    assert_site(&trace, send.unwrap(), file, send_line);
    if UNSTABLE {
        let spawn = events.iter().find(|e| matches!(e.kind, TaskSpawn { .. }));
        assert_site(&trace, spawn.unwrap(), file, spawn_line);
        // Scheduling latency is measurable: woken, then polled.
        let wake = events
            .iter()
            .position(|e| matches!(e.kind, TaskWake { .. }));
        let polls: Vec<usize> = (0..events.len())
            .filter(|&i| matches!(events[i].kind, PollBegin { .. }))
            .collect();
        assert!(wake.unwrap() < polls[1]);
        assert!(events[wake.unwrap()].ts <= events[polls[1]].ts);
    }
    assert!(trace.events.windows(2).all(|w| w[0].ts <= w[1].ts));
    assert_idle_alternates(&trace);
    // The block_on thread is the current-thread runtime's worker: only it records.
    assert!(trace
        .events
        .iter()
        .all(|e| e.worker == trace.events[0].worker));
}

#[test]
fn a_multi_thread_run_polls_tasks_on_workers_that_then_resume_their_own_task() {
    let (trace, main) = record_runtime(
        runtime,
        |b| {
            b.worker_threads(2);
        },
        || async {
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            let task = tokio::spawn(async move { rx.recv().await });
            tokio::time::sleep(SETTLE).await; // the task waits
            tx.send(7).await.unwrap();
            assert_eq!(task.await.unwrap(), Some(7));
        },
    );
    let own = thread_tasks(&trace);
    let main_worker = trace.events.iter().find(|e| e.task == main).unwrap().worker;
    let runtime_workers: HashSet<WorkerId> = trace
        .events
        .iter()
        .filter(|e| matches!(e.kind, RuntimeThreadStart))
        .map(|e| e.worker)
        .collect();
    assert_eq!(
        runtime_workers.len(),
        2,
        "two workers, no other runtime thread"
    );
    assert!(!runtime_workers.contains(&main_worker));
    for &w in &runtime_workers {
        let kinds: Vec<EventKind> = trace
            .events
            .iter()
            .filter(|e| e.worker == w)
            .map(|e| e.kind)
            .collect();
        assert!(matches!(kinds[..2], [TaskStart { .. }, RuntimeThreadStart]));
        assert_eq!(kinds.last(), Some(&RuntimeThreadStop), "{kinds:?}");
        assert!(kinds.contains(&WorkerPark), "an idle worker parks");
    }
    assert_idle_alternates(&trace);

    let recv_begin = trace
        .events
        .iter()
        .find(|e| matches!(e.kind, RecvBegin { .. }))
        .expect("the task waited");
    assert!(runtime_workers.contains(&recv_begin.worker));
    if !UNSTABLE {
        assert_eq!(recv_begin.task, own[&recv_begin.worker]);
        assert!(trace.events.iter().all(|e| !is_tokio_task(e.task)));
        return;
    }
    let task = recv_begin.task;
    assert!(is_tokio_task(task));
    let mut canon = Canon::with_tasks(&[main, task]);
    let spawn = trace
        .events
        .iter()
        .find(|e| matches!(e.kind, TaskSpawn { .. }))
        .unwrap();
    assert_eq!(
        (canon.task(spawn.task), canon.kind(spawn.kind)),
        (1, TaskSpawn { child: 2, name: 0 })
    );
    // Every event of the task, wherever it ran; `resume` is checked below.
    let of_task: Vec<EventKind> = trace
        .events
        .iter()
        .filter(|e| e.task == task)
        .map(|e| match canon.kind(e.kind) {
            PollEnd { task, .. } => PollEnd { task, resume: 0 },
            k => k,
        })
        .collect();
    let end = |resume| PollEnd { task: 2, resume };
    assert_eq!(
        of_task,
        vec![
            PollBegin { task: 2 },
            WakerClone { task: 2 },
            RecvBegin { chan: 1 },
            end(0),
            PollBegin { task: 2 },
            RecvEnd {
                chan: 1,
                msg: 1,
                outcome: Outcome::Ok
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Receiver
            },
            TaskTerminate { task: 2 },
            end(0),
        ]
    );
    for e in trace.events.iter().filter(|e| e.task == task) {
        assert!(runtime_workers.contains(&e.worker), "polled on a worker");
    }
    for e in &trace.events {
        if let PollEnd { resume, .. } = e.kind {
            assert_eq!(resume, own[&e.worker], "back to the worker's own task");
        }
    }
    let woken = trace
        .events
        .iter()
        .position(|e| matches!(e.kind, TaskWake { task: t, .. } if t == task))
        .expect("the send woke the task");
    assert_eq!(
        trace.events[woken].task, main,
        "woken by the block_on thread"
    );
    let polled_again = trace
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == PollBegin { task })
        .nth(1)
        .unwrap()
        .0;
    assert!(woken < polled_again);
}

/// Under `tokio_unstable`: tokio's own Mutex, as a resource a task waits on and holds.
#[cfg(tokio_unstable)]
#[test]
fn tokio_mutex_contention_records_who_waits_and_who_holds() {
    use std::sync::Arc;
    use weft_recorder::event::{LockMode, ResourceKind};

    let (trace, main) = record_runtime(
        current_thread,
        |_| {},
        || async {
            let mutex = Arc::new(tokio::sync::Mutex::new(0)); // CREATE
            let guard = mutex.lock().await;
            let shared = mutex.clone();
            let task = tokio::spawn(async move { *shared.lock().await += 1 });
            tokio::task::yield_now().await; // the task waits for the lock
            drop(guard);
            task.await.unwrap();
        },
    );
    let create_line = line_of(include_str!("tokio_runtime.rs"), "// CREATE");
    let task = trace
        .events
        .iter()
        .find_map(|e| match e.kind {
            TaskSpawn { child, .. } => Some(child),
            _ => None,
        })
        .unwrap();
    let mut canon = Canon::with_tasks(&[main, task]);
    let seen: Vec<(u64, EventKind)> = canon.events(trace.events.iter().filter(|e| {
        matches!(
            e.kind,
            ResourceCreate { .. }
                | ResourceWait { .. }
                | ResourceReady { .. }
                | ResourceAcquire { .. }
                | ResourceRelease { .. }
                | PollBegin { .. }
                | TaskWake { .. }
                | TaskTerminate { .. }
        )
    }));
    let x = LockMode::Exclusive;
    let r = 1;
    assert_eq!(
        seen,
        vec![
            (
                1,
                ResourceCreate {
                    resource: r,
                    kind: ResourceKind::Mutex,
                    loc: 0
                }
            ),
            (
                1,
                ResourceAcquire {
                    resource: r,
                    mode: x
                }
            ),
            (2, PollBegin { task: 2 }),
            (2, ResourceWait { resource: r, op: 0 }),
            // tokio wakes the next waiter before it reports the mutex unlocked.
            (
                1,
                TaskWake {
                    task: 2,
                    consumed: true
                }
            ),
            (
                1,
                ResourceRelease {
                    resource: r,
                    mode: x
                }
            ),
            (2, PollBegin { task: 2 }),
            (2, ResourceReady { resource: r }),
            (
                2,
                ResourceAcquire {
                    resource: r,
                    mode: x
                }
            ),
            (
                2,
                ResourceRelease {
                    resource: r,
                    mode: x
                }
            ),
            (2, TaskTerminate { task: 2 }),
        ]
    );
    for e in &trace.events {
        match e.kind {
            ResourceCreate { loc, .. } => {
                let loc = trace.string(loc);
                assert!(
                    loc.contains(&format!("tokio_runtime.rs:{create_line}:")),
                    "{loc}"
                );
            }
            ResourceWait { op, .. } => assert_eq!(trace.string(op), "Mutex::lock"),
            _ => {}
        }
    }
}

/// Under `tokio_unstable`: a wait abandoned by a timeout ends with `WaitCancel`, a sleep is a
/// wait on a timer, and named tasks are named.
#[cfg(tokio_unstable)]
#[test]
fn timeouts_cancel_resource_waits_and_sleeps_and_names_are_recorded() {
    use std::sync::Arc;
    use weft_recorder::event::ResourceKind;

    let (trace, _main) = record_runtime(
        current_thread,
        |_| {},
        || async {
            let mutex = Arc::new(tokio::sync::Mutex::new(()));
            let _held = mutex.lock().await;
            let shared = mutex.clone();
            let task = tokio::task::Builder::new()
                .name("impatient")
                .spawn(async move {
                    let waited = tokio::time::timeout(Duration::from_millis(20), shared.lock());
                    assert!(waited.await.is_err());
                })
                .unwrap();
            task.await.unwrap();
        },
    );
    let task = trace
        .events
        .iter()
        .find_map(|e| match e.kind {
            TaskName { task, name } => {
                assert_eq!(trace.string(name), "impatient");
                Some(task)
            }
            _ => None,
        })
        .expect("the task's name");
    let mut canon = Canon::default();
    let kinds: Vec<EventKind> = trace
        .events
        .iter()
        .filter(|e| e.task == task)
        .filter(|e| {
            matches!(
                e.kind,
                ResourceCreate { .. }
                    | ResourceWait { .. }
                    | ResourceReady { .. }
                    | WaitCancel { .. }
            )
        })
        .map(|e| canon.kind(e.kind))
        .collect();
    let (sleep, mutex) = (1, 2);
    assert_eq!(
        kinds,
        vec![
            ResourceCreate {
                resource: sleep,
                kind: ResourceKind::Sleep,
                loc: 0
            },
            ResourceWait {
                resource: mutex,
                op: 0
            },
            ResourceWait {
                resource: sleep,
                op: 0
            },
            ResourceReady { resource: sleep },
            WaitCancel { object: mutex },
        ]
    );
}

/// Under `tokio_unstable`: RwLock holds in both modes, a semaphore and a barrier as things a task
/// waits on, and a oneshot whose sender is dropped as a disconnection.
#[cfg(tokio_unstable)]
#[test]
fn rwlock_semaphore_barrier_and_oneshot_are_resources_too() {
    use std::sync::Arc;
    use weft_recorder::event::{LockMode, ResourceKind};

    let (trace, main) = record_runtime(
        current_thread,
        |_| {},
        || async {
            let table = tokio::sync::RwLock::new(1);
            drop(table.read().await);
            drop(table.write().await);
            let permits = Arc::new(tokio::sync::Semaphore::new(1));
            let held = permits.clone().acquire_owned().await.unwrap();
            let barrier = Arc::new(tokio::sync::Barrier::new(2));
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let (waiting_permits, waiting_barrier) = (permits.clone(), barrier.clone());
            let task = tokio::spawn(async move {
                drop(waiting_permits.acquire().await.unwrap());
                waiting_barrier.wait().await;
                rx.await.is_err()
            });
            tokio::task::yield_now().await; // the task waits for a permit
            drop(held);
            tokio::task::yield_now().await; // it takes it, then waits at the barrier
            barrier.wait().await; // the last to arrive: no wait
            tokio::task::yield_now().await; // the task passes the barrier, waits on the oneshot
            drop(tx);
            assert!(task.await.unwrap(), "the oneshot's sender is gone");
        },
    );
    let mut canon = Canon::with_tasks(&[main]);
    let seen: Vec<(u64, EventKind)> = canon.events(trace.events.iter().filter(|e| {
        matches!(
            e.kind,
            ResourceCreate { .. }
                | ResourceWait { .. }
                | ResourceReady { .. }
                | ResourceAcquire { .. }
                | ResourceRelease { .. }
                | ChanDisconnect { .. }
        )
    }));
    let create = |resource, kind| ResourceCreate {
        resource,
        kind,
        loc: 0,
    };
    let (table, permits, barrier, oneshot) = (1, 2, 3, 4);
    let (shared, excl) = (LockMode::Shared, LockMode::Exclusive);
    let hold = |resource, mode| ResourceAcquire { resource, mode };
    let release = |resource, mode| ResourceRelease { resource, mode };
    let wait = |resource| ResourceWait { resource, op: 0 };
    let ready = |resource| ResourceReady { resource };
    assert_eq!(
        seen,
        vec![
            (1, create(table, ResourceKind::RwLock)),
            (1, hold(table, shared)),
            (1, release(table, shared)),
            (1, hold(table, excl)),
            (1, release(table, excl)),
            (1, create(permits, ResourceKind::Semaphore)),
            (1, create(barrier, ResourceKind::Barrier)),
            (1, create(oneshot, ResourceKind::Oneshot)),
            (2, wait(permits)),
            (2, ready(permits)),
            (2, wait(barrier)),
            (2, ready(barrier)),
            (2, wait(oneshot)),
            (
                1,
                ChanDisconnect {
                    chan: oneshot,
                    side: Side::Sender
                }
            ),
            (2, ready(oneshot)),
        ]
    );
    let ops: Vec<&str> = trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            ResourceWait { op, .. } => Some(trace.string(op)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ops,
        ["Semaphore::acquire", "Barrier::wait", "Receiver::await"]
    );
}

/// Under `tokio_unstable`: the waker counts that tell a task that can still be woken from one
/// that lost its waker (a future that returned `Pending` without keeping `cx.waker()`).
#[cfg(tokio_unstable)]
#[test]
fn waker_clones_and_drops_tell_a_lost_waker_from_a_wait() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Never ready, and never keeps the waker.
    struct Forgetful;
    impl Future for Forgetful {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }

    let mut tasks = (0, 0);
    let (trace, _main) = record_runtime(
        current_thread,
        |_| {},
        || async {
            let (_tx, mut rx) = mpsc::channel::<()>(1);
            let waiting = tokio::spawn(async move { rx.recv().await });
            let lost = tokio::spawn(Forgetful);
            tokio::task::yield_now().await; // both poll once and wait
            weft_recorder::thread::yield_now(); // marks the moment to count wakers at
            tasks = (
                weft_recorder::event::TOKIO_TASK_BASE
                    + waiting.id().to_string().parse::<u64>().unwrap(),
                weft_recorder::event::TOKIO_TASK_BASE
                    + lost.id().to_string().parse::<u64>().unwrap(),
            );
            waiting.abort();
            lost.abort();
        },
    );
    let live_wakers = |task: TaskId| -> i64 {
        let mut live = 0;
        for e in &trace.events {
            match e.kind {
                WakerClone { task: t } if t == task => live += 1,
                WakerDrop { task: t } if t == task => live -= 1,
                TaskWake {
                    task: t,
                    consumed: true,
                } if t == task => live -= 1,
                Yield => break,
                _ => {}
            }
        }
        live
    };
    let (waiting, lost) = tasks;
    for task in [waiting, lost] {
        let polls = trace
            .events
            .iter()
            .filter(|e| e.kind == PollBegin { task })
            .count();
        assert_eq!(polls, 1, "polled once before the abort");
    }
    assert_eq!(live_wakers(waiting), 1, "the channel keeps its waker");
    assert_eq!(live_wakers(lost), 0, "nothing can wake it");
}
