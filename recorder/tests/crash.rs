//! A traced program that dies — killed, panicking, aborting, exiting without its guard — and
//! what its trace keeps in each case.
//!
//! The traced programs are `recorder/examples/crashy.rs` and, for `kill -9`, also the
//! `worker_pool` sample (both built with cargo by the first test that needs them). In every mode
//! crashy has a thread blocked forever on a channel, and (except when killed) it exchanges 1000
//! messages with a consumer thread and then records a marker sleep of 4242 ns as its very last
//! event before ending badly.
//!
//! | how it ends                          | what the trace keeps                                   |
//! |--------------------------------------|--------------------------------------------------------|
//! | `kill -9`                            | everything up to the writer's last flush (≤ 25 ms before the kill, plus scheduling delay); no end record |
//! | uncaught panic in `main` (unwinding) | everything, and the end record: unwinding drops the guard; `main` exits `panicked` |
//! | panic that aborts                    | everything up to the panic (the panic hook flushes); no end record |
//! | `std::process::exit` without the guard | everything up to the exit (the atexit hook flushes); no end record |
//!
//! In all four, the blocked thread's wait is in the file: the writer collects from its buffer.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use weft_recorder::event::{ChanFlavor, EventKind, ObjectId, Outcome, TaskId};
use weft_recorder::format::{read_file, Trace};

/// What `crashy` sends and records (see its docs).
const MESSAGES: u64 = 1000;
const MARKER_NS: u64 = 4242;
const PRODUCERS: usize = 3;
/// The recorder's default flush interval (`Recorder::builder`), which `init()` uses.
const FLUSH_INTERVAL: Duration = Duration::from_millis(25);
/// Room for the writer thread being scheduled late on a loaded machine.
const SCHEDULING_SLACK: Duration = Duration::from_millis(475);

/// Builds a binary of this workspace with cargo into the target directory this test runs from
/// (a no-op when it is up to date) and returns its path. `what` is cargo's target selection,
/// `path` the binary's path under `target/<profile>/`.
fn build(what: &[&str], path: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/crash-<hash>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps");
    let target_dir = profile_dir.parent().expect("a target directory");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--quiet", "--offline"])
        .args(what)
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo");
    assert!(status.success(), "cargo build {what:?} failed");
    profile_dir.join(format!("{path}{}", std::env::consts::EXE_SUFFIX))
}

/// `recorder/examples/crashy.rs`, built once.
fn crashy() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        build(
            &["-p", "weft-recorder", "--example", "crashy"],
            "examples/crashy",
        )
    })
}

/// Runs `crashy MODE` to its end and returns how it ended, its stderr, and its trace.
fn run_to_the_end(mode: &str) -> (ExitStatus, String, Trace) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(format!("{mode}.weft"));
    let output = Command::new(crashy())
        .arg(mode)
        .env("WEFT_TRACE", &path)
        .stdin(Stdio::null())
        .output()
        .expect("run crashy");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let trace = read_file(&path).unwrap_or_else(|e| panic!("{mode}: {e}\n{stderr}"));
    (output.status, stderr, trace)
}

/// The task that a `TaskSpawn` or `TaskStart` named `name`.
fn task_named(trace: &Trace, name: &str) -> Option<TaskId> {
    trace.events.iter().find_map(|e| match e.kind {
        EventKind::TaskSpawn { child, name: n } if trace.string(n) == name => Some(child),
        EventKind::TaskStart { task, name: n } if trace.string(n) == name => Some(task),
        _ => None,
    })
}

/// The bounded channel of capacity `cap` the program created.
fn channel_with_capacity(trace: &Trace, cap: u64) -> ObjectId {
    trace
        .events
        .iter()
        .find_map(|e| match e.kind {
            EventKind::ChanCreate {
                chan,
                flavor: ChanFlavor::Bounded,
                cap: c,
            } if c == cap => Some(chan),
            _ => None,
        })
        .expect("the data channel was created")
}

/// Message ids sent and received on `chan`.
fn delivered(trace: &Trace, chan: ObjectId) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let (mut sent, mut received) = (BTreeSet::new(), BTreeSet::new());
    for e in &trace.events {
        match e.kind {
            EventKind::Send { chan: c, msg }
            | EventKind::SendEnd {
                chan: c,
                msg,
                outcome: Outcome::Ok,
            } if c == chan => {
                sent.insert(msg);
            }
            EventKind::Recv { chan: c, msg }
            | EventKind::RecvEnd {
                chan: c,
                msg,
                outcome: Outcome::Ok,
            } if c == chan => {
                received.insert(msg);
            }
            _ => {}
        }
    }
    (sent, received)
}

