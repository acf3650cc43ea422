//! Every sample runs, exits 0 on its own, prints its one-line summary and writes a complete trace
//! whose facts agree with the sample's declared ground truth; and every truth site points at the
//! marked line it names.
//!
//! The tokio samples' truth depends on the build (see `weft_samples::truth_for`): run these tests
//! both ways, `cargo test -p weft-samples` and, in another target directory,
//! `RUSTFLAGS="--cfg tokio_unstable" cargo test -p weft-samples`.

mod support;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use weft_recorder::event::{is_tokio_task, EventKind, Outcome, Side};
use weft_recorder::format::{read_file, Trace};
use weft_samples::{Lint, ObjectKind, SourceSite, Truth, WaitKind, SAMPLES, TOKIO_UNSTABLE};

use support::trace_facts::Facts;

/// A sample that has not exited after this long is hung; the budget is 2 s, the rest is slack
/// for a loaded machine.
const HANG_LIMIT: Duration = Duration::from_secs(30);
/// Elapsed time above this fails the test; below it, the time is only reported.
const SLOW_LIMIT: Duration = Duration::from_secs(10);

/// One recorded run of a sample.
struct Run {
    name: &'static str,
    stdout: String,
    elapsed: Duration,
    trace: Trace,
    facts: Facts,
}

impl Run {
    /// Events whose kind satisfies `pred`.
    fn count(&self, pred: impl Fn(&EventKind) -> bool) -> usize {
        self.trace.events.iter().filter(|e| pred(&e.kind)).count()
    }

    /// Names of the distinct tasks with an event satisfying `pred`.
    fn tasks_with(&self, pred: impl Fn(&EventKind) -> bool) -> BTreeSet<String> {
        self.trace
            .events
            .iter()
            .filter(|e| pred(&e.kind))
            .filter_map(|e| self.facts.tasks.get(&e.task).map(|t| t.name.clone()))
            .collect()
    }

    /// Names of the spawned tasks whose name starts with `prefix`.
    fn spawned_named(&self, prefix: &str) -> usize {
        self.facts
            .tasks
            .values()
            .filter(|t| t.spawned && t.name.starts_with(prefix))
            .count()
    }
}

/// Runs the sample binary `exe` with `WEFT_TRACE` set and `env` added, and checks what every
/// sample must do: exit 0 in time, print one summary line, write a complete trace.
fn run_sample(name: &'static str, exe: &str, env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let trace_path = dir.path().join(format!("{name}.weft"));
    let mut command = Command::new(exe);
    command
        .env("WEFT_TRACE", &trace_path)
        .env_remove("WORKERS")
        .env_remove("JOBS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("start the sample");
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the sample") {
            break status;
        }
        if started.elapsed() > HANG_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} did not exit within {HANG_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).expect("read stdout");
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr).expect("read stderr");
    }
    eprintln!("{name}: ran in {} ms", elapsed.as_millis());

    assert!(
        status.success(),
        "{name} exited with {status}; stderr:\n{stderr}"
    );
    assert!(
        elapsed < SLOW_LIMIT,
        "{name} took {elapsed:?} (its budget is 2 s)"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{name} should print one line, printed:\n{stdout}"
    );
    assert!(
        lines[0].starts_with(&format!("{name}: ")),
        "{name}'s summary should start with its name: {}",
        lines[0]
    );

    let trace = read_file(&trace_path).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        trace.loss.is_complete(),
        "{name}: the trace is not complete: {:?}",
        trace.loss
    );
    assert!(!trace.events.is_empty(), "{name}: the trace has no events");
    assert!(
        trace.events.iter().all(|e| e.task != 0),
        "{name}: an event belongs to no task"
    );
    let facts = Facts::of(&trace);
    assert!(
        facts.tasks.values().any(|t| t.name == "main" && !t.spawned),
        "{name}: the main thread is not in the trace"
    );
    Run {
        name,
        stdout,
        elapsed,
        trace,
        facts,
    }
}

