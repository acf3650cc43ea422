//! The viewer as a user meets it, headless: the real app (`eframe::App`) driven through
//! egui_kittest, found through the accessibility tree by what the screen shows.
//!
//! Traces are recorded in the test with `weft_recorder::testing::record`, from small programs
//! that mirror the sample programs (a pipeline; `leak_blocked_send`), so the tests need no
//! files on disk and always see the recorder and model of this build.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use weft_recorder::channel::{self, Receiver};
use weft_recorder::format::Trace;
use weft_recorder::sync::Mutex;
use weft_recorder::{testing, thread};
use weft_viewer::model::{BlockReason, LinkKind, Model, State, TaskIx};
use weft_viewer::ui::lanes::LaneKey;
use weft_viewer::ui::view::{Command, Selection};
use weft_viewer::ui::App;

fn harness(app: App) -> Harness<'static, App> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        // Tooltips fade in over a few frames.
        .with_max_steps(64)
        .build_eframe(move |_cc| app);
    harness.run();
    harness
}

/// A producer sends 12 items through a bounded(1) channel to a consumer that takes 300 µs per
/// item: the first six slowly (the consumer waits in `recv`), the rest at once (the producer
/// waits in `send`).
fn pipeline() -> Trace {
    testing::record(|| {
        let (tx, rx) = channel::bounded::<u32>(1);
        let producer = thread::Builder::new()
            .name("producer".into())
            .spawn(move || {
                for i in 0..12 {
                    if i < 6 {
                        thread::sleep(Duration::from_millis(1));
                    }
                    tx.send(i).expect("consumer alive");
                }
            })
            .expect("spawn producer");
        let consumer = thread::Builder::new()
            .name("consumer".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    thread::sleep(Duration::from_micros(300));
                }
            })
            .expect("spawn consumer");
        producer.join().expect("producer");
        consumer.join().expect("consumer");
    })
}

/// Receivers of answers whose requests timed out, kept forever (as in `leak_blocked_send`).
static PARKED: OnceLock<Mutex<Vec<Receiver<String>>>> = OnceLock::new();

/// `leak_blocked_send` in small: `lookup-0`'s answer is received; `lookup-1`'s is not — its
/// receiver is parked "for a retry" that never comes — so its rendezvous `send` blocks forever.
/// (The sample does it with a timeout; here a std channel, which the recorder does not see,
/// tells the caller when `lookup-1` is about to send, so the test does not depend on timing.)
fn leak_blocked_send() -> Trace {
    testing::record(|| {
        let (about_to_send, wait_for_it) = std::sync::mpsc::channel::<()>();
        for id in 0..2 {
            let (answer_tx, answer_rx) = channel::bounded::<String>(0);
            let about_to_send = about_to_send.clone();
            thread::Builder::new()
                .name(format!("lookup-{id}"))
                .spawn(move || {
                    let _ = about_to_send.send(());
                    let _ = answer_tx.send(format!("record {id}"));
                })
                .expect("spawn lookup");
            if id == 0 {
                answer_rx.recv().expect("lookup-0 answers");
                wait_for_it.recv().expect("lookup-0 started");
            } else {
                PARKED
                    .get_or_init(|| Mutex::new(Vec::new()))
                    .lock()
                    .expect("not poisoned")
                    .push(answer_rx);
            }
        }
        wait_for_it.recv().expect("lookup-1 started");
        // Long enough for lookup-1 to be inside `send` when the recording ends.
        thread::sleep(Duration::from_millis(20));
    })
}

fn task_named(model: &Model, name: &str) -> TaskIx {
    model
        .task_ixs()
        .find(|&t| model.task_name(t) == name)
        .unwrap_or_else(|| panic!("no task named {name}"))
}

fn click_at(harness: &mut Harness<'static, App>, pos: egui::Pos2) {
    harness.event(egui::Event::PointerMoved(pos));
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    harness.run();
}

#[test]
fn lanes_of_workers_tasks_and_objects_are_listed() {
    let harness = harness(App::from_trace(&pipeline()));
    harness.get_by_label_contains("Workers (");
    harness.get_by_label_contains("Tasks (");
    harness.get_by_label_contains("Objects (");
    harness.get_by_label_contains("Channels (");
    harness.get_by_label("Task producer");
    harness.get_by_label("Task consumer");
    harness.get_by_label_contains("Object channel");
    // One worker lane per OS thread: the test thread and the two spawned ones.
    let workers = harness
        .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("Worker ")))
        .count();
    assert!(workers >= 3, "{workers} worker lanes");
}

#[test]
fn collapsing_a_group_hides_its_lanes() {
    let mut harness = harness(App::from_trace(&pipeline()));
    harness.get_by_label_contains("Tasks (").click();
    harness.run();
    assert!(harness.query_by_label("Task producer").is_none());
    harness.get_by_label_contains("Tasks (").click();
    harness.run();
    harness.get_by_label("Task producer");
}

