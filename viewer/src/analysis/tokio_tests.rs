//! Verdicts on hand-built tokio runs: lost wakers and other async leaks, `long_poll`,
//! `lock_held_across_await`, tokio `Mutex` contention, and what a runtime's idle workers are not.

use weft_recorder::event::{
    ChanFlavor, EventKind as K, LockKind, LockMode, ResourceKind, Side, TOKIO_TASK_BASE,
};

use super::*;
use crate::model::{Model, TaskIx};
use crate::testkit::TraceBuilder;

/// The program's main thread.
const MAIN: u64 = 1;
/// A runtime worker thread.
const W1: u64 = 2;
/// Tokio tasks.
const T1: u64 = TOKIO_TASK_BASE + 1;
const T2: u64 = TOKIO_TASK_BASE + 2;
const CH: u64 = 100;
const STD_LOCK: u64 = 200;
const MUTEX: u64 = 300;
const X: LockMode = LockMode::Exclusive;
const MS: u64 = 1_000_000;

fn analyse(trace: &weft_recorder::format::Trace) -> (Model, Analysis) {
    let model = Model::from_trace(trace);
    let analysis = Analysis::run(&model);
    (model, analysis)
}

fn ix(model: &Model, id: u64) -> TaskIx {
    model.task_by_id(id).expect("task exists")
}

fn leaked_ids(model: &Model, analysis: &Analysis) -> Vec<u64> {
    analysis
        .leaks
        .iter()
        .map(|l| model.task(l.task).id)
        .collect()
}

/// The lints as (name, site line).
fn lints(model: &Model, analysis: &Analysis) -> Vec<(&'static str, Option<u32>)> {
    analysis
        .lints
        .iter()
        .map(|l| (l.kind.as_str(), model.site(l.site).map(|s| s.line)))
        .collect()
}

/// `main` and one runtime worker; main spawns `T1` at line 10 and `T2` at line 11.
fn runtime(b: &mut TraceBuilder) {
    b.start(0, MAIN, "main")
        .start(1, W1, "tokio-rt-worker")
        .ev(2, W1, 0, K::RuntimeThreadStart)
        .ev(3, MAIN, 10, K::TaskSpawn { child: T1, name: 0 })
        .ev(4, MAIN, 11, K::TaskSpawn { child: T2, name: 0 });
}

fn channel(b: &mut TraceBuilder, ts: u64, line: u32) {
    b.ev(
        ts,
        MAIN,
        line,
        K::ChanCreate {
            chan: CH,
            flavor: ChanFlavor::Bounded,
            cap: 1,
        },
    );
}

/// `task` polled once on `W1` from `at`, registering its waker with a channel (a receive that
/// waits at `line`), unless `line` is 0 (then it returns Pending keeping no waker).
fn poll_once(b: &mut TraceBuilder, at: u64, task: u64, line: u32) {
    b.poll_begin(at, W1, task);
    if line != 0 {
        b.ev_on(at + 1, W1, task, 0, K::WakerClone { task }).ev_on(
            at + 2,
            W1,
            task,
            line,
            K::RecvBegin { chan: CH },
        );
    }
    b.poll_end(at + 3, W1, task);
}