/// The wait of the thread blocked forever is in the file.
fn assert_stuck_wait_kept(trace: &Trace) {
    let stuck = task_named(trace, "stuck").expect("the stuck thread is in the trace");
    assert!(
        trace
            .events
            .iter()
            .any(|e| e.task == stuck && matches!(e.kind, EventKind::RecvBegin { .. })),
        "the blocked thread's wait reached the file"
    );
}

/// Everything `main` did before ending badly is in the file: the whole exchange, then the
/// marker, after which `main` recorded nothing but `after_marker` allows.
fn assert_everything_before_the_end_kept(trace: &Trace, after_marker: impl Fn(&EventKind) -> bool) {
    let chan = channel_with_capacity(trace, 16);
    let (sent, received) = delivered(trace, chan);
    let all: BTreeSet<u64> = (1..=MESSAGES).collect();
    assert_eq!(sent, all, "every send is in the file");
    assert_eq!(received, all, "every receive is in the file");
    let main = task_named(trace, "main").expect("main is in the trace");
    let main_events: Vec<&EventKind> = trace
        .events
        .iter()
        .filter(|e| e.task == main)
        .map(|e| &e.kind)
        .collect();
    let marker = main_events
        .iter()
        .position(|k| **k == EventKind::SleepBegin { ns: MARKER_NS })
        .expect("the marker, main's last event before the end, is in the file");
    for kind in &main_events[marker + 1..] {
        assert!(
            **kind == EventKind::SleepEnd || after_marker(kind),
            "main recorded {kind:?} after the marker"
        );
    }
    assert_stuck_wait_kept(trace);
}

/// Starts `program` recording into `path`, waits until `ready` says it is well under way,
/// kills it with SIGKILL and returns when that happened.
fn kill_9_when(program: &mut Command, path: &Path, ready: impl FnOnce(&mut Child)) -> SystemTime {
    let mut child = program
        .env("WEFT_TRACE", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the traced program");
    ready(&mut child);
    let killed_at = SystemTime::now();
    child.kill().expect("SIGKILL it"); // std's kill is SIGKILL on Unix
    let status = child.wait().expect("reap it");
    assert_eq!(status.signal(), Some(9), "{status}");
    killed_at
}

/// What every killed program's trace must say: it opens, has no end record and says so, and
/// lost nothing but its tail — the events since the writer's last flush. Returns how long
/// before the kill its last event was.
fn assert_only_the_tail_lost(trace: &Trace, killed_at: SystemTime) -> Duration {
    let loss = &trace.loss;
    assert!(!loss.clean_end, "no end record after kill -9");
    assert!(
        loss.notes.iter().any(|n| n.contains("no end record")),
        "{:?}",
        loss.notes
    );
    assert_eq!(
        (
            loss.corrupt_frames,
            loss.missing_batches,
            loss.dropped_events
        ),
        (0, 0, 0),
        "nothing but the tail is lost: {loss:?}"
    );
    let last_event = trace.events.last().expect("events were recorded");
    let last_event_unix = trace.header.start_unix_ns + last_event.ts;
    let killed_unix = killed_at
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos() as u64;
    let lost = Duration::from_nanos(killed_unix.saturating_sub(last_event_unix));
    assert!(
        lost <= FLUSH_INTERVAL + SCHEDULING_SLACK,
        "lost the last {lost:?} (flush interval {FLUSH_INTERVAL:?})"
    );
    lost
}

/// Message ids sent on `chan` that are missing below the highest one: sends in flight at the
/// last flush, at most one per sending thread.
fn holes_in_sends(trace: &Trace, chan: ObjectId) -> (u64, usize) {
    let (sent, _) = delivered(trace, chan);
    let last = sent.last().copied().unwrap_or(0);
    let missing = (1..=last).filter(|id| !sent.contains(id)).count();
    (last, missing)
}

#[test]
fn kill_9_mid_run_keeps_everything_up_to_the_last_flush() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("killed.weft");
    let killed_at = kill_9_when(
        Command::new(crashy()).arg("run-until-killed"),
        &path,
        |child| {
            let mut line = String::new();
            BufReader::new(child.stdout.take().expect("piped stdout"))
                .read_line(&mut line)
                .expect("read crashy's output");
            assert_eq!(line.trim(), "ready");
            std::thread::sleep(Duration::from_millis(300));
        },
    );
    let trace = read_file(&path).expect("a killed program's trace opens");
    let lost = assert_only_the_tail_lost(&trace, killed_at);
    assert_stuck_wait_kept(&trace);
    // Every message up to the last flush is there: no batch in the middle went missing.
    let (last, missing) = holes_in_sends(&trace, channel_with_capacity(&trace, 64));
    assert!(last > 100, "only {last} messages in 500 ms");
    assert!(missing <= PRODUCERS, "{missing} of {last} sends missing");
    eprintln!(
        "kill -9 (crashy): {} events kept ({last} messages), the last {:.1} ms before the \
         kill lost; {} bytes truncated",
        trace.events.len(),
        lost.as_secs_f64() * 1e3,
        trace.loss.truncated_bytes
    );
}

