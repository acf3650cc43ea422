//! End to end, the analysis against ground truth: every sample program in
//! `weft_samples::SAMPLES` is recorded with `weft record`, its `weft stats --json` report must
//! reach exactly the verdicts `weft_samples::truth(name)` declares — the leaks (name, spawn site,
//! what and where they block, on which object), the deadlocks (tasks and objects), the number of
//! lock-order inversions, and the lints with their sites — and `weft check` must fail (status 1)
//! exactly the samples that have findings and pass (status 0) the healthy ones.
//!
//! The one allowance is the truth's own: `lock_held_long` is timing-based, so the sites the truth
//! declares must be reported, but an extra one (a holder preempted on a loaded machine) is only
//! noted, and `weft check` of such a run allows that lint.
//!
//! The sample binaries belong to another package: `CARGO_BIN_EXE_*` does not name them, a
//! dev-dependency does not build them, and artifact dependencies are unstable. So the first test
//! that needs them runs `cargo build -p weft-samples --bin NAME... --message-format=json-...`
//! (one `--bin` per sample) once, in this test's own target directory and profile, and takes each
//! binary's path from cargo's artifact messages (under `cargo test --workspace` they are already
//! built and this is quick).
//!
//! Samples are recorded one at a time: several are about timing (a lock held for milliseconds
//! while others queue, a transfer that starts 30 ms after another has finished), which must hold
//! on a two-core machine. Even so, a heavily loaded machine can push a sample off its script (a
//! 15 ms timeout that fires only after the 40 ms answer has arrived): the truth then does not
//! describe that run. So before the analysis is judged, the raw trace — not the analysis — must
//! show the run the truth describes: exactly the declared leaks' tasks never finished. A run that
//! does not is recorded again (at most [`ATTEMPTS`] runs in all, each noted on stderr); the
//! analysis is only ever compared on a run that followed the script, and never retried.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;
use weft_recorder::event::EventKind;
use weft_recorder::format::read_file;
use weft_samples::{Lint, ObjectKind, Truth, SAMPLES};

/// The `weft` command line under test.
const WEFT: &str = env!("CARGO_BIN_EXE_weft");

/// A sample finishes in under 2 s; one still running after this long under `weft record` hangs.
const HANG_LIMIT: Duration = Duration::from_secs(60);

/// Runs of a sample to get one that follows its declared script.
const ATTEMPTS: usize = 3;

/// The sample binaries by name, built once for all the tests (or why they could not be).
static SAMPLE_BINARIES: LazyLock<Result<BTreeMap<String, PathBuf>, String>> =
    LazyLock::new(build_sample_binaries);

/// Held while a sample runs, so recordings never overlap.
static ONE_SAMPLE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Declares one test per sample, and the list of the samples covered.
macro_rules! sample_truth_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_sample(stringify!($name));
            }
        )*
        /// The samples with a test above, in `SAMPLES` order.
        const TESTED: &[&str] = &[$(stringify!($name)),*];
    };
}

sample_truth_tests! {
    worker_pool,
    fan_out_fan_in,
    pipeline,
    cancel_on_error,
    rate_limiter,
    singleflight,
    once_init,
    object_pool,
    bounded_vs_unbounded,
    backpressure,
    select_timeout,
    long_run,
    leak_blocked_send,
    leak_blocked_recv,
    deadlock_lock_order,
    lock_order_inversion_latent,
    deadlock_channels,
    mutex_contention,
    mutex_contention_fixed,
    lock_held_while_blocking,
    busy_wait,
    send_on_disconnected,
    tokio_worker_pool,
    tokio_fan_out_fan_in,
    tokio_pipeline,
    tokio_cancellation,
    tokio_leak_recv,
    tokio_lost_waker,
    tokio_blocking_in_task,
    tokio_std_mutex_across_await,
    tokio_mutex_contention,
}

#[test]
fn every_sample_has_a_truth_test() {
    assert_eq!(TESTED, SAMPLES);
}

