//! Tables: the blocking profile by site (go tool trace's sync and scheduling blocking profiles)
//! and every task with its time by state. Both sort by any column (click its header); long
//! tables only lay out the rows in view.

use eframe::egui::{self, Align, Layout, RichText, Ui};

use crate::analysis::Stat;
use crate::model::{State, TaskIx};

use super::describe;
use super::document::Document;
use super::palette::{state_colour, state_label};
use super::time::format_duration;
use super::view::{Command, Selection};

/// Height of a table row (the compare view's tables use it too).
pub const ROW_HEIGHT: f32 = 20.0;

/// A column of the blocking profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileColumn {
    /// Where the wait was called.
    Site,
    /// Why it blocked.
    Reason,
    /// How many waits.
    Count,
    /// Time blocked in all.
    Total,
    /// The longest wait.
    Max,
    /// Mean wait.
    Mean,
    /// Waits still blocked at the end.
    Unfinished,
}

/// A column of the task table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskColumn {
    /// Task name.
    Name,
    /// Where it was spawned.
    SpawnSite,
    /// What became of it.
    Fate,
    /// Time running.
    Running,
    /// Time blocked.
    Blocked,
    /// Blocked share of its life.
    BlockedShare,
    /// Life length.
    Lifetime,
}

/// How the tables are sorted, kept between frames.
#[derive(Clone, Debug)]
pub struct TableState {
    profile_sort: (ProfileColumn, bool),
    task_sort: (TaskColumn, bool),
    task_order: Option<(TaskOrderKey, Vec<TaskIx>)>,
}

/// What a cached task order was sorted for: the trace (its event count and task count stand
/// for it) and the column.
type TaskOrderKey = (u64, usize, TaskColumn, bool);

impl Default for TableState {
    fn default() -> Self {
        TableState {
            profile_sort: (ProfileColumn::Total, true),
            task_sort: (TaskColumn::Blocked, true),
            task_order: None,
        }
    }
}

/// A sortable column header; clicking it sorts by it (again: reverses).
pub fn header<C: Copy + PartialEq>(
    ui: &mut Ui,
    width: f32,
    title: &str,
    column: C,
    sort: &mut (C, bool),
) {
    let arrow = if sort.0 == column {
        if sort.1 {
            " ▼"
        } else {
            " ▲"
        }
    } else {
        ""
    };
    let response = ui.add_sized(
        [width, ROW_HEIGHT],
        // Monospace: the proportional default font has no arrows.
        egui::Button::new(
            RichText::new(format!("{title}{arrow}"))
                .monospace()
                .strong(),
        )
        .frame(false),
    );
    if response.on_hover_text(format!("Sort by {title}")).clicked() {
        if sort.0 == column {
            sort.1 = !sort.1;
        } else {
            *sort = (column, true);
        }
    }
}

/// A row of sortable column headers: one per `(title, column)`, `widths` wide.
pub fn header_row<C: Copy + PartialEq>(
    ui: &mut Ui,
    widths: &[f32],
    columns: &[(&str, C)],
    sort: &mut (C, bool),
) {
    for (&width, &(title, column)) in widths.iter().zip(columns) {
        header(ui, width, title, column, sort);
    }
}

/// One table cell, `width` wide, truncated.
pub fn cell(ui: &mut Ui, width: f32, text: impl Into<egui::WidgetText>) {
    ui.allocate_ui_with_layout(
        egui::vec2(width, ROW_HEIGHT),
        Layout::left_to_right(Align::Center),
        |ui| {
            ui.set_width(width);
            ui.add(egui::Label::new(text).truncate());
        },
    );
}

/// One table row: `cells` lays out its cells, and the whole row answers clicks, with the
/// accessible name `label` (and whether it is `selected`, when that applies) and the tooltip
/// `hover`. Returns whether it was clicked.
pub fn clickable_row(
    ui: &mut Ui,
    id: impl egui::AsIdSalt,
    label: &str,
    selected: Option<bool>,
    hover: impl Into<egui::WidgetText>,
    cells: impl FnOnce(&mut Ui),
) -> bool {
    let rect = ui.horizontal(cells).response.rect;
    let response = ui.interact(rect, ui.scope_id().with(id), egui::Sense::click());
    response.widget_info(|| match selected {
        Some(selected) => {
            egui::WidgetInfo::selected(egui::accesskit::Role::Button, true, selected, label)
        }
        None => egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, label),
    });
    response.on_hover_text(hover).clicked()
}

