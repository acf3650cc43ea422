//! The viewer on the sample traces committed in `assets/traces/`, checked against what each
//! sample declares a correct viewer shows (see `sample-programs/src/bin/*.rs`).

use std::path::PathBuf;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use weft_viewer::ui::view::Selection;
use weft_viewer::ui::App;

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../assets/traces")
        .join(format!("{name}.weft"))
}

fn open(name: &str) -> Harness<'static, App> {
    let app = App::open(sample(name));
    assert!(app.problems().is_empty(), "{:?}", app.problems());
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        // Frames 1/60 s apart, as on a screen: two clicks one frame apart are a double-click.
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(64)
        .build_eframe(move |_cc| app);
    harness.run();
    harness
}

#[test]
fn leak_blocked_send_badges_the_two_slow_lookups_only() {
    let harness = open("leak_blocked_send");
    harness.get_by_label("Leaked: lookup-1");
    harness.get_by_label("Leaked: lookup-3");
    for answered in ["lookup-0", "lookup-2"] {
        harness.get_by_label(&format!("Task {answered}"));
        assert!(
            harness
                .query_by_label(&format!("Leaked: {answered}"))
                .is_none(),
            "{answered} answered in time"
        );
    }
    // Both leaks sit under one spawn site in the findings.
    harness.get_by_label_contains("2 leaked tasks spawned at");
    assert_eq!(
        harness
            .query_all_by_label_contains("blocked in send")
            .count(),
        2
    );
}

#[test]
fn next_finding_key_walks_the_leaks() {
    let mut harness = open("leak_blocked_send");
    harness.key_press(egui::Key::N);
    harness.run();
    let first = harness.state().selection();
    harness.key_press(egui::Key::N);
    harness.run();
    let second = harness.state().selection();
    let name = |s: Option<Selection>| {
        let doc = harness.state().document().expect("open");
        s.and_then(|s| s.task())
            .map(|t| doc.model.task_name(t).into_owned())
    };
    let mut names = vec![name(first), name(second)];
    names.sort();
    assert_eq!(
        names,
        vec![Some("lookup-1".to_owned()), Some("lookup-3".to_owned())]
    );
}

#[test]
fn deadlock_lock_order_marks_both_tasks_and_lists_the_deadlock() {
    let harness = open("deadlock_lock_order");
    let badges = harness.query_all_by_label_contains("Deadlocked: ").count();
    assert_eq!(badges, 2, "two tasks wait for each other's lock");
    harness.get_by_label_contains("Deadlock 1:");
}

#[test]
fn the_demo_trace_opens_without_problems() {
    let mut app = App::demo();
    assert!(app.problems().is_empty());
    assert!(app.document_mut().is_some());
}

/// A file dropped onto the window, as eframe hands it to egui.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropping_a_trace_on_the_window_opens_it() {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_max_steps(64)
        .build_eframe(|_cc| App::default());
    harness.run();
    harness.get_by_label_contains("Weft — a visual concurrency tracer");
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(sample("worker_pool"))));
    // The trace loads on a background thread; step until it is in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while harness.state().document().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the dropped trace did not open"
        );
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    harness.run();
    assert_eq!(
        harness.state().document().map(|d| d.title.as_str()),
        Some("worker_pool.weft")
    );
    harness.get_by_label("Task collector");
    let recent = harness.state().recent_files().paths();
    assert!(recent[0].ends_with("worker_pool.weft"), "{recent:?}");
}

#[test]
fn double_clicking_a_span_zooms_to_it() {
    let mut harness = open("leak_blocked_send");
    let (task, start, end) = {
        let model = &harness.state().document().expect("open").model;
        let task = model
            .task_ixs()
            .find(|&t| model.task_name(t) == "lookup-1")
            .expect("lookup-1");
        let lane = model.timeline(task);
        let last = lane.len() - 1;
        (task, lane.start_of(last), lane.end_of(last))
    };
    let pos = harness
        .state()
        .lane_point(
            weft_viewer::ui::lanes::LaneKey::Task(task),
            start + (end - start) / 2,
        )
        .expect("lane shown");
    harness.event(egui::Event::PointerMoved(pos));
    for _ in 0..2 {
        for pressed in [true, false] {
            harness.event(egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
        }
        harness.step();
    }
    harness.run();
    let window = harness.state().document().expect("open").view.window;
    let span = (end - start) as f64;
    assert!(
        window.start <= start as f64 && window.end >= end as f64,
        "{window:?} shows the span"
    );
    assert!(
        window.duration() < span * 1.5,
        "{window:?} is zoomed to the span"
    );
}
