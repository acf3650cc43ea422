//! Comparisons of hand-built runs: matching by names and sites (never ids), the order of rows,
//! findings that come and go, lanes, alignment and the plotted series.

use weft_recorder::event::{ChanFlavor, EventKind as K, LockKind, LockMode};
use weft_recorder::format::{Site, Trace};

use super::*;
use crate::model::{BlockReason, State, TaskIx};
use crate::testkit::{TraceBuilder, FILE};

const MAIN: u64 = 1;
const X: LockMode = LockMode::Exclusive;

fn analyse(trace: &Trace) -> (Model, Analysis) {
    let model = Model::from_trace(trace);
    let analysis = Analysis::run(&model);
    (model, analysis)
}

fn compare(a: &Trace, b: &Trace) -> Comparison {
    let (ma, aa) = analyse(a);
    let (mb, ab) = analyse(b);
    Comparison::new(&ma, &aa, &mb, &ab)
}

fn at(line: u32) -> Option<String> {
    Some(format!("{FILE}:{line}"))
}

fn ix(model: &Model, id: u64) -> TaskIx {
    model.task_by_id(id).expect("task exists")
}

/// A worker sleeping at each `(line, ns)` in turn, one after the other from ts 10.
fn sleeper(sleeps: &[(u32, u64)], register_first: &[u32]) -> Trace {
    let mut b = TraceBuilder::new();
    // Sites get ids in the order they are first seen: registering some first shifts them all.
    for &line in register_first {
        b.site(line);
    }
    b.start(0, MAIN, "main").spawn(1, MAIN, 2, "worker", 12);
    let mut ts = 10;
    for &(line, ns) in sleeps {
        b.ev(ts, 2, line, K::SleepBegin { ns })
            .ev(ts + ns, 2, line, K::SleepEnd);
        ts += ns + 1;
    }
    b.exit(ts, 2)
        .ev(ts + 1, MAIN, 14, K::JoinBegin { task: 2 })
        .ev(
            ts + 2,
            MAIN,
            14,
            K::JoinEnd {
                task: 2,
                panicked: false,
            },
        );
    b.finish()
}

