//! The instrumented primitives: the exact events each records on its non-blocking and blocking
//! paths, and behaviour ported from std and crossbeam-channel, run with and without recording.
//!
//! Recording tests run under `testing::record` and look only at the tasks they created (other
//! tests may run at the same time and add events of their own). Ids are renumbered in order of
//! first appearance (tasks and objects separately), names are blanked, and timestamps ignored,
//! so expected sequences read `ChanCreate { chan: 1, .. }, Send { chan: 1, msg: 1 }`.
//!
//! Where a test needs another thread to be blocked before it acts, the other thread announces
//! itself over a plain std channel (not recorded) right before the blocking call, and the test
//! then gives it [`SETTLE`] to get there.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use weft_recorder::channel::{
    self, bounded, select, unbounded, RecvError, RecvTimeoutError, SendError, SendTimeoutError,
    TryRecvError, TrySendError,
};
use weft_recorder::event::{
    ChanFlavor, Event, EventKind, EventKind::*, LockKind, LockMode, Outcome, SelectOp, Side, TaskId,
};
use weft_recorder::format::Trace;
use weft_recorder::sync::{Arc, Condvar, Mutex, RwLock, TryLockError};
use weft_recorder::testing;
use weft_recorder::thread;

/// Time given to another thread to reach the blocking call it announced.
const SETTLE: Duration = Duration::from_millis(100);

const EXCL: LockMode = LockMode::Exclusive;
const SHARED: LockMode = LockMode::Shared;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Renumbers task and object ids in order of first appearance and blanks names, so expected
/// sequences do not depend on process-wide counters.
#[derive(Default)]
struct Canon {
    tasks: HashMap<u64, u64>,
    objects: HashMap<u64, u64>,
}

fn renumber(map: &mut HashMap<u64, u64>, id: u64) -> u64 {
    if id == 0 {
        return 0;
    }
    let next = map.len() as u64 + 1;
    *map.entry(id).or_insert(next)
}

impl Canon {
    /// A canon where `tasks` are numbered 1, 2, … in the given order.
    fn with_tasks(tasks: &[TaskId]) -> Self {
        let mut canon = Canon::default();
        for &task in tasks {
            canon.task(task);
        }
        canon
    }

    fn task(&mut self, id: TaskId) -> u64 {
        renumber(&mut self.tasks, id)
    }

    fn obj(&mut self, id: u64) -> u64 {
        renumber(&mut self.objects, id)
    }

    fn kind(&mut self, kind: EventKind) -> EventKind {
        match kind {
            TaskSpawn { child, .. } => TaskSpawn {
                child: self.task(child),
                name: 0,
            },
            TaskStart { task, .. } => TaskStart {
                task: self.task(task),
                name: 0,
            },
            JoinBegin { task } => JoinBegin {
                task: self.task(task),
            },
            JoinEnd { task, panicked } => JoinEnd {
                task: self.task(task),
                panicked,
            },
            Unpark { task } => Unpark {
                task: self.task(task),
            },
            ChanCreate { chan, flavor, cap } => ChanCreate {
                chan: self.obj(chan),
                flavor,
                cap,
            },
            Send { chan, msg } => Send {
                chan: self.obj(chan),
                msg,
            },
            SendBegin { chan } => SendBegin {
                chan: self.obj(chan),
            },
            SendEnd { chan, msg, outcome } => SendEnd {
                chan: self.obj(chan),
                msg,
                outcome,
            },
            TrySend { chan, msg, outcome } => TrySend {
                chan: self.obj(chan),
                msg,
                outcome,
            },
            Recv { chan, msg } => Recv {
                chan: self.obj(chan),
                msg,
            },
            RecvBegin { chan } => RecvBegin {
                chan: self.obj(chan),
            },
            RecvEnd { chan, msg, outcome } => RecvEnd {
                chan: self.obj(chan),
                msg,
                outcome,
            },
            TryRecv { chan, msg, outcome } => TryRecv {
                chan: self.obj(chan),
                msg,
                outcome,
            },
            ChanDisconnect { chan, side } => ChanDisconnect {
                chan: self.obj(chan),
                side,
            },
            SelectArm { chan, op } => SelectArm {
                chan: self.obj(chan),
                op,
            },
            SelectEnd {
                chan,
                msg,
                op,
                outcome,
            } => SelectEnd {
                chan: self.obj(chan),
                msg,
                op,
                outcome,
            },
            LockCreate { lock, kind } => LockCreate {
                lock: self.obj(lock),
                kind,
            },
            LockAcquire { lock, mode } => LockAcquire {
                lock: self.obj(lock),
                mode,
            },
            LockWait { lock, mode } => LockWait {
                lock: self.obj(lock),
                mode,
            },
            LockAcquired {
                lock,
                mode,
                poisoned,
            } => LockAcquired {
                lock: self.obj(lock),
                mode,
                poisoned,
            },
            TryLock { lock, mode, ok } => TryLock {
                lock: self.obj(lock),
                mode,
                ok,
            },
            LockRelease { lock, mode } => LockRelease {
                lock: self.obj(lock),
                mode,
            },
            CondWait { cv, lock } => CondWait {
                cv: self.obj(cv),
                lock: self.obj(lock),
            },
            CondWake {
                cv,
                lock,
                timed_out,
            } => CondWake {
                cv: self.obj(cv),
                lock: self.obj(lock),
                timed_out,
            },
            CondNotify { cv, all } => CondNotify {
                cv: self.obj(cv),
                all,
            },
            other => other,
        }
    }

    /// The events of a task spawned through Weft, starting with its `TaskStart`.
    fn spawned(&mut self, trace: &Trace, task: TaskId) -> Vec<EventKind> {
        let events: Vec<Event> = events_of(trace, task).copied().collect();
        events.into_iter().map(|e| self.kind(e.kind)).collect()
    }

    /// The events of an adopted thread (the test's own), without the `TaskStart` it gets when
    /// it joins the session.
    fn adopted(&mut self, trace: &Trace, task: TaskId) -> Vec<EventKind> {
        let events: Vec<Event> = events_of(trace, task)
            .filter(|e| !matches!(e.kind, TaskStart { .. }))
            .copied()
            .collect();
        events.into_iter().map(|e| self.kind(e.kind)).collect()
    }
}

fn events_of(trace: &Trace, task: TaskId) -> impl Iterator<Item = &Event> {
    trace.events.iter().filter(move |e| e.task == task)
}

/// The first event of `task` matching `pred`.
fn find(trace: &Trace, task: TaskId, pred: impl Fn(&EventKind) -> bool) -> &Event {
    events_of(trace, task)
        .find(|e| pred(&e.kind))
        .expect("the event was recorded")
}

