//! Verdicts on hand-built event sequences, including the cases a naive analysis gets wrong.

use weft_recorder::event::{ChanFlavor, EventKind as K, LockKind, LockMode, Outcome, Side};

use super::*;
use crate::model::{Model, TaskIx};
use crate::testkit::TraceBuilder;

const MAIN: u64 = 1;
const A: u64 = 2;
const B: u64 = 3;
const C1: u64 = 100;
const C2: u64 = 101;
const L1: u64 = 200;
const L2: u64 = 201;
const CV: u64 = 300;
const X: LockMode = LockMode::Exclusive;

fn chan(b: &mut TraceBuilder, ts: u64, id: u64, line: u32) {
    b.ev(
        ts,
        MAIN,
        line,
        K::ChanCreate {
            chan: id,
            flavor: ChanFlavor::Unbounded,
            cap: 0,
        },
    );
}

fn mutex(b: &mut TraceBuilder, ts: u64, id: u64, line: u32) {
    b.ev(
        ts,
        MAIN,
        line,
        K::LockCreate {
            lock: id,
            kind: LockKind::Mutex,
        },
    );
}

fn recv_ok(chan: u64, msg: u64) -> K {
    K::RecvEnd {
        chan,
        msg,
        outcome: Outcome::Ok,
    }
}

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

#[test]
fn a_receiver_whose_only_sender_is_itself_leaked_is_leaked_too_and_no_deadlock() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    chan(&mut b, 1, C1, 10);
    chan(&mut b, 2, C2, 11);
    b.spawn(3, MAIN, A, "consumer", 12)
        .spawn(5, MAIN, B, "producer", 13)
        .ev(7, A, 20, K::RecvBegin { chan: C1 })
        .ev(8, B, 30, K::Send { chan: C1, msg: 1 })
        .ev(9, A, 20, recv_ok(C1, 1))
        .ev(10, A, 20, K::RecvBegin { chan: C1 })
        // The producer waits for a go-ahead on C2 that main (which holds its sender) never sends.
        .ev(11, B, 31, K::RecvBegin { chan: C2 })
        .ev(50, MAIN, 14, K::SleepBegin { ns: 10 })
        .ev(60, MAIN, 14, K::SleepEnd);
    let (model, analysis) = analyse(&b.finish());

    assert_eq!(analysis.fate(ix(&model, MAIN)), Fate::EndedWithProgram);
    assert_eq!(leaked_ids(&model, &analysis), vec![A, B]);
    assert!(analysis.deadlocks.is_empty(), "{:?}", analysis.deadlocks);
    let consumer = analysis.leak_of(ix(&model, A)).unwrap();
    let c1 = model.object_by_id(C1).unwrap();
    assert_eq!(consumer.cause, LeakCause::NoSender { channel: c1 });
    assert_eq!(consumer.wait.since, 10);
    assert!(consumer
        .cause
        .describe(&model)
        .contains("known senders: task 3"));
}

#[test]
fn a_receiver_whose_sender_still_runs_is_waiting_not_leaked() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    chan(&mut b, 1, C1, 10);
    b.spawn(3, MAIN, A, "consumer", 12)
        .spawn(5, MAIN, B, "producer", 13)
        .ev(7, A, 20, K::RecvBegin { chan: C1 })
        // The producer is busy (running) when the trace ends: it may still send.
        .ev(8, B, 30, K::Yield)
        .ev(9, MAIN, 14, K::JoinBegin { task: B });
    let (model, analysis) = analyse(&b.finish_unclean());
    assert!(analysis.leaks.is_empty(), "{:?}", analysis.leaks);
    assert_eq!(analysis.fate(ix(&model, A)), Fate::Waiting);
    assert_eq!(analysis.fate(ix(&model, B)), Fate::Running);
    assert_eq!(analysis.fate(ix(&model, MAIN)), Fate::Waiting);
    let report = analysis.report(&model);
    assert_eq!(report.tasks.running_at_end, 1);
    assert_eq!(report.tasks.waiting_at_end, 2);
}