#[test]
fn a_task_left_with_no_waker_is_a_lost_waker_leak_and_one_with_a_waker_is_not() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    channel(&mut b, 5, 12);
    poll_once(&mut b, 10, T1, 0); // Pending without keeping the waker.
    poll_once(&mut b, 20, T2, 30); // Waits on the channel, whose sender main keeps.
    b.ev(30, W1, 0, K::WorkerPark)
        .ev(40, MAIN, 0, K::TaskExit { panicked: false });
    let (model, analysis) = analyse(&b.finish());

    assert!(model.records_wakers());
    assert_eq!(model.task(ix(&model, T1)).live_wakers, Some(0));
    assert_eq!(model.task(ix(&model, T2)).live_wakers, Some(1));
    // T2's channel: main, the only possible sender, exited without sending or dropping it — a
    // leak too, but for want of a sender; T1 for want of any waker.
    assert_eq!(leaked_ids(&model, &analysis), vec![T1, T2]);
    let causes: Vec<LeakCause> = analysis.leaks.iter().map(|l| l.cause).collect();
    let ch = model.object_by_id(CH).unwrap();
    assert_eq!(
        causes,
        vec![LeakCause::NoWaker, LeakCause::NoSender { channel: ch }]
    );
    let report = analysis.report(&model);
    let json = serde_json::to_value(&report).unwrap();
    let lost = &json["leaks"][0];
    assert_eq!(lost["blocked_on"]["kind"], "await");
    assert_eq!(lost["blocked_on"]["site"], serde_json::Value::Null);
    assert_eq!(lost["spawn_site"], "src/demo.rs:10");
    assert_eq!(lost["cause"], "no_waker");
    // The idle worker is waiting for work, not leaked, and its idle time is no blocking.
    assert_eq!(analysis.fate(ix(&model, W1)), Fate::Waiting);
    assert!(analysis
        .blocking
        .by_reason
        .iter()
        .all(|r| r.reason != crate::model::BlockReason::Park));
}

#[test]
fn an_await_with_a_live_waker_or_unknown_wakers_can_still_be_woken() {
    // Without waker events (no Weft layer) nothing says the waker is lost.
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    poll_once(&mut b, 10, T1, 0);
    b.ev(30, W1, 0, K::WorkerPark);
    let (model, analysis) = analyse(&b.finish());
    assert!(!model.records_wakers());
    assert_eq!(model.task(ix(&model, T1)).live_wakers, None);
    assert!(analysis.leaks.is_empty());
    assert_eq!(analysis.fate(ix(&model, T1)), Fate::Waiting);

    // A task whose waker is cloned and kept somewhere unseen: someone may still wake it.
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    b.poll_begin(10, W1, T1)
        .ev_on(11, W1, T1, 0, K::WakerClone { task: T1 })
        .ev_on(12, W1, T1, 0, K::WakerClone { task: T1 })
        .ev_on(13, W1, T1, 0, K::WakerDrop { task: T1 })
        .poll_end(14, W1, T1)
        .ev(30, W1, 0, K::WorkerPark);
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(model.task(ix(&model, T1)).live_wakers, Some(1));
    assert!(analysis.leaks.is_empty());
}

#[test]
fn an_async_task_awaiting_a_timer_or_a_closed_channel_in_a_select_is_not_stuck() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    channel(&mut b, 5, 12);
    let op = b.name("Sleep::new_timeout");
    b.ev(
        6,
        MAIN,
        13,
        K::ResourceCreate {
            resource: MUTEX,
            kind: ResourceKind::Sleep,
            loc: 0,
        },
    );
    // T1 awaits a timer and (last) a channel nobody will send on: the timer still fires.
    b.poll_begin(10, W1, T1)
        .ev_on(11, W1, T1, 0, K::WakerClone { task: T1 })
        .ev_on(
            12,
            W1,
            T1,
            0,
            K::ResourceWait {
                resource: MUTEX,
                op,
            },
        )
        .ev_on(13, W1, T1, 0, K::WakerClone { task: T1 })
        .ev_on(14, W1, T1, 30, K::RecvBegin { chan: CH })
        .poll_end(15, W1, T1)
        .ev(20, MAIN, 0, K::TaskExit { panicked: false })
        .ev(30, W1, 0, K::WorkerPark);
    let (model, analysis) = analyse(&b.finish());
    let t1 = ix(&model, T1);
    assert_eq!(model.pending_waits(t1).len(), 2);
    assert_eq!(analysis.fate(t1), Fate::Waiting);
    assert!(analysis.leaks.is_empty());
}

#[test]
fn a_task_awaiting_a_channel_whose_senders_are_gone_is_woken_not_leaked() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    channel(&mut b, 5, 12);
    poll_once(&mut b, 10, T1, 30);
    b.ev(
        20,
        MAIN,
        0,
        K::ChanDisconnect {
            chan: CH,
            side: Side::Sender,
        },
    )
    .ev(21, MAIN, 0, K::TaskExit { panicked: false });
    let (model, analysis) = analyse(&b.finish());
    assert!(analysis.leaks.is_empty());
    assert_eq!(analysis.fate(ix(&model, T1)), Fate::Waiting);
}