#[test]
fn a_leaked_task_has_a_badge_and_a_finding_that_jumps_to_its_wait() {
    let mut harness = harness(App::from_trace(&leak_blocked_send()));
    harness.get_by_label("Leaked: lookup-1");
    assert!(
        harness.query_by_label("Leaked: lookup-0").is_none(),
        "lookup-0 answered in time"
    );

    let finding = harness.get_by_label_contains("lookup-1 blocked in send");
    finding.click();
    harness.run();

    let model = &harness.state().document().expect("a trace is open").model;
    let lookup = task_named(model, "lookup-1");
    let last = model.timeline(lookup).len() - 1;
    assert_eq!(
        harness.state().selection(),
        Some(Selection::Span {
            task: lookup,
            index: last
        })
    );
    harness.get_by_label_contains("blocked: send —");
    harness.get_by_label_contains("Still blocked when the trace ended");
}

#[test]
fn clicking_a_blocked_span_shows_what_it_waited_on_and_who_woke_it() {
    let mut harness = harness(App::from_trace(&pipeline()));
    let (consumer, index, start, end) = {
        let model = &harness.state().document().expect("open").model;
        let consumer = task_named(model, "consumer");
        let lane = model.timeline(consumer);
        let index = (0..lane.len())
            .filter(|&i| lane.row(i).state() == State::Blocked(BlockReason::Recv))
            .filter(|&i| model.waker(consumer, i).is_some())
            .max_by_key(|&i| lane.end_of(i) - lane.start_of(i))
            .expect("the consumer waited for a message");
        (consumer, index, lane.start_of(index), lane.end_of(index))
    };
    harness.state_mut().apply(Command::ZoomTo { start, end });
    harness.run();
    let pos = harness
        .state()
        .lane_point(LaneKey::Task(consumer), start + (end - start) / 2)
        .expect("the consumer lane is on screen");
    click_at(&mut harness, pos);

    assert_eq!(
        harness.state().selection(),
        Some(Selection::Span {
            task: consumer,
            index
        })
    );
    harness.get_by_label_contains("blocked: recv —");
    harness.get_by_label("Waiting on");
    harness.get_by_label_contains("Unblocked by a message sent");
    // The selection's causal arrows include the message that ended the wait.
    {
        let doc = harness.state().document().expect("open");
        let producer = task_named(&doc.model, "producer");
        let arrows: Vec<_> = weft_viewer::ui::arrows::selection_links(doc)
            .into_iter()
            .map(|l| doc.model.link(l))
            .collect();
        assert!(
            arrows.iter().any(|l| l.kind == LinkKind::Message
                && l.from_task == producer
                && l.to_task == consumer
                && l.to_ts == end),
            "{arrows:?}"
        );
    }
    // The cause is a button that jumps to the producer.
    harness.get_by_label_contains("producer (task").click();
    harness.run();
    let producer = task_named(&harness.state().document().expect("open").model, "producer");
    assert_eq!(
        harness.state().selection().and_then(|s| s.task()),
        Some(producer)
    );
}

#[test]
fn searching_keeps_only_matching_lanes() {
    let mut harness = harness(App::from_trace(&pipeline()));
    let search = harness.get_by_role_and_label(Role::TextInput, "Search:");
    search.focus();
    search.type_text("consum");
    harness.run();
    harness.get_by_label("Task consumer");
    assert!(harness.query_by_label("Task producer").is_none());
}

#[test]
fn only_leaked_filter_keeps_the_leaked_task() {
    let mut harness = harness(App::from_trace(&leak_blocked_send()));
    harness.get_by_label("Only leaked").click();
    harness.run();
    harness.get_by_label("Task lookup-1");
    assert!(harness.query_by_label("Task lookup-0").is_none());
}

#[test]
fn wheel_zooms_at_the_cursor_and_keys_pan() {
    let mut harness = harness(App::from_trace(&pipeline()));
    let before = harness.state().document().expect("open").view.window;
    let pos = harness
        .state()
        .lane_point(
            LaneKey::Task(task_named(
                &harness.state().document().expect("open").model,
                "consumer",
            )),
            0,
        )
        .map(|p| egui::pos2(700.0, p.y))
        .expect("lane shown");
    harness.event(egui::Event::PointerMoved(pos));
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, 120.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run();
    let zoomed = harness.state().document().expect("open").view.window;
    assert!(
        zoomed.duration() < before.duration() * 0.9,
        "wheel up zooms in: {before:?} -> {zoomed:?}"
    );
    harness.key_press(egui::Key::D);
    harness.run();
    let panned = harness.state().document().expect("open").view.window;
    assert!(
        panned.start > zoomed.start,
        "D pans later: {zoomed:?} -> {panned:?}"
    );
    harness.key_press(egui::Key::Num0);
    harness.run();
    let whole = harness.state().document().expect("open").view.window;
    assert!((whole.duration() - before.duration()).abs() < 1.0);
}