/// Asserts that `event` was recorded at `line` of this file.
fn assert_site(trace: &Trace, event: &Event, line: u32) {
    let site = trace
        .site(event.site)
        .unwrap_or_else(|| panic!("{:?} has no site", event.kind));
    assert!(
        site.file.ends_with("primitives.rs") && site.line == line,
        "{:?} recorded at {}:{}, expected primitives.rs:{line}",
        event.kind,
        site.file,
        site.line
    );
}

fn me() -> TaskId {
    thread::current().task_id()
}

/// Waits (without recording anything) until the thread has finished, so its join does not wait.
fn wait_finished<T>(handle: &thread::JoinHandle<T>) {
    while !handle.is_finished() {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A receiver whose senders are all gone.
fn disconnected_receiver() -> channel::Receiver<()> {
    unbounded().1
}

/// Runs `body` once with no session recording and once under a recording session, and checks
/// the recorded run really recorded this thread.
fn with_and_without_recording(body: impl Fn()) {
    {
        let _no_session = testing::exclusive();
        body();
    }
    let mut task = 0;
    let trace = testing::record(|| {
        task = me();
        body();
    });
    assert!(
        events_of(&trace, task).any(|e| !matches!(e.kind, TaskStart { .. })),
        "the recorded run recorded nothing"
    );
}

// ---------------------------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------------------------

#[test]
fn spawn_then_join_of_a_finished_thread_records_a_single_join_end() {
    let (mut main, mut child, mut lines) = (0, 0, (0, 0));
    let trace = testing::record(|| {
        main = me();
        let builder = thread::Builder::new().name("worker".into());
        lines.0 = line!() + 1;
        let handle = builder.spawn(|| 7).unwrap();
        child = handle.thread().task_id();
        assert_eq!(handle.thread().name(), Some("worker"));
        wait_finished(&handle);
        lines.1 = line!() + 1;
        assert_eq!(handle.join().unwrap(), 7);
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    assert_eq!(
        canon.adopted(&trace, main),
        [
            TaskSpawn { child: 2, name: 0 },
            JoinEnd {
                task: 2,
                panicked: false
            }
        ]
    );
    assert_eq!(
        canon.spawned(&trace, child),
        [TaskStart { task: 2, name: 0 }, TaskExit { panicked: false }]
    );
    let spawn = find(&trace, main, |k| matches!(k, TaskSpawn { .. }));
    assert_site(&trace, spawn, lines.0);
    let TaskSpawn { name, .. } = spawn.kind else {
        unreachable!()
    };
    assert_eq!(trace.string(name), "worker");
    assert_site(
        &trace,
        find(&trace, main, |k| matches!(k, JoinEnd { .. })),
        lines.1,
    );
}

#[test]
fn join_of_a_running_thread_records_begin_and_end() {
    let (mut main, mut child) = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let handle = thread::spawn(|| std::thread::sleep(3 * SETTLE));
        child = handle.thread().task_id();
        handle.join().unwrap();
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    assert_eq!(
        canon.adopted(&trace, main),
        [
            TaskSpawn { child: 2, name: 0 },
            JoinBegin { task: 2 },
            JoinEnd {
                task: 2,
                panicked: false
            }
        ]
    );
}

#[test]
fn a_panicking_thread_records_its_panic_and_join_still_sees_it() {
    let (mut main, mut child) = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let handle = thread::spawn(|| -> u32 { panic!("boom") });
        child = handle.thread().task_id();
        wait_finished(&handle);
        let payload = handle.join().unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    assert_eq!(
        canon.adopted(&trace, main),
        [
            TaskSpawn { child: 2, name: 0 },
            JoinEnd {
                task: 2,
                panicked: true
            }
        ]
    );
    assert_eq!(
        canon.spawned(&trace, child),
        [TaskStart { task: 2, name: 0 }, TaskExit { panicked: true }]
    );
}

#[test]
fn unpark_through_a_join_handle_names_the_parked_task() {
    let (mut main, mut child, mut unpark_line) = (0, 0, 0);
    let trace = testing::record(|| {
        main = me();
        let go = std::sync::Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let handle = thread::spawn({
            let go = go.clone();
            move || {
                ready_tx.send(()).unwrap();
                while !go.load(Ordering::Acquire) {
                    thread::park();
                }
            }
        });
        child = handle.thread().task_id();
        ready_rx.recv().unwrap();
        std::thread::sleep(SETTLE);
        go.store(true, Ordering::Release);
        unpark_line = line!() + 1;
        handle.thread().unpark();
        wait_finished(&handle);
        handle.join().unwrap();
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    assert_eq!(
        canon.adopted(&trace, main),
        [
            TaskSpawn { child: 2, name: 0 },
            Unpark { task: 2 },
            JoinEnd {
                task: 2,
                panicked: false
            }
        ]
    );
    assert_eq!(
        canon.spawned(&trace, child),
        [
            TaskStart { task: 2, name: 0 },
            ParkBegin { timeout_ns: 0 },
            ParkEnd,
            TaskExit { panicked: false }
        ]
    );
    assert_site(
        &trace,
        find(&trace, main, |k| matches!(k, Unpark { .. })),
        unpark_line,
    );
}

#[test]
fn current_handed_to_another_thread_unparks_the_right_task() {
    let (mut main, mut child) = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let go = std::sync::Arc::new(AtomicBool::new(false));
        let parked = thread::current();
        assert_eq!(parked.task_id(), main);
        let handle = thread::spawn({
            let go = go.clone();
            move || {
                std::thread::sleep(SETTLE);
                go.store(true, Ordering::Release);
                parked.unpark();
            }
        });
        child = handle.thread().task_id();
        while !go.load(Ordering::Acquire) {
            thread::park();
        }
        wait_finished(&handle);
        handle.join().unwrap();
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    assert_eq!(
        canon.spawned(&trace, child),
        [
            TaskStart { task: 2, name: 0 },
            Unpark { task: 1 },
            TaskExit { panicked: false }
        ]
    );
    assert_eq!(
        canon.adopted(&trace, main),
        [
            TaskSpawn { child: 2, name: 0 },
            ParkBegin { timeout_ns: 0 },
            ParkEnd,
            JoinEnd {
                task: 2,
                panicked: false
            }
        ]
    );
}

#[test]
fn park_timeout_sleep_and_yield_record_their_durations() {
    let mut main = 0;
    let mut line = 0;
    let trace = testing::record(|| {
        main = me();
        line = line!() + 1;
        thread::park_timeout(Duration::from_millis(5));
        thread::park_timeout(Duration::ZERO);
        thread::sleep(Duration::from_millis(2));
        thread::yield_now();
    });
    let mut canon = Canon::default();
    // A spurious wake-up would add a pair; std's futex parker does not wake spuriously.
    assert_eq!(
        canon.adopted(&trace, main),
        [
            ParkBegin {
                timeout_ns: 5_000_000
            },
            ParkEnd,
            ParkBegin { timeout_ns: 1 },
            ParkEnd,
            SleepBegin { ns: 2_000_000 },
            SleepEnd,
            Yield
        ]
    );
    assert_site(
        &trace,
        find(&trace, main, |k| matches!(k, ParkBegin { .. })),
        line,
    );
}

#[test]
fn scoped_threads_borrow_record_and_carry_their_task() {
    let (mut main, mut children) = (0, Vec::new());
    let trace = testing::record(|| {
        main = me();
        let mut counted = 0;
        let data = [1, 2, 3];
        thread::scope(|s| {
            let first = s.spawn(|| (data.iter().sum::<i32>(), me()));
            let second = thread::Builder::new()
                .name("scoped".into())
                .spawn_scoped(s, || data.len())
                .unwrap();
            children.push(first.thread().task_id());
            children.push(second.thread().task_id());
            let (sum, task_inside) = first.join().unwrap();
            assert_eq!(task_inside, children[0]);
            counted += sum;
            // `second` is joined implicitly at the end of the scope.
        });
        assert_eq!(counted, 6);
    });
    let mut canon = Canon::with_tasks(&[main, children[0], children[1]]);
    let main_events = canon.adopted(&trace, main);
    assert_eq!(
        &main_events[..2],
        [
            TaskSpawn { child: 2, name: 0 },
            TaskSpawn { child: 3, name: 0 }
        ]
    );
    assert_eq!(
        main_events[2..].last(),
        Some(&JoinEnd {
            task: 2,
            panicked: false
        })
    );
    assert!(!main_events.contains(&JoinEnd {
        task: 3,
        panicked: false
    }));
    for (number, &child) in [2, 3].iter().zip(&children) {
        assert_eq!(
            canon.spawned(&trace, child),
            [
                TaskStart {
                    task: *number,
                    name: 0
                },
                TaskExit { panicked: false }
            ]
        );
    }
}

#[test]
fn thread_behaviour_matches_std_with_and_without_recording() {
    with_and_without_recording(|| {
        // Results, names, ids.
        let handle = thread::Builder::new()
            .name("named".into())
            .stack_size(256 * 1024)
            .spawn(|| thread::current().name().map(str::to_owned))
            .unwrap();
        let id = handle.thread().id();
        assert_ne!(id, thread::current().id());
        assert_eq!(handle.join().unwrap().as_deref(), Some("named"));
        // A panic propagates to join with its payload; panicking() is false outside.
        let result = thread::spawn(|| panic::panic_any(42_u8)).join();
        assert_eq!(result.unwrap_err().downcast_ref::<u8>(), Some(&42));
        assert!(!thread::panicking());
        // An unpark before park makes park return at once.
        thread::current().unpark();
        thread::park();
        // park_timeout returns after about its timeout.
        let start = Instant::now();
        thread::park_timeout(Duration::from_millis(10));
        assert!(start.elapsed() >= Duration::from_millis(1));
        assert!(thread::available_parallelism().is_ok());
        // A scope's panic in an un-joined thread panics the scope, like std.
        let scoped = panic::catch_unwind(|| {
            thread::scope(|s| {
                s.spawn(|| panic!("inner"));
            })
        });
        assert!(scoped.is_err());
    });
}

// ---------------------------------------------------------------------------------------------
// Mutex and RwLock
// ---------------------------------------------------------------------------------------------

#[test]
fn mutex_uncontended_lock_try_lock_and_release() {
    let mut main = 0;
    let mut lines = (0, 0);
    let trace = testing::record(|| {
        main = me();
        lines.0 = line!() + 1;
        let mutex = Mutex::new(1);
        lines.1 = line!() + 1;
        let mut guard = mutex.lock().unwrap();
        *guard += 1;
        assert!(matches!(mutex.try_lock(), Err(TryLockError::WouldBlock)));
        drop(guard);
        assert_eq!(*mutex.try_lock().unwrap(), 2);
    });
    let mut canon = Canon::default();
    assert_eq!(
        canon.adopted(&trace, main),
        [
            LockCreate {
                lock: 1,
                kind: LockKind::Mutex
            },
            LockAcquire {
                lock: 1,
                mode: EXCL
            },
            TryLock {
                lock: 1,
                mode: EXCL,
                ok: false
            },
            LockRelease {
                lock: 1,
                mode: EXCL
            },
            TryLock {
                lock: 1,
                mode: EXCL,
                ok: true
            },
            LockRelease {
                lock: 1,
                mode: EXCL
            },
        ]
    );
    let create = find(&trace, main, |k| matches!(k, LockCreate { .. }));
    assert_site(&trace, create, lines.0);
    let acquire = find(&trace, main, |k| matches!(k, LockAcquire { .. }));
    assert_site(&trace, acquire, lines.1);
}

#[test]
fn mutex_contention_records_wait_and_acquired_on_the_waiting_task() {
    let (mut main, mut child) = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let mutex = Arc::new(Mutex::new(0));
        let guard = mutex.lock().unwrap();
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let handle = thread::spawn({
            let mutex = mutex.clone();
            move || {
                ready_tx.send(()).unwrap();
                *mutex.lock().unwrap() += 1;
            }
        });
        child = handle.thread().task_id();
        ready_rx.recv().unwrap();
        std::thread::sleep(SETTLE);
        drop(guard);
        wait_finished(&handle);
        handle.join().unwrap();
        assert_eq!(*mutex.lock().unwrap(), 1);
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    assert_eq!(
        canon.adopted(&trace, main),
        [
            LockCreate {
                lock: 1,
                kind: LockKind::Mutex
            },
            LockAcquire {
                lock: 1,
                mode: EXCL
            },
            TaskSpawn { child: 2, name: 0 },
            LockRelease {
                lock: 1,
                mode: EXCL
            },
            JoinEnd {
                task: 2,
                panicked: false
            },
            LockAcquire {
                lock: 1,
                mode: EXCL
            },
            LockRelease {
                lock: 1,
                mode: EXCL
            },
        ]
    );
    assert_eq!(
        canon.spawned(&trace, child),
        [
            TaskStart { task: 2, name: 0 },
            LockWait {
                lock: 1,
                mode: EXCL
            },
            LockAcquired {
                lock: 1,
                mode: EXCL,
                poisoned: false
            },
            LockRelease {
                lock: 1,
                mode: EXCL
            },
            TaskExit { panicked: false }
        ]
    );
}

#[test]
fn a_lock_poisoned_while_waited_for_records_acquired_poisoned() {
    let (mut main, mut child) = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let mutex = Arc::new(Mutex::new(0));
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let handle = thread::spawn({
            let mutex = mutex.clone();
            move || {
                let _guard = mutex.lock().unwrap();
                ready_tx.send(()).unwrap();
                std::thread::sleep(SETTLE);
                panic!("poison");
            }
        });
        child = handle.thread().task_id();
        ready_rx.recv().unwrap();
        let poisoned = mutex.lock().unwrap_err();
        assert_eq!(**poisoned.get_ref(), 0);
        drop(poisoned);
        wait_finished(&handle);
        assert!(handle.join().is_err());
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    let main_events = canon.adopted(&trace, main);
    assert_eq!(
        main_events[1..5],
        [
            TaskSpawn { child: 2, name: 0 },
            LockWait {
                lock: 1,
                mode: EXCL
            },
            LockAcquired {
                lock: 1,
                mode: EXCL,
                poisoned: true
            },
            LockRelease {
                lock: 1,
                mode: EXCL
            },
        ]
    );
    assert_eq!(
        canon.spawned(&trace, child),
        [
            TaskStart { task: 2, name: 0 },
            LockAcquire {
                lock: 1,
                mode: EXCL
            },
            LockRelease {
                lock: 1,
                mode: EXCL
            },
            TaskExit { panicked: true }
        ]
    );
}

#[test]
fn rwlock_readers_share_and_a_writer_waits_for_them() {
    let (mut main, mut child) = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let lock = Arc::new(RwLock::new(String::from("a")));
        let first = lock.read().unwrap();
        let second = lock.try_read().unwrap();
        assert!(matches!(lock.try_write(), Err(TryLockError::WouldBlock)));
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let handle = thread::spawn({
            let lock = lock.clone();
            move || {
                ready_tx.send(()).unwrap();
                lock.write().unwrap().push('b');
            }
        });
        child = handle.thread().task_id();
        ready_rx.recv().unwrap();
        std::thread::sleep(SETTLE);
        assert_eq!(format!("{}{}", *first, *second), "aa");
        drop(second);
        drop(first);
        wait_finished(&handle);
        handle.join().unwrap();
        assert_eq!(*lock.read().unwrap(), "ab");
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    assert_eq!(
        canon.adopted(&trace, main),
        [
            LockCreate {
                lock: 1,
                kind: LockKind::RwLock
            },
            LockAcquire {
                lock: 1,
                mode: SHARED
            },
            TryLock {
                lock: 1,
                mode: SHARED,
                ok: true
            },
            TryLock {
                lock: 1,
                mode: EXCL,
                ok: false
            },
            TaskSpawn { child: 2, name: 0 },
            LockRelease {
                lock: 1,
                mode: SHARED
            },
            LockRelease {
                lock: 1,
                mode: SHARED
            },
            JoinEnd {
                task: 2,
                panicked: false
            },
            LockAcquire {
                lock: 1,
                mode: SHARED
            },
            LockRelease {
                lock: 1,
                mode: SHARED
            },
        ]
    );
    assert_eq!(
        canon.spawned(&trace, child),
        [
            TaskStart { task: 2, name: 0 },
            LockWait {
                lock: 1,
                mode: EXCL
            },
            LockAcquired {
                lock: 1,
                mode: EXCL,
                poisoned: false
            },
            LockRelease {
                lock: 1,
                mode: EXCL
            },
            TaskExit { panicked: false }
        ]
    );
}

#[test]
fn poisoning_behaves_like_std_with_and_without_recording() {
    with_and_without_recording(|| {
        // Mutex: a panic while holding the guard poisons; every accessor reports it and still
        // hands out the data.
        let mutex = Arc::new(Mutex::new(vec![1]));
        let result = thread::spawn({
            let mutex = mutex.clone();
            move || {
                let mut guard = mutex.lock().unwrap();
                guard.push(2);
                panic!("poison the mutex");
            }
        })
        .join();
        assert!(result.is_err());
        assert!(mutex.is_poisoned());
        let guard = mutex.lock().unwrap_err().into_inner();
        assert_eq!(*guard, [1, 2]);
        drop(guard);
        match mutex.try_lock() {
            Err(TryLockError::Poisoned(poisoned)) => assert_eq!(poisoned.into_inner().len(), 2),
            _ => panic!("try_lock on a poisoned mutex must say so"),
        }
        mutex.clear_poison();
        assert!(!mutex.is_poisoned());
        mutex.lock().unwrap().push(3);
        let mutex = Arc::try_unwrap(mutex).unwrap();
        assert_eq!(mutex.into_inner().unwrap(), [1, 2, 3]);

        // into_inner / get_mut of a poisoned mutex are Err with the value inside.
        let mut mutex = Mutex::new(5);
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            let _guard = mutex.lock().unwrap();
            panic!("poison");
        }));
        assert_eq!(*mutex.get_mut().unwrap_err().into_inner(), 5);
        assert_eq!(mutex.into_inner().unwrap_err().into_inner(), 5);

        // RwLock: a panicking writer poisons, a panicking reader does not.
        let lock = RwLock::new(1);
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            let _guard = lock.read().unwrap();
            panic!("reader");
        }));
        assert!(!lock.is_poisoned());
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            let _guard = lock.write().unwrap();
            panic!("writer");
        }));
        assert!(lock.is_poisoned());
        assert_eq!(*lock.read().unwrap_err().into_inner(), 1);
        assert!(matches!(lock.try_write(), Err(TryLockError::Poisoned(_))));
        lock.clear_poison();
        assert_eq!(*lock.write().unwrap(), 1);

        // Default, From, Debug, Display like std.
        let mutex: Mutex<u8> = Mutex::default();
        assert_eq!(
            format!("{mutex:?}"),
            format!("{:?}", std::sync::Mutex::new(0_u8))
        );
        let lock = RwLock::from(String::from("x"));
        assert_eq!(lock.read().unwrap().to_string(), "x");
        assert_eq!(format!("{:?}", lock.write().unwrap()), "\"x\"");
    });
}

