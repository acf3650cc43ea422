//! The model built from exact event sequences.

use weft_recorder::event::{
    ChanFlavor, EventKind as K, LockKind, LockMode, Outcome, SelectOp, Side,
};

use super::*;
use crate::testkit::TraceBuilder;

const MAIN: u64 = 1;
const A: u64 = 2;
const B: u64 = 3;
const CH: u64 = 100;
const LOCK: u64 = 200;
const CV: u64 = 201;

fn states(model: &Model, id: u64) -> Vec<(u64, &'static str)> {
    let t = model.task_by_id(id).expect("task exists");
    model
        .timeline(t)
        .spans()
        .map(|s| (s.start, s.state.as_str()))
        .collect()
}

fn chan(flavor: ChanFlavor, cap: u64) -> K {
    K::ChanCreate {
        chan: CH,
        flavor,
        cap,
    }
}

#[test]
fn a_blocked_receive_is_a_span_on_the_channel_ended_by_the_message() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main")
        .ev(5, MAIN, 10, chan(ChanFlavor::Bounded, 4))
        .spawn(10, MAIN, A, "worker", 11)
        .ev(20, A, 30, K::RecvBegin { chan: CH })
        .ev(50, MAIN, 12, K::Send { chan: CH, msg: 1 })
        .ev(
            55,
            A,
            30,
            K::RecvEnd {
                chan: CH,
                msg: 1,
                outcome: Outcome::Ok,
            },
        )
        .exit(60, A);
    let model = Model::from_trace(&b.finish());

    assert_eq!(
        states(&model, A),
        vec![
            (10, "runnable"),
            (11, "running"),
            (20, "recv"),
            (55, "running"),
            (60, "done")
        ]
    );
    let a = model.task_by_id(A).unwrap();
    let main = model.task_by_id(MAIN).unwrap();
    let lane = model.timeline(a);
    let blocked = lane.span(2);
    let ch = model.object_by_id(CH).unwrap();
    assert_eq!(blocked.target, WaitTarget::Object(ch));
    assert_eq!(
        model.site_label(blocked.site).as_deref(),
        Some("src/demo.rs:30")
    );
    assert_eq!((blocked.start, blocked.end), (20, 55));

    // Who woke it: the message from main.
    let waker = model.link(model.waker(a, 2).expect("the recv has a waker"));
    assert_eq!(waker.kind, LinkKind::Message);
    assert_eq!(
        (waker.from_task, waker.from_ts, waker.to_ts),
        (main, 50, 55)
    );
    // The spawn link.
    let spawn = model.link(model.links_into(a)[0]);
    assert_eq!(spawn.kind, LinkKind::Spawn);
    assert_eq!(
        (spawn.from_task, spawn.from_ts, spawn.to_ts),
        (main, 10, 11)
    );

    // The spawn tree.
    let task = model.task(a);
    assert_eq!(task.parent, Some(main));
    assert_eq!(
        model.site_label(task.spawn_site).as_deref(),
        Some("src/demo.rs:11")
    );
    assert_eq!(model.children(main), &[a]);
    assert_eq!(model.task_name(a), "worker");
    assert_eq!(model.root(), Some(main));
    assert_eq!(model.end_ns(), 60);

    // The channel: created by main, depth 1 after the send and 0 after the receive.
    let object = model.object(ch);
    assert_eq!(
        object.kind,
        ObjectKind::Channel {
            flavor: Some(ChanFlavor::Bounded),
            capacity: 4
        }
    );
    assert_eq!(object.creator, Some(main));
    let events = model.object_events(ch);
    let levels: Vec<(u64, u32)> = (0..events.len())
        .map(|i| (events.start_of(i), events.row(i).level()))
        .collect();
    assert_eq!(levels, vec![(5, 0), (20, 0), (50, 1), (55, 0)]);
    assert_eq!(model.senders(ch), &[main]);
    assert_eq!(model.receivers(ch), &[a]);

    // The worker of A is idle while A waits.
    let w = model.task(a).worker.unwrap();
    let slots: Vec<(u64, Option<TaskIx>)> = model
        .worker_lane(w)
        .starts()
        .iter()
        .zip(model.worker_lane(w).rows())
        .map(|(s, r)| (s, r.task()))
        .collect();
    assert_eq!(
        slots,
        vec![(11, Some(a)), (20, None), (55, Some(a)), (60, None)]
    );
}