#[test]
fn blocking_sites_are_matched_by_file_and_line_and_the_biggest_change_comes_first() {
    let a = sleeper(&[(30, 1000), (40, 50)], &[]);
    let b = sleeper(&[(30, 100), (40, 60), (50, 5)], &[99, 40, 50]);
    let c = compare(&a, &b);

    let rows: Vec<(Option<String>, BlockReason, Status, i64)> = c
        .blocking_sites
        .iter()
        .map(|r| {
            (
                r.site().map(String::from),
                r.reason,
                r.status,
                r.total_ns.delta,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (at(30), BlockReason::Sleep, Status::Persisted, -900),
            (at(40), BlockReason::Sleep, Status::Persisted, 10),
            (at(50), BlockReason::Sleep, Status::Appeared, 5),
            (at(14), BlockReason::Join, Status::Persisted, 0),
        ]
    );
    let top = &c.blocking_sites[0];
    assert_eq!(top.total_ns.ratio, Some(0.1));
    assert_eq!((top.count.a, top.count.b), (1, 1));
    // The same line, different ids in the two traces: matched all the same.
    let line_40 = &c.blocking_sites[1];
    assert_ne!(line_40.sites_a, line_40.sites_b);
    let appeared = &c.blocking_sites[2];
    assert_eq!(appeared.count, Change::new(0, 1));
    assert_eq!(appeared.total_ns.ratio, None);
    assert!(appeared.sites_a.is_empty());
}

#[test]
fn a_wait_whose_line_moved_is_paired_by_its_waiters_when_unambiguous() {
    let a = sleeper(&[(30, 1000)], &[]);
    let moved = sleeper(&[(31, 100)], &[]);
    let c = compare(&a, &moved);
    let top = &c.blocking_sites[0];
    assert_eq!((top.site_a.clone(), top.site_b.clone()), (at(30), at(31)));
    assert_eq!(top.status, Status::Persisted);
    assert_eq!(top.matched_by, Some(SiteMatch::Waiters));
    assert_eq!(top.waiters, vec!["worker".to_string()]);
    assert_eq!(top.total_ns, Change::new(1000, 100));
    let join = &c.blocking_sites[1];
    assert_eq!(join.matched_by, Some(SiteMatch::Site));
    assert_eq!(join.waiters, vec!["main".to_string()]);

    // Two new sleeps by the same worker: which one is the old line is a guess, so none is made.
    let split = sleeper(&[(31, 100), (32, 50)], &[]);
    let c = compare(&a, &split);
    let statuses: Vec<(Option<&str>, Status)> = c
        .blocking_sites
        .iter()
        .filter(|r| r.reason == BlockReason::Sleep)
        .map(|r| (r.site(), r.status))
        .collect();
    let (l30, l31, l32) = (at(30).unwrap(), at(31).unwrap(), at(32).unwrap());
    assert_eq!(
        statuses,
        vec![
            (Some(l30.as_str()), Status::Disappeared),
            (Some(l31.as_str()), Status::Appeared),
            (Some(l32.as_str()), Status::Appeared),
        ]
    );
}

#[test]
fn columns_of_one_line_merge_into_one_row() {
    let mut b = sleeper(&[(30, 100), (30, 20)], &[]);
    // Give the second sleep its own site: the same line, another column.
    b.sites.push(Site {
        file: FILE.into(),
        line: 30,
        col: 40,
    });
    let column_40 = (b.sites.len() - 1) as u32;
    let original = b
        .events
        .iter()
        .rev()
        .find(|e| matches!(e.kind, K::SleepBegin { ns: 20 }));
    let begin_ts = original.expect("the second sleep").ts;
    for e in &mut b.events {
        if e.task == 2 && e.ts >= begin_ts && e.ts <= begin_ts + 20 {
            e.site = column_40;
        }
    }
    let a = sleeper(&[(30, 60)], &[]);
    let c = compare(&a, &b);
    let row = &c.blocking_sites[0];
    assert_eq!((row.site_a.clone(), row.site_b.clone()), (at(30), at(30)));
    assert_eq!(row.matched_by, Some(SiteMatch::Site));
    assert_eq!(row.count, Change::new(1, 2));
    assert_eq!(row.total_ns, Change::new(60, 120));
    assert_eq!(row.max_ns, Change::new(60, 100));
    assert_eq!(row.sites_b.len(), 2);
    assert_eq!(
        c.blocking_sites
            .iter()
            .filter(|r| r.reason == BlockReason::Sleep)
            .count(),
        1
    );
}

/// Main spawns `workers` tasks named `name` at `line`, each sleeping `ns` at line 30, then a
/// `helper` at line 14 when asked; main joins them all.
fn pool(name: &str, line: u32, workers: u64, ns: u64, helper: bool) -> Trace {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    let mut ts = 1;
    let ids: Vec<u64> = (0..workers).map(|i| 10 + i).collect();
    for &id in &ids {
        b.spawn(ts, MAIN, id, name, line);
        ts += 2;
    }
    if helper {
        b.spawn(ts, MAIN, 99, "helper", 14).exit(ts + 5, 99);
        ts += 6;
    }
    for &id in &ids {
        b.ev(ts, id, 30, K::SleepBegin { ns })
            .ev(ts + ns, id, 30, K::SleepEnd)
            .exit(ts + ns + 1, id);
    }
    let mut end = ts + ns + 2;
    for &id in &ids {
        b.ev(end, MAIN, 40, K::JoinBegin { task: id }).ev(
            end + 1,
            MAIN,
            40,
            K::JoinEnd {
                task: id,
                panicked: false,
            },
        );
        end += 2;
    }
    b.finish()
}

#[test]
fn spawn_sites_that_moved_are_paired_by_task_name() {
    let a = pool("worker", 12, 2, 1000, false);
    let b = pool("worker", 13, 3, 100, true);
    let c = compare(&a, &b);

    let workers = &c.spawn_sites[0];
    assert_eq!(workers.name, "worker");
    assert_eq!(
        (workers.spawn_site_a.clone(), workers.spawn_site_b.clone()),
        (at(12), at(13))
    );
    assert_eq!(workers.status, Status::Persisted);
    assert_eq!(workers.matched_by, Some(GroupMatch::Name));
    assert_eq!(workers.tasks, Change::new(2, 3));
    assert_eq!(workers.completed, Change::new(2, 3));
    let sleep = workers.state(State::Blocked(BlockReason::Sleep));
    assert_eq!(sleep, Change::new(2000, 300));
    assert_eq!(workers.states[0].state, State::Blocked(BlockReason::Sleep));
    assert_eq!(workers.change_ns, 1700);
    assert_eq!(workers.tasks_a.len(), 2);
    assert_eq!(workers.tasks_b.len(), 3);

    let main = c
        .spawn_sites
        .iter()
        .find(|r| r.name == "main")
        .expect("main");
    assert_eq!(main.matched_by, Some(GroupMatch::Name));
    assert_eq!(
        (main.spawn_site_a.clone(), main.spawn_site_b.clone()),
        (None, None)
    );

    let helper = c
        .spawn_sites
        .iter()
        .find(|r| r.name == "helper")
        .expect("helper");
    assert_eq!(helper.status, Status::Appeared);
    assert_eq!(helper.matched_by, None);
    assert_eq!(helper.tasks, Change::new(0, 1));
    assert_eq!(c.spawn_sites.len(), 3);
}

#[test]
fn spawn_sites_at_the_same_line_match_by_site_even_when_renamed() {
    let a = pool("worker", 12, 1, 10, false);
    let b = pool("handler", 12, 1, 10, false);
    let c = compare(&a, &b);
    let row = c
        .spawn_sites
        .iter()
        .find(|r| r.spawn_site_a == at(12))
        .expect("the pool");
    assert_eq!(row.matched_by, Some(GroupMatch::SpawnSite));
    assert_eq!(row.name, "worker");
    assert_eq!(row.spawn_site_b, at(12));
}

#[test]
fn throughput_counts_completed_tasks_messages_and_rates() {
    let a = pool("worker", 12, 2, 1000, false);
    let b = pool("worker", 12, 4, 100, false);
    let c = compare(&a, &b);
    let t = &c.throughput;
    // Main ends with the program at a clean end: it counts as completed.
    assert_eq!(t.tasks_completed, Change::new(3, 5));
    assert_eq!(t.tasks, Change::new(3, 5));
    assert!(t.duration_ns.b < t.duration_ns.a);
    assert!(t.speedup().is_some_and(|s| s > 1.0));
    assert_eq!(
        t.blocked_ns.a,
        c.spawn_sites
            .iter()
            .map(|r| {
                r.states
                    .iter()
                    .filter(|s| s.state.blocked().is_some())
                    .map(|s| s.time_ns.a)
                    .sum::<u64>()
            })
            .sum::<u64>()
    );
    let per_second = |n: u64, ns: u64| n as f64 * 1e9 / ns as f64;
    assert_eq!(
        t.events_per_second.a,
        per_second(t.events.a, t.duration_ns.a)
    );
    assert_eq!(t.messages, Change::new(0, 0));
    assert_eq!(t.messages_per_second.ratio, None);

    // Messages: a producer sending three.
    let mut m = TraceBuilder::new();
    m.start(0, MAIN, "main").ev(
        1,
        MAIN,
        10,
        K::ChanCreate {
            chan: 100,
            flavor: ChanFlavor::Unbounded,
            cap: 0,
        },
    );
    for i in 0..3 {
        m.ev(
            2 + i,
            MAIN,
            11,
            K::Send {
                chan: 100,
                msg: i + 1,
            },
        );
    }
    let c = compare(&m.finish(), &pool("worker", 12, 1, 10, false));
    assert_eq!(c.throughput.messages, Change::new(3, 0));
}

/// A consumer (task `id`, named `name`) waiting forever on a channel `chan` nobody sends on.
fn leaky(consumers: &[(u64, &str, u32)], chan: u64) -> Trace {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main").ev(
        1,
        MAIN,
        10,
        K::ChanCreate {
            chan,
            flavor: ChanFlavor::Unbounded,
            cap: 0,
        },
    );
    let mut ts = 2;
    for &(id, name, line) in consumers {
        b.spawn(ts, MAIN, id, name, line)
            .ev(ts + 3, id, 20, K::RecvBegin { chan });
        ts += 5;
    }
    b.ev(ts + 10, MAIN, 15, K::SleepBegin { ns: 10 })
        .ev(ts + 20, MAIN, 15, K::SleepEnd);
    b.finish()
}