/// The trace agrees with the sample's declared truth: exactly the declared tasks never finish,
/// each stuck where the truth says; deadlocked tasks wait on the declared objects; the lock-order
/// inversions and the lint evidence match.
fn check_truth(run: &Run) {
    let name = run.name;
    let truth: Truth = weft_samples::truth(name).unwrap_or_else(|| panic!("no truth for {name}"));
    let facts = &run.facts;

    let unfinished = facts.unfinished_tasks();
    let unfinished_names: Vec<&str> = unfinished.iter().map(|(n, _)| *n).collect();
    let leak_names: Vec<&str> = truth.leaks.iter().map(|l| l.name).collect();
    assert_eq!(
        unfinished_names, leak_names,
        "{name}: the tasks that never finished are not the declared leaks"
    );
    for leak in truth.leaks {
        let (_, task) = unfinished
            .iter()
            .find(|(n, _)| *n == leak.name)
            .expect("matched above");
        assert_eq!(
            task.spawn_site.as_deref(),
            Some(leak.spawn_site.to_string().as_str()),
            "{name}: {} spawned elsewhere",
            leak.name
        );
        let wait = task
            .open_wait
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: {} never finished but is not blocked", leak.name));
        assert_eq!(wait.kind, leak.blocked_on.kind, "{name}: {}", leak.name);
        assert_eq!(
            wait.site,
            leak.blocked_on.site.map(|site| site.to_string()),
            "{name}: {} blocked elsewhere",
            leak.name
        );
        if let Some(created_at) = leak.blocked_on.object_created_at {
            assert!(
                objects_at(facts, created_at).contains(&wait.object.unwrap_or(0)),
                "{name}: {} waits on an object not created at {created_at}",
                leak.name
            );
        }
    }

    for deadlock in truth.deadlocks {
        let mut waited_sites = BTreeSet::new();
        for task_name in deadlock.tasks {
            let (_, task) = unfinished
                .iter()
                .find(|(n, _)| n == task_name)
                .unwrap_or_else(|| panic!("{name}: deadlocked {task_name} finished"));
            let wait = task.open_wait.as_ref().expect("a deadlocked task waits");
            let object = wait.object.expect("a deadlocked task waits on an object");
            let expected_kind = match wait.kind {
                WaitKind::Lock => ObjectKind::Lock,
                _ => ObjectKind::Channel,
            };
            let site = deadlock
                .objects
                .iter()
                .find(|o| objects_at(facts, o.created_at).contains(&object))
                .unwrap_or_else(|| panic!("{name}: {task_name} waits outside the cycle"));
            assert_eq!(site.kind, expected_kind, "{name}: {task_name}");
            waited_sites.insert(site.created_at);
        }
        let declared: BTreeSet<SourceSite> =
            deadlock.objects.iter().map(|o| o.created_at).collect();
        assert_eq!(waited_sites, declared, "{name}: the cycle's objects");
    }

    assert_eq!(
        facts.inverted_lock_pairs.len(),
        truth.potential_deadlocks,
        "{name}: lock-order inversions"
    );

    for lint in Lint::ALL {
        let declared: BTreeSet<String> = truth
            .lints
            .iter()
            .filter(|l| l.lint == lint)
            .map(|l| l.site.to_string())
            .collect();
        let seen = facts.lint_sites(lint);
        if lint == Lint::LockHeldLong {
            // Timing-based: a preempted holder can make any short hold look long on a loaded
            // machine, so only what the truth declares is required.
            assert!(
                seen.is_superset(&declared),
                "{name}: {lint} expected at {declared:?}, evidence at {seen:?}"
            );
        } else {
            assert_eq!(seen, declared, "{name}: evidence of {lint}");
        }
    }
}

fn objects_at(facts: &Facts, site: SourceSite) -> Vec<u64> {
    facts
        .objects_created_at
        .get(&site.to_string())
        .cloned()
        .unwrap_or_default()
}

