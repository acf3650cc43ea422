//! `weft diff A B [--json]` end to end, on the sample traces committed in `assets/traces/`.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn weft(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .output()
        .expect("run weft")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sample(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/traces")
        .join(format!("{name}.weft"))
        .display()
        .to_string()
}

fn diff_json(a: &str, b: &str) -> Value {
    let out = weft(&["diff", &sample(a), &sample(b), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

#[test]
fn diff_prints_the_biggest_change_first_with_a_to_b_columns() {
    let (a, b) = (sample("mutex_contention"), sample("mutex_contention_fixed"));
    let out = weft(&["diff", &a, &b]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);

    assert!(text.starts_with("weft diff: A → B\n"), "{text}");
    assert!(
        text.contains(&format!("  A: {a}: program `mutex_contention`")),
        "{text}"
    );
    assert!(
        text.contains(&format!("  B: {b}: program `mutex_contention_fixed`")),
        "{text}"
    );
    assert!(text.contains("× faster"), "{text}");
    assert!(
        text.contains(
            "biggest change in blocking: lock at sample-programs/src/bin/mutex_contention.rs:"
        ),
        "{text}"
    );

    // The first row under the blocking-site header is the hot lock, gone in B.
    let table = text
        .split("\nBlocking sites, biggest change first")
        .nth(1)
        .expect("a blocking-site table");
    let mut rows = table.lines().skip(1);
    let header = rows.next().expect("column headers");
    for column in [
        "site",
        "reason",
        "waits A → B",
        "time A → B",
        "delta",
        "ratio",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let first = rows.next().expect("a first row");
    assert!(first.contains("mutex_contention.rs:"), "{first}");
    assert!(first.contains(" lock "), "{first}");
    assert!(first.contains(" → –"), "{first}");
    assert!(first.contains(" gone "), "{first}");
    assert!(
        first.trim_end().ends_with("worker-0"),
        "the waiters: {first}"
    );
    assert!(first.contains(" -"), "a negative delta: {first}");

    assert!(text.contains("Throughput"), "{text}");
    assert!(text.contains("  duration "), "{text}");
    assert!(
        text.contains(
            "disappeared lint lock_held_long at sample-programs/src/bin/mutex_contention.rs:"
        ),
        "{text}"
    );
    assert!(
        text.contains("findings: 0 appeared, 1 disappeared"),
        "{text}"
    );
    // Ordered as documented: summary, throughput, blocking sites, spawn sites, findings.
    let at = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("{s:?} missing:\n{text}"))
    };
    assert!(at("Summary") < at("Throughput"));
    assert!(at("Throughput") < at("Blocking sites"));
    assert!(at("Blocking sites") < at("Spawn sites"));
    assert!(at("Spawn sites") < at("Findings"));
}

#[test]
fn diff_json_keeps_its_contract() {
    let json = diff_json("mutex_contention", "mutex_contention_fixed");
    for key in [
        "a",
        "b",
        "throughput",
        "blocking_sites",
        "spawn_sites",
        "findings",
    ] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    assert_eq!(json["a"]["file"], sample("mutex_contention"));
    assert_eq!(json["b"]["program"], "mutex_contention_fixed");
    assert_eq!(json["a"]["complete"], true);

    let top = &json["blocking_sites"][0];
    assert_eq!(top["reason"], "lock");
    assert_eq!(top["status"], "disappeared");
    assert_eq!(top["site_b"], Value::Null);
    assert_eq!(top["waiters"], serde_json::json!(["worker-0"]));
    let site = top["site_a"].as_str().expect("a site string");
    assert!(
        site.starts_with("sample-programs/src/bin/mutex_contention.rs:"),
        "{site}"
    );
    let total = &top["total_ns"];
    let (a, b, delta) = (
        total["a"].as_u64().expect("a"),
        total["b"].as_u64().expect("b"),
        total["delta"].as_i64().expect("delta"),
    );
    assert_eq!((b, delta), (0, -(a as i64)));
    assert_eq!(total["ratio"], 0.0);

    let workers = &json["spawn_sites"][0];
    assert_eq!(workers["matched_by"], "name");
    assert_eq!(workers["states"][0]["state"], "lock");
    assert!(workers["spawn_site_b"]
        .as_str()
        .is_some_and(|s| s.contains("mutex_contention_fixed.rs")));

    let finding = &json["findings"][0];
    assert_eq!(finding["status"], "disappeared");
    assert_eq!(finding["kind"], "lint");
    assert_eq!(finding["name"], "lock_held_long");
    assert_eq!(finding["count"]["a"], 1);

    let duration = &json["throughput"]["duration_ns"];
    assert!(duration["ratio"].is_f64(), "{duration}");
    assert_eq!(
        duration["delta"].as_i64(),
        Some(duration["b"].as_i64().unwrap_or(0) - duration["a"].as_i64().unwrap_or(0))
    );
}

#[test]
fn diff_json_of_the_worker_pools_shows_throughput_up_and_the_producer_waiting_less() {
    let json = diff_json("worker_pool_2_workers", "worker_pool_8_workers");
    let t = &json["throughput"];
    assert!(
        t["duration_ns"]["delta"].as_i64().is_some_and(|d| d < 0),
        "{t}"
    );
    assert_eq!(t["messages"]["delta"], 0);
    assert!(
        t["messages_per_second"]["ratio"]
            .as_f64()
            .is_some_and(|r| r > 1.0),
        "{t}"
    );
    let send = json["blocking_sites"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["reason"] == "send")
        .expect("main's send on the job queue");
    assert_eq!(send["waiters"], serde_json::json!(["main"]));
    assert!(
        send["total_ns"]["delta"].as_i64().is_some_and(|d| d < 0),
        "{send}"
    );
    let pool = json["spawn_sites"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["tasks"]["b"] == 8)
        .expect("the pool");
    assert_eq!(pool["tasks"]["a"], 2);
    assert_eq!(pool["matched_by"], "spawn_site");
    assert_eq!(json["findings"], Value::Array(Vec::new()));
}

#[test]
fn diff_of_a_leaky_run_lists_the_leaks_that_appeared() {
    let out = weft(&["diff", &sample("worker_pool"), &sample("leak_blocked_recv")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("\n  appeared    leak "), "{text}");
}

#[test]
fn diff_errors_name_the_file_and_need_two_traces() {
    let missing = "/nonexistent/b.weft";
    let out = weft(&["diff", &sample("worker_pool"), missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(missing), "{}", stderr(&out));

    let out = weft(&["diff", &sample("worker_pool")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("<B>"), "{}", stderr(&out));
}