#[test]
fn shift_drag_measures_a_duration() {
    let mut harness = harness(App::from_trace(&pipeline()));
    let y = harness
        .state()
        .lane_point(
            LaneKey::Task(task_named(
                &harness.state().document().expect("open").model,
                "producer",
            )),
            0,
        )
        .expect("lane shown")
        .y;
    let (a, b) = (egui::pos2(500.0, y), egui::pos2(800.0, y));
    let shift = egui::Modifiers::SHIFT;
    harness.event(egui::Event::PointerMoved(a));
    harness.event_modifiers(
        egui::Event::PointerButton {
            pos: a,
            button: egui::PointerButton::Primary,
            pressed: true,
            modifiers: shift,
        },
        shift,
    );
    harness.run();
    for step in 1..=6 {
        let p = a + (b - a) * (step as f32 / 6.0);
        harness.event_modifiers(egui::Event::PointerMoved(p), shift);
        harness.run();
    }
    harness.event_modifiers(
        egui::Event::PointerButton {
            pos: b,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: shift,
        },
        shift,
    );
    harness.run();
    let doc = harness.state().document().expect("open");
    let measure = doc.view.measure.expect("a measurement");
    let (left, right) = harness.state().geometry().x_range;
    let expected = f64::from(b.x - a.x) * doc.view.window.duration() / f64::from(right - left);
    assert!(measure.duration() > 0.0);
    assert!(
        (measure.duration() / expected - 1.0).abs() < 0.2,
        "measured {} for 300 px, expected about {expected}",
        measure.duration()
    );
    harness.get_by_label_contains("measured");
}

#[test]
fn the_tables_list_tasks_and_blocking_sites() {
    let mut harness = harness(App::from_trace(&pipeline()));
    harness.get_by_label("Tasks").click();
    harness.run();
    harness.get_by_label("Task row producer");
    harness.get_by_label("Task row consumer").click();
    harness.run();
    let consumer = task_named(&harness.state().document().expect("open").model, "consumer");
    assert_eq!(harness.state().selection(), Some(Selection::Task(consumer)));

    harness.get_by_label("Blocking profile").click();
    harness.run();
    harness.get_by_label_contains("recv at ");
    harness.get_by_label_contains("send at ");
}

/// A file holding `bytes` in a directory removed when the returned guard drops.
fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    (dir, path)
}

#[test]
fn a_file_that_is_not_a_trace_shows_an_error_in_the_window() {
    let (_dir, path) = temp_file("not-a-trace.weft", b"hello, I am not a trace");
    let app = App::open(&path);
    assert_eq!(app.problems().len(), 1);
    assert!(app.document().is_none());
    let harness = harness(app);
    harness.get_by_label_contains("Could not open");
    harness.get_by_label_contains("not a Weft trace");
}

#[test]
fn a_cut_trace_opens_with_what_could_be_read() {
    let (bytes, _) = testing::record_bytes(|| {
        let workers: Vec<_> = (0..3)
            .map(|i| {
                thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn(|| thread::sleep(Duration::from_millis(2)))
                    .expect("spawn")
            })
            .collect();
        for w in workers {
            w.join().expect("join");
        }
    });
    let (_dir, path) = temp_file("cut.weft", &bytes[..bytes.len() * 2 / 3]);
    let harness = harness(App::open(&path));
    assert!(harness.state().problems().is_empty());
    harness.get_by_label_contains("This trace is incomplete");
    harness.get_by_label_contains("Tasks (");
}

/// Forty workers: more lanes than fit on screen.
fn many_tasks() -> Trace {
    testing::record(|| {
        let workers: Vec<_> = (0..40)
            .map(|i| {
                thread::Builder::new()
                    .name(format!("worker-{i:02}"))
                    .spawn(|| thread::sleep(Duration::from_micros(200)))
                    .expect("spawn")
            })
            .collect();
        for w in workers {
            w.join().expect("join");
        }
    })
}

#[test]
fn the_wheel_over_the_labels_and_a_drag_scroll_the_lanes() {
    let mut harness = harness(App::from_trace(&many_tasks()));
    let scroll = |h: &Harness<'static, App>| h.state().document().expect("open").view.scroll_y;
    assert_eq!(scroll(&harness), 0.0);
    let over_labels = egui::pos2(100.0, 400.0);
    harness.event(egui::Event::PointerMoved(over_labels));
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, -200.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run();
    let after_wheel = scroll(&harness);
    assert!(after_wheel > 100.0, "scrolled to {after_wheel}");

    // Dragging the canvas up scrolls further down (and pans in time).
    let (a, b) = (egui::pos2(600.0, 500.0), egui::pos2(600.0, 400.0));
    harness.event(egui::Event::PointerMoved(a));
    harness.event(egui::Event::PointerButton {
        pos: a,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run();
    for step in 1..=5 {
        harness.event(egui::Event::PointerMoved(a + (b - a) * (step as f32 / 5.0)));
        harness.run();
    }
    harness.event(egui::Event::PointerButton {
        pos: b,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run();
    let after_drag = scroll(&harness);
    assert!(
        after_drag > after_wheel + 50.0,
        "{after_wheel} -> {after_drag}"
    );
}