#[test]
fn a_receive_ended_by_disconnection_is_no_leak() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    chan(&mut b, 1, C1, 10);
    b.spawn(2, MAIN, A, "a", 11)
        .ev(5, A, 20, K::RecvBegin { chan: C1 })
        .ev(
            8,
            MAIN,
            0,
            K::ChanDisconnect {
                chan: C1,
                side: Side::Sender,
            },
        )
        .ev(
            9,
            A,
            20,
            K::RecvEnd {
                chan: C1,
                msg: 0,
                outcome: Outcome::Disconnected,
            },
        )
        .exit(10, A);
    let (model, analysis) = analyse(&b.finish());
    assert!(analysis.leaks.is_empty());
    assert_eq!(analysis.fate(ix(&model, A)), Fate::Exited);
    // Still blocked at the end after the senders went away: about to wake, not leaked.
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    chan(&mut b, 1, C1, 10);
    b.spawn(2, MAIN, A, "a", 11)
        .ev(5, A, 20, K::RecvBegin { chan: C1 })
        .ev(
            8,
            MAIN,
            0,
            K::ChanDisconnect {
                chan: C1,
                side: Side::Sender,
            },
        );
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(analysis.fate(ix(&model, A)), Fate::Waiting);
}

#[test]
fn a_lock_released_by_a_thread_that_then_exits_wakes_its_waiter() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    mutex(&mut b, 1, L1, 10);
    b.spawn(2, MAIN, A, "holder", 11)
        .spawn(4, MAIN, B, "waiter", 12)
        .ev(6, A, 20, K::LockAcquire { lock: L1, mode: X })
        .ev(7, B, 30, K::LockWait { lock: L1, mode: X })
        .ev(9, A, 21, K::LockRelease { lock: L1, mode: X })
        .exit(10, A)
        .ev(
            11,
            B,
            30,
            K::LockAcquired {
                lock: L1,
                mode: X,
                poisoned: false,
            },
        )
        .ev(12, B, 31, K::LockRelease { lock: L1, mode: X })
        .exit(13, B);
    let (model, analysis) = analyse(&b.finish());
    assert!(analysis.leaks.is_empty());
    assert!(analysis.deadlocks.is_empty());
    assert_eq!(analysis.fate(ix(&model, A)), Fate::Exited);
    assert_eq!(analysis.fate(ix(&model, B)), Fate::Exited);
}

#[test]
fn a_lock_kept_by_a_thread_that_exited_leaks_its_waiter() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    mutex(&mut b, 1, L1, 10);
    b.spawn(2, MAIN, A, "holder", 11)
        .spawn(4, MAIN, B, "waiter", 12)
        .ev(6, A, 20, K::LockAcquire { lock: L1, mode: X })
        // The guard was forgotten: no release before the exit.
        .exit(8, A)
        .ev(9, B, 30, K::LockWait { lock: L1, mode: X });
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(leaked_ids(&model, &analysis), vec![B]);
    let lock = model.object_by_id(L1).unwrap();
    assert_eq!(
        analysis.leaks[0].cause,
        LeakCause::HolderExited {
            lock,
            holder: ix(&model, A)
        }
    );
    assert!(analysis.deadlocks.is_empty());
}

/// Two threads take L1 and L2 in opposite orders and deadlock; main waits to join one of them
/// and the program is killed (no clean end).
fn two_lock_deadlock() -> weft_recorder::format::Trace {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    mutex(&mut b, 1, L1, 10);
    mutex(&mut b, 2, L2, 11);
    b.spawn(3, MAIN, A, "a", 12)
        .spawn(5, MAIN, B, "b", 13)
        .ev(7, A, 20, K::LockAcquire { lock: L1, mode: X })
        .ev(8, B, 30, K::LockAcquire { lock: L2, mode: X })
        .ev(9, A, 21, K::LockWait { lock: L2, mode: X })
        .ev(10, B, 31, K::LockWait { lock: L1, mode: X })
        .ev(11, MAIN, 14, K::JoinBegin { task: A });
    b.finish_unclean()
}