#[test]
fn a_blocking_call_inside_a_poll_is_a_long_poll_at_that_call() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    // T1 blocks its worker for 50 ms in a sleep; T2 computes for 250 ms without yielding.
    // Fine: T2 polled for 30 ms with no blocking call (it may have been preempted), T1 polled
    // for 30 ms of which it slept 1 ms.
    b.poll_begin(10, W1, T1)
        .ev_on(11, W1, T1, 31, K::SleepBegin { ns: 50 * MS })
        .ev_on(11 + 50 * MS, W1, T1, 31, K::SleepEnd)
        .poll_end(12 + 50 * MS, W1, T1);
    b.poll_begin(100 * MS, W1, T2)
        .poll_end(130 * MS, W1, T2)
        .poll_begin(200 * MS, W1, T2)
        .poll_end(450 * MS, W1, T2)
        .poll_begin(500 * MS, W1, T1)
        .ev_on(500 * MS + 1, W1, T1, 32, K::SleepBegin { ns: MS })
        .ev_on(501 * MS + 1, W1, T1, 32, K::SleepEnd)
        .ev_on(530 * MS, W1, T1, 0, K::TaskTerminate { task: T1 })
        .poll_end(530 * MS + 1, W1, T1);
    let (model, analysis) = analyse(&b.finish());
    // By first occurrence: the blocking call, then the computing task's spawn site.
    assert_eq!(
        lints(&model, &analysis),
        vec![("long_poll", Some(31)), ("long_poll", Some(11))]
    );
    let at_sleep = &analysis.lints[0];
    assert_eq!(at_sleep.count, 1);
    assert_eq!(at_sleep.max_ns, 50 * MS + 2);
    assert_eq!(at_sleep.tasks, vec![ix(&model, T1)]);
    let cpu = &analysis.lints[1];
    assert!(
        cpu.message.contains("tasks spawned at src/demo.rs:11"),
        "{}",
        cpu.message
    );
    assert_eq!(
        (cpu.tasks.clone(), cpu.count, cpu.max_ns),
        (vec![ix(&model, T2)], 1, 250 * MS)
    );
    // The lint has a name for `weft check --allow`.
    assert_eq!(LintKind::from_name("long_poll"), Some(LintKind::LongPoll));
}

#[test]
fn without_task_hooks_a_worker_thread_blocked_in_a_call_is_a_long_poll_too() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    // No polls recorded: the sleep is the worker thread's own. A non-worker thread (main)
    // sleeping as long blocks no runtime.
    b.ev(5, W1, 0, K::WorkerPark)
        .ev(6, W1, 0, K::WorkerUnpark)
        .ev(10, W1, 31, K::SleepBegin { ns: 50 * MS })
        .ev(10 + 50 * MS, W1, 31, K::SleepEnd)
        .ev(20, MAIN, 40, K::SleepBegin { ns: 50 * MS })
        .ev(20 + 50 * MS, MAIN, 40, K::SleepEnd);
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(lints(&model, &analysis), vec![("long_poll", Some(31))]);
}

/// A std mutex created by main at line 20.
fn std_mutex(b: &mut TraceBuilder) {
    b.ev(
        5,
        MAIN,
        20,
        K::LockCreate {
            lock: STD_LOCK,
            kind: LockKind::Mutex,
        },
    );
}