#[test]
fn leaks_are_matched_by_name_and_sites_not_by_ids() {
    let a = leaky(&[(2, "consumer", 12)], 100);
    let b = leaky(&[(7, "stuck", 13), (9, "consumer", 12)], 555);
    let c = compare(&a, &b);

    let leaks: Vec<(Status, &str, Change)> = c
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Leak)
        .map(|f| (f.status, f.name.as_str(), f.count))
        .collect();
    assert_eq!(
        leaks,
        vec![
            (Status::Appeared, "stuck", Change::new(0, 1)),
            (Status::Persisted, "consumer", Change::new(1, 1)),
        ]
    );
    let consumer = c
        .findings_with(Status::Persisted)
        .next()
        .expect("persisted");
    assert_eq!(consumer.spawn_site, at(12));
    assert_eq!(consumer.site, at(20));
    assert_eq!(consumer.reason, Some(BlockReason::Recv));
    assert!(!consumer.key.contains(" 9"), "{}", consumer.key);
    assert!(
        consumer.description.contains("task 9"),
        "{}",
        consumer.description
    );

    // The other way round, it disappeared.
    let back = compare(&b, &a);
    let gone: Vec<&str> = back
        .findings_with(Status::Disappeared)
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(gone, vec!["stuck"]);
}

/// Tasks `first` and `second` take locks in opposite orders and deadlock; main joins `first`.
/// Lines follow the names, so either spawn order gives the same sites.
fn deadlock(first: (u64, &str), second: (u64, &str), locks: (u64, u64)) -> Trace {
    let mut b = TraceBuilder::new();
    b.start(0, MAIN, "main");
    for (ts, lock, line) in [(1, locks.0, 10), (2, locks.1, 11)] {
        b.ev(
            ts,
            MAIN,
            line,
            K::LockCreate {
                lock,
                kind: LockKind::Mutex,
            },
        );
    }
    let lines = |name: &str| if name == "left" { (12, 20) } else { (13, 30) };
    let order = |name: &str| {
        if name == "left" {
            (locks.0, locks.1)
        } else {
            (locks.1, locks.0)
        }
    };
    let mut ts = 3;
    for (id, name) in [first, second] {
        b.spawn(ts, MAIN, id, name, lines(name).0);
        ts += 2;
    }
    for (id, name) in [first, second] {
        let (take, then) = order(name);
        let line = lines(name).1;
        b.ev(
            ts,
            id,
            line,
            K::LockAcquire {
                lock: take,
                mode: X,
            },
        );
        ts += 1;
        b.ev(
            ts + 1,
            id,
            line + 1,
            K::LockWait {
                lock: then,
                mode: X,
            },
        );
    }
    b.ev(ts + 5, MAIN, 14, K::JoinBegin { task: first.0 });
    b.finish_unclean()
}