fn mean(stat: &Stat) -> u64 {
    stat.total_ns / stat.count.max(1)
}

/// The blocking profile by site and reason. Clicking a row highlights that reason on the
/// timelines.
pub fn blocking_profile(
    ui: &mut Ui,
    doc: &Document,
    state: &mut TableState,
    out: &mut Vec<Command>,
) {
    let model = &doc.model;
    let profile = &doc.analysis.blocking;
    if profile.by_site.is_empty() {
        ui.weak("No task was ever blocked in this trace.");
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!(
                "Blocked {} in all:",
                format_duration(profile.total_ns as f64)
            ))
            .strong(),
        );
        for r in &profile.by_reason {
            if r.stat.count > 0 {
                let s = State::Blocked(r.reason);
                ui.label(
                    RichText::new(format!(
                        "{} {}",
                        r.reason.as_str(),
                        format_duration(r.stat.total_ns as f64)
                    ))
                    .color(state_colour(s)),
                );
            }
        }
    });
    let mut rows: Vec<usize> = (0..profile.by_site.len()).collect();
    let (column, descending) = state.profile_sort;
    rows.sort_by(|&a, &b| {
        let (a, b) = (&profile.by_site[a], &profile.by_site[b]);
        let ord = match column {
            ProfileColumn::Site => {
                describe::site(model, a.site).cmp(&describe::site(model, b.site))
            }
            ProfileColumn::Reason => a.reason.cmp(&b.reason),
            ProfileColumn::Count => a.stat.count.cmp(&b.stat.count),
            ProfileColumn::Total => a.stat.total_ns.cmp(&b.stat.total_ns),
            ProfileColumn::Max => a.stat.max_ns.cmp(&b.stat.max_ns),
            ProfileColumn::Mean => mean(&a.stat).cmp(&mean(&b.stat)),
            ProfileColumn::Unfinished => a.unfinished.cmp(&b.unfinished),
        };
        if descending {
            ord.reverse()
        } else {
            ord
        }
    });
    let widths = [300.0, 100.0, 70.0, 90.0, 90.0, 90.0, 80.0];
    ui.horizontal(|ui| {
        let columns = [
            ("Site", ProfileColumn::Site),
            ("Reason", ProfileColumn::Reason),
            ("Count", ProfileColumn::Count),
            ("Total", ProfileColumn::Total),
            ("Max", ProfileColumn::Max),
            ("Mean", ProfileColumn::Mean),
            ("At end", ProfileColumn::Unfinished),
        ];
        header_row(ui, &widths, &columns, &mut state.profile_sort);
    });
    egui::ScrollArea::vertical()
        .id_salt("blocking profile rows")
        .auto_shrink([false, false])
        .show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
            for &i in &rows[range] {
                let row = &profile.by_site[i];
                let s = State::Blocked(row.reason);
                let label = format!(
                    "{} at {}: {} waits, {} in all",
                    row.reason.as_str(),
                    describe::site(model, row.site),
                    row.stat.count,
                    format_duration(row.stat.total_ns as f64)
                );
                let hover = format!("Highlight {} on the timelines", state_label(s));
                let clicked = clickable_row(ui, ("profile row", i), &label, None, hover, |ui| {
                    cell(
                        ui,
                        widths[0],
                        RichText::new(describe::site(model, row.site)).monospace(),
                    );
                    cell(
                        ui,
                        widths[1],
                        RichText::new(row.reason.as_str()).color(state_colour(s)),
                    );
                    cell(ui, widths[2], row.stat.count.to_string());
                    cell(ui, widths[3], format_duration(row.stat.total_ns as f64));
                    cell(ui, widths[4], format_duration(row.stat.max_ns as f64));
                    cell(ui, widths[5], format_duration(mean(&row.stat) as f64));
                    cell(ui, widths[6], row.unfinished.to_string());
                });
                if clicked {
                    out.push(Command::Highlight(Some(s)));
                }
            }
        });
}

