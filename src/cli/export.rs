//! `weft export --format chrome`: Chrome trace-event JSON, which Perfetto (ui.perfetto.dev) and
//! chrome://tracing open.
//!
//! Mapping: the process is the traced program; each task is a thread (tid = task id) whose
//! states are complete (`X`) slices named `running`, `recv`, `lock`, …; every causal link is a
//! flow (`s` → `f`, both bound to the enclosing slice) named after its kind; `tracing` regions
//! are async slices and marks are instants on their task; channel queue depths and lock waiter
//! counts are counters. Times are microseconds with nanosecond decimals. Events are written one
//! at a time, so exporting never holds the whole JSON in memory.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;
use weft_recorder::event::Level;
use weft_viewer::model::{Model, ObjectIx, SiteIx, State, WaitTarget};

use super::args::ExportFormat;
use super::load::load_model;

pub fn run(path: &Path, format: ExportFormat, output: &Path) -> anyhow::Result<ExitCode> {
    let model = load_model(path)?;
    match format {
        ExportFormat::Chrome => {
            let file = File::create(output)
                .with_context(|| format!("cannot create {}", output.display()))?;
            let mut out = BufWriter::new(file);
            let written = write_chrome(&model, &mut out)
                .and_then(|n| out.flush().map(|()| n))
                .with_context(|| format!("cannot write {}", output.display()))?;
            eprintln!(
                "weft: wrote {} ({written} trace events); open it in ui.perfetto.dev or chrome://tracing",
                output.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ChromeEvent<'a> {
    name: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cat: Option<&'static str>,
    ph: &'static str,
    ts: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    pid: u64,
    tid: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bp: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<Args<'a>>,
}

/// An event's `args`, typed and borrowed: a map built per event was most of what exporting
/// cost. Fields are in alphabetical order, the order a JSON map's keys were written in.
#[derive(Default, Serialize)]
struct Args<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    arms: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    joins: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    object: Option<&'a str>,
    #[serde(rename = "queue depth", skip_serializing_if = "Option::is_none")]
    queue_depth: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    site: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sort_index: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiters: Option<u32>,
}

impl<'a> ChromeEvent<'a> {
    fn new(ph: &'static str, name: impl Into<Cow<'a, str>>, ts: u64, pid: u64, tid: u64) -> Self {
        ChromeEvent {
            name: name.into(),
            cat: None,
            ph,
            ts: micros(ts),
            dur: None,
            pid,
            tid,
            id: None,
            bp: None,
            s: None,
            args: None,
        }
    }
}

/// Site labels and object names, each made once: millions of events name a few hundred.
struct Labels {
    sites: Vec<Option<String>>,
    objects: Vec<String>,
}

impl Labels {
    fn new(model: &Model) -> Self {
        // Site 0 is "unknown"; the model's sites are numbered densely from 1.
        let mut sites = vec![None];
        while let Some(site) = u32::try_from(sites.len())
            .ok()
            .and_then(|i| model.site(SiteIx(i)))
        {
            sites.push(Some(site.to_string()));
        }
        Labels {
            sites,
            objects: model.object_ixs().map(|o| model.object_name(o)).collect(),
        }
    }

    fn site(&self, site: SiteIx) -> Option<&str> {
        self.sites.get(site.0 as usize).and_then(|s| s.as_deref())
    }

    fn object(&self, o: ObjectIx) -> &str {
        self.objects.get(o.index()).map_or("", String::as_str)
    }
}

fn micros(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

/// Writes `{"traceEvents":[...], ...}` and returns how many events it wrote.
pub fn write_chrome(model: &Model, out: &mut impl Write) -> std::io::Result<u64> {
    let pid = u64::from(model.header().pid);
    let mut w = EventWriter {
        out,
        count: 0,
        first: true,
    };
    write!(w.out, "{{\"displayTimeUnit\":\"ns\",\"traceEvents\":[")?;

    let labels = Labels::new(model);
    let mut process = ChromeEvent::new("M", "process_name", 0, pid, 0);
    let program = &model.header().program;
    process.args = Some(Args {
        name: Some(Cow::Borrowed(if program.is_empty() {
            "traced program"
        } else {
            program
        })),
        ..Args::default()
    });
    w.event(&process)?;

    for t in model.task_ixs() {
        let task = model.task(t);
        let tid = task.id;
        let mut name = ChromeEvent::new("M", "thread_name", 0, pid, tid);
        name.args = Some(Args {
            name: Some(format!("{} (task {})", model.task_name(t), task.id).into()),
            ..Args::default()
        });
        w.event(&name)?;
        let mut order = ChromeEvent::new("M", "thread_sort_index", 0, pid, tid);
        order.args = Some(Args {
            sort_index: Some(t.0),
            ..Args::default()
        });
        w.event(&order)?;

        for span in model.timeline(t).spans() {
            if span.state == State::Done {
                continue;
            }
            let mut e = ChromeEvent::new("X", span.state.as_str(), span.start, pid, tid);
            e.cat = Some("state");
            e.dur = Some(micros(span.duration()));
            let mut args = Args {
                site: labels.site(span.site),
                ..Args::default()
            };
            match span.target {
                WaitTarget::Object(o) => args.object = Some(labels.object(o)),
                WaitTarget::Task(x) => args.joins = Some(format!("task {}", model.task(x).id)),
                WaitTarget::Select(s) => {
                    let arms = model.select(s).1.iter();
                    args.arms = Some(arms.map(|a| labels.object(a.channel)).collect());
                }
                WaitTarget::Nothing => {}
            }
            if args.site.is_some() || !matches!(span.target, WaitTarget::Nothing) {
                e.args = Some(args);
            }
            w.event(&e)?;
        }

        for (i, region) in model.regions(t).iter().enumerate() {
            let id = (t.0 as u64) << 32 | i as u64;
            for (ph, ts) in [("b", region.start), ("e", region.end)] {
                let mut e = ChromeEvent::new(ph, model.string(region.name), ts, pid, tid);
                e.cat = Some("region");
                e.id = Some(id);
                w.event(&e)?;
            }
        }
        for mark in model.marks(t) {
            let mut e = ChromeEvent::new("i", model.string(mark.message), mark.ts, pid, tid);
            e.cat = Some("mark");
            e.s = Some("t");
            if let Some(site) = labels.site(mark.site) {
                e.args = Some(Args {
                    site: Some(site),
                    level: Some(mark.level),
                    ..Args::default()
                });
            }
            w.event(&e)?;
        }
    }

    for (i, link) in model.links().enumerate() {
        // Clocks of two threads, and causes recorded just after the fact, can put the cause a
        // little after its effect; a flow must not run backwards.
        let from_ts = link.from_ts.min(link.to_ts);
        let id = i as u64 + 1;
        let ends = [
            ("s", from_ts, model.task(link.from_task).id),
            ("f", link.to_ts, model.task(link.to_task).id),
        ];
        for (ph, ts, tid) in ends {
            let mut e = ChromeEvent::new(ph, link.kind.as_str(), ts, pid, tid);
            e.cat = Some("link");
            e.id = Some(id);
            e.bp = Some("e");
            w.event(&e)?;
        }
    }

    for o in model.object_ixs() {
        let is_channel = model.object(o).kind.is_channel();
        let series = if is_channel { "queue depth" } else { "waiters" };
        let name = format!("{} {}", labels.object(o), series);
        let lane = model.object_events(o);
        let mut last = None;
        for (i, ev) in lane.rows().iter().enumerate() {
            if last == Some(ev.level()) {
                continue;
            }
            last = Some(ev.level());
            let mut e = ChromeEvent::new("C", name.as_str(), lane.start_of(i), pid, 0);
            let level = Some(ev.level());
            e.args = Some(if is_channel {
                Args {
                    queue_depth: level,
                    ..Args::default()
                }
            } else {
                Args {
                    waiters: level,
                    ..Args::default()
                }
            });
            w.event(&e)?;
        }
    }

    write!(
        w.out,
        "],\"otherData\":{{\"exporter\":\"weft {}\",\"program\":{}}}}}",
        env!("CARGO_PKG_VERSION"),
        serde_json::to_string(program).unwrap_or_else(|_| "\"\"".into())
    )?;
    Ok(w.count)
}

struct EventWriter<'w, W: Write> {
    out: &'w mut W,
    count: u64,
    first: bool,
}

impl<W: Write> EventWriter<'_, W> {
    fn event(&mut self, e: &ChromeEvent<'_>) -> std::io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut *self.out, e)?;
        self.count += 1;
        Ok(())
    }
}