#[test]
fn a_deadlock_keeps_its_identity_across_ids_and_spawn_order() {
    let a = deadlock((2, "left"), (3, "right"), (200, 201));
    let b = deadlock((8, "right"), (7, "left"), (500, 501));
    let (ma, aa) = analyse(&a);
    let (mb, ab) = analyse(&b);
    assert_eq!((aa.deadlocks.len(), ab.deadlocks.len()), (1, 1));
    let c = Comparison::new(&ma, &aa, &mb, &ab);
    let kinds: Vec<(Status, FindingKind)> = c.findings.iter().map(|f| (f.status, f.kind)).collect();
    // Main, stuck joining a deadlocked task, is a leak in both runs (the same join site).
    assert!(
        kinds.contains(&(Status::Persisted, FindingKind::Deadlock)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(Status::Persisted, FindingKind::PotentialDeadlock)),
        "{kinds:?}"
    );
    let d = c
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Deadlock)
        .expect("deadlock");
    assert_eq!(d.name, "left, right");
    assert_eq!(d.count, Change::new(1, 1));
    assert_eq!(d.tasks_a, vec![ix(&ma, 2), ix(&ma, 3)]);
    // Deadlocked tasks are not listed again as leaks.
    let leaks: Vec<(Status, &str)> = c
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Leak)
        .map(|f| (f.status, f.name.as_str()))
        .collect();
    assert_eq!(leaks, vec![(Status::Persisted, "main")]);

    let healthy = pool("left", 12, 1, 10, false);
    let fixed = compare(&a, &healthy);
    let gone: Vec<FindingKind> = fixed
        .findings_with(Status::Disappeared)
        .map(|f| f.kind)
        .collect();
    assert!(gone.contains(&FindingKind::Deadlock), "{gone:?}");
    assert!(gone.contains(&FindingKind::PotentialDeadlock), "{gone:?}");
    assert_eq!(fixed.findings_with(Status::Appeared).count(), 0);
}