/// Records the sample `name`, then checks `weft stats --json` and `weft check` against its truth.
fn check_sample(name: &'static str) {
    let truth = weft_samples::truth(name).unwrap_or_else(|| panic!("no truth for {name}"));
    let binary = sample_binary(name);
    let (recorded, facts) = record_as_declared(name, &binary, &truth);
    let report = stats_json(name, &recorded.trace);

    assert_eq!(
        (&report["loss"]["complete"], &report["lost_events"]),
        (&Value::Bool(true), &Value::from(0)),
        "{name}: the trace is incomplete, so its verdicts cannot be checked:\n{:#}",
        report["loss"]
    );

    let expected = Verdicts::declared(&truth);
    let actual = Verdicts::reported(&report, &facts.object_sites, &expected.shape);
    let problems = expected.disagreements(&actual);
    if !problems.is_empty() {
        panic!(
            "{name}: the analysis disagrees with the declared truth:\n  - {}\n\n\
             expected (the truth):\n{expected:#?}\n\nactual (read from the report):\n{actual:#?}\n\n\
             `weft stats --json` (the findings):\n{:#}",
            problems.join("\n  - "),
            findings_json(&report)
        );
    }

    let extra_long_holds: Vec<&String> = actual
        .lock_held_long
        .difference(&expected.lock_held_long)
        .collect();
    if !extra_long_holds.is_empty() {
        eprintln!(
            "{name}: note: lock_held_long also reported at {extra_long_holds:?} (timing-based; tolerated)"
        );
    }
    let allow_long_holds = !extra_long_holds.is_empty() && expected.lock_held_long.is_empty();
    let expected_status = if truth.is_healthy() { 0 } else { 1 };
    let (status, output) = check(&recorded.trace, allow_long_holds);
    assert_eq!(
        status,
        Some(expected_status),
        "{name}: `weft check` should exit {expected_status} ({}){}; it printed:\n{output}\n\
         the truth:\n{expected:#?}\n`weft stats --json` (the findings):\n{:#}",
        if truth.is_healthy() {
            "the sample is healthy"
        } else {
            "the sample has findings"
        },
        if allow_long_holds {
            " with --allow lock_held_long"
        } else {
            ""
        },
        findings_json(&report)
    );
}

/// The verdicts of the truth or of a report, in one comparable form: sites as `file:line`,
/// lock objects as `lock` whatever their flavour, everything sorted.
#[derive(Debug, PartialEq, Eq)]
struct Verdicts {
    /// What the truth pins down about leaks; the report is read to the same detail.
    shape: LeakShape,
    leaks: Vec<LeakVerdict>,
    deadlocks: Vec<DeadlockVerdict>,
    potential_deadlocks: usize,
    /// Every lint but `lock_held_long`, as (lint, site).
    lints: Vec<(String, String)>,
    /// The sites of `lock_held_long` (the locks' creation sites).
    lock_held_long: BTreeSet<String>,
}

