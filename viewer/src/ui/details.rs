//! The details of the selection: a span (state, duration, what it waited on and where, who
//! unblocked it — with a jump), a task (name, spawn site, parent, state breakdown), an object
//! (what it is and its events), a worker.

use eframe::egui::{self, Grid, RichText, Ui};

use crate::analysis::Fate;
use crate::model::{LinkKind, Model, ObjectIx, State, TaskIx, WaitTarget, WorkerIx};

use super::describe;
use super::document::Document;
use super::palette::{self, state_colour, state_label};
use super::time::format_duration;
use super::view::{Command, Selection};

/// Object events listed at most (the list is scrollable; this bounds a frame's work).
const MAX_EVENTS_LISTED: usize = 2_000;

/// Shows the details of the document's selection.
pub fn show(ui: &mut Ui, doc: &Document, out: &mut Vec<Command>) {
    let Some(selection) = doc.view.selection else {
        ui.weak("Click a span, a lane or a finding to see its details here.");
        return;
    };
    match selection {
        Selection::Span { task, index } => span(ui, doc, task, index, out),
        Selection::Task(task) => task_details(ui, doc, task, out),
        Selection::Object(o) => object(ui, doc, o, out),
        Selection::Worker(w) => worker(ui, &doc.model, w),
    }
}

/// A link to a task: click to select it.
fn task_link(ui: &mut Ui, model: &Model, t: TaskIx, out: &mut Vec<Command>) {
    if ui
        .link(describe::task(model, t))
        .on_hover_text("Select this task")
        .clicked()
    {
        out.push(Command::Select(Selection::Task(t)));
    }
}

fn object_link(ui: &mut Ui, model: &Model, o: ObjectIx, out: &mut Vec<Command>) {
    if ui
        .link(describe::object(model, o))
        .on_hover_text("Select this object")
        .clicked()
    {
        out.push(Command::Select(Selection::Object(o)));
    }
}

fn heading(ui: &mut Ui, text: &str, colour: egui::Color32) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("■").monospace().color(colour).size(18.0));
        ui.heading(text);
    });
}

fn span(ui: &mut Ui, doc: &Document, task: TaskIx, index: usize, out: &mut Vec<Command>) {
    let model = &doc.model;
    let lane = model.timeline(task);
    if index >= lane.len() {
        return;
    }
    let span = lane.span(index);
    heading(
        ui,
        &format!(
            "{} — {}",
            state_label(span.state),
            format_duration(span.duration() as f64)
        ),
        state_colour(span.state),
    );
    Grid::new("span details")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            ui.label("Task");
            task_link(ui, model, task, out);
            ui.end_row();
            ui.label("Duration");
            ui.label(RichText::new(format_duration(span.duration() as f64)).strong());
            ui.end_row();
            ui.label("From");
            ui.label(describe::at(model, span.start));
            ui.end_row();
            ui.label("To");
            let end = if span.end >= model.end_ns() && index + 1 == lane.len() {
                format!("{} (end of trace)", describe::at(model, span.end))
            } else {
                describe::at(model, span.end)
            };
            ui.label(end);
            ui.end_row();
            match span.target {
                WaitTarget::Nothing => {}
                WaitTarget::Object(o) => {
                    ui.label("Waiting on");
                    object_link(ui, model, o, out);
                    ui.end_row();
                }
                WaitTarget::Task(t) => {
                    ui.label("Joining");
                    task_link(ui, model, t, out);
                    ui.end_row();
                }
                WaitTarget::Select(_) => {
                    ui.label("Waiting on");
                    ui.label(describe::target(model, span.target));
                    ui.end_row();
                }
            }
            if span.site.is_known() {
                ui.label("Where");
                ui.add(
                    egui::Label::new(RichText::new(describe::site(model, span.site)).monospace())
                        .wrap(),
                );
                ui.end_row();
            }
            if span.has_deadline {
                ui.label("Deadline");
                ui.label("would have ended on its own (timeout)");
                ui.end_row();
            }
        });

    ui.add_space(6.0);
    if let Some(l) = model.waker(task, index) {
        let link = model.link(l);
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{} by", woke_verb(link.kind)));
            let label = format!(
                "{} at {}",
                describe::task(model, link.from_task),
                describe::at(model, link.from_ts)
            );
            if ui
                .button(label)
                .on_hover_text("Jump to the cause")
                .clicked()
            {
                out.push(Command::FocusTaskAt {
                    task: link.from_task,
                    ts: link.from_ts.min(link.to_ts),
                });
            }
        });
    } else if span.state.blocked().is_some() && index + 1 == lane.len() {
        ui.colored_label(
            palette::LEAK,
            "Still blocked when the trace ended: nothing woke it.",
        );
        stuck_note(ui, doc, task);
    }

    // What this span let other tasks do (messages it sent, locks it released …).
    let caused: Vec<_> = super::arrows::links_of(model, task, span.start, span.end, 50)
        .into_iter()
        .map(|l| model.link(l))
        .filter(|link| link.from_task == task && link.to_task != task)
        .collect();
    if !caused.is_empty() {
        ui.add_space(4.0);
        ui.label(RichText::new("Let go on").strong());
        for link in caused {
            let label = format!(
                "{} {} at {}",
                link.kind.as_str(),
                describe::task(model, link.to_task),
                describe::at(model, link.to_ts)
            );
            if ui.button(label).clicked() {
                out.push(Command::FocusTaskAt {
                    task: link.to_task,
                    ts: link.to_ts,
                });
            }
        }
    }
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if ui.button("Zoom to span").clicked() {
            out.push(Command::ZoomTo {
                start: span.start,
                end: span.end,
            });
        }
        if index > 0 && ui.button("Previous span").clicked() {
            out.push(Command::Select(Selection::Span {
                task,
                index: index - 1,
            }));
        }
        if index + 1 < lane.len() && ui.button("Next span").clicked() {
            out.push(Command::Select(Selection::Span {
                task,
                index: index + 1,
            }));
        }
    });
}

