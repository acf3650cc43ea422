//! `weft check`: a CI gate — exit 1, saying why, when the trace shows leaks, deadlocks,
//! lock-order inversions or lints not allowed.

use std::path::Path;
use std::process::ExitCode;

use super::args::ALLOW_POTENTIAL_DEADLOCKS;
use super::load::load;
use super::stats::blocked_on;

pub fn run(path: &Path, allow: &[String]) -> anyhow::Result<ExitCode> {
    let loaded = load(path)?;
    let report = loaded.analysis.report(&loaded.model);
    let allowed = |name: &str| allow.iter().any(|a| a == name);

    let mut failures = Vec::new();
    for l in &report.leaks {
        failures.push(format!(
            "leak: task {} ({}) spawned at {} is blocked forever in {}: {}",
            l.task,
            l.name,
            l.spawn_site.as_deref().unwrap_or("(unknown site)"),
            blocked_on(&l.blocked_on),
            l.why
        ));
    }
    for d in &report.deadlocks {
        failures.push(format!("deadlock: {}", d.description));
    }
    if !allowed(ALLOW_POTENTIAL_DEADLOCKS) {
        for p in &report.potential_deadlocks {
            failures.push(format!("potential deadlock: {}", p.description));
        }
    }
    for l in report.lints.iter().filter(|l| !allowed(l.lint)) {
        failures.push(format!("lint {}: {}", l.lint, l.message));
    }

    if !report.loss.complete {
        eprintln!(
            "weft check: warning: {} is incomplete (see `weft stats`); verdicts may miss what was lost",
            path.display()
        );
    }
    if failures.is_empty() {
        println!("weft check: ok: {} ({})", path.display(), report.summary());
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "weft check: FAILED: {} — {} problem{}",
        path.display(),
        failures.len(),
        if failures.len() == 1 { "" } else { "s" }
    );
    for f in &failures {
        println!("  {f}");
    }
    if report.lints.iter().any(|l| !allowed(l.lint)) {
        println!("  (allow a lint with --allow NAME)");
    }
    Ok(ExitCode::FAILURE)
}
