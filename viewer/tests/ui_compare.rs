//! The compare view as a user meets it, headless: `weft view A B` on a real pair — the
//! contended lock (`mutex_contention`) against its fix (`mutex_contention_fixed`), the
//! committed recordings in `assets/traces/` — driven through egui_kittest and found through the
//! accessibility tree by what the screen shows.

use std::path::PathBuf;

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use weft_viewer::diff::{Anchor, Run};
use weft_viewer::model::{BlockReason, Model, State, TaskIx};
use weft_viewer::ui::lanes::LaneKey;
use weft_viewer::ui::time::TimeWindow;
use weft_viewer::ui::view::Selection;
use weft_viewer::ui::App;

fn trace(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../assets/traces")
        .join(format!("{name}.weft"))
}

fn harness() -> Harness<'static, App> {
    let app = App::compare_files(trace("mutex_contention"), trace("mutex_contention_fixed"));
    assert!(app.problems().is_empty(), "{:?}", app.problems());
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1440.0, 900.0))
        .with_max_steps(64)
        .build_eframe(move |_cc| app);
    harness.run();
    harness
}

fn task_named(model: &Model, name: &str) -> TaskIx {
    model
        .task_ixs()
        .find(|&t| model.task_name(t) == name)
        .unwrap_or_else(|| panic!("no task named {name}"))
}

/// The shared window as each half shows it, in aligned time.
fn aligned_windows(app: &App) -> [TimeWindow; 2] {
    let compare = app.compare().expect("comparing");
    let alignment = compare.alignment();
    [Run::A, Run::B].map(|run| {
        let shown = compare.doc(run).view.window;
        let origin = alignment.timestamp(run, 0) as f64;
        TimeWindow {
            start: shown.start - origin,
            end: shown.end - origin,
        }
    })
}

fn assert_linked(app: &App) {
    let [a, b] = aligned_windows(app);
    assert!(
        (a.start - b.start).abs() < 1.0 && (a.end - b.end).abs() < 1.0,
        "the halves show the same aligned window: {a:?} vs {b:?}"
    );
}

/// What a node says: its label, or (labels, combo boxes) its value.
fn text_of(node: &egui_kittest::kittest::AccessKitNode<'_>) -> String {
    node.label().or_else(|| node.value()).unwrap_or_default()
}

/// The readouts of both rulers (`window 1.23 s` when the pointer is not over the lanes).
fn ruler_readouts(harness: &Harness<'static, App>) -> Vec<String> {
    harness
        .query_all_by(|n| text_of(n).starts_with("window "))
        .map(|n| text_of(&n.accesskit_node()))
        .collect()
}

fn wheel_at(harness: &mut Harness<'static, App>, pos: egui::Pos2, delta: f32) {
    harness.event(egui::Event::PointerMoved(pos));
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, delta),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run();
}

#[test]
fn both_runs_are_shown_with_their_matched_lanes() {
    let harness = harness();
    harness.get_by_label_contains("Run A: mutex_contention.weft");
    harness.get_by_label_contains("Run B: mutex_contention_fixed.weft");
    // The workers are matched by name: each has a lane in both halves, under the same header.
    let matched = harness
        .query_all_by(|n| {
            n.label()
                .is_some_and(|l| l.starts_with("Tasks in both runs ("))
        })
        .count();
    assert_eq!(matched, 2, "a matched section in each half");
    for name in ["main", "worker-0", "worker-3"] {
        let lanes = harness
            .query_all_by(|n| n.label().is_some_and(|l| l == format!("Task {name}")))
            .count();
        assert_eq!(lanes, 2, "{name} has a lane in A and in B");
    }
    // Matched lanes sit at the same height in both halves.
    let app = harness.state();
    let compare = app.compare().expect("comparing");
    let worker_a = task_named(&compare.doc(Run::A).model, "worker-2");
    let worker_b = task_named(&compare.doc(Run::B).model, "worker-2");
    let row = |run: Run, t: TaskIx| {
        compare
            .doc(run)
            .current_layout()
            .find(LaneKey::Task(t))
            .map(|r| r.y)
            .expect("a row")
    };
    assert_eq!(row(Run::A, worker_a), row(Run::B, worker_b));
    assert_eq!(compare.lanes().only_a + compare.lanes().only_b, 0);
}

#[test]
fn the_difference_panel_puts_the_lock_wait_first_and_jumps_to_it() {
    let mut harness = harness();
    harness.get_by_label_contains("B ran ");
    harness.get_by_label_contains("Gone in B (");
    let first = harness
        .get_by(|n| {
            n.label()
                .is_some_and(|l| l.starts_with("Blocking site 1: "))
        })
        .accesskit_node()
        .label()
        .expect("labelled");
    assert!(
        first.starts_with("Blocking site 1: lock at sample-programs/src/bin/mutex_contention.rs:"),
        "{first}"
    );
    assert!(first.contains("→ –"), "the wait is gone in B: {first}");

    harness
        .get_by(|n| {
            n.label()
                .is_some_and(|l| l.starts_with("Blocking site 1: "))
        })
        .click();
    harness.run();
    let app = harness.state();
    let compare = app.compare().expect("comparing");
    let doc = compare.doc(Run::A);
    let Some(Selection::Span { task, index }) = doc.view.selection else {
        panic!(
            "the first lock wait is selected in A: {:?}",
            doc.view.selection
        );
    };
    let span = doc.model.timeline(task).span(index);
    assert_eq!(span.state, State::Blocked(BlockReason::Lock));
    assert!(
        doc.view.window.overlaps(span.start as f64, span.end as f64),
        "and shown"
    );
    assert_linked(app);
}

