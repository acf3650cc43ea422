//! The findings list: deadlocks, leaks (grouped by spawn site), lock-order inversions and lints
//! from the analysis. Clicking a finding selects what it is about and jumps to it.

use std::collections::BTreeMap;

use eframe::egui::text::{LayoutJob, TextFormat};
use eframe::egui::{self, Color32, FontId, RichText, Ui};

use crate::analysis::{Analysis, Fate, Leak};
use crate::model::{Model, SiteIx};

use super::describe;
use super::document::Document;
use super::palette;
use super::time::format_duration;
use super::view::{Command, Selection};

/// The list shows this many entries; a trace with ten thousand leaked tasks stays usable.
const MAX_LISTED: usize = 200;
const LINT_COLOUR: Color32 = Color32::from_rgb(240, 190, 80);
const INVERSION_COLOUR: Color32 = Color32::from_rgb(255, 140, 80);

/// A clickable finding: a coloured tag and a sentence. Returns true when clicked.
fn finding(ui: &mut Ui, tag: &str, colour: Color32, text: &str, hover: &str) -> bool {
    // One wrapping button whose text starts with the coloured tag, so tag and sentence flow
    // together and the whole line is one named, clickable widget.
    let mut job = LayoutJob::default();
    job.append(
        &format!(" {tag} "),
        0.0,
        TextFormat {
            font_id: FontId::proportional(10.0),
            color: Color32::BLACK,
            background: colour,
            valign: egui::Align::Center,
            ..Default::default()
        },
    );
    job.append(
        text,
        6.0,
        TextFormat {
            font_id: FontId::proportional(13.0),
            color: ui.visuals().text_color(),
            valign: egui::Align::Center,
            ..Default::default()
        },
    );
    ui.add(egui::Button::new(job).frame(false).wrap())
        .on_hover_text(hover)
        .clicked()
}

/// One entry of the findings list.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The short tag shown before it (`DEADLOCK`, `LEAK`, `LOCK ORDER`, a lint's name).
    pub tag: String,
    /// The tag's colour.
    pub colour: Color32,
    /// One sentence.
    pub text: String,
    /// More on hover (why it is a finding).
    pub detail: String,
    /// A heading this finding sits under (leaks are grouped by spawn site).
    pub group: Option<String>,
    /// Where clicking it jumps.
    pub jump: Option<Command>,
}

/// Every finding of the document's analysis, in the order the list shows them: deadlocks,
/// leaks by spawn site, lock-order inversions, lints.
pub fn collect(model: &Model, analysis: &Analysis) -> Vec<Finding> {
    let mut findings = Vec::new();

    for (i, deadlock) in analysis.deadlocks.iter().enumerate() {
        let names: Vec<String> = deadlock
            .tasks
            .iter()
            .map(|&t| model.task_name(t).into_owned())
            .collect();
        let objects: Vec<String> = deadlock
            .objects
            .iter()
            .map(|&o| model.object_name(o))
            .collect();
        findings.push(Finding {
            tag: "DEADLOCK".into(),
            colour: palette::DEADLOCK,
            text: format!(
                "Deadlock {}: {} wait for each other on {}",
                i + 1,
                names.join(", "),
                objects.join(", ")
            ),
            detail: "Each task waits for the next; none can ever go on.".into(),
            group: None,
            jump: deadlock
                .tasks
                .first()
                .zip(deadlock.waits.first())
                .map(|(&task, wait)| {
                    Command::Select(Selection::Span {
                        task,
                        index: wait.span,
                    })
                }),
        });
    }

    // Leaks grouped by spawn site: ten leaked workers from one loop are one bug.
    let mut by_site: BTreeMap<SiteIx, Vec<&Leak>> = BTreeMap::new();
    for leak in &analysis.leaks {
        by_site
            .entry(model.task(leak.task).spawn_site)
            .or_default()
            .push(leak);
    }
    for (site, leaks) in by_site {
        let group = format!(
            "{} leaked task{} spawned at {}",
            leaks.len(),
            if leaks.len() == 1 { "" } else { "s" },
            describe::site(model, site)
        );
        for leak in leaks {
            findings.push(Finding {
                tag: if leak.deadlocked {
                    "LEAK: DEADLOCKED".into()
                } else {
                    "LEAK".into()
                },
                colour: if leak.deadlocked {
                    palette::DEADLOCK
                } else {
                    palette::LEAK
                },
                text: leak_line(model, leak),
                detail: format!("Why: {}", leak.cause.describe(model)),
                group: Some(group.clone()),
                jump: Some(Command::Select(Selection::Span {
                    task: leak.task,
                    index: leak.wait.span,
                })),
            });
        }
    }

    for inversion in &analysis.potential_deadlocks {
        let orders: Vec<String> = inversion
            .edges
            .iter()
            .map(|e| {
                format!(
                    "{} took {} while holding {} ({})",
                    model.task_name(e.task),
                    model.object_name(e.acquired),
                    model.object_name(e.held),
                    describe::site(model, e.acquire_site)
                )
            })
            .collect();
        findings.push(Finding {
            tag: if inversion.hung {
                "LOCK ORDER (HUNG)".into()
            } else {
                "LOCK ORDER".into()
            },
            colour: INVERSION_COLOUR,
            text: format!("Lock-order inversion: {}", orders.join("; ")),
            detail: "Locks taken in opposite orders by different tasks can deadlock.".into(),
            group: None,
            jump: inversion.edges.first().map(|e| Command::FocusTaskAt {
                task: e.task,
                ts: e.ts,
            }),
        });
    }

    for lint in &analysis.lints {
        let text = if lint.site.is_known() {
            format!("{} ({})", lint.message, describe::site(model, lint.site))
        } else {
            lint.message.clone()
        };
        let jump = match (lint.tasks.first(), lint.objects.first()) {
            (Some(&task), _) => Some(Command::FocusTaskAt {
                task,
                ts: lint.first_ts,
            }),
            (None, Some(&o)) => Some(Command::Select(Selection::Object(o))),
            (None, None) => None,
        };
        findings.push(Finding {
            tag: lint.kind.as_str().into(),
            colour: LINT_COLOUR,
            text,
            detail: format!(
                "{} occurrence{}, {} in all, longest {}",
                lint.count,
                if lint.count == 1 { "" } else { "s" },
                format_duration(lint.total_ns as f64),
                format_duration(lint.max_ns as f64)
            ),
            group: None,
            jump,
        });
    }
    findings
}