/// Which optional parts of a leak the truth declares (a truth may leave a leak's name or its
/// object unsaid; then neither side's is compared).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LeakShape {
    names: bool,
    objects: bool,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct LeakVerdict {
    /// Empty when the truth does not name its leaks.
    name: String,
    spawn_site: String,
    kind: String,
    site: String,
    /// Where the object waited on was created; `None` when the truth does not say.
    object_created_at: Option<String>,
    /// On a deadlock cycle (always `false` when the truth does not name its leaks).
    deadlocked: bool,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct DeadlockVerdict {
    tasks: Vec<String>,
    /// (kind, creation site).
    objects: Vec<(String, String)>,
}

impl Verdicts {
    fn declared(truth: &Truth) -> Verdicts {
        let shape = LeakShape {
            names: truth.leaks.iter().all(|l| !l.name.is_empty()),
            objects: truth
                .leaks
                .iter()
                .all(|l| l.blocked_on.object_created_at.is_some()),
        };
        let deadlocked: BTreeSet<&str> = truth
            .deadlocks
            .iter()
            .flat_map(|d| d.tasks.iter().copied())
            .collect();
        let mut leaks: Vec<LeakVerdict> = truth
            .leaks
            .iter()
            .map(|l| LeakVerdict {
                name: if shape.names {
                    l.name.to_string()
                } else {
                    String::new()
                },
                spawn_site: l.spawn_site.to_string(),
                kind: l.blocked_on.kind.as_str().to_string(),
                // No site (an unseen `.await`) is reported as `null`.
                site: l
                    .blocked_on
                    .site
                    .map_or_else(|| "null".to_string(), |site| site.to_string()),
                object_created_at: l
                    .blocked_on
                    .object_created_at
                    .filter(|_| shape.objects)
                    .map(|s| s.to_string()),
                deadlocked: shape.names && deadlocked.contains(l.name),
            })
            .collect();
        leaks.sort();
        let mut deadlocks: Vec<DeadlockVerdict> = truth
            .deadlocks
            .iter()
            .map(|d| {
                let mut tasks: Vec<String> = d.tasks.iter().map(|t| t.to_string()).collect();
                tasks.sort();
                let mut objects: Vec<(String, String)> = d
                    .objects
                    .iter()
                    .map(|o| {
                        let kind = match o.kind {
                            ObjectKind::Lock => "lock",
                            ObjectKind::Channel => "channel",
                        };
                        (kind.to_string(), o.created_at.to_string())
                    })
                    .collect();
                objects.sort();
                DeadlockVerdict { tasks, objects }
            })
            .collect();
        deadlocks.sort();
        let mut lints: Vec<(String, String)> = truth
            .lints
            .iter()
            .filter(|l| l.lint != Lint::LockHeldLong)
            .map(|l| (l.lint.as_str().to_string(), l.site.to_string()))
            .collect();
        lints.sort();
        let lock_held_long = truth
            .lints
            .iter()
            .filter(|l| l.lint == Lint::LockHeldLong)
            .map(|l| l.site.to_string())
            .collect();
        Verdicts {
            shape,
            leaks,
            deadlocks,
            potential_deadlocks: truth.potential_deadlocks,
            lints,
            lock_held_long,
        }
    }

    /// Reads the verdicts off a `weft stats --json` report, to the detail `shape` says;
    /// `object_sites` maps the trace's object ids to their creation sites.
    fn reported(
        report: &Value,
        object_sites: &BTreeMap<u64, String>,
        shape: &LeakShape,
    ) -> Verdicts {
        let mut leaks: Vec<LeakVerdict> = array(report, "leaks")
            .iter()
            .map(|l| LeakVerdict {
                name: if shape.names {
                    text(&l["name"])
                } else {
                    String::new()
                },
                spawn_site: text(&l["spawn_site"]),
                kind: text(&l["blocked_on"]["kind"]),
                site: text(&l["blocked_on"]["site"]),
                object_created_at: shape.objects.then(|| {
                    match l["blocked_on"]["object"].as_u64() {
                        Some(id) => object_sites
                            .get(&id)
                            .cloned()
                            .unwrap_or_else(|| format!("(object {id} has no creation event)")),
                        None => "(no object)".to_string(),
                    }
                }),
                deadlocked: shape.names && l["deadlocked"] == Value::Bool(true),
            })
            .collect();
        leaks.sort();
        let mut deadlocks: Vec<DeadlockVerdict> = array(report, "deadlocks")
            .iter()
            .map(|d| {
                let mut tasks: Vec<String> =
                    array(d, "tasks").iter().map(|t| text(&t["name"])).collect();
                tasks.sort();
                let mut objects: Vec<(String, String)> = array(d, "objects")
                    .iter()
                    .map(|o| (truth_object_kind(&text(&o["kind"])), text(&o["site"])))
                    .collect();
                objects.sort();
                DeadlockVerdict { tasks, objects }
            })
            .collect();
        deadlocks.sort();
        let all_lints: Vec<(String, String)> = array(report, "lints")
            .iter()
            .map(|l| (text(&l["lint"]), text(&l["site"])))
            .collect();
        let mut lints: Vec<(String, String)> = all_lints
            .iter()
            .filter(|(lint, _)| lint != Lint::LockHeldLong.as_str())
            .cloned()
            .collect();
        lints.sort();
        let lock_held_long = all_lints
            .into_iter()
            .filter(|(lint, _)| lint == Lint::LockHeldLong.as_str())
            .map(|(_, site)| site)
            .collect();
        Verdicts {
            shape: *shape,
            leaks,
            deadlocks,
            potential_deadlocks: array(report, "potential_deadlocks").len(),
            lints,
            lock_held_long,
        }
    }

    /// What `actual` gets wrong, one line each; empty when it agrees with `self`.
    fn disagreements(&self, actual: &Verdicts) -> Vec<String> {
        let mut problems = Vec::new();
        if self.leaks != actual.leaks {
            problems.push(format!(
                "leaks: expected {}, reported {} (or they differ in detail)",
                self.leaks.len(),
                actual.leaks.len()
            ));
        }
        if self.deadlocks != actual.deadlocks {
            problems.push(format!(
                "deadlocks: expected {}, reported {} (or they differ in tasks or objects)",
                self.deadlocks.len(),
                actual.deadlocks.len()
            ));
        }
        if self.potential_deadlocks != actual.potential_deadlocks {
            problems.push(format!(
                "potential_deadlocks: expected {}, reported {}",
                self.potential_deadlocks, actual.potential_deadlocks
            ));
        }
        if self.lints != actual.lints {
            problems.push(format!(
                "lints other than lock_held_long: expected {:?}, reported {:?}",
                self.lints, actual.lints
            ));
        }
        let missing: Vec<&String> = self
            .lock_held_long
            .difference(&actual.lock_held_long)
            .collect();
        if !missing.is_empty() {
            problems.push(format!("lock_held_long not reported at {missing:?}"));
        }
        problems
    }
}

/// The truth's object vocabulary for a report's object kind: any lock flavour is a lock.
fn truth_object_kind(kind: &str) -> String {
    match kind {
        "mutex" | "rwlock" | "lock" => "lock".to_string(),
        other => other.to_string(),
    }
}

/// `value[key]` as an array; empty when missing (the comparison then shows what is missing).
fn array<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value[key].as_array().map_or(&[], Vec::as_slice)
}

