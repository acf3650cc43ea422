//! One frame of the viewer on a big trace, headless: the whole window's layout (`App::show`,
//! timeline included) and egui's tessellation of what it painted into triangles — everything
//! the CPU does per frame before the GPU gets it — at three zoom levels:
//!
//! - `zoomed_out`: the whole trace (every lane is merged summary blocks);
//! - `mid`: 1 % of the trace around its middle;
//! - `deep`: a 20 µs window in the middle (individual spans, labels).
//!
//! The trace is synthetic (`weft gen`'s simulation of a busy pool), `WEFT_FRAME_EVENTS` events
//! (default 10 M; suffixes k and M). The goal is ≤ 8 ms per frame. Criterion reports each
//! level; the summary prints the median of interleaved rounds and its ratio to the goal.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use eframe::egui;
use weft_recorder::format;
use weft_recorder::synth::{generate, SynthConfig};
use weft_viewer::ui::view::Command;
use weft_viewer::ui::App;

const GOAL: Duration = Duration::from_millis(8);
const WINDOW: egui::Vec2 = egui::vec2(1600.0, 1000.0);

fn events_wanted() -> u64 {
    let text = std::env::var("WEFT_FRAME_EVENTS").unwrap_or_else(|_| "10M".into());
    let (digits, scale) = match text.trim().strip_suffix(['M', 'm']) {
        Some(d) => (d, 1_000_000),
        None => match text.trim().strip_suffix(['k', 'K']) {
            Some(d) => (d, 1_000),
            None => (text.trim(), 1),
        },
    };
    digits
        .parse::<u64>()
        .map(|n| n * scale)
        .expect("WEFT_FRAME_EVENTS: a count such as 10M, 500k or 2000000")
}

/// A headless window: one egui context fed the same input every frame.
struct Headless {
    ctx: egui::Context,
    app: App,
}

impl Headless {
    fn new(app: App) -> Self {
        let ctx = egui::Context::default();
        let mut headless = Headless { ctx, app };
        // The first frames build the font atlas and settle layout; not what a frame costs.
        for _ in 0..3 {
            headless.frame();
        }
        headless
    }

    /// One full frame: layout and painting by the app, then tessellation. Returns the
    /// triangle count so the work cannot be optimised away.
    fn frame(&mut self) -> usize {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, WINDOW)),
            ..Default::default()
        };
        let app = &mut self.app;
        let output = self.ctx.run_ui(input, |ui| app.show(ui));
        let primitives = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        primitives
            .iter()
            .map(|p| match &p.primitive {
                egui::epaint::Primitive::Mesh(mesh) => mesh.indices.len() / 3,
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum()
    }

    fn zoom(&mut self, level: Level) {
        let doc = self.app.document().expect("the trace is open");
        let (start, end) = (doc.model.start_ns(), doc.model.end_ns());
        let middle = start + (end - start) / 2;
        let command = match level {
            Level::ZoomedOut => Command::ZoomAll,
            Level::Mid => {
                let half = (end - start) / 200;
                Command::ZoomTo {
                    start: middle - half,
                    end: middle + half,
                }
            }
            Level::Deep => Command::ZoomTo {
                start: middle - 10_000,
                end: middle + 10_000,
            },
        };
        self.app.apply(command);
        // Let the zoom land (the view eases and lanes re-lay out) before timing.
        for _ in 0..3 {
            self.frame();
        }
    }
}

#[derive(Clone, Copy)]
enum Level {
    ZoomedOut,
    Mid,
    Deep,
}

const LEVELS: [(&str, Level); 3] = [
    ("zoomed_out", Level::ZoomedOut),
    ("mid", Level::Mid),
    ("deep", Level::Deep),
];

fn main() {
    let events = events_wanted();
    eprintln!("frame bench: generating and loading a {events}-event trace …");
    let config = SynthConfig {
        events,
        ..SynthConfig::default()
    };
    let bytes = generate(&config, Vec::new(), |_| {}).expect("generate a trace");
    let trace = format::read_bytes(&bytes).expect("read the generated trace");
    drop(bytes);
    let loaded_events = trace.events.len();
    let mut window = Headless::new(App::from_trace(&trace));
    drop(trace);

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    let mut group = c.benchmark_group("frame");
    for (name, level) in LEVELS {
        window.zoom(level);
        group.bench_function(name, |b| b.iter(|| black_box(window.frame())));
    }
    group.finish();

    const ROUNDS: usize = 15;
    println!(
        "\nframe summary: {loaded_events} events, {}×{} window, layout + tessellation, \
         median of {ROUNDS} frames (goal ≤ {} ms)",
        WINDOW.x,
        WINDOW.y,
        GOAL.as_millis()
    );
    for (name, level) in LEVELS {
        window.zoom(level);
        let mut times = Vec::with_capacity(ROUNDS);
        let mut triangles = 0;
        for _ in 0..ROUNDS {
            let start = Instant::now();
            triangles = window.frame();
            times.push(start.elapsed());
        }
        times.sort_unstable();
        let median = times[ROUNDS / 2];
        println!(
            "  {name:<10} {:>7.2} ms  ({:.2}× the goal; {triangles} triangles)",
            median.as_secs_f64() * 1e3,
            median.as_secs_f64() / GOAL.as_secs_f64()
        );
    }
}