#[test]
fn a_run_compared_with_itself_changes_nothing() {
    let a = deadlock((2, "left"), (3, "right"), (200, 201));
    let c = compare(&a, &a);
    assert!(c
        .blocking_sites
        .iter()
        .all(|r| r.status == Status::Persisted && r.total_ns.delta == 0));
    assert!(c
        .spawn_sites
        .iter()
        .all(|r| r.status == Status::Persisted && r.change_ns == 0));
    assert!(c.findings.iter().all(|f| f.status == Status::Persisted));
    assert_eq!(c.throughput.duration_ns.ratio, Some(1.0));
}

#[test]
fn lanes_pair_by_name_and_site_then_name_then_site() {
    let build = |tasks: &[(u64, &str, u32)]| {
        let mut b = TraceBuilder::new();
        b.start(0, MAIN, "main");
        for (i, &(id, name, line)) in tasks.iter().enumerate() {
            b.spawn(1 + 2 * i as u64, MAIN, id, name, line);
        }
        Model::from_trace(&b.finish())
    };
    let a = build(&[
        (2, "w-0", 12),
        (3, "w-1", 12),
        (4, "", 13),
        (5, "", 13),
        (6, "old", 14),
        (7, "mover", 15),
    ]);
    let b = build(&[
        (20, "w-1", 12),
        (21, "w-0", 12),
        (22, "w-2", 12),
        (23, "", 13),
        (24, "new", 14),
        (25, "mover", 16),
    ]);
    let m = LaneMatching::new(&a, &b);
    let pair = |id_a: u64| {
        let t = ix(&a, id_a);
        m.b_for(t).map(|u| (b.task(u).id, m.matched_by(t)))
    };
    assert_eq!(pair(MAIN), Some((MAIN, Some(MatchedBy::NameAndSite))));
    assert_eq!(pair(2), Some((21, Some(MatchedBy::NameAndSite))));
    assert_eq!(pair(3), Some((20, Some(MatchedBy::NameAndSite))));
    // Unnamed threads of one site pair in spawn order; the extra one has no counterpart.
    assert_eq!(pair(4), Some((23, Some(MatchedBy::NameAndSite))));
    assert_eq!(pair(5), None);
    assert_eq!(pair(6), Some((24, Some(MatchedBy::SpawnSite))));
    assert_eq!(pair(7), Some((25, Some(MatchedBy::Name))));

    assert_eq!(m.a_for(ix(&b, 21)), Some(ix(&a, 2)));
    let only_b: Vec<u64> = m.unmatched_b().map(|t| b.task(t).id).collect();
    assert_eq!(only_b, vec![22]);
    let only_a: Vec<u64> = m.unmatched_a().map(|t| a.task(t).id).collect();
    assert_eq!(only_a, vec![5]);
    assert_eq!(m.pairs().len(), 6);
    let rows = m.rows();
    assert_eq!(rows.len(), a.tasks().len() + 1);
    assert_eq!(rows.last(), Some(&(None, Some(ix(&b, 22)))));
}