/// A string field as is; anything else (`null`, a number, missing) as its JSON text, so a
/// comparison with a site or name fails and shows what was there.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The part of a report the truth is about, for failure messages.
fn findings_json(report: &Value) -> Value {
    let mut findings = serde_json::Map::new();
    for key in ["leaks", "deadlocks", "potential_deadlocks", "lints"] {
        findings.insert(key.to_string(), report[key].clone());
    }
    Value::Object(findings)
}

/// The binary of sample `name`, building all of them the first time.
fn sample_binary(name: &str) -> PathBuf {
    let binaries = match &*SAMPLE_BINARIES {
        Ok(binaries) => binaries,
        Err(why) => panic!("cannot build the sample programs: {why}"),
    };
    binaries.get(name).cloned().unwrap_or_else(|| {
        panic!(
            "cargo built no binary named {name}; it built {:?}",
            binaries.keys()
        )
    })
}

/// Builds the binary of every sample with the cargo running this test (`CARGO`), in this
/// test's target directory and profile, and returns their paths from cargo's JSON messages.
fn build_sample_binaries() -> Result<BTreeMap<String, PathBuf>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "-p", "weft-samples"])
        .args(SAMPLES.iter().flat_map(|name| ["--bin", name]))
        .arg("--message-format=json-render-diagnostics")
        .args(target_dir_and_profile_args())
        .stdin(Stdio::null());
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} exited with {}:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut binaries = BTreeMap::new();
    for line in output.stdout.split(|&byte| byte == b'\n') {
        let Ok(message) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        let is_bin = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"));
        if message["reason"] != "compiler-artifact" || !is_bin {
            continue;
        }
        if let (Some(name), Some(executable)) = (
            message["target"]["name"].as_str(),
            message["executable"].as_str(),
        ) {
            binaries.insert(name.to_string(), PathBuf::from(executable));
        }
    }
    if binaries.is_empty() {
        return Err(format!("{command:?} reported no binaries"));
    }
    Ok(binaries)
}