#[test]
fn a_two_lock_deadlock_is_a_deadlock_its_joiner_a_leak_and_the_inversion_hung() {
    let (model, analysis) = analyse(&two_lock_deadlock());
    assert_eq!(analysis.deadlocks.len(), 1);
    let d = &analysis.deadlocks[0];
    assert_eq!(d.tasks, vec![ix(&model, A), ix(&model, B)]);
    assert_eq!(d.cycle_len, 2);
    assert_eq!(d.closed_at(), 10);
    let (l1, l2) = (
        model.object_by_id(L1).unwrap(),
        model.object_by_id(L2).unwrap(),
    );
    assert_eq!(d.objects, vec![l2, l1]);
    assert_eq!(analysis.fate(ix(&model, A)), Fate::Deadlocked);
    // Deadlocked tasks never finish: they are leaks too. Main joins one of them: stuck because
    // of the deadlock, a leak not on the cycle.
    let mut leaked = leaked_ids(&model, &analysis);
    leaked.sort();
    assert_eq!(leaked, vec![MAIN, A, B]);
    let main_leak = analysis.leak_of(ix(&model, MAIN)).unwrap();
    assert!(!main_leak.deadlocked);
    assert_eq!(
        main_leak.cause,
        LeakCause::JoinsStuck {
            task: ix(&model, A)
        }
    );
    let a_leak = analysis.leak_of(ix(&model, A)).unwrap();
    assert!(a_leak.deadlocked);
    assert_eq!(
        a_leak.cause,
        LeakCause::HolderStuck {
            lock: model.object_by_id(L2).unwrap(),
            holder: ix(&model, B)
        }
    );
    assert_eq!(analysis.potential_deadlocks.len(), 1);
    let inv = &analysis.potential_deadlocks[0];
    assert!(inv.hung);
    assert_eq!(inv.locks, vec![l1, l2]);
    let orders: Vec<(u64, u64)> = inv
        .edges
        .iter()
        .map(|e| (model.object(e.held).id, model.object(e.acquired).id))
        .collect();
    assert_eq!(orders, vec![(L1, L2), (L2, L1)]);

    let report = analysis.report(&model);
    let json = serde_json::to_value(&report).unwrap();
    let sites: Vec<&str> = json["deadlocks"][0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["blocked_on"]["site"].as_str().unwrap())
        .collect();
    assert_eq!(sites, vec!["src/demo.rs:21", "src/demo.rs:31"]);
    assert_eq!(
        json["deadlocks"][0]["tasks"][0]["blocked_on"]["kind"],
        "lock"
    );
    assert!(report.deadlocks[0].description.contains("mutex 201"));
}

#[test]
fn a_channel_deadlock_needs_each_side_to_have_used_the_channel_before() {
    // A and B ping-pong once (so each is a known sender on the channel the other reads), then
    // both wait to receive.
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    chan(&mut b, 1, C1, 10);
    chan(&mut b, 2, C2, 11);
    b.spawn(3, MAIN, A, "a", 12)
        .spawn(5, MAIN, B, "b", 13)
        .ev(7, A, 20, K::Send { chan: C2, msg: 1 })
        .ev(8, B, 30, K::Recv { chan: C2, msg: 1 })
        .ev(9, B, 31, K::Send { chan: C1, msg: 1 })
        .ev(10, A, 21, K::Recv { chan: C1, msg: 1 })
        .ev(11, A, 22, K::RecvBegin { chan: C1 })
        .ev(12, B, 32, K::RecvBegin { chan: C2 });
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(analysis.deadlocks.len(), 1, "{:?}", analysis.leaks);
    assert_eq!(
        analysis.deadlocks[0].tasks,
        vec![ix(&model, A), ix(&model, B)]
    );
    assert_eq!(leaked_ids(&model, &analysis), vec![A, B]);
    assert!(analysis.leaks.iter().all(|l| l.deadlocked));
    assert!(analysis.potential_deadlocks.is_empty());

    // Without that evidence the trace cannot tell a channel deadlock from two leaked receivers.
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    chan(&mut b, 1, C1, 10);
    chan(&mut b, 2, C2, 11);
    b.spawn(3, MAIN, A, "a", 12)
        .spawn(5, MAIN, B, "b", 13)
        .ev(11, A, 22, K::RecvBegin { chan: C1 })
        .ev(12, B, 32, K::RecvBegin { chan: C2 });
    let (model, analysis) = analyse(&b.finish());
    assert!(analysis.deadlocks.is_empty());
    assert_eq!(leaked_ids(&model, &analysis), vec![A, B]);
}