/// What the analysis says about a task that did not finish: leaked (and why), deadlocked (and
/// with whom), or merely still alive.
fn stuck_note(ui: &mut Ui, doc: &Document, t: TaskIx) {
    let model = &doc.model;
    match doc.analysis.fate(t) {
        Fate::Leaked => {
            ui.colored_label(palette::LEAK, "LEAKED: blocked forever.");
            if let Some(leak) = doc.analysis.leak_of(t) {
                ui.label(format!("Why: {}.", leak.cause.describe(model)));
            }
        }
        Fate::Deadlocked => {
            ui.colored_label(palette::DEADLOCK, "DEADLOCKED.");
            if let Some(d) = doc.analysis.deadlock_of(t) {
                let names: Vec<String> = d
                    .tasks
                    .iter()
                    .map(|&u| model.task_name(u).into_owned())
                    .collect();
                ui.label(format!(
                    "Cycle: each waits for the next, the last for the first: {}.",
                    names.join(", ")
                ));
            }
        }
        Fate::Running => {
            ui.label("Still running when the trace ended (not stuck).");
        }
        Fate::Waiting => {
            ui.label(
                "Waiting when the trace ended, but something could still wake it: not a leak.",
            );
        }
        Fate::Exited | Fate::EndedWithProgram | Fate::NotStarted => {}
    }
}

fn woke_verb(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Spawn => "Started after a spawn",
        LinkKind::Message => "Unblocked by a message sent",
        LinkKind::Release => "Got the lock released",
        LinkKind::Unpark => "Unparked",
        LinkKind::Notify => "Notified",
        LinkKind::Exit => "Joined task exited: unblocked",
        LinkKind::Wake => "Woken",
    }
}

fn task_details(ui: &mut Ui, doc: &Document, t: TaskIx, out: &mut Vec<Command>) {
    let model = &doc.model;
    let task = model.task(t);
    heading(ui, &model.task_name(t), palette::ARROW);
    stuck_note(ui, doc, t);
    Grid::new("task details")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            ui.label("Task id");
            ui.label(task.id.to_string());
            ui.end_row();
            ui.label("Spawned at");
            ui.add(
                egui::Label::new(RichText::new(describe::site(model, task.spawn_site)).monospace())
                    .wrap(),
            );
            ui.end_row();
            ui.label("Parent");
            match task.parent {
                Some(p) => task_link(ui, model, p, out),
                None => {
                    ui.label("— (not spawned through Weft)");
                }
            }
            ui.end_row();
            if let Some(s) = task.spawned_at.or(task.started_at) {
                ui.label("Began");
                ui.label(describe::at(model, s));
                ui.end_row();
            }
            ui.label("Ended");
            ui.label(match task.exited_at {
                Some(e) if task.panicked => format!("{} (panicked)", describe::at(model, e)),
                Some(e) => describe::at(model, e),
                None => "still alive at the end".to_owned(),
            });
            ui.end_row();
            let children = model.children(t);
            if !children.is_empty() {
                ui.label("Spawned");
                ui.label(format!("{} tasks", children.len()));
                ui.end_row();
            }
        });
    ui.add_space(6.0);
    ui.label(RichText::new("Time by state").strong());
    breakdown(ui, doc, t);
    ui.add_space(4.0);
    if ui.button("Zoom to task").clicked() {
        if let Some(start) = task.spawned_at.or(task.started_at) {
            out.push(Command::ZoomTo {
                start,
                end: task.exited_at.unwrap_or(model.end_ns()),
            });
        }
    }
}