/// Declares one test per sample (running it, checking the truth, then the sample's own
/// `expect_*` checks on the kinds of events it is about) and the list of samples covered.
macro_rules! sample_tests {
    ($($name:ident => $check:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let run = run_sample(
                    stringify!($name),
                    env!(concat!("CARGO_BIN_EXE_", stringify!($name))),
                    &[],
                );
                check_truth(&run);
                $check(&run);
            }
        )*
        const TESTED: &[&str] = &[$(stringify!($name)),*];
    };
}

sample_tests! {
    worker_pool => expect_worker_pool,
    fan_out_fan_in => expect_fan_out_fan_in,
    pipeline => expect_pipeline,
    cancel_on_error => expect_cancel_on_error,
    rate_limiter => expect_rate_limiter,
    singleflight => expect_singleflight,
    once_init => expect_once_init,
    object_pool => expect_object_pool,
    bounded_vs_unbounded => expect_bounded_vs_unbounded,
    backpressure => expect_backpressure,
    select_timeout => expect_select_timeout,
    long_run => expect_long_run,
    leak_blocked_send => expect_leak_blocked_send,
    leak_blocked_recv => expect_leak_blocked_recv,
    deadlock_lock_order => expect_deadlock_lock_order,
    lock_order_inversion_latent => expect_lock_order_inversion_latent,
    deadlock_channels => expect_deadlock_channels,
    mutex_contention => expect_mutex_contention,
    mutex_contention_fixed => expect_mutex_contention_fixed,
    lock_held_while_blocking => expect_lock_held_while_blocking,
    busy_wait => expect_busy_wait,
    send_on_disconnected => expect_send_on_disconnected,
    tokio_worker_pool => expect_tokio_worker_pool,
    tokio_fan_out_fan_in => expect_tokio_fan_out_fan_in,
    tokio_pipeline => expect_tokio_pipeline,
    tokio_cancellation => expect_tokio_cancellation,
    tokio_leak_recv => expect_tokio_leak_recv,
    tokio_lost_waker => expect_tokio_lost_waker,
    tokio_blocking_in_task => expect_tokio_blocking_in_task,
    tokio_std_mutex_across_await => expect_tokio_std_mutex_across_await,
    tokio_mutex_contention => expect_tokio_mutex_contention,
}

fn expect_worker_pool(run: &Run) {
    assert_eq!(run.spawned_named("worker-"), 4);
    assert_eq!(run.spawned_named("collector"), 1);
    assert!(run.stdout.contains("ran 64 of 64 jobs"), "{}", run.stdout);
    // The job and result channels close as the pool shuts down.
    assert!(run.count(|k| is_disconnect(k, Side::Sender)) >= 2);
}

fn expect_fan_out_fan_in(run: &Run) {
    assert_eq!(run.spawned_named("fetcher-"), 4);
    assert!(run.stdout.contains("fetched 40 pages"), "{}", run.stdout);
    assert!(run.count(|k| is_disconnect(k, Side::Sender)) >= 2);
}

fn expect_pipeline(run: &Run) {
    // The cancellation: `read` sees the closed cancel channel, then each stage's input closes
    // in turn.
    let saw_cancel = run.tasks_with(|k| is_try_recv(k, Outcome::Disconnected));
    assert_eq!(saw_cancel, names(&["read"]));
    let saw_input_close = run.tasks_with(|k| is_recv_end(k, Outcome::Disconnected));
    assert_eq!(saw_input_close, names(&["enrich", "parse", "write"]));
    assert!(run.count(|k| is_disconnect(k, Side::Sender)) >= 4);
}

fn expect_cancel_on_error(run: &Run) {
    let cancelled = run.tasks_with(|k| is_try_recv(k, Outcome::Disconnected));
    assert_eq!(cancelled, names(&["task-0", "task-1", "task-3"]));
}

fn expect_rate_limiter(run: &Run) {
    let ticks = run.count(|k| is_recv_end(k, Outcome::Timeout));
    assert!(ticks >= 3, "only {ticks} refill ticks");
    let waited = run.tasks_with(|k| matches!(k, EventKind::RecvBegin { .. }));
    assert!(
        waited.iter().any(|task| task.starts_with("client-")),
        "no client waited for a token"
    );
}

