//! The difference panel: what changed between A and B, from the [`Comparison`].
//!
//! On the side, the headline (pace, the biggest change in blocking, how the lanes matched),
//! throughput and the findings that appeared, disappeared or persisted. At the bottom, the
//! blocking sites and spawn sites — sortable tables, biggest change first, as `weft diff`
//! lists them — and live tasks by state for both runs on one axis. Clicking a blocking site
//! selects its first wait in both timelines and shows them; clicking a spawn site or a finding
//! selects its tasks.

use std::cmp::Ordering;

use eframe::egui::{self, Color32, RichText, Ui};

use crate::diff::text::{pace, ratio, side_count, side_ns, signed_ns, throughput_rows};
use crate::diff::{
    BlockingSiteChange, Change, Comparison, FindingChange, SiteMatch, SpawnSiteChange, Status,
};
use crate::model::State;

use super::super::describe::label_short;
use super::super::palette::{state_colour, state_label};
use super::super::tables::{cell, clickable_row, header, header_row, ROW_HEIGHT};
use super::{plot, Compare};

/// The tabs of the bottom panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffTab {
    /// Blocked time per blocking site in A and B.
    BlockingSites,
    /// State times per spawn site in A and B.
    SpawnSites,
    /// Live tasks by state for both runs.
    LiveTasks,
}

impl DiffTab {
    const ALL: [DiffTab; 3] = [
        DiffTab::BlockingSites,
        DiffTab::SpawnSites,
        DiffTab::LiveTasks,
    ];

    fn title(self) -> &'static str {
        match self {
            DiffTab::BlockingSites => "Blocking sites",
            DiffTab::SpawnSites => "Spawn sites",
            DiffTab::LiveTasks => "Live tasks, A and B",
        }
    }
}

/// A column of the blocking-site table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockingColumn {
    /// `file:line`.
    Site,
    /// Why the tasks blocked.
    Reason,
    /// In A, in B, or both.
    Status,
    /// Waits in B (A → B is shown).
    Waits,
    /// Blocked time in A.
    TimeA,
    /// Blocked time in B.
    TimeB,
    /// How far the blocked time moved, either way: the default order.
    Change,
    /// B / A.
    Ratio,
}

/// A column of the spawn-site table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnColumn {
    /// The first task's name.
    Name,
    /// Tasks in B (A → B is shown).
    Tasks,
    /// The largest change of time in one state: the default order.
    Change,
}

/// The panel's tab and sort orders, kept between frames.
#[derive(Clone, Debug)]
pub struct PanelState {
    tab: DiffTab,
    blocking_sort: (BlockingColumn, bool),
    spawn_sort: (SpawnColumn, bool),
}

impl Default for PanelState {
    fn default() -> Self {
        PanelState {
            tab: DiffTab::BlockingSites,
            blocking_sort: (BlockingColumn::Change, true),
            spawn_sort: (SpawnColumn::Change, true),
        }
    }
}

/// `new in B`, `gone in B`, `in both`.
fn status_words(status: Status) -> &'static str {
    match status {
        Status::Appeared => "new in B",
        Status::Disappeared => "gone in B",
        Status::Persisted => "in both",
    }
}

/// Less blocking is green, more is red.
fn delta_colour(delta: i64) -> Color32 {
    match delta {
        d if d < 0 => Color32::from_rgb(110, 200, 120),
        d if d > 0 => Color32::from_rgb(240, 110, 100),
        _ => Color32::GRAY,
    }
}

/// `5 → 0`, with `–` for a side the row is not in.
fn counts(c: &Change, status: Status) -> String {
    format!(
        "{} → {}",
        side_count(c.a, status.in_a()),
        side_count(c.b, status.in_b())
    )
}

/// Table text in the monospace font, the one with arrows (the proportional one has none).
fn mono(text: impl Into<String>) -> RichText {
    RichText::new(text).monospace()
}

/// Column widths that fit the panel: column `flexible` (a site, the widest) gives up what the
/// others need, down to 200 points, so the table never grows past the panel.
fn fit_widths<const N: usize>(ui: &Ui, mut widths: [f32; N], flexible: usize) -> [f32; N] {
    let gaps = ui.spacing().item_spacing.x * N as f32;
    let others: f32 = widths
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != flexible)
        .map(|(_, w)| w)
        .sum();
    let room = ui.available_width() - others - gaps;
    widths[flexible] = room.clamp(200.0, widths[flexible]);
    widths
}