/// Main starts at `t0`, marks `ready` and enters region `work` at `t0 + mark`, sleeps at line 30
/// over `[t0 + 100, t0 + 300)` and yields at `t0 + 400` (the end).
fn marked(t0: u64, mark: u64) -> Model {
    let mut b = TraceBuilder::new();
    let ready = b.name("ready");
    let work = b.name("work");
    b.start(t0, MAIN, "main")
        .ev(
            t0 + mark,
            MAIN,
            50,
            K::Mark {
                message: ready,
                level: 2,
            },
        )
        .ev(
            t0 + mark,
            MAIN,
            0,
            K::SpanEnter {
                span: 1,
                name: work,
            },
        )
        .ev(t0 + 100, MAIN, 30, K::SleepBegin { ns: 200 })
        .ev(t0 + 300, MAIN, 30, K::SleepEnd)
        .ev(t0 + 350, MAIN, 0, K::SpanExit { span: 1 })
        .ev(t0 + 400, MAIN, 0, K::Yield);
    Model::from_trace(&b.finish())
}

#[test]
fn alignment_pins_both_runs_at_an_anchor() {
    let a = marked(0, 250);
    let b = marked(1000, 50);
    let start = Alignment::at_start(&a, &b);
    assert_eq!((start.origin_a, start.origin_b), (0, 1000));
    assert_eq!(start.a_to_b(100), 1100);

    let by_mark = Alignment::at(&a, &b, &Anchor::Mark("ready".into())).expect("both marked");
    assert_eq!((by_mark.origin_a, by_mark.origin_b), (250, 1050));
    assert_eq!(by_mark.aligned(Run::A, 100), -150);
    assert_eq!(by_mark.timestamp(Run::B, -150), 900);
    assert_eq!(by_mark.b_to_a(1100), 300);
    assert_eq!(by_mark.extent(Run::B, &b), (-1050 + 1000, 1400 - 1050));
    assert_eq!(by_mark.union_extent(&a, &b), (-250, 350));

    for (anchor, in_a) in [
        (Anchor::Start, 0),
        (Anchor::Region("work".into()), 250),
        (Anchor::Site(format!("{FILE}:30")), 100),
        (Anchor::Site(format!("{FILE}:50")), 250),
        (Anchor::Task("main".into()), 0),
    ] {
        assert_eq!(anchor.time_in(&a), Some(in_a), "{anchor}");
    }
    let missing = Alignment::at(&a, &b, &Anchor::Mark("never".into())).unwrap_err();
    assert_eq!(missing.run, Run::A);
    assert_eq!(missing.to_string(), "run A has no mark \"never\"");
    assert_eq!(Anchor::Site(format!("{FILE}:31")).time_in(&a), None);
}

/// What the compare view offers to align at: things both runs reach, each of which aligns.
#[test]
fn the_anchors_offered_are_in_both_runs_and_align() {
    let a = marked(0, 250);
    let b = marked(1000, 50);
    let offered = Anchor::common(&a, &b, 10);
    assert_eq!(offered.first(), Some(&Anchor::Start));
    for wanted in [
        Anchor::Mark("ready".into()),
        Anchor::Region("work".into()),
        Anchor::Task("main".into()),
    ] {
        assert!(offered.contains(&wanted), "{wanted} in {offered:?}");
    }
    assert!(
        offered.iter().any(|x| matches!(x, Anchor::Site(_))),
        "{offered:?}"
    );
    for anchor in &offered {
        assert!(Alignment::at(&a, &b, anchor).is_ok(), "{anchor}");
    }
    assert_eq!(Anchor::common(&a, &b, 0), vec![Anchor::Start]);
}

#[test]
fn anchors_parse_what_they_print() {
    for anchor in [
        Anchor::Start,
        Anchor::Mark("ready: go".into()),
        Anchor::Region("work".into()),
        Anchor::Site("src/main.rs:12".into()),
        Anchor::Task("worker-1".into()),
    ] {
        assert_eq!(anchor.to_string().parse::<Anchor>(), Ok(anchor.clone()));
    }
    assert!("mark:".parse::<Anchor>().is_err());
    assert!("line:12".parse::<Anchor>().is_err());
    assert!("nothing".parse::<Anchor>().is_err());
}