#[test]
fn an_inversion_that_did_not_hang_is_a_potential_deadlock_only() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    mutex(&mut b, 1, L1, 10);
    mutex(&mut b, 2, L2, 11);
    b.spawn(3, MAIN, A, "a", 12)
        .ev(6, A, 20, K::LockAcquire { lock: L1, mode: X })
        .ev(7, A, 21, K::LockAcquire { lock: L2, mode: X })
        .ev(8, A, 0, K::LockRelease { lock: L2, mode: X })
        .ev(9, A, 0, K::LockRelease { lock: L1, mode: X })
        .exit(10, A)
        .spawn(20, MAIN, B, "b", 13)
        .ev(22, B, 30, K::LockAcquire { lock: L2, mode: X })
        .ev(23, B, 31, K::LockAcquire { lock: L1, mode: X })
        .ev(24, B, 0, K::LockRelease { lock: L1, mode: X })
        .ev(25, B, 0, K::LockRelease { lock: L2, mode: X })
        .exit(26, B);
    let (model, analysis) = analyse(&b.finish());
    assert!(analysis.deadlocks.is_empty());
    assert!(analysis.leaks.is_empty());
    assert_eq!(analysis.potential_deadlocks.len(), 1);
    let inv = &analysis.potential_deadlocks[0];
    assert!(!inv.hung);
    let first = inv.edges[0];
    assert_eq!(first.task, ix(&model, A));
    assert_eq!(
        model.site_label(first.held_site).as_deref(),
        Some("src/demo.rs:20")
    );
    assert_eq!(
        model.site_label(first.acquire_site).as_deref(),
        Some("src/demo.rs:21")
    );
    let report = analysis.report(&model);
    assert!(report.potential_deadlocks[0]
        .description
        .contains("did not hang"));
}

#[test]
fn one_task_taking_two_locks_in_both_orders_is_no_inversion() {
    let mut b = TraceBuilder::new();
    b.start(0, A, "a")
        .ev(6, A, 20, K::LockAcquire { lock: L1, mode: X })
        .ev(7, A, 21, K::LockAcquire { lock: L2, mode: X })
        .ev(8, A, 0, K::LockRelease { lock: L2, mode: X })
        .ev(9, A, 0, K::LockRelease { lock: L1, mode: X })
        .ev(10, A, 22, K::LockAcquire { lock: L2, mode: X })
        .ev(11, A, 23, K::LockAcquire { lock: L1, mode: X })
        .ev(12, A, 0, K::LockRelease { lock: L1, mode: X })
        .ev(13, A, 0, K::LockRelease { lock: L2, mode: X });
    let (_, analysis) = analyse(&b.finish());
    assert!(analysis.potential_deadlocks.is_empty());
}

#[test]
fn relocking_a_held_mutex_is_a_deadlock_of_one() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main")
        .spawn(1, MAIN, A, "a", 5)
        .ev(2, A, 20, K::LockAcquire { lock: L1, mode: X })
        .ev(3, A, 21, K::LockWait { lock: L1, mode: X });
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(analysis.deadlocks.len(), 1);
    assert_eq!(analysis.deadlocks[0].tasks, vec![ix(&model, A)]);
    assert_eq!(leaked_ids(&model, &analysis), vec![A]);
}

#[test]
fn parked_and_condvar_waits_nobody_can_end_are_leaks_sleeping_is_not() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    mutex(&mut b, 1, L1, 10);
    b.ev(
        2,
        MAIN,
        11,
        K::LockCreate {
            lock: CV,
            kind: LockKind::Condvar,
        },
    )
    .spawn(3, MAIN, A, "parker", 12)
    .spawn(5, MAIN, B, "waiter", 13)
    .ev(7, A, 20, K::ParkBegin { timeout_ns: 0 })
    .ev(8, B, 30, K::LockAcquire { lock: L1, mode: X })
    .ev(9, B, 31, K::CondWait { cv: CV, lock: L1 });
    let mut with_sleeper = b.clone();
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(leaked_ids(&model, &analysis), vec![A, B]);
    assert_eq!(analysis.leaks[0].cause, LeakCause::NobodyToUnpark);
    let cv = model.object_by_id(CV).unwrap();
    assert_eq!(
        analysis.leaks[1].cause,
        LeakCause::NobodyToNotify { condvar: cv }
    );

    // A sleeping thread will wake and could unpark or notify: nothing is leaked for sure.
    with_sleeper
        .spawn(6, MAIN, 4, "sleeper", 14)
        .ev(10, 4, 40, K::SleepBegin { ns: 1_000_000 });
    let (model, analysis) = analyse(&with_sleeper.finish());
    assert!(analysis.leaks.is_empty());
    for id in [A, B, 4] {
        assert_eq!(analysis.fate(ix(&model, id)), Fate::Waiting);
    }
}