/// Every task with its time by state; click a row to select the task.
pub fn tasks(ui: &mut Ui, doc: &Document, state: &mut TableState, out: &mut Vec<Command>) {
    let model = &doc.model;
    let key: TaskOrderKey = (
        model.event_count(),
        model.tasks().len(),
        state.task_sort.0,
        state.task_sort.1,
    );
    if state.task_order.as_ref().map(|(k, _)| *k) != Some(key) {
        state.task_order = Some((key, sorted_tasks(doc, state.task_sort)));
    }
    let widths = [200.0, 260.0, 110.0, 90.0, 90.0, 80.0, 90.0];
    ui.horizontal(|ui| {
        let columns = [
            ("Task", TaskColumn::Name),
            ("Spawned at", TaskColumn::SpawnSite),
            ("Fate", TaskColumn::Fate),
            ("Running", TaskColumn::Running),
            ("Blocked", TaskColumn::Blocked),
            ("Blocked %", TaskColumn::BlockedShare),
            ("Lifetime", TaskColumn::Lifetime),
        ];
        header_row(ui, &widths, &columns, &mut state.task_sort);
    });
    let order = match &state.task_order {
        Some((_, order)) => order.as_slice(),
        None => &[],
    };
    egui::ScrollArea::vertical()
        .id_salt("task rows")
        .auto_shrink([false, false])
        .show_rows(ui, ROW_HEIGHT, order.len(), |ui, range| {
            for &t in &order[range] {
                let times = doc.state_times(t);
                let lifetime = lifetime(doc, t);
                let fate = doc.analysis.fate(t);
                let selected = doc.view.selection.and_then(|s| s.task()) == Some(t);
                let label = format!("Task row {}", model.task_name(t));
                let clicked = clickable_row(
                    ui,
                    ("task row", t.0),
                    &label,
                    Some(selected),
                    "Select this task",
                    |ui| {
                        let name = RichText::new(model.task_name(t));
                        cell(ui, widths[0], if selected { name.strong() } else { name });
                        cell(
                            ui,
                            widths[1],
                            RichText::new(describe::site(model, model.task(t).spawn_site))
                                .monospace(),
                        );
                        cell(ui, widths[2], fate.as_str());
                        cell(
                            ui,
                            widths[3],
                            RichText::new(format_duration(times.get(State::Running) as f64))
                                .color(state_colour(State::Running)),
                        );
                        cell(ui, widths[4], format_duration(times.blocked() as f64));
                        cell(
                            ui,
                            widths[5],
                            format!("{:.0} %", share(times.blocked(), lifetime) * 100.0),
                        );
                        cell(ui, widths[6], format_duration(lifetime as f64));
                    },
                );
                if clicked {
                    out.push(Command::Select(Selection::Task(t)));
                }
            }
        });
}

fn share(part: u64, whole: u64) -> f64 {
    part as f64 / whole.max(1) as f64
}

fn lifetime(doc: &Document, t: TaskIx) -> u64 {
    let task = doc.model.task(t);
    let start = task
        .spawned_at
        .or(task.started_at)
        .unwrap_or(doc.model.start_ns());
    task.exited_at
        .unwrap_or(doc.model.end_ns())
        .saturating_sub(start)
}

fn sorted_tasks(doc: &Document, (column, descending): (TaskColumn, bool)) -> Vec<TaskIx> {
    let model = &doc.model;
    let mut tasks: Vec<TaskIx> = model.task_ixs().collect();
    match column {
        TaskColumn::Name => tasks.sort_by_cached_key(|&t| model.task_name(t).into_owned()),
        TaskColumn::SpawnSite => {
            tasks.sort_by_cached_key(|&t| describe::site(model, model.task(t).spawn_site))
        }
        TaskColumn::Fate => tasks.sort_by_key(|&t| doc.analysis.fate(t).as_str()),
        TaskColumn::Running => tasks.sort_by_key(|&t| doc.state_times(t).get(State::Running)),
        TaskColumn::Blocked => tasks.sort_by_key(|&t| doc.state_times(t).blocked()),
        TaskColumn::BlockedShare => tasks.sort_by(|&a, &b| {
            share(doc.state_times(a).blocked(), lifetime(doc, a))
                .total_cmp(&share(doc.state_times(b).blocked(), lifetime(doc, b)))
        }),
        TaskColumn::Lifetime => tasks.sort_by_key(|&t| lifetime(doc, t)),
    }
    if descending {
        tasks.reverse();
    }
    tasks
}