#[test]
fn zooming_one_half_zooms_the_other() {
    let mut harness = harness();
    let before = aligned_windows(harness.state());
    let readouts = ruler_readouts(&harness);
    assert_eq!(readouts.len(), 2, "{readouts:?}");

    let compare = harness.state().compare().expect("comparing");
    let worker = task_named(&compare.doc(Run::A).model, "worker-1");
    let y = harness
        .state()
        .compare_lane_point(Run::A, LaneKey::Task(worker), 0)
        .expect("worker-1 has a lane in A")
        .y;
    wheel_at(&mut harness, egui::pos2(700.0, y), 120.0);
    let zoomed = aligned_windows(harness.state());
    assert!(
        zoomed[1].duration() < before[1].duration() * 0.9,
        "zooming A zooms B: {before:?} -> {zoomed:?}"
    );
    assert_linked(harness.state());
    // B's ruler (the pointer is over A) now reads a narrower window.
    let after = ruler_readouts(&harness);
    assert_eq!(after.len(), 1, "{after:?}");
    assert!(!readouts.contains(&after[0]), "{readouts:?} -> {after:?}");

    // And the other way round: zooming out over B zooms A out.
    let b_worker = task_named(
        &harness
            .state()
            .compare()
            .expect("comparing")
            .doc(Run::B)
            .model,
        "worker-1",
    );
    let y = harness
        .state()
        .compare_lane_point(Run::B, LaneKey::Task(b_worker), 0)
        .expect("worker-1 has a lane in B")
        .y;
    wheel_at(&mut harness, egui::pos2(700.0, y), -60.0);
    let out = aligned_windows(harness.state());
    assert!(
        out[0].duration() > zoomed[0].duration() * 1.1,
        "zooming B out zooms A out: {zoomed:?} -> {out:?}"
    );
    assert_linked(harness.state());

    // 0 shows both runs whole again.
    harness.key_press(egui::Key::Num0);
    harness.run();
    let whole = aligned_windows(harness.state());
    assert!((whole[0].duration() - before[0].duration()).abs() < 1.0);
}

#[test]
fn aligning_at_an_anchor_pins_both_runs_there() {
    let mut harness = harness();
    let anchor = Anchor::Task("worker-0".into());
    let compare = harness.state().compare().expect("comparing");
    assert!(
        compare.anchors().contains(&anchor),
        "{:?}",
        compare.anchors()
    );
    // As a user does: open the combo, pick the task.
    harness
        .get_by_role_and_label(egui::accesskit::Role::ComboBox, "Align at")
        .click();
    harness.run();
    harness.get_by_label("task \"worker-0\"").click();
    harness.run();
    let compare = harness.state().compare().expect("comparing");
    let alignment = compare.alignment();
    for run in [Run::A, Run::B] {
        let model = &compare.doc(run).model;
        assert_eq!(
            Some(alignment.timestamp(run, 0) as u64),
            anchor.time_in(model),
            "{run:?}"
        );
    }
    assert_linked(harness.state());
    // The toolbar says where both runs are pinned.
    let combo = harness.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Align at");
    assert_eq!(
        combo.accesskit_node().value().as_deref(),
        Some("task \"worker-0\"")
    );
}

/// File → Compare with path… compares the trace on screen (A) with the one typed (B), loaded in
/// the background like any open.
#[test]
fn file_compare_with_compares_the_open_trace_with_another() {
    let app = App::open(trace("mutex_contention"));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1440.0, 900.0))
        .with_max_steps(64)
        .build_eframe(move |_cc| app);
    harness.run();
    harness.get_by_label("File").click();
    harness.run();
    harness.get_by_label("Compare with path…").click();
    harness.run();
    let path = harness.get_by_role_and_label(egui::accesskit::Role::TextInput, "Trace file:");
    path.focus();
    path.type_text(&trace("mutex_contention_fixed").display().to_string());
    harness.run();
    harness.get_by_label("Open").click();
    // The loader thread wakes the window when B is ready.
    for _ in 0..200 {
        harness.run();
        if harness.state().compare().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let compare = harness.state().compare().expect("comparing");
    assert!(compare.doc(Run::A).title.contains("mutex_contention.weft"));
    assert!(compare
        .doc(Run::B)
        .title
        .contains("mutex_contention_fixed.weft"));
    harness.run();
    harness.get_by_label_contains("Run B: mutex_contention_fixed.weft");
}