#[test]
fn a_receive_seen_before_its_send_still_links_and_never_goes_negative() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main")
        .ev(1, MAIN, 10, chan(ChanFlavor::Rendezvous, 0))
        .start(2, A, "a")
        .ev(3, A, 20, K::SendBegin { chan: CH })
        // The receiver's clock says it returned before the sender did.
        .ev(9, MAIN, 11, K::Recv { chan: CH, msg: 1 })
        .ev(
            10,
            A,
            20,
            K::SendEnd {
                chan: CH,
                msg: 1,
                outcome: Outcome::Ok,
            },
        );
    let model = Model::from_trace(&b.finish());
    let ch = model.object_by_id(CH).unwrap();
    let levels: Vec<u32> = model
        .object_events(ch)
        .rows()
        .iter()
        .map(|e| e.level())
        .collect();
    assert_eq!(levels, vec![0, 0, 0, 0]);
    let link = model.link(LinkIx(0));
    assert_eq!(link.kind, LinkKind::Message);
    assert_eq!((link.from_ts, link.to_ts), (10, 9));
}

#[test]
fn a_receive_ended_by_disconnection_has_no_message_link() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main")
        .ev(1, MAIN, 10, chan(ChanFlavor::Unbounded, 0))
        .spawn(2, MAIN, A, "a", 11)
        .ev(5, A, 20, K::RecvBegin { chan: CH })
        .ev(
            8,
            MAIN,
            0,
            K::ChanDisconnect {
                chan: CH,
                side: Side::Sender,
            },
        )
        .ev(
            9,
            A,
            20,
            K::RecvEnd {
                chan: CH,
                msg: 0,
                outcome: Outcome::Disconnected,
            },
        )
        .exit(10, A);
    let model = Model::from_trace(&b.finish());
    assert_eq!(
        states(&model, A),
        vec![
            (2, "runnable"),
            (3, "running"),
            (5, "recv"),
            (9, "running"),
            (10, "done")
        ]
    );
    assert!(model.links().all(|l| l.kind != LinkKind::Message));
    let ch = model.object_by_id(CH).unwrap();
    assert_eq!(model.object(ch).senders_gone_at, Some(8));
    let last = model.object_events(ch).rows().last().copied().unwrap();
    assert_eq!(last.op(), ObjectOp::Recv(Outcome::Disconnected));
}

#[test]
fn lock_holds_waits_and_the_release_that_let_a_waiter_in() {
    let mut b = TraceBuilder::new();
    let (excl, shared) = (LockMode::Exclusive, LockMode::Shared);
    b.start(0, MAIN, "main")
        .ev(
            1,
            MAIN,
            10,
            K::LockCreate {
                lock: LOCK,
                kind: LockKind::Mutex,
            },
        )
        .start(2, A, "a")
        .start(3, B, "b")
        .ev(
            4,
            A,
            20,
            K::LockAcquire {
                lock: LOCK,
                mode: excl,
            },
        )
        .ev(
            5,
            B,
            30,
            K::LockWait {
                lock: LOCK,
                mode: excl,
            },
        )
        .ev(
            9,
            A,
            0,
            K::LockRelease {
                lock: LOCK,
                mode: excl,
            },
        )
        .exit(10, A)
        .ev(
            11,
            B,
            30,
            K::LockAcquired {
                lock: LOCK,
                mode: excl,
                poisoned: false,
            },
        )
        .ev(
            12,
            B,
            0,
            K::LockRelease {
                lock: LOCK,
                mode: excl,
            },
        )
        .ev(
            13,
            B,
            31,
            K::TryLock {
                lock: LOCK,
                mode: shared,
                ok: true,
            },
        );
    let model = Model::from_trace(&b.finish());
    let lock = model.object_by_id(LOCK).unwrap();
    let (a, bt) = (model.task_by_id(A).unwrap(), model.task_by_id(B).unwrap());
    let holds: Vec<(u64, u64, TaskIx, AcquireKind, bool)> = model
        .holds(lock)
        .iter()
        .map(|h| (h.start, h.end, h.task, h.how, h.released))
        .collect();
    assert_eq!(
        holds,
        vec![
            (4, 9, a, AcquireKind::Immediate, true),
            (11, 12, bt, AcquireKind::AfterWait, true),
            (13, 13, bt, AcquireKind::Try, false),
        ]
    );
    assert_eq!(
        states(&model, B),
        vec![(3, "running"), (5, "lock"), (11, "running")]
    );
    let waker = model.link(model.waker(bt, 1).unwrap());
    assert_eq!(waker.kind, LinkKind::Release);
    assert_eq!((waker.from_task, waker.from_ts), (a, 9));
    // One waiter from 5 to 11.
    let waiters: Vec<u32> = model
        .object_events(lock)
        .rows()
        .iter()
        .map(|e| e.level())
        .collect();
    assert_eq!(waiters, vec![0, 0, 1, 1, 0, 0, 0]);
}