/// Shows every finding of the document's analysis.
pub fn show(ui: &mut Ui, doc: &Document, out: &mut Vec<Command>) {
    let findings = &doc.findings;
    if findings.is_empty() {
        ui.label(RichText::new("No leaks, deadlocks or lints found.").color(state_ok()));
    } else {
        ui.label(summary(&doc.analysis));
        ui.weak("Click one to jump to it (N: next finding).");
        ui.add_space(4.0);
    }
    let mut group: Option<&str> = None;
    for f in findings.iter().take(MAX_LISTED) {
        if f.group.as_deref() != group {
            group = f.group.as_deref();
            if let Some(g) = group {
                ui.label(RichText::new(g).color(f.colour).strong());
            }
        }
        if finding(ui, &f.tag, f.colour, &f.text, &f.detail) {
            if let Some(jump) = &f.jump {
                out.push(jump.clone());
            }
        }
    }
    if findings.len() > MAX_LISTED {
        ui.weak(format!(
            "… and {} more (N walks through all of them)",
            findings.len() - MAX_LISTED
        ));
    }
    still_alive(ui, doc, out);
}

fn state_ok() -> Color32 {
    Color32::from_rgb(120, 200, 120)
}

fn summary(analysis: &Analysis) -> String {
    let mut parts = Vec::new();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if !analysis.deadlocks.is_empty() {
        parts.push(plural(analysis.deadlocks.len(), "deadlock", "deadlocks"));
    }
    if !analysis.leaks.is_empty() {
        parts.push(plural(analysis.leaks.len(), "leaked task", "leaked tasks"));
    }
    if !analysis.potential_deadlocks.is_empty() {
        parts.push(plural(
            analysis.potential_deadlocks.len(),
            "lock-order inversion",
            "lock-order inversions",
        ));
    }
    if !analysis.lints.is_empty() {
        parts.push(plural(analysis.lints.len(), "lint", "lints"));
    }
    parts.join(", ")
}

/// `lookup-1 blocked on send channel 3 at file:line since +40.1 ms`.
fn leak_line(model: &Model, leak: &Leak) -> String {
    let wait = &leak.wait;
    let on = describe::target(model, wait.target);
    let on = if on.is_empty() {
        String::new()
    } else {
        format!(" {on}")
    };
    format!(
        "{} blocked in {}{} at {} since {}",
        model.task_name(leak.task),
        wait.reason.as_str(),
        on,
        describe::site(model, wait.site),
        describe::at(model, wait.since)
    )
}

/// Tasks alive at the end but not stuck: said separately, because "still running" is not
/// "leaked".
fn still_alive(ui: &mut Ui, doc: &Document, out: &mut Vec<Command>) {
    let model = &doc.model;
    let alive: Vec<_> = model
        .task_ixs()
        .filter(|&t| matches!(doc.analysis.fate(t), Fate::Running | Fate::Waiting))
        .collect();
    if alive.is_empty() {
        return;
    }
    ui.add_space(4.0);
    egui::CollapsingHeader::new(format!(
        "{} task{} still alive at the end (not leaked)",
        alive.len(),
        if alive.len() == 1 { "" } else { "s" }
    ))
    .id_salt("still alive")
    .show(ui, |ui| {
        for &t in alive.iter().take(MAX_LISTED) {
            let fate = doc.analysis.fate(t);
            let text = format!(
                "{} — {}",
                model.task_name(t),
                if fate == Fate::Running {
                    "running"
                } else {
                    "waiting, can still be woken"
                }
            );
            if ui.button(text).clicked() {
                out.push(Command::Select(Selection::Task(t)));
            }
        }
    });
}
