//! The comparisons users make, on the sample traces committed in `assets/traces/`: the
//! difference a user cares about must be the top row.
//!
//! The committed recordings are used rather than fresh runs so that the verdicts do not depend
//! on how busy the test machine is; the samples' sources give the lines the rows must name
//! (regenerate the assets with `sample-programs/record-assets.sh` after editing a sample).

use std::path::PathBuf;

use super::*;
use crate::model::{BlockReason, State};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(name: &str) -> (Model, Analysis) {
    let path = root().join("assets/traces").join(format!("{name}.weft"));
    let trace = weft_recorder::format::read_file(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let model = Model::from_trace(&trace);
    let analysis = Analysis::run(&model);
    (model, analysis)
}

fn compare(a: &str, b: &str) -> Comparison {
    let (ma, aa) = load(a);
    let (mb, ab) = load(b);
    Comparison::new(&ma, &aa, &mb, &ab)
}

/// The `file:line` of the first line of sample `sample` containing `needle`.
fn site_of(sample: &str, needle: &str) -> String {
    let file = format!("sample-programs/src/bin/{sample}.rs");
    let source = std::fs::read_to_string(root().join(&file)).expect("the sample's source");
    let line = source
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not in {file}"));
    format!("{file}:{}", line + 1)
}

/// The contended lock against the fixed program (parsing outside the lock, sharded state): what
/// the user fixed is the wait on the hot lock, so that wait disappearing must be the top row of
/// the blocking sites, and the lock time of the workers the top change of the spawn sites. The
/// fixed program lives in another file, so the other waits (the workers' sleeps, main's joins)
/// are paired by who waits there rather than by line.
#[test]
fn mutex_contention_fixed_loses_the_hot_lock_wait_first() {
    let c = compare("mutex_contention", "mutex_contention_fixed");
    let hot = site_of("mutex_contention", "counts.lock().unwrap()");

    let top = &c.blocking_sites[0];
    assert_eq!(top.site(), Some(hot.as_str()), "{:#?}", c.blocking_sites);
    assert_eq!(top.reason, BlockReason::Lock);
    assert_eq!(top.status, Status::Disappeared);
    assert!(top.total_ns.a > 50_000_000, "{:?}", top.total_ns);
    assert_eq!(top.total_ns.delta, -(top.total_ns.a as i64));
    // The fixed program does not wait on any lock for long.
    let lock_in_b: u64 = c
        .blocking_sites
        .iter()
        .filter(|r| r.reason.is_lock())
        .map(|r| r.total_ns.b)
        .sum();
    assert!(lock_in_b < 1_000_000, "{lock_in_b} ns");
    for (reason, needle_a, needle_b) in [
        (BlockReason::Sleep, "thread::sleep", "thread::sleep"),
        (BlockReason::Join, "worker.join()", "worker.join()"),
    ] {
        let row = c
            .blocking_sites
            .iter()
            .find(|r| r.reason == reason)
            .expect("a row");
        assert_eq!(row.matched_by, Some(SiteMatch::Waiters), "{row:#?}");
        assert_eq!(row.site_a, Some(site_of("mutex_contention", needle_a)));
        assert_eq!(
            row.site_b,
            Some(site_of("mutex_contention_fixed", needle_b))
        );
    }

    // The workers live in another file in B: paired by their name.
    let workers = &c.spawn_sites[0];
    assert_eq!(workers.matched_by, Some(GroupMatch::Name), "{workers:#?}");
    assert_eq!(workers.tasks.a, workers.tasks.b);
    assert!(workers
        .spawn_site_b
        .as_deref()
        .is_some_and(|s| s.contains("mutex_contention_fixed.rs")));
    assert_eq!(workers.states[0].state, State::Blocked(BlockReason::Lock));
    assert_eq!(workers.states[0].time_ns.b, 0);

    let gone: Vec<(FindingKind, &str)> = c
        .findings_with(Status::Disappeared)
        .map(|f| (f.kind, f.name.as_str()))
        .collect();
    assert_eq!(gone, vec![(FindingKind::Lint, "lock_held_long")]);
    assert_eq!(c.findings_with(Status::Appeared).count(), 0);
}

/// 2 workers against 8 on the same I/O-bound jobs. What the user cares about is throughput: the
/// same jobs (the same number of messages) done sooner, which `weft diff` puts first (its
/// summary and the `duration` row). The blocking rows are not asserted in order here: the two
/// biggest changes on a quiet machine — `main`'s send on the full job queue and the collector's
/// receive, each lasting about the whole run — are a coin toss between them, and on a loaded
/// two-core machine eight threads oversleep their 1 ms "I/O" enough for the sleep row to lead.
/// What holds either way is asserted: the producer waits less on the pool.
#[test]
fn worker_pool_with_8_workers_finishes_sooner_and_stops_waiting_on_the_pool() {
    let c = compare("worker_pool_2_workers", "worker_pool_8_workers");
    let t = &c.throughput;
    assert!(t.speedup().is_some_and(|s| s > 1.2), "{t:?}");
    assert!(t.duration_ns.delta < 0);
    assert_eq!(t.messages.a, t.messages.b, "the same jobs and results");
    assert!(t.messages.a >= 2 * 64, "{:?}", t.messages);
    assert!(
        t.messages_per_second.ratio.is_some_and(|r| r > 1.2),
        "{t:?}"
    );
    assert_eq!(t.tasks_completed.delta, 6, "six more workers");

    let send = site_of("worker_pool", "job_tx.send(Job");
    let producer = c
        .blocking_sites
        .iter()
        .find(|r| r.site() == Some(send.as_str()))
        .expect("main's send");
    assert_eq!(producer.reason, BlockReason::Send);
    assert_eq!(producer.status, Status::Persisted);
    assert_eq!(producer.waiters, vec!["main".to_string()]);
    assert!(producer.total_ns.delta < 0, "{producer:?}");

    let pool = c
        .spawn_sites
        .iter()
        .find(|r| r.tasks.b == 8)
        .expect("the pool's spawn site");
    assert_eq!(pool.tasks.a, 2);
    assert_eq!(pool.matched_by, Some(GroupMatch::SpawnSite));
    // The spawn call of the workers, one line after their name.
    let named = site_of("worker_pool", ".name(format!(\"worker-{index}\"))");
    let (file, line) = named.rsplit_once(':').expect("file:line");
    let line: u32 = line.parse().expect("a line number");
    assert_eq!(pool.spawn_site_a, Some(format!("{file}:{}", line + 1)));
    assert!(c.findings.is_empty(), "{:?}", c.findings);
}

/// A healthy run against one with leaks: the leaks appear, matched by names and sites.
#[test]
fn leaks_appear_when_comparing_a_healthy_run_with_a_leaky_one() {
    let (ma, aa) = load("worker_pool");
    let (mb, ab) = load("leak_blocked_recv");
    assert!(!ab.leaks.is_empty());
    let c = Comparison::new(&ma, &aa, &mb, &ab);
    let appeared: u64 = c
        .findings_with(Status::Appeared)
        .filter(|f| f.kind == FindingKind::Leak)
        .map(|f| f.count.b)
        .sum();
    let leaks_in_b = ab.leaks.iter().filter(|l| !l.deadlocked).count() as u64;
    assert_eq!(appeared, leaks_in_b);
    assert_eq!(c.findings_with(Status::Disappeared).count(), 0);
}