// ---------------------------------------------------------------------------------------------
// Condvar
// ---------------------------------------------------------------------------------------------

#[test]
fn condvar_wait_and_notify_record_both_sides() {
    let (mut main, mut child) = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let mut ready = pair.0.lock().unwrap();
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let handle = thread::spawn({
            let pair = pair.clone();
            move || {
                let (lock, cv) = &*pair;
                ready_tx.send(()).unwrap();
                *lock.lock().unwrap() = true;
                cv.notify_one();
            }
        });
        child = handle.thread().task_id();
        ready_rx.recv().unwrap();
        std::thread::sleep(SETTLE);
        // The child waits for the mutex; the condvar wait releases it.
        ready = pair.1.wait_while(ready, |ready| !*ready).unwrap();
        assert!(*ready);
        drop(ready);
        wait_finished(&handle);
        handle.join().unwrap();
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    assert_eq!(
        canon.adopted(&trace, main),
        [
            LockCreate {
                lock: 1,
                kind: LockKind::Mutex
            },
            LockCreate {
                lock: 2,
                kind: LockKind::Condvar
            },
            LockAcquire {
                lock: 1,
                mode: EXCL
            },
            TaskSpawn { child: 2, name: 0 },
            CondWait { cv: 2, lock: 1 },
            CondWake {
                cv: 2,
                lock: 1,
                timed_out: false
            },
            LockRelease {
                lock: 1,
                mode: EXCL
            },
            JoinEnd {
                task: 2,
                panicked: false
            },
        ]
    );
    assert_eq!(
        canon.spawned(&trace, child),
        [
            TaskStart { task: 2, name: 0 },
            LockWait {
                lock: 1,
                mode: EXCL
            },
            LockAcquired {
                lock: 1,
                mode: EXCL,
                poisoned: false
            },
            LockRelease {
                lock: 1,
                mode: EXCL
            },
            CondNotify { cv: 2, all: false },
            TaskExit { panicked: false }
        ]
    );
}