/// A bar per state with the time the task spent in it.
fn breakdown(ui: &mut Ui, doc: &Document, t: TaskIx) {
    let totals = doc.state_times(t).0;
    let total: u64 = totals.iter().sum();
    if total == 0 {
        ui.weak("no time recorded");
        return;
    }
    Grid::new("task breakdown")
        .num_columns(3)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            for state in palette::legend_states() {
                let ns = totals[state.index()];
                if ns == 0 || state == State::Done {
                    continue;
                }
                ui.label(RichText::new(state_label(state)).color(state_colour(state)));
                let share = ns as f32 / total as f32;
                ui.add(
                    egui::ProgressBar::new(share)
                        .desired_width(110.0)
                        .fill(state_colour(state))
                        .text(format!("{:.0} %", share * 100.0)),
                );
                ui.label(format_duration(ns as f64));
                ui.end_row();
            }
        });
}

fn object(ui: &mut Ui, doc: &Document, o: ObjectIx, out: &mut Vec<Command>) {
    let model = &doc.model;
    let object = model.object(o);
    heading(
        ui,
        &describe::object(model, o),
        egui::Color32::from_rgb(72, 178, 196),
    );
    Grid::new("object details")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            ui.label("Created at");
            ui.add(
                egui::Label::new(RichText::new(describe::site(model, object.site)).monospace())
                    .wrap(),
            );
            ui.end_row();
            if let Some(c) = object.creator {
                ui.label("Created by");
                task_link(ui, model, c, out);
                ui.end_row();
            }
            if let Some(ts) = object.senders_gone_at {
                ui.label("Senders gone");
                ui.label(describe::at(model, ts));
                ui.end_row();
            }
            if let Some(ts) = object.receivers_gone_at {
                ui.label("Receivers gone");
                ui.label(describe::at(model, ts));
                ui.end_row();
            }
            if let Some(lock) = object.lock {
                ui.label("Used with");
                object_link(ui, model, lock, out);
                ui.end_row();
            }
            if object.kind.is_channel() {
                ui.label("Senders");
                ui.label(names(model, model.senders(o)));
                ui.end_row();
                ui.label("Receivers");
                ui.label(names(model, model.receivers(o)));
                ui.end_row();
            }
            if object.kind.is_lock() {
                let holds = model.holds(o);
                let longest = holds.iter().map(|h| h.end - h.start).max().unwrap_or(0);
                ui.label("Holds");
                ui.label(format!(
                    "{} (longest {})",
                    holds.len(),
                    format_duration(longest as f64)
                ));
                ui.end_row();
            }
            ui.label(if object.kind.is_channel() {
                "Deepest queue"
            } else {
                "Most waiters"
            });
            ui.label(doc.object_scale(o).max_level.to_string());
            ui.end_row();
        });
    ui.add_space(6.0);
    let events = model.object_events(o);
    ui.label(RichText::new(format!("Events ({})", events.len())).strong());
    let shown = events.len().min(MAX_EVENTS_LISTED);
    egui::ScrollArea::vertical()
        .id_salt("object events")
        .max_height(260.0)
        .auto_shrink([false, true])
        .show_rows(ui, 18.0, shown, |ui, rows| {
            for i in rows {
                let e = events.row(i);
                let ts = events.start_of(i);
                let text = format!(
                    "{}  {}  {}  (level {})",
                    describe::at(model, ts),
                    describe::op(e.op()),
                    model.task_name(e.task),
                    e.level()
                );
                if ui
                    .add(egui::Button::new(RichText::new(text).monospace().size(11.0)).frame(false))
                    .on_hover_text("Jump to this event")
                    .clicked()
                {
                    out.push(Command::FocusTaskAt { task: e.task, ts });
                }
            }
        });
    if events.len() > shown {
        ui.weak(format!("… and {} more", events.len() - shown));
    }
}

fn names(model: &Model, tasks: &[TaskIx]) -> String {
    const MAX: usize = 6;
    let mut s: Vec<String> = tasks
        .iter()
        .take(MAX)
        .map(|&t| model.task_name(t).into_owned())
        .collect();
    if tasks.len() > MAX {
        s.push(format!("+{} more", tasks.len() - MAX));
    }
    if s.is_empty() {
        "none recorded".to_owned()
    } else {
        s.join(", ")
    }
}

fn worker(ui: &mut Ui, model: &Model, w: WorkerIx) {
    let worker = &model.workers()[w.index()];
    heading(ui, &format!("Worker {}", w.0), egui::Color32::GRAY);
    Grid::new("worker details").num_columns(2).show(ui, |ui| {
        ui.label("Thread name");
        ui.label(if worker.name.is_empty() {
            "(unnamed)"
        } else {
            &worker.name
        });
        ui.end_row();
        ui.label("OS thread id");
        ui.label(worker.os_tid.to_string());
        ui.end_row();
    });
}