#[test]
fn a_condvar_wait_releases_the_lock_and_the_notify_wakes_it() {
    let excl = LockMode::Exclusive;
    let mut b = TraceBuilder::new();
    b.start(0, A, "a")
        .start(1, B, "b")
        .ev(
            2,
            A,
            10,
            K::LockAcquire {
                lock: LOCK,
                mode: excl,
            },
        )
        .ev(3, A, 11, K::CondWait { cv: CV, lock: LOCK })
        .ev(
            4,
            B,
            20,
            K::LockAcquire {
                lock: LOCK,
                mode: excl,
            },
        )
        .ev(5, B, 21, K::CondNotify { cv: CV, all: false })
        .ev(
            6,
            B,
            0,
            K::LockRelease {
                lock: LOCK,
                mode: excl,
            },
        )
        .ev(
            7,
            A,
            11,
            K::CondWake {
                cv: CV,
                lock: LOCK,
                timed_out: false,
            },
        )
        .ev(
            8,
            A,
            0,
            K::LockRelease {
                lock: LOCK,
                mode: excl,
            },
        );
    let model = Model::from_trace(&b.finish());
    let (a, bt) = (model.task_by_id(A).unwrap(), model.task_by_id(B).unwrap());
    let lock = model.object_by_id(LOCK).unwrap();
    let cv = model.object_by_id(CV).unwrap();
    assert_eq!(model.object(cv).lock, Some(lock));
    let holds: Vec<(u64, u64, TaskIx)> = model
        .holds(lock)
        .iter()
        .map(|h| (h.start, h.end, h.task))
        .collect();
    assert_eq!(holds, vec![(2, 3, a), (4, 6, bt), (7, 8, a)]);
    assert_eq!(
        states(&model, A),
        vec![(0, "running"), (3, "condvar"), (7, "running")]
    );
    let waker = model.link(model.waker(a, 1).unwrap());
    assert_eq!(
        (waker.kind, waker.from_task, waker.from_ts),
        (LinkKind::Notify, bt, 5)
    );
}