#[test]
fn blocking_profile_and_spawn_groups() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    chan(&mut b, 1, C1, 10);
    for (i, id) in [A, B].into_iter().enumerate() {
        let t0 = 10 + 100 * i as u64;
        b.spawn(t0, MAIN, id, "worker", 12)
            .ev(t0 + 10, id, 20, K::RecvBegin { chan: C1 })
            .ev(
                t0 + 40 + 10 * i as u64,
                MAIN,
                13,
                K::Send {
                    chan: C1,
                    msg: 1 + i as u64,
                },
            )
            .ev(t0 + 40 + 10 * i as u64, id, 20, recv_ok(C1, 1 + i as u64))
            .exit(t0 + 60, id);
    }
    let (model, analysis) = analyse(&b.finish());
    let recv = &analysis.blocking.by_reason[0];
    assert_eq!(recv.reason, crate::model::BlockReason::Recv);
    assert_eq!(
        (recv.stat.count, recv.stat.total_ns, recv.stat.max_ns),
        (2, 70, 40)
    );
    let site = &analysis.blocking.by_site[0];
    assert_eq!(
        model.site_label(site.site).as_deref(),
        Some("src/demo.rs:20")
    );
    assert_eq!(site.unfinished, 0);
    // 30 ns and 40 ns waits: both in [32, 64) ns except 30 in [16, 32).
    assert_eq!(analysis.blocking.histogram[4], 1);
    assert_eq!(analysis.blocking.histogram[5], 1);
    let workers = &analysis.groups[0];
    assert_eq!(workers.tasks.len(), 2);
    assert_eq!(workers.name, "worker");
    assert_eq!(
        workers.states.get(crate::model::State::Running),
        2 * 59 - 70
    );
    assert_eq!(workers.fates.get("exited"), Some(&2));
    assert_eq!(analysis.peak_live, 2);
}

#[test]
fn lints_fire_on_their_patterns() {
    let mut b = TraceBuilder::new();
    let ms = 1_000_000;
    b.start(0, MAIN, "main");
    mutex(&mut b, 1, L1, 10);
    chan(&mut b, 2, C1, 11);
    b.spawn(3, MAIN, A, "a", 12).spawn(4, MAIN, B, "b", 13);
    // lock_held_long + lock_held_while_blocking: A holds L1 across a 5 ms sleep while B waits.
    b.ev(10, A, 20, K::LockAcquire { lock: L1, mode: X })
        .ev(20, A, 21, K::SleepBegin { ns: 5 * ms })
        .ev(30, B, 30, K::LockWait { lock: L1, mode: X })
        .ev(5 * ms + 20, A, 21, K::SleepEnd)
        .ev(5 * ms + 30, A, 0, K::LockRelease { lock: L1, mode: X })
        .ev(
            5 * ms + 40,
            B,
            30,
            K::LockAcquired {
                lock: L1,
                mode: X,
                poisoned: false,
            },
        )
        .ev(5 * ms + 50, B, 0, K::LockRelease { lock: L1, mode: X });
    // busy_wait: 150 empty polls 1 µs apart.
    for i in 0..150 {
        b.ev(
            6 * ms + i * 1000,
            B,
            32,
            K::TryRecv {
                chan: C1,
                msg: 0,
                outcome: Outcome::Empty,
            },
        );
    }
    // send_on_disconnected.
    b.ev(
        7 * ms,
        MAIN,
        0,
        K::ChanDisconnect {
            chan: C1,
            side: Side::Receiver,
        },
    )
    .ev(
        7 * ms + 10,
        A,
        22,
        K::TrySend {
            chan: C1,
            msg: 0,
            outcome: Outcome::Disconnected,
        },
    );
    // unbounded_spawning: 70 threads from one site alive at once.
    for i in 0..70 {
        b.ev(
            8 * ms + i,
            MAIN,
            14,
            K::TaskSpawn {
                child: 1000 + i,
                name: 0,
            },
        );
    }
    for i in 0..70 {
        b.exit(9 * ms + i, 1000 + i);
    }
    let (model, analysis) = analyse(&b.finish());
    let kinds: Vec<&str> = analysis.lints.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "lock_held_long",
            "lock_held_while_blocking",
            "unbounded_spawning",
            "busy_wait",
            "send_on_disconnected"
        ]
    );
    let site = |i: usize| model.site_label(analysis.lints[i].site).unwrap();
    // lock_held_long points at the lock's creation.
    assert_eq!(site(0), "src/demo.rs:10");
    assert_eq!(site(1), "src/demo.rs:21");
    assert_eq!(site(2), "src/demo.rs:14");
    assert_eq!(analysis.lints[2].count, 70);
    assert_eq!(site(3), "src/demo.rs:32");
    assert_eq!(analysis.lints[3].count, 150);
    assert_eq!(site(4), "src/demo.rs:22");
    assert!(analysis.leaks.is_empty());

    // Polls 1 ms apart are polling, not spinning; short holds are fine.
    let quiet = Config {
        lock_held_long_ns: 10 * ms,
        lock_held_while_blocking_ns: 10 * ms,
        busy_wait_gap_ns: 500,
        unbounded_spawning_live: 100,
        ..Config::default()
    };
    let kinds: Vec<&str> = Analysis::with_config(&model, &quiet)
        .lints
        .iter()
        .map(|l| l.kind.as_str())
        .collect();
    assert_eq!(kinds, vec!["send_on_disconnected"]);
    assert_eq!(LintKind::from_name("busy_wait"), Some(LintKind::BusyWait));
    assert_eq!(LintKind::from_name("nope"), None);
}