fn expect_singleflight(run: &Run) {
    assert!(run.stdout.contains("2 computations"), "{}", run.stdout);
    assert!(run.count(|k| matches!(k, EventKind::CondWait { .. })) >= 1);
    assert_eq!(
        run.count(|k| matches!(k, EventKind::CondNotify { all: true, .. })),
        2
    );
}

fn expect_once_init(run: &Run) {
    assert!(
        run.stdout.contains("ran 1 time(s), all shared"),
        "{}",
        run.stdout
    );
    assert!(run.count(|k| matches!(k, EventKind::CondWait { .. })) >= 1);
    assert_eq!(
        run.count(|k| matches!(k, EventKind::CondNotify { all: true, .. })),
        1
    );
}

fn expect_object_pool(run: &Run) {
    let acquisitions = run.count(|k| {
        matches!(
            k,
            EventKind::LockAcquire { .. } | EventKind::LockAcquired { .. }
        )
    });
    assert!(
        acquisitions >= 160,
        "{acquisitions} lock acquisitions for 80 takes and gives"
    );
}

fn expect_bounded_vs_unbounded(run: &Run) {
    assert_eq!(run.spawned_named("conn-"), 200);
    assert_eq!(run.spawned_named("pool-"), 16);
    let peak = run.facts.peak_live_tasks;
    assert!(peak >= 64, "peak of {peak} live tasks");
}

fn expect_backpressure(run: &Run) {
    let blocked_sends = run.count(|k| matches!(k, EventKind::SendBegin { .. }));
    assert!(blocked_sends >= 10, "only {blocked_sends} sends waited");
}

fn expect_select_timeout(run: &Run) {
    let timeouts = run.count(|k| {
        matches!(
            k,
            EventKind::SelectEnd {
                outcome: Outcome::Timeout,
                ..
            }
        )
    });
    assert!(timeouts >= 1, "no select timed out");
    let readings = run.count(|k| {
        matches!(
            k,
            EventKind::SelectEnd {
                outcome: Outcome::Ok,
                ..
            }
        )
    });
    assert_eq!(readings, 15, "readings taken through select");
}

fn expect_long_run(run: &Run) {
    assert_eq!(run.spawned_named("worker-"), 4);
    for stage in ["source", "parser", "collector"] {
        assert_eq!(run.spawned_named(stage), 1, "{stage}");
    }
    // 50k events asked for by default, at 9 a request.
    assert!(
        run.stdout.contains("5556 of 5556 requests answered"),
        "{}",
        run.stdout
    );
    let events = run.trace.events.len();
    assert!((45_000..=80_000).contains(&events), "{events} events");
    // Every request's key is looked up in the shared cache: a hold of its lock, at least.
    let holds = run.count(|k| matches!(k, EventKind::LockRelease { .. }));
    assert!(holds >= 5556, "{holds} holds of the cache's lock");
    // Each stage's output channel closes as the pipeline shuts down.
    assert!(run.count(|k| is_disconnect(k, Side::Sender)) >= 3);
}

fn expect_leak_blocked_send(run: &Run) {
    let gave_up = run.count(|k| is_recv_end(k, Outcome::Timeout));
    assert_eq!(gave_up, 2, "main gives up on the two slow lookups");
}

fn expect_leak_blocked_recv(run: &Run) {
    assert_eq!(run.spawned_named("metrics-flusher"), 1);
    assert!(run.count(|k| is_recv_end(k, Outcome::Timeout)) >= 1);
}

fn expect_deadlock_lock_order(run: &Run) {
    assert!(run.stdout.contains("deadlocked"), "{}", run.stdout);
    assert_eq!(run.count(|k| matches!(k, EventKind::LockWait { .. })), 2);
}

fn expect_lock_order_inversion_latent(run: &Run) {
    let waits = run.count(|k| matches!(k, EventKind::LockWait { .. }));
    assert_eq!(waits, 0, "the transfers overlapped");
}