/// The headline, throughput and findings.
pub fn side(ui: &mut Ui, compare: &mut Compare) {
    let mut select = None;
    egui::ScrollArea::vertical()
        .id_salt("difference side panel")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let c = compare.comparison();
            headline(ui, c, compare.lanes());
            ui.separator();
            egui::CollapsingHeader::new(RichText::new("Throughput").strong())
                .default_open(true)
                .show(ui, |ui| throughput(ui, c));
            ui.separator();
            egui::CollapsingHeader::new(RichText::new("Findings").strong())
                .default_open(true)
                .show(ui, |ui| select = findings(ui, c));
        });
    if let Some((a, b)) = select {
        compare.select_tasks(a, b);
    }
}

fn headline(ui: &mut Ui, c: &Comparison, lanes: super::LaneCounts) {
    let t = &c.throughput;
    ui.label(
        RichText::new(format!(
            "{}: {} in A, {} in B",
            pace(t),
            side_ns(t.duration_ns.a, true),
            side_ns(t.duration_ns.b, true)
        ))
        .strong(),
    );
    if let Some(top) = c.blocking_sites.first() {
        let side = |ns: u64, present: bool| {
            if present {
                side_ns(ns, true)
            } else {
                "none".to_owned()
            }
        };
        ui.label(format!(
            "Biggest change in blocking: {} at {}: {} in A, {} in B ({})",
            top.reason.as_str(),
            top.site().unwrap_or("an unknown site"),
            side(top.total_ns.a, top.status.in_a()),
            side(top.total_ns.b, top.status.in_b()),
            signed_ns(top.total_ns.delta)
        ));
    }
    ui.label(format!(
        "Tasks: {} matched, {} only in A, {} only in B",
        lanes.matched, lanes.only_a, lanes.only_b
    ));
    for (run, info) in [("A", &c.a), ("B", &c.b)] {
        if !info.complete {
            ui.label(
                RichText::new(format!(
                    "Run {run} is incomplete: its verdicts may miss what was lost."
                ))
                .color(Color32::from_rgb(230, 200, 120)),
            );
        }
    }
}

fn throughput(ui: &mut Ui, c: &Comparison) {
    egui::Grid::new("throughput")
        .num_columns(5)
        .striped(true)
        .show(ui, |ui| {
            for title in ["", "A", "B", "delta", "ratio"] {
                ui.label(RichText::new(title).strong());
            }
            ui.end_row();
            for (label, values) in throughput_rows(&c.throughput) {
                ui.label(label);
                for value in values {
                    ui.label(RichText::new(value).monospace());
                }
                ui.end_row();
            }
        });
}

/// The findings by status; returns the tasks to select when one is clicked.
fn findings(
    ui: &mut Ui,
    c: &Comparison,
) -> Option<(Option<crate::model::TaskIx>, Option<crate::model::TaskIx>)> {
    if c.findings.is_empty() {
        ui.weak("No leaks, deadlocks, lock-order inversions or lints in either run.");
        return None;
    }
    let mut clicked = None;
    for (status, title, colour) in [
        (
            Status::Appeared,
            "New in B",
            Color32::from_rgb(240, 110, 100),
        ),
        (
            Status::Disappeared,
            "Gone in B",
            Color32::from_rgb(110, 200, 120),
        ),
        (
            Status::Persisted,
            "In both",
            Color32::from_rgb(230, 200, 120),
        ),
    ] {
        let rows: Vec<&FindingChange> = c.findings_with(status).collect();
        if rows.is_empty() {
            continue;
        }
        ui.label(
            RichText::new(format!("{title} ({})", rows.len()))
                .color(colour)
                .strong(),
        );
        for f in rows {
            let mut what = format!("{} {}", f.kind.as_str(), f.name);
            if let Some(site) = &f.site {
                what.push_str(&format!(" at {site}"));
            }
            let text = format!("{what}: {} in A, {} in B", f.count.a, f.count.b);
            let response = ui
                .add(egui::Button::new(text).frame(false).wrap())
                .on_hover_text(&f.description);
            if response.clicked() {
                clicked = Some((f.tasks_a.first().copied(), f.tasks_b.first().copied()));
            }
        }
    }
    clicked
}

/// The tabs: blocking sites, spawn sites, live tasks.
pub fn bottom(ui: &mut Ui, compare: &mut Compare) {
    ui.horizontal(|ui| {
        for tab in DiffTab::ALL {
            if ui
                .selectable_label(compare.panel.tab == tab, tab.title())
                .clicked()
            {
                compare.panel.tab = tab;
            }
        }
    });
    ui.separator();
    match compare.panel.tab {
        DiffTab::BlockingSites => {
            let mut sort = compare.panel.blocking_sort;
            let clicked = blocking_sites(ui, &compare.comparison().blocking_sites, &mut sort);
            compare.panel.blocking_sort = sort;
            if let Some(row) = clicked {
                compare.jump_to_blocking_site(row);
            }
        }
        DiffTab::SpawnSites => {
            let mut sort = compare.panel.spawn_sort;
            let clicked = spawn_sites(ui, &compare.comparison().spawn_sites, &mut sort);
            compare.panel.spawn_sort = sort;
            if let Some(row) = clicked.and_then(|i| compare.comparison().spawn_sites.get(i)) {
                let (a, b) = (row.tasks_a.first().copied(), row.tasks_b.first().copied());
                compare.select_tasks(a, b);
            }
        }
        DiffTab::LiveTasks => plot::live_tasks(ui, compare),
    }
}