#[test]
fn kill_9_a_sample_mid_run_keeps_everything_up_to_the_last_flush() {
    const WORKERS: usize = 2;
    let worker_pool = build(
        &["-p", "weft-samples", "--bin", "worker_pool"],
        "worker_pool",
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("worker_pool.weft");
    // 10 000 jobs of about 1.3 ms on 2 workers: several seconds; killed after half a second.
    let killed_at = kill_9_when(
        Command::new(worker_pool).args(["--workers", "2", "--jobs", "10000"]),
        &path,
        |_| {
            let deadline = Instant::now() + Duration::from_secs(30);
            while std::fs::metadata(&path).map_or(0, |m| m.len()) < 4096 {
                assert!(Instant::now() < deadline, "the sample never wrote events");
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(500));
        },
    );
    let trace = read_file(&path).expect("a killed sample's trace opens");
    let lost = assert_only_the_tail_lost(&trace, killed_at);
    let jobs = trace
        .events
        .iter()
        .find_map(|e| match e.kind {
            EventKind::ChanCreate { chan, .. } => Some(chan),
            _ => None,
        })
        .expect("the job channel was created");
    let (last, missing) = holes_in_sends(&trace, jobs);
    assert!(last > 0, "jobs were sent before the kill");
    assert!(
        missing <= WORKERS + 1,
        "{missing} of {last} job sends missing"
    );
    eprintln!(
        "kill -9 (worker_pool sample): {} events kept ({last} jobs queued), the last {:.1} ms \
         before the kill lost",
        trace.events.len(),
        lost.as_secs_f64() * 1e3
    );
}

#[test]
fn an_uncaught_panic_unwinds_through_the_guard_and_keeps_everything() {
    let (status, stderr, trace) = run_to_the_end("panic");
    assert_eq!(status.code(), Some(101), "{stderr}");
    assert!(stderr.contains("panicking on purpose"), "{stderr}");
    assert!(trace.loss.is_complete(), "{:?}", trace.loss);
    assert_everything_before_the_end_kept(&trace, |kind| {
        // Unwinding drops the never-used sender, then the guard: main ends `panicked`.
        matches!(
            kind,
            EventKind::ChanDisconnect { .. } | EventKind::TaskExit { panicked: true }
        )
    });
    let main = task_named(&trace, "main").expect("main");
    assert!(trace
        .events
        .iter()
        .any(|e| e.task == main && e.kind == EventKind::TaskExit { panicked: true }));
    eprintln!("panic (unwind): {} events, complete", trace.events.len());
}

#[test]
fn a_panic_that_aborts_keeps_everything_up_to_the_panic_but_no_end() {
    let (status, stderr, trace) = run_to_the_end("abort");
    assert_eq!(status.signal(), Some(6), "SIGABRT: {status}\n{stderr}");
    assert!(
        stderr.contains("panicking where unwinding is impossible"),
        "{stderr}"
    );
    assert!(!trace.loss.clean_end);
    assert_eq!(
        (trace.loss.corrupt_frames, trace.loss.dropped_events),
        (0, 0),
        "{:?}",
        trace.loss
    );
    assert_everything_before_the_end_kept(&trace, |_| false);
    eprintln!(
        "panic (abort): {} events, no end record",
        trace.events.len()
    );
}

#[test]
fn process_exit_without_dropping_the_guard_keeps_everything_up_to_the_exit() {
    let started = Instant::now();
    let (status, stderr, trace) = run_to_the_end("exit");
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(!trace.loss.clean_end);
    assert_eq!(
        (trace.loss.corrupt_frames, trace.loss.dropped_events),
        (0, 0),
        "{:?}",
        trace.loss
    );
    assert_everything_before_the_end_kept(&trace, |_| false);
    eprintln!(
        "process::exit: {} events, no end record ({:?} including the build)",
        trace.events.len(),
        started.elapsed()
    );
}