fn expect_deadlock_channels(run: &Run) {
    let sends = run.count(|k| matches!(k, EventKind::Send { .. }));
    assert_eq!(sends, 6, "three rounds of ping and pong");
}

fn expect_mutex_contention(run: &Run) {
    let waits = run.count(|k| matches!(k, EventKind::LockWait { .. }));
    eprintln!("mutex_contention: {waits} of 40 acquisitions waited");
    // Usually 20-30; std's mutex lets a releasing thread barge back in, so keep it loose.
    assert!(waits >= 3, "only {waits} waits for the hot lock");
}

fn expect_mutex_contention_fixed(run: &Run) {
    assert_eq!(run.spawned_named("worker-"), 4);
    assert!(run.stdout.contains("handled 40 requests"), "{}", run.stdout);
}

fn expect_lock_held_while_blocking(run: &Run) {
    let waits = run.count(|k| matches!(k, EventKind::LockWait { .. }));
    assert!(waits >= 1, "nobody waited for the cache");
}

fn expect_busy_wait(run: &Run) {
    let empty = run.count(|k| is_try_recv(k, Outcome::Empty));
    assert!(empty >= 100, "only {empty} empty polls");
}

fn expect_send_on_disconnected(run: &Run) {
    assert_eq!(run.count(|k| is_disconnect(k, Side::Receiver)), 1);
    let failed = run.count(|k| {
        matches!(
            k,
            EventKind::SendEnd {
                outcome: Outcome::Disconnected,
                ..
            }
        )
    });
    assert_eq!(failed, 2, "sends that failed");
    assert!(
        run.stdout.contains("2 later lines were lost"),
        "{}",
        run.stdout
    );
}

/// Tokio tasks spawned (each a `TaskSpawn` of a tokio task id; only `tokio_unstable` records
/// them).
fn tokio_spawns(run: &Run) -> usize {
    run.count(|k| matches!(k, EventKind::TaskSpawn { child, .. } if is_tokio_task(*child)))
}

/// Every tokio sample: a runtime's worker threads are in the trace whatever the build, and
/// tokio's tasks exactly when it is a `tokio_unstable` build.
fn expect_a_tokio_run(run: &Run, spawned: usize) {
    assert!(
        run.count(|k| matches!(k, EventKind::WorkerPark)) >= 1,
        "{}: no runtime worker parked",
        run.name
    );
    let polls = run.count(|k| matches!(k, EventKind::PollBegin { .. }));
    if TOKIO_UNSTABLE {
        assert_eq!(
            tokio_spawns(run),
            spawned,
            "{}: tokio tasks spawned",
            run.name
        );
        assert!(polls >= spawned, "{}: only {polls} polls", run.name);
    } else {
        assert_eq!(
            (tokio_spawns(run), polls),
            (0, 0),
            "{}: task hooks",
            run.name
        );
    }
}

fn expect_tokio_worker_pool(run: &Run) {
    expect_a_tokio_run(run, 5);
    assert!(run.stdout.contains("ran 64 of 64 jobs"), "{}", run.stdout);
    // The wrappers record channel waits in every build.
    assert!(run.count(|k| matches!(k, EventKind::RecvBegin { .. })) >= 4);
    assert!(run.count(|k| is_disconnect(k, Side::Sender)) >= 5);
}

fn expect_tokio_fan_out_fan_in(run: &Run) {
    expect_a_tokio_run(run, 16);
    assert!(
        run.stdout.contains("combined 16 of 16 parts"),
        "{}",
        run.stdout
    );
    if TOKIO_UNSTABLE {
        let site = weft_samples::source("tokio_fan_out_fan_in")
            .map(|source| {
                SourceSite::at_marker(
                    "sample-programs/src/bin/tokio_fan_out_fan_in.rs",
                    source,
                    "weft:spawn-part",
                )
            })
            .expect("the sample's source")
            .to_string();
        let from_the_set = run
            .facts
            .tasks
            .values()
            .filter(|t| t.spawn_site.as_deref() == Some(site.as_str()))
            .count();
        assert_eq!(
            from_the_set, 16,
            "every part spawned into the JoinSet at {site}"
        );
    }
}