#[test]
fn select_arms_joins_unparks_and_annotations() {
    let mut b = TraceBuilder::new();
    let name = b.name("phase");
    b.start(0, MAIN, "main")
        .spawn(1, MAIN, A, "a", 5)
        .ev(
            3,
            A,
            20,
            K::SelectBegin {
                arms: 2,
                has_timeout: true,
            },
        )
        .ev(
            3,
            A,
            0,
            K::SelectArm {
                chan: CH,
                op: SelectOp::Recv,
            },
        )
        .ev(
            3,
            A,
            0,
            K::SelectArm {
                chan: CH + 1,
                op: SelectOp::Send,
            },
        )
        .ev(
            6,
            A,
            20,
            K::SelectEnd {
                chan: 0,
                msg: 0,
                op: SelectOp::Recv,
                outcome: Outcome::Timeout,
            },
        )
        .ev(7, A, 21, K::ParkBegin { timeout_ns: 0 })
        .ev(8, MAIN, 6, K::Unpark { task: A })
        .ev(9, MAIN, 7, K::JoinBegin { task: A })
        .ev(10, A, 21, K::ParkEnd)
        .ev(11, A, 0, K::SpanEnter { span: 1, name })
        .ev(12, A, 0, K::SpanExit { span: 1 })
        .exit(13, A)
        .ev(
            14,
            MAIN,
            7,
            K::JoinEnd {
                task: A,
                panicked: false,
            },
        );
    let model = Model::from_trace(&b.finish());
    let (main, a) = (
        model.task_by_id(MAIN).unwrap(),
        model.task_by_id(A).unwrap(),
    );
    let lane = model.timeline(a);
    let select = lane.span(2);
    assert_eq!(select.state, State::Blocked(BlockReason::Select));
    assert!(select.has_deadline);
    let WaitTarget::Select(s) = select.target else {
        panic!("a select waits on its arms, got {:?}", select.target)
    };
    let (wait, arms) = model.select(s);
    assert!(wait.has_timeout);
    let arm_ids: Vec<u64> = arms.iter().map(|a| model.object(a.channel).id).collect();
    assert_eq!(arm_ids, vec![CH, CH + 1]);

    let park = model.link(model.waker(a, 4).unwrap());
    assert_eq!((park.kind, park.from_task), (LinkKind::Unpark, main));
    let join_span = model.timeline(main).span(1);
    assert_eq!(join_span.target, WaitTarget::Task(a));
    let exit = model.link(model.waker(main, 1).unwrap());
    assert_eq!(
        (exit.kind, exit.from_ts, exit.to_ts),
        (LinkKind::Exit, 13, 14)
    );
    let regions = model.regions(a);
    assert_eq!(regions.len(), 1);
    assert_eq!((regions[0].start, regions[0].end), (11, 12));
    assert_eq!(model.string(regions[0].name), "phase");
}

#[test]
fn a_task_whose_start_was_lost_starts_with_its_first_event() {
    let mut b = TraceBuilder::new();
    b.ev(5, A, 20, K::RecvBegin { chan: CH });
    let model = Model::from_trace(&b.finish_unclean());
    assert_eq!(states(&model, A), vec![(5, "running"), (5, "recv")]);
    let a = model.task_by_id(A).unwrap();
    assert_eq!(model.task(a).started_at, Some(5));
    // A channel seen only through its operations has an unknown flavor.
    let ch = model.object_by_id(CH).unwrap();
    assert_eq!(
        model.object(ch).kind,
        ObjectKind::Channel {
            flavor: None,
            capacity: 0
        }
    );
}

#[test]
fn progress_is_reported_and_cancelling_stops_the_load() {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    let trace = b.finish();
    let mut seen = Vec::new();
    let model = Model::from_trace_with_progress(&trace, |done, total| {
        seen.push((done, total));
        std::ops::ControlFlow::Continue(())
    });
    assert!(model.is_ok());
    assert_eq!(seen.last(), Some(&(1, 1)));
    let cancelled =
        Model::from_trace_with_progress(&trace, |_, _| std::ops::ControlFlow::Break(()));
    assert_eq!(cancelled.err(), Some(Cancelled));
}

#[test]
fn state_counts_are_time_weighted_per_bucket() {
    let mut b = TraceBuilder::new();
    b.start(0, A, "a")
        .ev(50, A, 10, K::SleepBegin { ns: 100 })
        .ev(250, A, 10, K::SleepEnd)
        .start(100, B, "b")
        .exit(300, B)
        .exit(400, A);
    let model = Model::from_trace(&b.finish());
    let counts = model.state_counts(0, 400, 4);
    let running = State::Running.index();
    let sleeping = State::Blocked(BlockReason::Sleep).index();
    let done = State::Done.index();
    let got: Vec<(f32, f32, f32)> = counts
        .iter()
        .map(|c| (c[running], c[sleeping], c[done]))
        .collect();
    // Bucket 0 (0..100): A runs half, sleeps half. 1: A sleeps, B runs. 2: A sleeps half then
    // runs half, B runs. 3: A runs, B done.
    assert_eq!(
        got,
        vec![
            (0.5, 0.5, 0.0),
            (1.0, 1.0, 0.0),
            (1.5, 0.5, 0.0),
            (1.0, 0.0, 1.0)
        ]
    );
    assert_eq!(model.state_counts(0, 400, 0).len(), 0);
}