#[test]
fn condvar_timeouts_record_timed_out_and_a_satisfied_condition_records_no_wait() {
    let mut main = 0;
    let mut wait_line = 0;
    let trace = testing::record(|| {
        main = me();
        let mutex = Mutex::new(0);
        let cv = Condvar::new();
        let guard = mutex.lock().unwrap();
        wait_line = line!() + 1;
        let (guard, result) = cv.wait_timeout(guard, Duration::from_millis(5)).unwrap();
        assert!(result.timed_out());
        let (guard, result) = cv
            .wait_timeout_while(guard, Duration::from_secs(5), |n| *n != 0)
            .unwrap();
        assert!(!result.timed_out());
        let (guard, result) = cv
            .wait_timeout_while(guard, Duration::from_millis(5), |n| *n == 0)
            .unwrap();
        assert!(result.timed_out());
        drop(guard);
        cv.notify_all();
    });
    let mut canon = Canon::default();
    let events = canon.adopted(&trace, main);
    assert_eq!(
        events[..5],
        [
            LockCreate {
                lock: 1,
                kind: LockKind::Mutex
            },
            LockCreate {
                lock: 2,
                kind: LockKind::Condvar
            },
            LockAcquire {
                lock: 1,
                mode: EXCL
            },
            CondWait { cv: 2, lock: 1 },
            CondWake {
                cv: 2,
                lock: 1,
                timed_out: true
            },
        ]
    );
    // The condition that holds at once records nothing; the one that never holds records one
    // wait per (timed-out) wake-up until its time runs out.
    let tail = &events[5..];
    assert_eq!(
        tail[tail.len() - 2..],
        [
            LockRelease {
                lock: 1,
                mode: EXCL
            },
            CondNotify { cv: 2, all: true }
        ]
    );
    let waits = &tail[..tail.len() - 2];
    assert!(!waits.is_empty() && waits.len() % 2 == 0, "{waits:?}");
    assert_eq!(
        waits.last(),
        Some(&CondWake {
            cv: 2,
            lock: 1,
            timed_out: true
        })
    );
    assert_site(
        &trace,
        find(&trace, main, |k| matches!(k, CondWait { .. })),
        wait_line,
    );
}