#[test]
fn the_state_series_puts_both_runs_on_one_axis() {
    let a = marked(0, 250);
    let b = marked(1000, 50);
    let start = Alignment::at_start(&a, &b);
    let running = State::Running.index();
    let sleeping = State::Blocked(BlockReason::Sleep).index();

    // Aligned at their starts the two runs are the same timeline.
    let s = StateSeries::window(&a, &b, &start, 0, 400, 4);
    assert_eq!((s.len(), s.bucket_ns, s.bucket_start(2)), (4, 100, 200));
    for run in [Run::A, Run::B] {
        let shape: Vec<(f32, f32)> = s
            .of(run)
            .iter()
            .map(|c| (c[running], c[sleeping]))
            .collect();
        assert_eq!(
            shape,
            vec![(1.0, 0.0), (0.0, 1.0), (0.0, 1.0), (1.0, 0.0)],
            "{run:?}"
        );
        assert_eq!(s.live(run, 1), 1.0);
    }

    // A window that begins before run A's clock: the first bucket is half outside the run.
    let early = StateSeries::window(&a, &b, &start, -50, 150, 2);
    assert_eq!(early.a[0][running], 0.5);
    assert_eq!((early.a[1][running], early.a[1][sleeping]), (0.5, 0.5));

    // Aligned at the mark, A's sleep starts 150 ns before the anchor and B's 50 ns after it.
    let by_mark = Alignment::at(&a, &b, &Anchor::Mark("ready".into())).expect("marked");
    let s = StateSeries::new(&a, &b, &by_mark, 6);
    assert_eq!(s.from, -250);
    let at = |run: Run, t: i64| {
        let i = ((t - s.from) / s.bucket_ns as i64) as usize;
        s.of(run)[i][sleeping]
    };
    assert!(at(Run::A, -100) > 0.9);
    assert_eq!(at(Run::B, -100), 0.0);
    assert!(at(Run::B, 150) > 0.9);
    // Before B's first event there is nothing to count.
    assert_eq!(s.live(Run::B, 0), 0.0);
    assert!(s.live(Run::A, 0) > 0.9);
}

#[test]
fn the_json_has_the_documented_keys() {
    let a = leaky(&[(2, "consumer", 12)], 100);
    let b = pool("worker", 12, 2, 10, false);
    let c = compare(&a, &b).with_files("a.weft", "b.weft");
    let json = serde_json::to_value(&c).expect("serialises");
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&json),
        [
            "a",
            "b",
            "blocking_sites",
            "findings",
            "spawn_sites",
            "throughput"
        ]
    );
    assert_eq!(
        keys(&json["a"]),
        [
            "complete",
            "duration_ns",
            "events",
            "file",
            "program",
            "tasks"
        ]
    );
    assert_eq!(json["a"]["file"], "a.weft");
    assert_eq!(
        keys(&json["throughput"]),
        [
            "blocked_ns",
            "duration_ns",
            "events",
            "events_per_second",
            "messages",
            "messages_per_second",
            "peak_live",
            "tasks",
            "tasks_completed",
            "tasks_completed_per_second"
        ]
    );
    let change = ["a", "b", "delta", "ratio"];
    assert_eq!(keys(&json["throughput"]["duration_ns"]), change);
    assert_eq!(
        keys(&json["blocking_sites"][0]),
        [
            "count",
            "matched_by",
            "max_ns",
            "reason",
            "site_a",
            "site_b",
            "status",
            "total_ns",
            "unfinished",
            "waiters"
        ]
    );
    assert_eq!(keys(&json["blocking_sites"][0]["total_ns"]), change);
    let spawn = &json["spawn_sites"][0];
    assert_eq!(
        keys(spawn),
        [
            "change_ns",
            "completed",
            "matched_by",
            "name",
            "spawn_site_a",
            "spawn_site_b",
            "states",
            "status",
            "tasks"
        ]
    );
    assert_eq!(
        keys(&spawn["states"][0]),
        ["a", "b", "delta", "ratio", "state"]
    );
    let finding = &json["findings"][0];
    assert_eq!(
        keys(finding),
        [
            "count",
            "description",
            "key",
            "kind",
            "name",
            "reason",
            "site",
            "spawn_site",
            "status"
        ]
    );
    assert_eq!(finding["status"], "disappeared");
    assert_eq!(finding["kind"], "leak");
    assert_eq!(finding["reason"], "recv");
    assert_eq!(finding["count"]["ratio"], 0.0);
}
