//! `weft bench TRACE`: how long loading takes and what it costs in memory, phase by phase.
//!
//! The figures the performance goals (issue 8) are stated in, each beside its goal: events/s of
//! each phase, total time from file to a ready model, and resident memory per event (peak, from
//! the kernel's accounting). Loading is the viewer's: the file's frames and tables are read, then
//! events are decoded (and checked) one at a time, in time order, straight into the model.
//! Size is compared with the same trace as Chrome trace-event JSON, as `weft export` writes it.

use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use weft_recorder::format;
use weft_viewer::analysis::Analysis;
use weft_viewer::model::Model;

/// Goal: 10 M events from file to a ready model in under a second.
const GOAL_NS_PER_EVENT: f64 = 1e9 / 10e6;
/// Goal: peak resident memory after load, per event.
const GOAL_PEAK_BYTES_PER_EVENT: f64 = 32.0;
/// Goal: the trace at least this many times smaller than the same trace as Chrome JSON.
const GOAL_SMALLER_THAN_JSON: f64 = 30.0;

/// Counts the bytes written to it and keeps none.
#[derive(Default)]
struct ByteCount(u64);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Peak and current resident set size in bytes (Linux; 0 elsewhere).
fn rss() -> (u64, u64) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (0, 0);
    };
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// CPU time of every thread of this process so far (Linux; zero elsewhere): beside a phase's
/// wall time it shows whether the phase kept both cores busy or waited.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which is in parentheses and may hold spaces): utime and
    // stime are the 12th and 13th, in clock ticks of 1/100 s on Linux.
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|f| f.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn never_cancel(_: u64, _: u64) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// How many bytes `weft export --format chrome` would write for `model`.
fn chrome_json_bytes(model: &Model) -> anyhow::Result<u64> {
    let mut count = ByteCount::default();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut count);
    super::export::write_chrome(model, &mut out)
        .and_then(|_| std::io::Write::flush(&mut out))
        .map_err(|e| anyhow::anyhow!("exporting as Chrome JSON: {e}"))?;
    drop(out);
    Ok(count.0)
}

/// One load, file → ready model, with `between` called after the read (untimed): the time of
/// each step, and the model.
fn load(path: &Path, between: impl FnOnce()) -> anyhow::Result<(Duration, Duration, Model)> {
    let t0 = Instant::now();
    let stream =
        format::open_file_with_progress(path, never_cancel).map_err(|e| anyhow::anyhow!("{e}"))?;
    let t_read = t0.elapsed();
    between();
    let t1 = Instant::now();
    let model = Model::from_stream_with_progress(stream, never_cancel)?;
    Ok((t_read, t1.elapsed(), model))
}

/// The time the viewer takes from a loaded model to the document a window draws (analysis
/// included), when the viewer is built in.
#[cfg(feature = "gui")]
fn open_document(model: Model, path: &Path) -> Option<Duration> {
    let t = Instant::now();
    let document = weft_viewer::ui::document::Document::new(model, Some(path.to_owned()));
    let elapsed = t.elapsed();
    drop(document);
    Some(elapsed)
}

#[cfg(not(feature = "gui"))]
fn open_document(_: Model, _: &Path) -> Option<Duration> {
    None
}