#[test]
fn condvar_behaviour_matches_std_with_and_without_recording() {
    with_and_without_recording(|| {
        // notify_all wakes every waiter.
        let state = Arc::new((Mutex::new(0_u32), Condvar::new()));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let state = state.clone();
                thread::spawn(move || {
                    let (lock, cv) = &*state;
                    let guard = cv.wait_while(lock.lock().unwrap(), |n| *n == 0).unwrap();
                    assert_eq!(*guard, 1);
                })
            })
            .collect();
        *state.0.lock().unwrap() = 1;
        state.1.notify_all();
        for waiter in waiters {
            waiter.join().unwrap();
        }
        // wait_timeout on a condvar nobody notifies times out, after at least the timeout.
        let (lock, cv) = (Mutex::new(()), Condvar::default());
        let start = Instant::now();
        let (_guard, result) = cv
            .wait_timeout(lock.lock().unwrap(), Duration::from_millis(20))
            .unwrap();
        assert!(result.timed_out());
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(
            format!("{cv:?}"),
            format!("{:?}", std::sync::Condvar::new())
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

#[test]
fn channel_send_and_recv_without_waiting_match_by_message_id() {
    let mut main = 0;
    let mut lines = (0, 0, 0);
    let trace = testing::record(|| {
        main = me();
        lines.0 = line!() + 1;
        let (tx, rx) = unbounded();
        lines.1 = line!() + 1;
        tx.send("a").unwrap();
        tx.send("b").unwrap();
        lines.2 = line!() + 1;
        assert_eq!(rx.recv(), Ok("a"));
        assert_eq!(rx.recv_timeout(SETTLE), Ok("b"));
        drop(tx);
        drop(rx);
    });
    let mut canon = Canon::default();
    assert_eq!(
        canon.adopted(&trace, main),
        [
            ChanCreate {
                chan: 1,
                flavor: ChanFlavor::Unbounded,
                cap: 0
            },
            Send { chan: 1, msg: 1 },
            Send { chan: 1, msg: 2 },
            Recv { chan: 1, msg: 1 },
            Recv { chan: 1, msg: 2 },
            ChanDisconnect {
                chan: 1,
                side: Side::Sender
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Receiver
            },
        ]
    );
    let create = find(&trace, main, |k| matches!(k, ChanCreate { .. }));
    assert_site(&trace, create, lines.0);
    assert_site(
        &trace,
        find(&trace, main, |k| matches!(k, Send { .. })),
        lines.1,
    );
    assert_site(
        &trace,
        find(&trace, main, |k| matches!(k, Recv { .. })),
        lines.2,
    );
}

#[test]
fn a_send_into_a_full_bounded_channel_waits_on_the_senders_task() {
    let (mut main, mut child) = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let (tx, rx) = bounded(1);
        tx.send(1).unwrap();
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let handle = thread::spawn(move || {
            ready_tx.send(()).unwrap();
            tx.send(2).unwrap();
        });
        child = handle.thread().task_id();
        ready_rx.recv().unwrap();
        std::thread::sleep(SETTLE);
        assert_eq!(rx.recv(), Ok(1));
        wait_finished(&handle);
        assert_eq!(rx.recv(), Ok(2));
        handle.join().unwrap();
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    assert_eq!(
        canon.adopted(&trace, main),
        [
            ChanCreate {
                chan: 1,
                flavor: ChanFlavor::Bounded,
                cap: 1
            },
            Send { chan: 1, msg: 1 },
            TaskSpawn { child: 2, name: 0 },
            Recv { chan: 1, msg: 1 },
            Recv { chan: 1, msg: 2 },
            JoinEnd {
                task: 2,
                panicked: false
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Receiver
            },
        ]
    );
    assert_eq!(
        canon.spawned(&trace, child),
        [
            TaskStart { task: 2, name: 0 },
            SendBegin { chan: 1 },
            SendEnd {
                chan: 1,
                msg: 2,
                outcome: Outcome::Ok
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Sender
            },
            TaskExit { panicked: false }
        ]
    );
}

#[test]
fn a_recv_on_an_empty_channel_waits_and_a_disconnect_ends_the_wait() {
    let (mut main, mut child) = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let (tx, rx) = unbounded::<u8>();
        let handle = thread::spawn(move || {
            std::thread::sleep(SETTLE);
            tx.send(9).unwrap();
            std::thread::sleep(SETTLE);
            drop(tx);
        });
        child = handle.thread().task_id();
        assert_eq!(rx.recv(), Ok(9));
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx.recv(), Err(RecvError));
        handle.join().unwrap();
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    let disconnected = Outcome::Disconnected;
    assert_eq!(
        canon.adopted(&trace, main)[..6],
        [
            ChanCreate {
                chan: 1,
                flavor: ChanFlavor::Unbounded,
                cap: 0
            },
            TaskSpawn { child: 2, name: 0 },
            RecvBegin { chan: 1 },
            RecvEnd {
                chan: 1,
                msg: 1,
                outcome: Outcome::Ok
            },
            RecvBegin { chan: 1 },
            RecvEnd {
                chan: 1,
                msg: 0,
                outcome: disconnected
            },
        ]
    );
    // The third recv fails at once: a lone RecvEnd, no RecvBegin.
    assert_eq!(
        canon.adopted(&trace, main)[6],
        RecvEnd {
            chan: 1,
            msg: 0,
            outcome: disconnected
        }
    );
    assert_eq!(
        canon.spawned(&trace, child),
        [
            TaskStart { task: 2, name: 0 },
            Send { chan: 1, msg: 1 },
            ChanDisconnect {
                chan: 1,
                side: Side::Sender
            },
            TaskExit { panicked: false }
        ]
    );
}

#[test]
fn a_rendezvous_send_waits_for_its_receiver() {
    let (mut main, mut child) = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let (tx, rx) = bounded(0);
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let handle = thread::spawn(move || {
            ready_tx.send(()).unwrap();
            tx.send('x').unwrap();
        });
        child = handle.thread().task_id();
        ready_rx.recv().unwrap();
        std::thread::sleep(SETTLE);
        assert_eq!(rx.recv(), Ok('x'));
        handle.join().unwrap();
        drop(rx);
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    let main_events = canon.adopted(&trace, main);
    assert_eq!(
        main_events[..3],
        [
            ChanCreate {
                chan: 1,
                flavor: ChanFlavor::Rendezvous,
                cap: 0
            },
            TaskSpawn { child: 2, name: 0 },
            Recv { chan: 1, msg: 1 },
        ]
    );
    assert_eq!(
        canon.spawned(&trace, child)[..3],
        [
            TaskStart { task: 2, name: 0 },
            SendBegin { chan: 1 },
            SendEnd {
                chan: 1,
                msg: 1,
                outcome: Outcome::Ok
            },
        ]
    );
}

#[test]
fn timeouts_and_immediate_failures_record_their_outcomes() {
    let mut main = 0;
    let trace = testing::record(|| {
        main = me();
        let (tx, rx) = bounded(1);
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(5)),
            Err(RecvTimeoutError::Timeout)
        );
        tx.send(1).unwrap();
        assert_eq!(
            tx.send_timeout(2, Duration::from_millis(5)),
            Err(SendTimeoutError::Timeout(2))
        );
        let deadline = Instant::now() + Duration::from_millis(5);
        assert_eq!(
            tx.send_deadline(3, deadline),
            Err(SendTimeoutError::Timeout(3))
        );
        drop(rx);
        assert_eq!(tx.send(4), Err(SendError(4)));
    });
    let mut canon = Canon::default();
    let (timeout, disconnected) = (Outcome::Timeout, Outcome::Disconnected);
    assert_eq!(
        canon.adopted(&trace, main),
        [
            ChanCreate {
                chan: 1,
                flavor: ChanFlavor::Bounded,
                cap: 1
            },
            RecvBegin { chan: 1 },
            RecvEnd {
                chan: 1,
                msg: 0,
                outcome: timeout
            },
            Send { chan: 1, msg: 1 },
            SendBegin { chan: 1 },
            SendEnd {
                chan: 1,
                msg: 0,
                outcome: timeout
            },
            SendBegin { chan: 1 },
            SendEnd {
                chan: 1,
                msg: 0,
                outcome: timeout
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Receiver
            },
            SendEnd {
                chan: 1,
                msg: 0,
                outcome: disconnected
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Sender
            },
        ]
    );
}