/// The indices of `rows` in the order of `compare` (reversed when `descending`); ties keep the
/// comparison's order, biggest change first.
fn sorted<T>(rows: &[T], descending: bool, compare: impl Fn(&T, &T) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&x, &y| {
        let ord = compare(&rows[x], &rows[y]);
        if descending {
            ord.reverse()
        } else {
            ord
        }
    });
    order
}

/// The order of the blocking-site rows under `sort`.
fn blocking_order(
    rows: &[BlockingSiteChange],
    (column, descending): (BlockingColumn, bool),
) -> Vec<usize> {
    let ratio_key = |c: &Change| c.ratio.unwrap_or(f64::INFINITY);
    sorted(rows, descending, |x, y| match column {
        BlockingColumn::Site => x.site().cmp(&y.site()),
        BlockingColumn::Reason => x.reason.cmp(&y.reason),
        BlockingColumn::Status => x.status.cmp(&y.status),
        BlockingColumn::Waits => x.count.b.cmp(&y.count.b),
        BlockingColumn::TimeA => x.total_ns.a.cmp(&y.total_ns.a),
        BlockingColumn::TimeB => x.total_ns.b.cmp(&y.total_ns.b),
        BlockingColumn::Change => x.total_ns.magnitude().cmp(&y.total_ns.magnitude()),
        BlockingColumn::Ratio => ratio_key(&x.total_ns).total_cmp(&ratio_key(&y.total_ns)),
    })
}

/// The blocking-site table; returns the row clicked (an index into `rows`).
fn blocking_sites(
    ui: &mut Ui,
    rows: &[BlockingSiteChange],
    sort: &mut (BlockingColumn, bool),
) -> Option<usize> {
    if rows.is_empty() {
        ui.weak("No task was ever blocked in either run.");
        return None;
    }
    let widths = fit_widths(
        ui,
        [390.0, 60.0, 80.0, 70.0, 75.0, 75.0, 85.0, 50.0, 130.0],
        0,
    );
    ui.horizontal(|ui| {
        let columns = [
            ("Site", BlockingColumn::Site),
            ("Reason", BlockingColumn::Reason),
            ("Status", BlockingColumn::Status),
            ("Waits", BlockingColumn::Waits),
            ("Time A", BlockingColumn::TimeA),
            ("Time B", BlockingColumn::TimeB),
            ("Change", BlockingColumn::Change),
            ("Ratio", BlockingColumn::Ratio),
        ];
        header_row(ui, &widths, &columns, sort);
        ui.label(mono("Waiters").strong()).on_hover_text(
            "The tasks that waited there, by spawn site (named after its first task)",
        );
    });
    let order = blocking_order(rows, *sort);
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("blocking site changes")
        .auto_shrink([false, false])
        .show_rows(ui, ROW_HEIGHT, order.len(), |ui, range| {
            for (rank, &i) in order.iter().enumerate().skip(range.start).take(range.len()) {
                let row = &rows[i];
                let site = row.site().unwrap_or("(unknown site)");
                // The line matters more than the directories; a wait that moved shows both.
                let shown_site = match (&row.site_a, &row.site_b) {
                    (Some(a), Some(b)) if a != b => {
                        format!("{} → {}", label_short(a), label_short(b))
                    }
                    _ => label_short(site).to_owned(),
                };
                let total = &row.total_ns;
                let label = format!(
                    "Blocking site {}: {} at {site}, {} → {} ({}, {})",
                    rank + 1,
                    row.reason.as_str(),
                    side_ns(total.a, row.status.in_a()),
                    side_ns(total.b, row.status.in_b()),
                    signed_ns(total.delta),
                    ratio(total)
                );
                let mut hover = format!("{site}\nClick to show the first wait here in both runs");
                if row.matched_by == Some(SiteMatch::Waiters) {
                    hover.push_str(&format!(
                        "\nIn B at {} (the line moved; the same tasks wait there)",
                        row.site_b.as_deref().unwrap_or("(unknown site)")
                    ));
                }
                let id = ("blocking site change", i);
                if clickable_row(ui, id, &label, None, hover, |ui| {
                    cell(ui, widths[0], mono(shown_site));
                    cell(
                        ui,
                        widths[1],
                        RichText::new(row.reason.as_str())
                            .color(state_colour(State::Blocked(row.reason))),
                    );
                    cell(ui, widths[2], status_words(row.status));
                    cell(ui, widths[3], mono(counts(&row.count, row.status)));
                    cell(ui, widths[4], side_ns(total.a, row.status.in_a()));
                    cell(ui, widths[5], side_ns(total.b, row.status.in_b()));
                    cell(
                        ui,
                        widths[6],
                        RichText::new(signed_ns(total.delta)).color(delta_colour(total.delta)),
                    );
                    cell(ui, widths[7], ratio(total));
                    cell(ui, widths[8], row.waiters.join(", "));
                }) {
                    clicked = Some(i);
                }
            }
        });
    clicked
}