#[test]
fn a_std_lock_taken_in_one_poll_and_released_in_a_later_one_is_held_across_an_await() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    std_mutex(&mut b);
    let acquire = K::LockAcquire {
        lock: STD_LOCK,
        mode: X,
    };
    let release = K::LockRelease {
        lock: STD_LOCK,
        mode: X,
    };
    // T1 takes it at line 21 and awaits before releasing; T2 takes and releases it within a
    // poll (line 22), which is fine.
    b.poll_begin(10, W1, T1)
        .ev_on(11, W1, T1, 21, acquire)
        .poll_end(12, W1, T1)
        .poll_begin(30, W1, T1)
        .ev_on(31, W1, T1, 0, release)
        .poll_end(32, W1, T1)
        .poll_begin(40, W1, T2)
        .ev_on(41, W1, T2, 22, acquire)
        .ev_on(42, W1, T2, 0, release)
        .poll_end(43, W1, T2);
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(
        lints(&model, &analysis),
        vec![("lock_held_across_await", Some(21))]
    );
    let lint = &analysis.lints[0];
    assert_eq!((lint.count, lint.total_ns), (1, 20));
    assert_eq!(lint.objects, vec![model.object_by_id(STD_LOCK).unwrap()]);
    assert_eq!(
        LintKind::from_name("lock_held_across_await"),
        Some(LintKind::LockHeldAcrossAwait)
    );
}

#[test]
fn a_block_on_thread_holding_a_std_lock_while_its_runtime_parks_it_holds_it_across_an_await() {
    // A current-thread runtime: main polls its own future, parks, polls T1. Its lock, taken at
    // line 21 and released after the park, spans an await of its future — not a blocking
    // wait (the park is the runtime's idle time).
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    std_mutex(&mut b);
    b.ev(
        6,
        MAIN,
        21,
        K::LockAcquire {
            lock: STD_LOCK,
            mode: X,
        },
    )
    .ev(7, MAIN, 0, K::WorkerPark)
    .ev(7 + 5 * MS, MAIN, 0, K::WorkerUnpark)
    .ev(
        8 + 5 * MS,
        MAIN,
        0,
        K::LockRelease {
            lock: STD_LOCK,
            mode: X,
        },
    )
    // Another hold spans a poll of T1 on main's thread.
    .ev(
        10 * MS,
        MAIN,
        23,
        K::LockAcquire {
            lock: STD_LOCK,
            mode: X,
        },
    )
    .ev(10 * MS + 1, MAIN, 11, K::TaskSpawn { child: T1, name: 0 })
    .poll_begin(10 * MS + 2, MAIN, T1)
    .ev_on(10 * MS + 2, MAIN, T1, 0, K::TaskTerminate { task: T1 })
    .poll_end(10 * MS + 3, MAIN, T1)
    .ev(
        10 * MS + 4,
        MAIN,
        0,
        K::LockRelease {
            lock: STD_LOCK,
            mode: X,
        },
    );
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(
        lints(&model, &analysis),
        vec![
            ("lock_held_across_await", Some(21)),
            ("lock_held_across_await", Some(23))
        ]
    );
    // Main's parks are idle time: counted neither as blocking nor as a leak.
    assert_eq!(analysis.blocking.total_ns, 0);
    assert!(analysis.leaks.is_empty());
}