#[test]
fn try_send_and_try_recv_record_every_outcome() {
    let mut main = 0;
    let trace = testing::record(|| {
        main = me();
        let (tx, rx) = bounded(1);
        assert_eq!(tx.try_send(1), Ok(()));
        assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        let (tx, rx) = bounded(1);
        drop(rx);
        assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    });
    let mut canon = Canon::default();
    assert_eq!(
        canon.adopted(&trace, main),
        [
            ChanCreate {
                chan: 1,
                flavor: ChanFlavor::Bounded,
                cap: 1
            },
            TrySend {
                chan: 1,
                msg: 1,
                outcome: Outcome::Ok
            },
            TrySend {
                chan: 1,
                msg: 0,
                outcome: Outcome::Full
            },
            TryRecv {
                chan: 1,
                msg: 1,
                outcome: Outcome::Ok
            },
            TryRecv {
                chan: 1,
                msg: 0,
                outcome: Outcome::Empty
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Sender
            },
            TryRecv {
                chan: 1,
                msg: 0,
                outcome: Outcome::Disconnected
            },
            ChanCreate {
                chan: 2,
                flavor: ChanFlavor::Bounded,
                cap: 1
            },
            ChanDisconnect {
                chan: 2,
                side: Side::Receiver
            },
            TrySend {
                chan: 2,
                msg: 0,
                outcome: Outcome::Disconnected
            },
            ChanDisconnect {
                chan: 2,
                side: Side::Sender
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Receiver
            },
        ]
    );
}