pub fn run(path: &Path, runs: u32) -> anyhow::Result<ExitCode> {
    let file_bytes = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
        .len();
    let (_, base) = rss();
    let (mut peak_read, mut cpu1) = (0, Duration::ZERO);
    let (t_read, t_model, model) = load(path, || {
        peak_read = rss().0;
        cpu1 = cpu_time();
    })?;
    let cpu_model = cpu_time().saturating_sub(cpu1);
    let (peak_model, after_model) = rss();
    let loaded = model.event_count();
    let t2 = Instant::now();
    let analysis = Analysis::run(&model);
    let t_analysis = t2.elapsed();
    let (peak_all, _) = rss();
    let heap = model.heap_bytes() as u64;
    let heap_tables = model.heap_breakdown();
    let json_bytes = chrome_json_bytes(&model)?;
    let t_document = open_document(model, path);

    // More loads, timed only (the first set the memory figures).
    let mut loads = vec![t_read + t_model];
    for _ in 1..runs {
        let (read, build, model) = load(path, || {})?;
        drop(model);
        loads.push(read + build);
    }

    // The events alone, decoded and merged with no model: what of the model phase is decoding.
    let (_, only_events) = format::open_file(path)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_parts();
    let t4 = Instant::now();
    let decoded = only_events.count() as u64;
    let t_merge = t4.elapsed();

    // The model built from events decoded beforehand, on one thread: what of the model phase
    // is the builder's own work. Last, because holding every decoded event raises the peak.
    let decoded_trace = format::open_file(path)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_trace();
    let t5 = Instant::now();
    let rebuilt = Model::from_trace(&decoded_trace);
    let t_builder = t5.elapsed();
    drop((rebuilt, decoded_trace));

    // Counted as decoded: what the chunks declare is exact only for an undamaged file.
    let events = decoded;
    let n = events.max(1) as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let rate = |d: Duration| events as f64 / d.as_secs_f64().max(1e-9) / 1e6;
    let per_event = |b: u64| b.saturating_sub(base) as f64 / n;
    println!(
        "{}: {events} events, {:.2} B/event on disk",
        path.display(),
        file_bytes as f64 / n
    );
    let smaller = json_bytes as f64 / file_bytes.max(1) as f64;
    println!(
        "size: the same trace as Chrome JSON (weft export) takes {:.1} B/event, {smaller:.1}× the file ({:.2}× the goal of >= {GOAL_SMALLER_THAN_JSON:.0}×)",
        json_bytes as f64 / n,
        smaller / GOAL_SMALLER_THAN_JSON
    );
    println!(
        "read      {:>8.1} ms  {:>6.1} M events/s  (frames and tables; events are checked as they are decoded)",
        ms(t_read),
        rate(t_read)
    );
    println!(
        "model     {:>8.1} ms  {:>6.1} M events/s  (CPU {:.0} ms on all threads; decoding and merging by time alone take {:.1} ms, building from decoded events alone {:.1} ms)",
        ms(t_model),
        rate(t_model),
        ms(cpu_model),
        ms(t_merge),
        ms(t_builder)
    );
    println!(
        "analysis  {:>8.1} ms  {:>6.1} M events/s",
        ms(t_analysis),
        rate(t_analysis)
    );
    let load = t_read + t_model;
    if let Some(t_document) = t_document {
        println!(
            "document  {:>8.1} ms  {:>6.1} M events/s  (what the viewer opens on: the analysis and its drawing tables, side by side; file → viewer ready: {:.1} ms)",
            ms(t_document),
            rate(t_document),
            ms(load + t_document)
        );
    }
    let ns_per_event = load.as_secs_f64() * 1e9 / n;
    println!(
        "file → ready model: {:.1} ms, {ns_per_event:.0} ns/event: {:.2}× the goal (10 M events < 1000 ms, so <= {GOAL_NS_PER_EVENT:.0} ns/event); 10 M at this rate: {:.0} ms",
        ms(load),
        ns_per_event / GOAL_NS_PER_EVENT,
        ns_per_event * 10e6 / 1e6
    );
    if runs > 1 {
        let mut sorted = loads.clone();
        sorted.sort();
        let median = sorted[sorted.len() / 2];
        let each: Vec<String> = loads.iter().map(|&d| format!("{:.0}", ms(d))).collect();
        println!(
            "file → ready model over {runs} loads: min {:.1} ms, median {:.1} ms ({:.2}× the goal), max {:.1} ms; each: {} ms",
            ms(sorted[0]),
            ms(median),
            median.as_secs_f64() * 1e9 / n / GOAL_NS_PER_EVENT,
            ms(sorted[sorted.len() - 1]),
            each.join(", ")
        );
    }
    let peak_loaded = per_event(peak_model);
    println!(
        "memory per event: peak while reading {:.1} B, peak after load {peak_loaded:.1} B ({:.2}× the goal of <= {GOAL_PEAK_BYTES_PER_EVENT:.0} B), resident after load {:.1} B, model heap {:.1} B, peak with analysis {:.1} B",
        per_event(peak_read),
        peak_loaded / GOAL_PEAK_BYTES_PER_EVENT,
        per_event(after_model),
        heap as f64 / n,
        per_event(peak_all)
    );
    let tables: Vec<String> = heap_tables
        .iter()
        .take(6)
        .map(|(table, bytes)| format!("{table} {:.1}", *bytes as f64 / n))
        .collect();
    println!("model heap, B/event: {}", tables.join(", "));
    println!(
        "findings: {} leaks, {} deadlocks, {} lints",
        analysis.leaks.len(),
        analysis.deadlocks.len(),
        analysis.lints.len()
    );
    if decoded != loaded {
        anyhow::bail!("decoding alone gave {decoded} events, loading {loaded}: a bug in Weft");
    }
    Ok(ExitCode::SUCCESS)
}