#[test]
fn the_model_can_be_built_on_another_thread() {
    fn send<T: Send + Sync>() {}
    send::<Model>();
    send::<crate::analysis::Analysis>();
}

/// A synthetic trace: tasks on their own workers, channels, locks, sleeps.
fn synthetic(events: u64) -> Vec<u8> {
    use weft_recorder::synth::{generate, SynthConfig};
    let config = SynthConfig {
        events,
        tasks: 12,
        ..SynthConfig::default()
    };
    generate(&config, Vec::new(), |_| {}).expect("generate a trace")
}

#[test]
fn a_streamed_load_builds_the_same_model_as_a_decoded_trace() {
    let bytes = synthetic(150_000);
    // Whole, cut mid-way, and cut inside the first batches.
    for cut in [bytes.len(), bytes.len() / 2 + 7, 20_000] {
        let bytes = &bytes[..cut];
        let trace = weft_recorder::format::read_bytes(bytes).expect("a trace");
        let stream = weft_recorder::format::open_bytes(bytes).expect("a trace");
        let decoded = Model::from_trace(&trace);
        let streamed = Model::from_stream(stream);
        assert_eq!(streamed.event_count(), trace.events.len() as u64);
        // Every table, compared through its debug form (the model has no `PartialEq`).
        assert_eq!(
            format!("{streamed:?}"),
            format!("{decoded:?}"),
            "cut at {cut}"
        );
    }
}

#[test]
fn a_streamed_load_can_be_cancelled_and_reports_progress_to_the_end() {
    let bytes = synthetic(200_000);
    let stream = weft_recorder::format::open_bytes(&bytes).expect("a trace");
    let total = stream.event_count();
    let mut calls = 0;
    let cancelled = Model::from_stream_with_progress(stream, |done, of| {
        assert_eq!(of, total);
        calls += 1;
        if done >= 100_000 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert!(cancelled.is_err());
    assert!(calls > 1);

    let stream = weft_recorder::format::open_bytes(&bytes).expect("a trace");
    let mut last = (0, 0);
    let model = Model::from_stream_with_progress(stream, |done, of| {
        last = (done, of);
        ControlFlow::Continue(())
    })
    .expect("not cancelled");
    assert_eq!(last, (total, total));
    assert_eq!(model.event_count(), total);
}

/// Holds are kept as the lock operations that took and released them; each must point at the
/// holder's own taking and releasing, and a hold's times are those operations' times.
#[test]
fn every_hold_is_its_holders_own_take_and_release() {
    let bytes = synthetic(150_000);
    let model = Model::from_stream(weft_recorder::format::open_bytes(&bytes).expect("a trace"));
    let mut checked = 0;
    for o in (0..model.objects().len()).map(ObjectIx::at) {
        let ops = model.object_events(o);
        let holds = model.holds(o);
        for (i, h) in holds.iter().enumerate() {
            let taken = (0..ops.len())
                .find(|&k| ops.start_of(k) == h.start && ops.row(k).task == h.task)
                .expect("an operation at the hold's start by its holder");
            assert!(
                matches!(
                    ops.row(taken).op(),
                    ObjectOp::Acquire(_)
                        | ObjectOp::Acquired { .. }
                        | ObjectOp::TryLock { ok: true, .. }
                ),
                "hold {i} of {o:?} starts at {:?}",
                ops.row(taken).op()
            );
            assert_eq!(ops.row(taken).site, h.site);
            if h.released {
                let released = (taken..ops.len())
                    .find(|&k| ops.start_of(k) == h.end && ops.row(k).task == h.task)
                    .expect("an operation at the hold's end by its holder");
                assert!(matches!(ops.row(released).op(), ObjectOp::Release(_)));
            } else {
                assert_eq!(h.end, model.end_ns());
            }
            checked += 1;
        }
        assert!(holds.iter().map(|h| h.start).is_sorted());
    }
    assert!(checked > 1_000, "{checked} holds");
}