#[test]
fn the_report_keeps_the_json_contract() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    chan(&mut b, 1, C1, 10);
    b.spawn(3, MAIN, A, "stuck", 12)
        .ev(7, A, 20, K::SendBegin { chan: C1 });
    let mut trace = b.finish();
    trace.loss.dropped_events = 3;
    let (model, analysis) = analyse(&trace);
    let json = serde_json::to_value(analysis.report(&model)).unwrap();
    for key in [
        "events",
        "duration_ns",
        "tasks",
        "leaks",
        "deadlocks",
        "potential_deadlocks",
        "blocking",
        "lints",
        "lost_events",
    ] {
        assert!(json.get(key).is_some(), "missing top-level key {key}");
    }
    assert_eq!(json["lost_events"], 3);
    assert_eq!(json["events"], 5);
    let leak = &json["leaks"][0];
    assert_eq!(leak["task"], A);
    assert_eq!(leak["name"], "stuck");
    assert_eq!(leak["spawn_site"], "src/demo.rs:12");
    assert_eq!(leak["blocked_on"]["kind"], "send");
    assert_eq!(leak["blocked_on"]["object"], C1);
    assert_eq!(leak["blocked_on"]["site"], "src/demo.rs:20");
    assert_eq!(leak["since_ns"], 7);
    assert_eq!(leak["cause"], "no_receiver");
    assert_eq!(json["loss"]["complete"], false);
}

#[test]
fn an_async_task_runs_only_while_polled_and_a_lost_waker_is_a_leak() {
    use weft_recorder::event::TOKIO_TASK_BASE;
    let (t1, t2) = (TOKIO_TASK_BASE + 1, TOKIO_TASK_BASE + 2);
    let mut b = TraceBuilder::new();
    // One runtime worker (task MAIN) polls two async tasks.
    b.start(0, MAIN, "worker")
        .ev(1, MAIN, 0, K::RuntimeThreadStart)
        .ev(2, MAIN, 10, K::TaskSpawn { child: t1, name: 0 })
        .ev(3, MAIN, 11, K::TaskSpawn { child: t2, name: 0 })
        .ev(5, t1, 0, K::PollBegin { task: t1 })
        .ev(6, t1, 20, K::RecvBegin { chan: C1 })
        .ev(7, t1, 0, K::WakerClone { task: t1 })
        .ev(
            8,
            t1,
            0,
            K::PollEnd {
                task: t1,
                resume: MAIN,
            },
        )
        .ev(9, t2, 0, K::PollBegin { task: t2 })
        .ev(10, t2, 30, K::Send { chan: C1, msg: 1 })
        .ev(
            11,
            t2,
            30,
            K::TaskWake {
                task: t1,
                consumed: true,
            },
        )
        .ev(11, t2, 0, K::TaskTerminate { task: t2 })
        .ev(
            12,
            t2,
            0,
            K::PollEnd {
                task: t2,
                resume: MAIN,
            },
        )
        .ev(15, t1, 0, K::PollBegin { task: t1 })
        .ev(16, t1, 20, recv_ok(C1, 1))
        .ev(
            17,
            t1,
            0,
            K::PollEnd {
                task: t1,
                resume: MAIN,
            },
        )
        .ev(18, MAIN, 0, K::WorkerPark);
    let (model, analysis) = analyse(&b.finish());
    let t1x = ix(&model, t1);
    let spans: Vec<(u64, &str)> = model
        .timeline(t1x)
        .spans()
        .map(|s| (s.start, s.state.as_str()))
        .collect();
    assert_eq!(
        spans,
        vec![
            (2, "runnable"),
            (5, "running"),
            // A channel wait begun in a poll shows at once (it could block the thread).
            (6, "recv"),
            (11, "runnable"),
            (15, "running"),
            (17, "await")
        ]
    );
    let wake = model.link(model.waker(t1x, 3).expect("the poll has a waker"));
    assert_eq!(wake.kind, crate::model::LinkKind::Wake);
    assert_eq!((wake.from_task, wake.from_ts), (ix(&model, t2), 11));
    // t1's only waker was consumed: idle with none left, it can never be woken.
    assert_eq!(model.task(t1x).live_wakers, Some(0));
    assert_eq!(leaked_ids(&model, &analysis), vec![t1]);
    assert_eq!(analysis.leaks[0].cause, LeakCause::NoWaker);
    // t2 finished; the parked worker is idle, waiting for work.
    assert_eq!(analysis.fate(ix(&model, t2)), Fate::Exited);
    assert_eq!(analysis.fate(ix(&model, MAIN)), Fate::Waiting);
}