fn expect_tokio_pipeline(run: &Run) {
    expect_a_tokio_run(run, 4);
    assert!(run.stdout.contains("100 of 100 items"), "{}", run.stdout);
    let blocked_sends = run.count(|k| matches!(k, EventKind::SendBegin { .. }));
    assert!(blocked_sends >= 10, "only {blocked_sends} sends waited");
    let closed = run.count(|k| is_recv_end(k, Outcome::Disconnected));
    assert_eq!(
        closed, 3,
        "each stage after the source sees its input close"
    );
}

fn expect_tokio_cancellation(run: &Run) {
    expect_a_tokio_run(run, 4);
    assert!(
        run.stdout.contains("4 tasks stopped promptly"),
        "{}",
        run.stdout
    );
    // The losing branches of the selects are dropped mid-wait.
    let cancelled = run.count(|k| matches!(k, EventKind::WaitCancel { .. }));
    assert!(cancelled >= 4, "only {cancelled} cancelled waits");
}

fn expect_tokio_leak_recv(run: &Run) {
    expect_a_tokio_run(run, 1);
    assert!(run.stdout.contains("still waits"), "{}", run.stdout);
    assert_eq!(run.count(|k| matches!(k, EventKind::RecvBegin { .. })), 1);
    // The trace ends with the runtime up: the watcher was never cancelled.
    assert_eq!(run.count(|k| matches!(k, EventKind::RuntimeThreadStop)), 0);
}

fn expect_tokio_lost_waker(run: &Run) {
    expect_a_tokio_run(run, 2);
    assert!(run.stdout.contains("still waits"), "{}", run.stdout);
    if TOKIO_UNSTABLE {
        let waiter = run
            .trace
            .events
            .iter()
            .find_map(|e| match e.kind {
                EventKind::TaskSpawn { child, .. } => Some(child),
                _ => None,
            })
            .expect("the waiter is spawned first");
        let polls = run.count(|k| *k == EventKind::PollBegin { task: waiter });
        assert_eq!(polls, 1, "the waiter is polled once, never again");
        let clones = run.count(|k| *k == EventKind::WakerClone { task: waiter });
        assert_eq!(clones, 0, "its future kept no waker");
        assert!(
            run.count(|k| matches!(k, EventKind::WakerClone { .. })) >= 1,
            "the trace records wakers (else a lost one could not be told)"
        );
    }
}

fn expect_tokio_blocking_in_task(run: &Run) {
    expect_a_tokio_run(run, 2);
    assert!(run.stdout.contains("read 4096 bytes"), "{}", run.stdout);
    let long_sleeps = run.count(|k| matches!(k, EventKind::SleepBegin { ns } if *ns == 50_000_000));
    assert_eq!(long_sleeps, 1);
}

fn expect_tokio_std_mutex_across_await(run: &Run) {
    expect_a_tokio_run(run, 1);
    // One runtime thread (main's) does everything: it parks while the lock is held.
    let acquired = run
        .trace
        .events
        .iter()
        .position(|e| matches!(e.kind, EventKind::LockAcquire { .. }))
        .expect("the lock is taken");
    let released = run
        .trace
        .events
        .iter()
        .position(|e| matches!(e.kind, EventKind::LockRelease { .. }))
        .expect("and released");
    let worker = run.trace.events[acquired].worker;
    let parked = run.trace.events[acquired..released]
        .iter()
        .any(|e| e.kind == EventKind::WorkerPark && e.worker == worker);
    assert!(parked, "main's thread parked holding the lock");
    assert_eq!(run.count(|k| matches!(k, EventKind::LockWait { .. })), 0);
}