#[test]
fn disconnect_is_recorded_once_when_the_last_clone_of_an_end_drops() {
    let mut main = 0;
    let trace = testing::record(|| {
        main = me();
        let (tx, rx) = unbounded::<()>();
        let (tx2, rx2) = (tx.clone(), rx.clone());
        drop(tx);
        drop(rx);
        drop(tx2);
        drop(rx2);
    });
    let mut canon = Canon::default();
    assert_eq!(
        canon.adopted(&trace, main)[1..],
        [
            ChanDisconnect {
                chan: 1,
                side: Side::Sender
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Receiver
            },
        ]
    );
}

#[test]
fn iterators_record_each_receive_at_the_iterating_line() {
    let mut main = 0;
    let mut lines = (0, 0);
    let trace = testing::record(|| {
        main = me();
        let (tx, rx) = unbounded();
        for n in 0..3 {
            tx.send(n).unwrap();
        }
        lines.0 = line!() + 1;
        let drained: Vec<i32> = rx.try_iter().collect();
        assert_eq!(drained, [0, 1, 2]);
        tx.send(3).unwrap();
        drop(tx);
        lines.1 = line!() + 1;
        let rest: Vec<i32> = rx.iter().collect();
        assert_eq!(rest, [3]);
    });
    let mut canon = Canon::default();
    let events = canon.adopted(&trace, main);
    let try_recvs = events
        .iter()
        .filter(|k| matches!(k, TryRecv { .. }))
        .count();
    assert_eq!(
        try_recvs, 4,
        "three messages and the attempt that found none: {events:?}"
    );
    for event in events_of(&trace, main) {
        match event.kind {
            TryRecv { .. } => assert_site(&trace, event, lines.0),
            Recv { .. } | RecvEnd { .. } => assert_site(&trace, event, lines.1),
            _ => {}
        }
    }
}

#[test]
fn channel_behaviour_matches_crossbeam_with_and_without_recording() {
    with_and_without_recording(|| {
        // smoke (crossbeam tests/list.rs, array.rs)
        let (tx, rx) = unbounded();
        tx.try_send(7).unwrap();
        assert_eq!(rx.try_recv(), Ok(7));
        tx.send(8).unwrap();
        assert_eq!(rx.recv(), Ok(8));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)),
            Err(RecvTimeoutError::Timeout)
        );

        // capacity, len, is_empty, is_full
        let (tx, rx) = bounded(2);
        assert_eq!((tx.capacity(), rx.capacity()), (Some(2), Some(2)));
        assert!(tx.is_empty() && !tx.is_full());
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!((tx.len(), rx.len()), (2, 2));
        assert!(rx.is_full() && !rx.is_empty());
        let (tx0, rx0) = bounded::<()>(0);
        assert_eq!(tx0.capacity(), Some(0));
        assert!(tx0.is_full() && rx0.is_empty());
        assert_eq!(unbounded::<()>().0.capacity(), None);

        // same_channel
        let (tx2, rx2) = bounded::<i32>(1);
        assert!(tx.same_channel(&tx.clone()) && !tx.same_channel(&tx2));
        assert!(rx.same_channel(&rx.clone()) && !rx.same_channel(&rx2));

        // disconnection: buffered messages still arrive, then Err (crossbeam "recv_after_disconnect")
        drop(tx);
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(1)),
            Err(RecvTimeoutError::Disconnected)
        );
        drop(rx2);
        assert_eq!(tx2.send(5), Err(SendError(5)));
        assert_eq!(
            tx2.send_timeout(6, Duration::from_secs(1)),
            Err(SendTimeoutError::Disconnected(6))
        );

        // a blocked receiver is woken by the disconnect (crossbeam "disconnect_wakes_receiver")
        let (tx, rx) = unbounded::<()>();
        let handle = thread::spawn(move || rx.recv());
        std::thread::sleep(Duration::from_millis(10));
        drop(tx);
        assert_eq!(handle.join().unwrap(), Err(RecvError));

        // a blocked sender is woken by the disconnect and gets its value back
        let (tx, rx) = bounded(0);
        let handle = thread::spawn(move || tx.send(String::from("back")));
        std::thread::sleep(Duration::from_millis(10));
        drop(rx);
        assert_eq!(handle.join().unwrap(), Err(SendError(String::from("back"))));

        // recv_deadline / send_timeout with a message arriving in time
        let (tx, rx) = bounded(1);
        let handle = thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            tx.send_timeout(1, Duration::from_secs(5))
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        assert_eq!(rx.recv_deadline(deadline), Ok(1));
        assert_eq!(handle.join().unwrap(), Ok(()));

        // many senders, one receiver, every message delivered once (crossbeam "mpmc" in small)
        let (tx, rx) = bounded(4);
        let senders: Vec<_> = (0..4)
            .map(|t| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for i in 0..100 {
                        tx.send(t * 100 + i).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let mut got: Vec<i32> = rx.into_iter().collect();
        got.sort_unstable();
        assert_eq!(got, (0..400).collect::<Vec<_>>());
        for sender in senders {
            sender.join().unwrap();
        }

        // Debug like crossbeam
        let (tx, rx) = unbounded::<()>();
        assert_eq!(format!("{tx:?} {rx:?}"), "Sender { .. } Receiver { .. }");
        assert_eq!(format!("{:?}", rx.iter()), "Iter { .. }");
    });
}

// ---------------------------------------------------------------------------------------------
// select!
// ---------------------------------------------------------------------------------------------

