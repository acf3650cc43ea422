//! `weft stats`: the report, as text for people or JSON for scripts.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use weft_viewer::analysis::report::{BlockedOn, Report};
use weft_viewer::analysis::{format_ns, RuntimeProfile};

use super::load::load;

/// How many blocking sites the text report lists.
const TOP_SITES: usize = 10;

pub fn run(path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let loaded = load(path)?;
    let report = loaded.analysis.report(&loaded.model);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report).context("writing the JSON report")?;
        writeln!(out)?;
    } else {
        out.write_all(render(path, &report).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn site(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("(unknown site)")
}

/// "recv on channel 4 at src/main.rs:20"
pub fn blocked_on(b: &BlockedOn) -> String {
    let mut s = b.kind.to_string();
    match (b.object_kind, b.object) {
        (Some("task"), Some(id)) => write!(s, " of task {id}").ok(),
        (Some(kind), Some(id)) => write!(s, " on {kind} {id}").ok(),
        _ if !b.channels.is_empty() => {
            let ids: Vec<String> = b.channels.iter().map(|c| format!("channel {c}")).collect();
            write!(s, " over {}", ids.join(", ")).ok()
        }
        _ => None,
    };
    write!(s, " at {}", site(&b.site)).ok();
    s
}

/// The readable report.
pub fn render(path: &Path, r: &Report) -> String {
    let mut o = String::new();
    let _ = render_into(&mut o, path, r);
    o
}

/// The tokio runtime's workers, polls and scheduling latency.
fn render_runtime(o: &mut String, rt: &RuntimeProfile) -> std::fmt::Result {
    writeln!(
        o,
        "\nTokio runtime: {} workers, idle {} in all (parked with nothing to run)",
        rt.workers,
        format_ns(rt.idle_ns)
    )?;
    if rt.tasks == 0 && rt.polls.count == 0 {
        // The task hooks exist only under tokio_unstable; the recorder said so at start too.
        return writeln!(
            o,
            "  no async tasks or polls recorded: build with --cfg tokio_unstable to see them \
             (README: Recording tokio programs)"
        );
    }
    let mean = |total: u64, count: u64| format_ns(total.checked_div(count).unwrap_or(0));
    writeln!(
        o,
        "  {} async tasks, {} polls: {} in all, {} mean, {} longest",
        rt.tasks,
        rt.polls.count,
        format_ns(rt.polls.total_ns),
        mean(rt.polls.total_ns, rt.polls.count),
        format_ns(rt.polls.max_ns)
    )?;
    writeln!(
        o,
        "  scheduling latency (woken → polled): {} wakes, {} mean, {} longest",
        rt.scheduling.count,
        mean(rt.scheduling.total_ns, rt.scheduling.count),
        format_ns(rt.scheduling.max_ns)
    )
}

fn render_into(o: &mut String, path: &Path, r: &Report) -> std::fmt::Result {
    let program = if r.program.is_empty() {
        "?"
    } else {
        &r.program
    };
    writeln!(
        o,
        "{}: program `{program}`, {} events over {}, {} tasks (at most {} alive at once)",
        path.display(),
        r.events,
        format_ns(r.duration_ns),
        r.tasks.total,
        r.tasks.peak_live
    )?;
    if r.loss.complete {
        writeln!(o, "trace: complete")?;
    } else {
        writeln!(o, "trace: INCOMPLETE — verdicts may miss what was lost")?;
        let l = &r.loss;
        if l.dropped_events > 0 {
            writeln!(o, "  {} events dropped by the recorder", l.dropped_events)?;
        }
        if l.truncated_bytes > 0 {
            writeln!(
                o,
                "  {} bytes cut from the end of the file",
                l.truncated_bytes
            )?;
        }
        if l.corrupt_bytes > 0 || l.corrupt_frames > 0 {
            writeln!(
                o,
                "  {} damaged bytes ({} frames) skipped",
                l.corrupt_bytes, l.corrupt_frames
            )?;
        }
        if l.missing_batches > 0 {
            writeln!(o, "  {} batches missing", l.missing_batches)?;
        }
        if !l.clean_end {
            writeln!(
                o,
                "  the recorder did not shut down cleanly (killed or crashed?)"
            )?;
        }
        for note in &l.notes {
            writeln!(o, "  {note}")?;
        }
    }

    let t = &r.tasks;
    writeln!(
        o,
        "\nTasks: {} exited{}, {} running at the end, {} waiting at the end (not leaks), {} leaked, {} deadlocked",
        t.exited,
        if t.panicked > 0 { format!(" ({} panicked)", t.panicked) } else { String::new() },
        t.running_at_end,
        t.waiting_at_end,
        t.leaked,
        t.deadlocked
    )?;
    let no_site = "(not spawned by Weft)";
    let site_width = t
        .by_spawn_site
        .iter()
        .map(|g| g.spawn_site.as_deref().unwrap_or(no_site).len())
        .max()
        .unwrap_or(0)
        .max("spawn site".len());
    let name_width = t
        .by_spawn_site
        .iter()
        .map(|g| g.name.len())
        .max()
        .unwrap_or(0)
        .max(4);
    writeln!(
        o,
        "  {:<site_width$}  {:<name_width$} {:>6} {:>10} {:>10}  fates",
        "spawn site", "name", "tasks", "running", "blocked"
    )?;
    for g in &t.by_spawn_site {
        let fates: Vec<String> = g.fates.iter().map(|(f, n)| format!("{n} {f}")).collect();
        writeln!(
            o,
            "  {:<site_width$}  {:<name_width$} {:>6} {:>10} {:>10}  {}",
            g.spawn_site.as_deref().unwrap_or(no_site),
            g.name,
            g.tasks,
            format_ns(g.running_ns),
            format_ns(g.blocked_ns),
            fates.join(", ")
        )?;
    }

    if let Some(rt) = &r.runtime {
        render_runtime(o, rt)?;
    }

    let b = &r.blocking;
    writeln!(
        o,
        "\nBlocking by reason ({} blocked in all)",
        format_ns(b.total_ns)
    )?;
    if b.by_reason.is_empty() {
        writeln!(o, "  nothing blocked")?;
    }
    for s in &b.by_reason {
        writeln!(
            o,
            "  {:<10} {:>8} waits {:>10} total {:>10} max",
            s.reason,
            s.count,
            format_ns(s.total_ns),
            format_ns(s.max_ns)
        )?;
    }
    if !b.by_site.is_empty() {
        let top = &b.by_site[..TOP_SITES.min(b.by_site.len())];
        let width = top.iter().map(|s| site(&s.site).len()).max().unwrap_or(0);
        writeln!(o, "\nBlocking by site (top {})", top.len())?;
        for s in top {
            writeln!(
                o,
                "  {:<width$}  {:<10} {:>8} waits {:>10} total {:>10} max{}",
                site(&s.site),
                s.reason,
                s.count,
                format_ns(s.total_ns),
                format_ns(s.max_ns),
                if s.unfinished > 0 {
                    format!(" ({} still waiting at the end)", s.unfinished)
                } else {
                    String::new()
                }
            )?;
        }
    }

    writeln!(o, "\nLeaks: {}", r.leaks.len())?;
    let mut last_site: Option<&Option<String>> = None;
    for l in &r.leaks {
        if last_site != Some(&l.spawn_site) {
            let n = r
                .leaks
                .iter()
                .filter(|x| x.spawn_site == l.spawn_site)
                .count();
            writeln!(o, "  spawned at {} ({n}):", site(&l.spawn_site))?;
            last_site = Some(&l.spawn_site);
        }
        writeln!(
            o,
            "    task {} ({}): blocked in {} since {}",
            l.task,
            l.name,
            blocked_on(&l.blocked_on),
            format_ns(l.since_ns)
        )?;
        writeln!(o, "      {}", l.why)?;
    }

    writeln!(o, "\nDeadlocks: {}", r.deadlocks.len())?;
    for (i, d) in r.deadlocks.iter().enumerate() {
        writeln!(
            o,
            "  {}. {} tasks, each waiting for the next:",
            i + 1,
            d.tasks.len()
        )?;
        for t in &d.tasks {
            writeln!(
                o,
                "     task {} ({}): {} since {}",
                t.task,
                t.name,
                blocked_on(&t.blocked_on),
                format_ns(t.since_ns)
            )?;
        }
    }

    writeln!(
        o,
        "\nPotential deadlocks (lock-order inversions): {}",
        r.potential_deadlocks.len()
    )?;
    for (i, p) in r.potential_deadlocks.iter().enumerate() {
        let hung = if p.hung {
            "it hung in this run"
        } else {
            "it did not hang in this run"
        };
        writeln!(o, "  {}. {hung}:", i + 1)?;
        let lock = |id: u64| {
            let kind = p
                .locks
                .iter()
                .find(|l| l.id == id)
                .map_or("lock", |l| l.kind);
            format!("{kind} {id}")
        };
        for e in &p.orders {
            writeln!(
                o,
                "     task {} ({}) took {} at {} while holding {} (taken at {}){}",
                e.task,
                e.name,
                lock(e.acquired),
                site(&e.acquire_site),
                lock(e.held),
                site(&e.held_site),
                if e.count > 1 {
                    format!(", {} times", e.count)
                } else {
                    String::new()
                }
            )?;
        }
    }

    writeln!(o, "\nLints: {}", r.lints.len())?;
    for l in &r.lints {
        writeln!(o, "  {}: {}", l.lint, l.message)?;
    }
    Ok(())
}