/// The spawn-site table; returns the row clicked (an index into `rows`).
fn spawn_sites(
    ui: &mut Ui,
    rows: &[SpawnSiteChange],
    sort: &mut (SpawnColumn, bool),
) -> Option<usize> {
    if rows.is_empty() {
        ui.weak("No tasks in either run.");
        return None;
    }
    let widths = fit_widths(
        ui,
        [110.0, 360.0, 55.0, 75.0, 110.0, 70.0, 70.0, 85.0, 50.0],
        1,
    );
    let title = |ui: &mut Ui, width: f32, text: &str| {
        ui.add_sized([width, ROW_HEIGHT], egui::Label::new(mono(text).strong()));
    };
    ui.horizontal(|ui| {
        header(ui, widths[0], "Tasks of", SpawnColumn::Name, sort);
        title(ui, widths[1], "Spawned at");
        header(ui, widths[2], "Tasks", SpawnColumn::Tasks, sort);
        title(ui, widths[3], "Completed");
        title(ui, widths[4], "Biggest change");
        title(ui, widths[5], "A");
        title(ui, widths[6], "B");
        header(ui, widths[7], "Change", SpawnColumn::Change, sort);
        ui.label(mono("Ratio").strong());
    });
    let (column, descending) = *sort;
    let order = sorted(rows, descending, |x, y| match column {
        SpawnColumn::Name => x.name.cmp(&y.name),
        SpawnColumn::Tasks => x.tasks.b.cmp(&y.tasks.b),
        SpawnColumn::Change => x.change_ns.cmp(&y.change_ns),
    });
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("spawn site changes")
        .auto_shrink([false, false])
        .show_rows(ui, ROW_HEIGHT, order.len(), |ui, range| {
            for &i in &order[range] {
                let row = &rows[i];
                let place = match (&row.spawn_site_a, &row.spawn_site_b) {
                    (Some(a), Some(b)) if a != b => {
                        format!("{} → {}", label_short(a), label_short(b))
                    }
                    (Some(s), _) | (None, Some(s)) => label_short(s).to_owned(),
                    (None, None) => "not spawned by Weft".into(),
                };
                let label = format!(
                    "Spawn site {}: {place}, {} tasks",
                    row.name,
                    counts(&row.tasks, row.status)
                );
                let hover: Vec<String> = row
                    .states
                    .iter()
                    .map(|s| {
                        format!(
                            "{}: {} → {} ({})",
                            state_label(s.state),
                            side_ns(s.time_ns.a, row.status.in_a()),
                            side_ns(s.time_ns.b, row.status.in_b()),
                            signed_ns(s.time_ns.delta)
                        )
                    })
                    .collect();
                let id = ("spawn site change", i);
                if clickable_row(ui, id, &label, None, mono(hover.join("\n")), |ui| {
                    cell(ui, widths[0], RichText::new(&row.name).strong());
                    cell(ui, widths[1], mono(&place));
                    cell(ui, widths[2], mono(counts(&row.tasks, row.status)));
                    cell(ui, widths[3], mono(counts(&row.completed, row.status)));
                    let Some(top) = row.states.first() else {
                        cell(ui, widths[4], "–");
                        return;
                    };
                    cell(
                        ui,
                        widths[4],
                        RichText::new(state_label(top.state)).color(state_colour(top.state)),
                    );
                    cell(ui, widths[5], side_ns(top.time_ns.a, row.status.in_a()));
                    cell(ui, widths[6], side_ns(top.time_ns.b, row.status.in_b()));
                    cell(
                        ui,
                        widths[7],
                        RichText::new(signed_ns(top.time_ns.delta))
                            .color(delta_colour(top.time_ns.delta)),
                    );
                    cell(ui, widths[8], ratio(&top.time_ns));
                }) {
                    clicked = Some(i);
                }
            }
        });
    clicked
}
