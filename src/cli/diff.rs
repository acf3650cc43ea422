//! `weft diff A B`: what changed between two runs, as text for people or JSON for scripts and CI.
//!
//! The comparison itself is `weft_viewer::diff::Comparison` (shared with the viewer's compare
//! view); this module loads the two traces and prints it, biggest changes first.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use weft_viewer::analysis::format_ns;
use weft_viewer::diff::text::{pace, ratio, side_count, side_ns, signed_ns, throughput_rows};
use weft_viewer::diff::{Comparison, GroupMatch, RunInfo, SiteMatch, Status};

use super::load::load;

/// How many blocking sites the text report lists.
const TOP_BLOCKING_SITES: usize = 10;
/// How many spawn sites the text report lists.
const TOP_SPAWN_SITES: usize = 8;

pub fn run(a: &Path, b: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let run_a = load(a)?;
    let run_b = load(b)?;
    let comparison = Comparison::new(&run_a.model, &run_a.analysis, &run_b.model, &run_b.analysis)
        .with_files(a.display().to_string(), b.display().to_string());
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &comparison).context("writing the JSON report")?;
        writeln!(out)?;
    } else {
        out.write_all(render(&comparison).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The readable comparison.
pub fn render(c: &Comparison) -> String {
    let mut o = String::new();
    // Writing to a String cannot fail.
    let _ = render_into(&mut o, c);
    o
}

const UNKNOWN_SITE: &str = "(unknown site)";

fn run_line(o: &mut String, which: &str, r: &RunInfo) -> std::fmt::Result {
    let program = if r.program.is_empty() {
        "?"
    } else {
        &r.program
    };
    writeln!(
        o,
        "  {which}: {}: program `{program}`, {} events over {}, {} tasks{}",
        r.file.as_deref().unwrap_or("(trace)"),
        r.events,
        format_ns(r.duration_ns),
        r.tasks,
        if r.complete {
            ""
        } else {
            " — INCOMPLETE: verdicts may miss what was lost (see `weft stats`)"
        }
    )
}

fn render_into(o: &mut String, c: &Comparison) -> std::fmt::Result {
    writeln!(o, "weft diff: A → B")?;
    run_line(o, "A", &c.a)?;
    run_line(o, "B", &c.b)?;

    writeln!(o, "\nSummary")?;
    let t = &c.throughput;
    let (da, db) = (t.duration_ns.a, t.duration_ns.b);
    let pace = pace(t);
    writeln!(
        o,
        "  duration {} → {}: {pace}",
        format_ns(da),
        format_ns(db)
    )?;
    if let Some(top) = c.blocking_sites.first() {
        writeln!(
            o,
            "  biggest change in blocking: {} at {}: {} → {} ({}, {})",
            top.reason.as_str(),
            top.site().unwrap_or(UNKNOWN_SITE),
            side_ns(top.total_ns.a, top.status.in_a()),
            side_ns(top.total_ns.b, top.status.in_b()),
            signed_ns(top.total_ns.delta),
            ratio(&top.total_ns)
        )?;
    }
    let count = |s: Status| c.findings_with(s).count();
    writeln!(
        o,
        "  findings: {} appeared, {} disappeared, {} persisted",
        count(Status::Appeared),
        count(Status::Disappeared),
        count(Status::Persisted)
    )?;

    throughput(o, c)?;
    blocking_sites(o, c)?;
    spawn_sites(o, c)?;
    findings(o, c)
}

fn throughput(o: &mut String, c: &Comparison) -> std::fmt::Result {
    let t = &c.throughput;
    writeln!(
        o,
        "\n{:<27}{:>10}   {:>10} {:>13} {:>9}",
        "Throughput", "A", "B", "delta", "ratio"
    )?;
    for (label, [a, b, delta, x]) in throughput_rows(t) {
        writeln!(o, "  {label:<24} {a:>10} → {b:>10} {delta:>13} {x:>9}")?;
    }
    Ok(())
}

fn blocking_sites(o: &mut String, c: &Comparison) -> std::fmt::Result {
    writeln!(
        o,
        "\nBlocking sites, biggest change first (time blocked, summed over tasks): {}",
        c.blocking_sites.len()
    )?;
    if c.blocking_sites.is_empty() {
        writeln!(o, "  nothing blocked in either run")?;
        return Ok(());
    }
    let top = &c.blocking_sites[..TOP_BLOCKING_SITES.min(c.blocking_sites.len())];
    let width = top
        .iter()
        .map(|r| r.site().unwrap_or(UNKNOWN_SITE).chars().count())
        .max()
        .unwrap_or(0)
        .max("site".len());
    writeln!(
        o,
        "  {:<width$}  {:<9} {:>15}  {:>21} {:>11} {:>7}  waiters",
        "site", "reason", "waits A → B", "time A → B", "delta", "ratio"
    )?;
    for r in top {
        let waits = format!(
            "{} → {}",
            side_count(r.count.a, r.status.in_a()),
            side_count(r.count.b, r.status.in_b())
        );
        let time = format!(
            "{} → {}",
            side_ns(r.total_ns.a, r.status.in_a()),
            side_ns(r.total_ns.b, r.status.in_b())
        );
        writeln!(
            o,
            "  {:<width$}  {:<9} {:>15}  {:>21} {:>11} {:>7}  {}",
            r.site().unwrap_or(UNKNOWN_SITE),
            r.reason.as_str(),
            waits,
            time,
            signed_ns(r.total_ns.delta),
            ratio(&r.total_ns),
            r.waiters.join(", ")
        )?;
        if r.matched_by == Some(SiteMatch::Waiters) {
            writeln!(
                o,
                "  ↳ in B at {} (the line moved; the same tasks wait there)",
                r.site_b.as_deref().unwrap_or(UNKNOWN_SITE)
            )?;
        }
    }
    if c.blocking_sites.len() > top.len() {
        writeln!(
            o,
            "  … {} more (all in `weft diff --json`)",
            c.blocking_sites.len() - top.len()
        )?;
    }
    Ok(())
}

fn spawn_sites(o: &mut String, c: &Comparison) -> std::fmt::Result {
    writeln!(
        o,
        "\nSpawn sites, biggest change first (time in each state, summed over their tasks): {}",
        c.spawn_sites.len()
    )?;
    let top = &c.spawn_sites[..TOP_SPAWN_SITES.min(c.spawn_sites.len())];
    for r in top {
        let place = match (&r.spawn_site_a, &r.spawn_site_b) {
            (Some(a), Some(b)) if a != b => format!("spawned at {a} → {b}"),
            (Some(s), _) | (None, Some(s)) => format!("spawned at {s}"),
            (None, None) => "not spawned by Weft".into(),
        };
        let how = match (r.status, r.matched_by) {
            (Status::Appeared, _) => ", only in B".to_string(),
            (Status::Disappeared, _) => ", only in A".to_string(),
            (_, Some(GroupMatch::Name)) if r.spawn_site_a.is_some() || r.spawn_site_b.is_some() => {
                ", matched by name".to_string()
            }
            _ => String::new(),
        };
        writeln!(
            o,
            "  {} ({place}{how}): {} → {} tasks, {} → {} completed",
            r.name,
            side_count(r.tasks.a, r.status.in_a()),
            side_count(r.tasks.b, r.status.in_b()),
            side_count(r.completed.a, r.status.in_a()),
            side_count(r.completed.b, r.status.in_b()),
        )?;
        for s in &r.states {
            writeln!(
                o,
                "      {:<10} {:>10} → {:>10} {:>11} {:>7}",
                s.state.as_str(),
                side_ns(s.time_ns.a, r.status.in_a()),
                side_ns(s.time_ns.b, r.status.in_b()),
                signed_ns(s.time_ns.delta),
                ratio(&s.time_ns)
            )?;
        }
    }
    if c.spawn_sites.len() > top.len() {
        writeln!(
            o,
            "  … {} more (all in `weft diff --json`)",
            c.spawn_sites.len() - top.len()
        )?;
    }
    Ok(())
}

fn findings(o: &mut String, c: &Comparison) -> std::fmt::Result {
    writeln!(
        o,
        "\nFindings (leaks, deadlocks, lock-order inversions, lints)"
    )?;
    if c.findings.is_empty() {
        writeln!(o, "  none in either run")?;
    }
    for f in &c.findings {
        let mut what = format!("{} {}", f.kind.as_str(), f.name);
        if let Some(s) = &f.site {
            write!(what, " at {s}")?;
        }
        if let Some(s) = &f.spawn_site {
            write!(what, " (spawned at {s})")?;
        }
        writeln!(
            o,
            "  {:<11} {what}: {} → {}",
            f.status.as_str(),
            f.count.a,
            f.count.b
        )?;
        writeln!(o, "      {}", f.description)?;
    }
    Ok(())
}