#[test]
fn a_contended_tokio_mutex_is_held_long_but_holding_it_across_awaits_is_no_lint() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    let lock_op = b.name("Mutex::lock");
    let sleep_op = b.name("Sleep::new_timeout");
    const TIMER: u64 = 301;
    b.ev(
        5,
        MAIN,
        20,
        K::ResourceCreate {
            resource: MUTEX,
            kind: ResourceKind::Mutex,
            loc: 0,
        },
    )
    .ev(
        6,
        MAIN,
        21,
        K::ResourceCreate {
            resource: TIMER,
            kind: ResourceKind::Sleep,
            loc: 0,
        },
    );
    // T1 takes the mutex and awaits a 5 ms timer holding it; T2 waits for it meanwhile.
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
        .ev_on(
            12,
            W1,
            T1,
            0,
            K::ResourceWait {
                resource: TIMER,
                op: sleep_op,
            },
        )
        .poll_end(13, W1, T1)
        .poll_begin(20, W1, T2)
        .ev_on(
            21,
            W1,
            T2,
            0,
            K::ResourceWait {
                resource: MUTEX,
                op: lock_op,
            },
        )
        .poll_end(22, W1, T2)
        .poll_begin(5 * MS, W1, T1)
        .ev_on(5 * MS + 1, W1, T1, 0, K::ResourceReady { resource: TIMER })
        .ev_on(
            5 * MS + 2,
            W1,
            T1,
            0,
            K::TaskWake {
                task: T2,
                consumed: true,
            },
        )
        .ev_on(
            5 * MS + 3,
            W1,
            T1,
            0,
            K::ResourceRelease {
                resource: MUTEX,
                mode: X,
            },
        )
        .ev_on(5 * MS + 3, W1, T1, 0, K::TaskTerminate { task: T1 })
        .poll_end(5 * MS + 4, W1, T1)
        .poll_begin(5 * MS + 10, W1, T2)
        .ev_on(5 * MS + 11, W1, T2, 0, K::ResourceReady { resource: MUTEX })
        .ev_on(
            5 * MS + 12,
            W1,
            T2,
            0,
            K::ResourceAcquire {
                resource: MUTEX,
                mode: X,
            },
        )
        .ev_on(
            5 * MS + 13,
            W1,
            T2,
            0,
            K::ResourceRelease {
                resource: MUTEX,
                mode: X,
            },
        )
        .ev_on(5 * MS + 13, W1, T2, 0, K::TaskTerminate { task: T2 })
        .poll_end(5 * MS + 14, W1, T2);
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(lints(&model, &analysis), vec![("lock_held_long", Some(20))]);
    let lint = &analysis.lints[0];
    assert_eq!(lint.tasks, vec![ix(&model, T1)]);
    assert!(!lint.message.contains("taken at"), "tokio gives no site");
    assert!(analysis.potential_deadlocks.is_empty());
    assert!(analysis.leaks.is_empty());
}

#[test]
fn a_woken_task_not_yet_polled_at_the_end_can_still_run() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    channel(&mut b, 5, 12);
    poll_once(&mut b, 10, T1, 30);
    b.ev(
        20,
        MAIN,
        0,
        K::TaskWake {
            task: T1,
            consumed: true,
        },
    )
    .ev(21, MAIN, 31, K::Send { chan: CH, msg: 1 });
    let (model, analysis) = analyse(&b.finish());
    let t1 = ix(&model, T1);
    assert_eq!(
        model.timeline(t1).last_span().map(|s| s.state),
        Some(crate::model::State::Runnable)
    );
    assert_eq!(analysis.fate(t1), Fate::Running);
}

#[test]
fn the_runtime_profile_counts_polls_idle_workers_and_wake_to_poll_latency() {
    let mut b = TraceBuilder::new();
    runtime(&mut b);
    channel(&mut b, 5, 12);
    poll_once(&mut b, 10, T1, 30); // a 3 ns poll
    b.ev(20, W1, 0, K::WorkerPark)
        .ev(
            50,
            MAIN,
            0,
            K::TaskWake {
                task: T1,
                consumed: true,
            },
        )
        .ev(51, MAIN, 31, K::Send { chan: CH, msg: 1 })
        .ev(60, W1, 0, K::WorkerUnpark)
        .poll_begin(70, W1, T1)
        .ev_on(71, W1, T1, 0, K::TaskTerminate { task: T1 })
        .poll_end(75, W1, T1)
        .ev(80, MAIN, 0, K::TaskExit { panicked: false });
    let (_, analysis) = analyse(&b.finish());
    let runtime = analysis.runtime.expect("a tokio run");
    assert_eq!((runtime.workers, runtime.tasks), (1, 2));
    assert_eq!(
        (
            runtime.polls.count,
            runtime.polls.total_ns,
            runtime.polls.max_ns
        ),
        (2, 8, 5)
    );
    assert_eq!(runtime.idle_ns, 40);
    assert_eq!(
        (runtime.scheduling.count, runtime.scheduling.max_ns),
        (1, 20),
        "woken at 50, polled at 70"
    );

    // A std program has no runtime section.
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main").exit(5, MAIN);
    let (model, analysis) = analyse(&b.finish());
    assert!(analysis.runtime.is_none());
    let json = serde_json::to_value(analysis.report(&model)).unwrap();
    assert!(json.get("runtime").is_none());
}