fn expect_tokio_mutex_contention(run: &Run) {
    expect_a_tokio_run(run, 8);
    assert!(run.stdout.contains("80 updates"), "{}", run.stdout);
    let waits = run.count(|k| matches!(k, EventKind::ResourceWait { .. }));
    if TOKIO_UNSTABLE {
        assert!(waits >= 10, "only {waits} waits for the mutex or timers");
    } else {
        assert_eq!(
            waits, 0,
            "tokio reports its resources only under tokio_unstable"
        );
    }
}

fn is_disconnect(kind: &EventKind, gone: Side) -> bool {
    matches!(kind, EventKind::ChanDisconnect { side, .. } if *side == gone)
}

fn is_try_recv(kind: &EventKind, expected: Outcome) -> bool {
    matches!(kind, EventKind::TryRecv { outcome, .. } if *outcome == expected)
}

fn is_recv_end(kind: &EventKind, expected: Outcome) -> bool {
    matches!(kind, EventKind::RecvEnd { outcome, .. } if *outcome == expected)
}

fn names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| name.to_string()).collect()
}

#[test]
fn every_sample_has_a_run_test() {
    assert_eq!(TESTED, SAMPLES);
}

/// The worker pool under the two sizes the comparison view uses.
#[test]
fn worker_pool_takes_its_size_from_the_environment() {
    for workers in ["2", "8"] {
        let run = run_sample(
            "worker_pool",
            env!("CARGO_BIN_EXE_worker_pool"),
            &[("WORKERS", workers), ("JOBS", "32")],
        );
        check_truth(&run);
        assert_eq!(run.spawned_named("worker-").to_string(), workers);
        assert!(
            run.stdout
                .starts_with(&format!("worker_pool: {workers} workers ran 32 of 32 jobs")),
            "{}",
            run.stdout
        );
        eprintln!("worker_pool with {workers} workers: {:?}", run.elapsed);
    }
}

#[test]
fn a_bad_worker_count_is_refused_with_status_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_worker_pool"))
        .env_remove("WEFT_TRACE")
        .env("WORKERS", "zero")
        .output()
        .expect("run worker_pool");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("workers must be"));
}

#[test]
fn samples_are_exactly_the_binaries() {
    let bin_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
    let mut binaries: Vec<String> = std::fs::read_dir(&bin_dir)
        .expect("list src/bin")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    binaries.sort();
    let mut samples: Vec<String> = SAMPLES.iter().map(|s| s.to_string()).collect();
    samples.sort();
    assert_eq!(binaries, samples);
}

/// Every site a truth names: it is in the sample's own file (named as `#[track_caller]` names
/// it), and the line it resolves to carries a marker and the kind of call the site is about.
#[test]
fn truth_markers_resolve_to_the_marked_calls() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate is in a workspace");
    for &name in SAMPLES {
        let truth = weft_samples::truth(name).expect("every sample has a truth");
        assert_eq!(truth.sample, name);
        let source = weft_samples::source(name).expect("every sample has a source");
        let file = format!("sample-programs/src/bin/{name}.rs");
        assert!(workspace.join(&file).is_file(), "{file} is not there");
        let on_disk = std::fs::read_to_string(workspace.join(&file)).expect("read the sample");
        assert_eq!(on_disk, source, "{name}: the embedded source is stale");

        let line_of = |site: SourceSite| -> &str {
            assert_eq!(site.file, file, "{name}: a site in another file");
            let line = source
                .lines()
                .nth(site.line as usize - 1)
                .unwrap_or_else(|| panic!("{name}: {site} is past the end"));
            assert!(
                line.contains("// weft:"),
                "{name}: {site} has no marker: {line}"
            );
            line
        };
        let expect_call = |site: SourceSite, call: &str| {
            let line = line_of(site);
            assert!(
                line.contains(call),
                "{name}: {site} should be a `{call}` call: {line}"
            );
        };
        for leak in truth.leaks {
            // `.spawn(` of a thread builder or a `JoinSet`, or `tokio::spawn(`.
            expect_call(leak.spawn_site, "spawn(");
            let call = match leak.blocked_on.kind {
                WaitKind::Send => Some(".send("),
                WaitKind::Recv => Some(".recv("),
                WaitKind::Lock => Some(".lock("),
                // An unseen `.await`: the trace has no site for it.
                WaitKind::Await => None,
                other => panic!("{name}: no sample leaks on {other} yet"),
            };
            match (call, leak.blocked_on.site) {
                (Some(call), Some(site)) => expect_call(site, call),
                (None, None) => {}
                (call, site) => panic!("{name}: a {call:?} wait declared at {site:?}"),
            }
            if let Some(created_at) = leak.blocked_on.object_created_at {
                let line = line_of(created_at);
                assert!(
                    line.contains("channel::") || line.contains("Mutex::new("),
                    "{line}"
                );
            }
        }
        for deadlock in truth.deadlocks {
            for object in deadlock.objects {
                let call = match object.kind {
                    ObjectKind::Lock => "Mutex::new(",
                    ObjectKind::Channel => "channel::",
                };
                expect_call(object.created_at, call);
            }
        }
        for expected in truth.lints {
            let call = match expected.lint {
                Lint::BusyWait => ".try_recv(",
                Lint::LockHeldLong => "Mutex::new(",
                Lint::LockHeldWhileBlocking => ".recv(",
                Lint::SendOnDisconnected => ".send(",
                Lint::UnboundedSpawning => ".spawn(",
                Lint::LongPoll => "thread::sleep(",
                Lint::LockHeldAcrossAwait => ".lock(",
            };
            expect_call(expected.site, call);
        }
    }
}