/// `--target-dir` and the profile this test was built with, read off its own path
/// (`TARGET/PROFILE/deps/samples_truth-HASH`), so the samples are built beside it even when the
/// target directory was given on cargo's command line. Nothing when the path has another shape
/// (cargo then finds its target directory as usual).
fn target_dir_and_profile_args() -> Vec<String> {
    let Ok(exe) = std::env::current_exe() else {
        return Vec::new();
    };
    let Some(profile_dir) = exe.parent().and_then(Path::parent) else {
        return Vec::new();
    };
    let Some(target_dir) = profile_dir.parent() else {
        return Vec::new();
    };
    // Cargo marks the root of every target directory with this file.
    if !target_dir.join("CACHEDIR.TAG").is_file() {
        return Vec::new();
    }
    let mut args = vec![format!("--target-dir={}", target_dir.display())];
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => args.push("--release".to_string()),
        Some(custom) => args.push(format!("--profile={custom}")),
    }
    args
}

/// A sample's trace, in a directory that lives as long as this.
struct Recorded {
    _dir: TempDir,
    trace: PathBuf,
    /// What the sample printed (its one-line summary).
    stdout: String,
}

/// Records the sample until a run follows the script its truth declares (see the module doc),
/// and returns that run with its facts.
fn record_as_declared(name: &str, binary: &Path, truth: &Truth) -> (Recorded, TraceFacts) {
    let names_declared = truth.leaks.iter().all(|l| !l.name.is_empty());
    let mut declared: Vec<String> = truth.leaks.iter().map(|l| l.name.to_string()).collect();
    declared.sort();
    let mut off_script = Vec::new();
    for attempt in 1..=ATTEMPTS {
        let recorded = record(name, binary);
        let facts = TraceFacts::read(name, &recorded.trace);
        let as_declared = if names_declared {
            facts.unfinished_tasks == declared
        } else {
            facts.unfinished_tasks.len() == declared.len()
        };
        if as_declared {
            return (recorded, facts);
        }
        let run = format!(
            "run {attempt}: the tasks that never finished were {:?}; the sample printed: {}",
            facts.unfinished_tasks,
            recorded.stdout.trim_end()
        );
        eprintln!("{name}: off its script, recording again: {run}");
        off_script.push(run);
    }
    panic!(
        "{name}: in {ATTEMPTS} runs the sample never behaved as its truth declares (the tasks \
         that never finish should be {declared:?}), so the analysis could not be checked; the \
         sample is too sensitive to timing for this machine's load:\n  {}",
        off_script.join("\n  ")
    );
}