#[test]
fn select_that_waits_records_begin_arms_and_the_chosen_arm() {
    let (mut main, mut child, mut line) = (0, 0, 0);
    let trace = testing::record(|| {
        main = me();
        let (tx1, rx1) = unbounded::<i32>();
        let (tx2, rx2) = unbounded::<i32>();
        let handle = thread::spawn(move || {
            std::thread::sleep(SETTLE);
            tx2.send(20).unwrap();
        });
        child = handle.thread().task_id();
        line = line!() + 1;
        let got = select! {
            recv(rx1) -> msg => msg.map(|n| n + 1000),
            recv(rx2) -> msg => msg,
        };
        assert_eq!(got, Ok(20));
        handle.join().unwrap();
        drop(tx1);
    });
    let mut canon = Canon::with_tasks(&[main, child]);
    let events = canon.adopted(&trace, main);
    assert_eq!(
        events[3..7],
        [
            SelectBegin {
                arms: 2,
                has_timeout: false
            },
            SelectArm {
                chan: 1,
                op: SelectOp::Recv
            },
            SelectArm {
                chan: 2,
                op: SelectOp::Recv
            },
            SelectEnd {
                chan: 2,
                msg: 1,
                op: SelectOp::Recv,
                outcome: Outcome::Ok
            },
        ]
    );
    let select_events: Vec<&Event> = events_of(&trace, main)
        .filter(|e| {
            matches!(
                e.kind,
                SelectBegin { .. } | SelectArm { .. } | SelectEnd { .. }
            )
        })
        .collect();
    assert_eq!(select_events.len(), 4);
    for event in select_events {
        assert_site(&trace, event, line);
    }
    assert_eq!(canon.spawned(&trace, child)[1], Send { chan: 2, msg: 1 });
}

#[test]
fn select_send_arm_matches_the_receive_by_message_id() {
    let mut main = 0;
    let trace = testing::record(|| {
        main = me();
        let (tx, rx) = bounded(1);
        let (_idle_tx, idle_rx) = unbounded::<()>();
        select! {
            send(tx, 5) -> res => assert_eq!(res, Ok(())),
            recv(idle_rx) -> _ => panic!("nothing is sent on the idle channel"),
        }
        assert_eq!(rx.recv(), Ok(5));
    });
    let mut canon = Canon::default();
    let events = canon.adopted(&trace, main);
    assert_eq!(
        events[2..7],
        [
            SelectBegin {
                arms: 2,
                has_timeout: false
            },
            SelectArm {
                chan: 1,
                op: SelectOp::Send
            },
            SelectArm {
                chan: 2,
                op: SelectOp::Recv
            },
            SelectEnd {
                chan: 1,
                msg: 1,
                op: SelectOp::Send,
                outcome: Outcome::Ok
            },
            Recv { chan: 1, msg: 1 },
        ]
    );
}

#[test]
fn select_default_timeout_and_disconnected_arms_record_their_outcomes() {
    let mut main = 0;
    let trace = testing::record(|| {
        main = me();
        let (tx, rx) = unbounded::<u8>();
        select! {
            recv(rx) -> _ => panic!("empty"),
            default => {}
        }
        let ran_timeout = select! {
            recv(rx) -> _ => false,
            default(Duration::from_millis(5)) => true,
        };
        assert!(ran_timeout);
        drop(tx);
        select! {
            recv(rx) -> msg => assert_eq!(msg, Err(RecvError)),
        }
    });
    let mut canon = Canon::default();
    let arm = SelectArm {
        chan: 1,
        op: SelectOp::Recv,
    };
    assert_eq!(
        canon.adopted(&trace, main)[1..],
        [
            SelectBegin {
                arms: 1,
                has_timeout: true
            },
            arm,
            SelectEnd {
                chan: 0,
                msg: 0,
                op: SelectOp::Recv,
                outcome: Outcome::Empty
            },
            SelectBegin {
                arms: 1,
                has_timeout: true
            },
            arm,
            SelectEnd {
                chan: 0,
                msg: 0,
                op: SelectOp::Recv,
                outcome: Outcome::Timeout
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Sender
            },
            SelectBegin {
                arms: 1,
                has_timeout: false
            },
            arm,
            SelectEnd {
                chan: 1,
                msg: 0,
                op: SelectOp::Recv,
                outcome: Outcome::Disconnected
            },
            ChanDisconnect {
                chan: 1,
                side: Side::Receiver
            },
        ]
    );
}

#[test]
fn select_syntax_and_behaviour_match_crossbeam_with_and_without_recording() {
    with_and_without_recording(|| {
        let (tx1, rx1) = unbounded::<i32>();
        let (tx2, rx2) = bounded::<i32>(1);

        // Block bodies without commas, trailing comma, references as channel expressions.
        tx1.send(1).unwrap();
        let got = select! {
            recv(&rx1) -> msg => { msg.unwrap() }
            recv(rx2) -> msg => { msg.unwrap() * 100 },
        };
        assert_eq!(got, 1);

        // Only the chosen send arm's value is evaluated.
        let mut evaluated = 0;
        tx2.send(0).unwrap(); // full
        select! {
            send(tx2, { evaluated += 1; 1 }) -> _ => panic!("full channel chosen ({evaluated})"),
            send(tx1, { evaluated += 10; 2 }) -> res => assert_eq!(res, Ok(())),
        }
        assert_eq!(evaluated, 10);
        assert_eq!(rx1.recv(), Ok(2));
        assert_eq!(rx2.recv(), Ok(0));

        // A select in a loop with `break` in an arm; the same channel in two arms.
        for n in 0..3 {
            tx1.send(n).unwrap();
        }
        drop(tx1);
        let mut seen = Vec::new();
        loop {
            select! {
                recv(rx1) -> msg => match msg {
                    Ok(n) => seen.push(n),
                    Err(_) => break,
                },
                recv(rx1) -> msg => match msg {
                    Ok(n) => seen.push(n),
                    Err(_) => break,
                },
            }
        }
        assert_eq!(seen, [0, 1, 2]);

        // A body may move the channel it selected on; the channel expression may be a temporary.
        let (tx3, rx3) = unbounded::<&str>();
        tx3.send("moved").unwrap();
        let rx_owned = rx3;
        select! {
            recv(rx_owned) -> msg => {
                assert_eq!(msg, Ok("moved"));
                drop(rx_owned);
            }
        }
        select! {
            recv(disconnected_receiver()) -> msg => assert_eq!(msg, Err(RecvError)),
        }

        // A send arm on a disconnected channel completes with the value handed back.
        let (tx4, rx4) = bounded::<String>(1);
        drop(rx4);
        select! {
            send(tx4, String::from("lost")) -> res => {
                assert_eq!(res, Err(SendError(String::from("lost"))))
            }
            default(Duration::from_secs(5)) => panic!("a disconnected send is ready"),
        }

        // `default` alone, and the path through `weft_recorder::select!`.
        let ran = weft_recorder::select! { default => true };
        assert!(ran);
        let (_tx5, rx5) = channel::unbounded::<()>();
        let timed_out = select! {
            recv(rx5) -> _ => false,
            default(Duration::from_millis(1)) => true
        };
        assert!(timed_out);
    });
}