#[test]
fn sums_of_times_from_a_hostile_file_saturate_instead_of_overflowing() {
    // Two threads each blocked for nearly the whole u64 range: every sum of their times
    // (blocking profile, state times, lints) would overflow.
    let far = u64::MAX - 10;
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    mutex(&mut b, 1, L1, 10);
    b.spawn(2, MAIN, A, "a", 11)
        .spawn(4, MAIN, B, "b", 11)
        .ev(6, A, 20, K::LockAcquire { lock: L1, mode: X })
        .ev(7, A, 21, K::SleepBegin { ns: far })
        .ev(8, B, 22, K::SleepBegin { ns: far })
        .ev(far, A, 21, K::SleepEnd)
        .ev(far, B, 22, K::SleepEnd)
        .ev(far + 1, A, 0, K::LockRelease { lock: L1, mode: X });
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(analysis.blocking.total_ns, u64::MAX);
    let held = analysis
        .lints
        .iter()
        .find(|l| l.kind == LintKind::LockHeldWhileBlocking)
        .expect("the lock was held across the sleep");
    assert_eq!(held.total_ns, far - 7);
    let json = serde_json::to_value(analysis.report(&model)).unwrap();
    assert_eq!(json["duration_ns"], far + 1);
}

#[test]
fn a_deadlock_says_which_of_its_tasks_form_the_cycle() {
    // A and C read-hold rwlock L1 and wait for mutex L2; B holds L2 and waits to write L1. One
    // tangle of three; the cycle through A is A → B → A, and C is in the tangle beside it.
    const C: u64 = 4;
    let shared = LockMode::Shared;
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    b.ev(
        1,
        MAIN,
        10,
        K::LockCreate {
            lock: L1,
            kind: LockKind::RwLock,
        },
    );
    mutex(&mut b, 2, L2, 11);
    b.spawn(3, MAIN, A, "a", 12)
        .spawn(5, MAIN, B, "b", 12)
        .spawn(7, MAIN, C, "c", 12)
        .ev(
            9,
            A,
            20,
            K::LockAcquire {
                lock: L1,
                mode: shared,
            },
        )
        .ev(
            10,
            C,
            20,
            K::LockAcquire {
                lock: L1,
                mode: shared,
            },
        )
        .ev(11, B, 21, K::LockAcquire { lock: L2, mode: X })
        .ev(12, A, 22, K::LockWait { lock: L2, mode: X })
        .ev(13, C, 22, K::LockWait { lock: L2, mode: X })
        .ev(14, B, 23, K::LockWait { lock: L1, mode: X });
    let (model, analysis) = analyse(&b.finish());
    assert_eq!(analysis.deadlocks.len(), 1);
    let d = &analysis.deadlocks[0];
    assert_eq!(d.tasks, vec![ix(&model, A), ix(&model, B), ix(&model, C)]);
    assert_eq!(d.cycle_len, 2);
    let report = analysis.report(&model);
    assert_eq!(report.deadlocks[0].cycle_len, 2);
    let description = &report.deadlocks[0].description;
    assert!(
        description.contains("the last for the first; stuck with them: task 4 (c)"),
        "{description}"
    );
}