/// Runs `weft record -o DIR/NAME.weft -- BINARY`, alone, and checks it succeeded.
fn record(name: &str, binary: &Path) -> Recorded {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let trace = dir.path().join(format!("{name}.weft"));
    let stdout_path = dir.path().join("record.stdout");
    let stderr_path = dir.path().join("record.stderr");
    let mut command = Command::new(WEFT);
    command
        .arg("record")
        .arg("-o")
        .arg(&trace)
        .arg("--")
        .arg(binary)
        .env_remove("WEFT_TRACE")
        .env_remove("WORKERS")
        .env_remove("JOBS")
        .stdin(Stdio::null())
        // Files, not pipes: a sample left behind by a killed `weft record` cannot hold them.
        .stdout(File::create(&stdout_path).expect("create the stdout file"))
        .stderr(File::create(&stderr_path).expect("create the stderr file"));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so a hang can be ended together with the sample.
        command.process_group(0);
    }

    let one = ONE_SAMPLE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let started = Instant::now();
    let mut child = command.spawn().expect("run weft record");
    let status = wait_with_limit(&mut child, name);
    let elapsed = started.elapsed();
    drop(one);

    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    eprintln!("{name}: recorded in {} ms", elapsed.as_millis());
    assert!(
        status.success(),
        "{name}: `weft record -- {}` exited with {status}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        binary.display()
    );
    Recorded {
        _dir: dir,
        trace,
        stdout,
    }
}

/// Waits for `child`, ending it (and on Unix its process group) after [`HANG_LIMIT`].
fn wait_with_limit(child: &mut Child, name: &str) -> ExitStatus {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status,
            Ok(None) if started.elapsed() > HANG_LIMIT => {
                #[cfg(unix)]
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                panic!("{name}: `weft record` did not finish within {HANG_LIMIT:?}");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("{name}: cannot wait for `weft record`: {e}"),
        }
    }
}

/// `weft stats TRACE --json`, parsed.
fn stats_json(name: &str, trace: &Path) -> Value {
    let output = Command::new(WEFT)
        .arg("stats")
        .arg(trace)
        .arg("--json")
        .output()
        .expect("run weft stats");
    assert!(
        output.status.success(),
        "{name}: `weft stats --json` exited with {}:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: `weft stats --json` printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// `weft check TRACE` (allowing `lock_held_long` if asked): its exit code and what it printed.
fn check(trace: &Path, allow_long_holds: bool) -> (Option<i32>, String) {
    let mut command = Command::new(WEFT);
    command.arg("check").arg(trace);
    if allow_long_holds {
        command.args(["--allow", "lock_held_long"]);
    }
    let output = command.output().expect("run weft check");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), printed)
}

/// Facts read off the raw trace, not through the analysis.
struct TraceFacts {
    /// Where each channel and lock was created (`file:line`), by object id: the report names a
    /// leak's object by id only, and the truth names it by creation site.
    object_sites: BTreeMap<u64, String>,
    /// The names of the tasks spawned through Weft that never exited, sorted.
    unfinished_tasks: Vec<String>,
}

impl TraceFacts {
    fn read(name: &str, path: &Path) -> TraceFacts {
        let trace = read_file(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut object_sites = BTreeMap::new();
        let mut spawned = BTreeMap::new();
        let mut exited = BTreeSet::new();
        for event in &trace.events {
            match event.kind {
                EventKind::ChanCreate { chan: object, .. }
                | EventKind::LockCreate { lock: object, .. } => {
                    if let Some(site) = trace.site(event.site) {
                        object_sites.insert(object, site.to_string());
                    }
                }
                EventKind::TaskSpawn { child, name } => {
                    spawned.insert(child, trace.string(name).to_string());
                }
                EventKind::TaskExit { .. } => {
                    exited.insert(event.task);
                }
                // A tokio task (recorded under `--cfg tokio_unstable`) ends here.
                EventKind::TaskTerminate { task } => {
                    exited.insert(task);
                }
                // A tokio resource names its creation site `file:line:col`.
                EventKind::ResourceCreate { resource, loc, .. } => {
                    if let Some((file_line, _col)) = trace.string(loc).rsplit_once(':') {
                        object_sites.insert(resource, file_line.to_string());
                    }
                }
                _ => {}
            }
        }
        let mut unfinished_tasks: Vec<String> = spawned
            .into_iter()
            .filter(|(task, _)| !exited.contains(task))
            .map(|(_, name)| name)
            .collect();
        unfinished_tasks.sort();
        TraceFacts {
            object_sites,
            unfinished_tasks,
        }
    }
}