/// Truths are written in a canonical order, and say nothing contradictory.
#[test]
fn truths_are_canonical_and_consistent() {
    for &name in SAMPLES {
        let truth = weft_samples::truth(name).expect("every sample has a truth");
        let leak_names: Vec<&str> = truth.leaks.iter().map(|l| l.name).collect();
        assert!(leak_names.is_sorted(), "{name}: leaks not sorted by name");
        assert!(truth.lints.is_sorted(), "{name}: lints not sorted");
        for deadlock in truth.deadlocks {
            assert!(
                deadlock.tasks.is_sorted(),
                "{name}: deadlock tasks not sorted"
            );
            assert!(
                deadlock.objects.is_sorted(),
                "{name}: deadlock objects not sorted"
            );
            assert!(deadlock.tasks.len() >= 2, "{name}: a cycle needs two tasks");
            for task in deadlock.tasks {
                assert!(
                    leak_names.contains(task),
                    "{name}: deadlocked {task} is not a leak"
                );
            }
        }
        let lock_deadlocks = truth
            .deadlocks
            .iter()
            .filter(|d| d.objects.iter().all(|o| o.kind == ObjectKind::Lock))
            .count();
        assert!(
            truth.potential_deadlocks >= lock_deadlocks,
            "{name}: a lock deadlock is also a lock-order inversion"
        );
    }
    assert_eq!(weft_samples::truth("no_such_sample"), None);
    assert!(weft_samples::truth("worker_pool").is_some_and(|t| t.is_healthy()));
}

/// The tokio samples whose findings only tokio's unstable instrumentation records declare
/// nothing for a default build; the others declare the same either way; and the truth of this
/// build is the one for its cfg.
#[test]
fn tokio_truths_follow_the_build() {
    for &name in SAMPLES {
        let unstable = weft_samples::truth_for(name, true).expect("a truth");
        let stable = weft_samples::truth_for(name, false).expect("a truth");
        assert_eq!(
            weft_samples::truth(name),
            Some(if TOKIO_UNSTABLE { unstable } else { stable })
        );
        if !name.starts_with("tokio_") {
            assert_eq!(unstable, stable, "{name} does not use tokio");
        } else if unstable != stable {
            assert!(
                stable.is_healthy(),
                "{name}: a default build records less, not other"
            );
        }
    }
    let differs =
        |name| weft_samples::truth_for(name, true) != weft_samples::truth_for(name, false);
    assert!(differs("tokio_lost_waker") && differs("tokio_leak_recv"));
    assert!(!differs("tokio_blocking_in_task") && !differs("tokio_std_mutex_across_await"));
}
