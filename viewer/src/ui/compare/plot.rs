//! Live tasks by state for both runs on one aligned axis: A's curves solid, B's dashed, one
//! colour per state (running, runnable, blocked). The x axis follows the timelines' shared
//! window, so the plot zooms and pans with them.

use egui_plot::{Legend, Line, LineStyle, PlotPoints, VLine};

use eframe::egui::Ui;

use crate::diff::{Run, StateSeries};
use crate::model::{BlockReason, State};

use super::super::palette::{state_colour, ANCHOR};
use super::super::plots::over_time;
use super::Compare;

/// One curve per run: the tasks in the states it counts.
struct Curve {
    name: &'static str,
    counts: fn(State) -> bool,
    /// The state whose colour it takes.
    colour: State,
}

/// Waits that end on their own (sleep, park) are apart from the others: a program that sleeps
/// more is not a program that waits more on its locks and channels.
const CURVES: [Curve; 4] = [
    Curve {
        name: "running",
        counts: |s| s == State::Running,
        colour: State::Running,
    },
    Curve {
        name: "runnable",
        counts: |s| s == State::Runnable,
        colour: State::Runnable,
    },
    Curve {
        name: "blocked",
        counts: blocked_on_others,
        colour: State::Blocked(BlockReason::Lock),
    },
    Curve {
        name: "sleeping",
        counts: sleeping,
        colour: State::Blocked(BlockReason::Sleep),
    },
];

fn sleeping(state: State) -> bool {
    matches!(
        state.blocked(),
        Some(BlockReason::Sleep | BlockReason::Park)
    )
}

fn blocked_on_others(state: State) -> bool {
    state.blocked().is_some() && !sleeping(state)
}

/// One run's curve: per bucket, the tasks in the states `counted` picks.
fn curve(series: &StateSeries, run: Run, counted: fn(State) -> bool) -> Vec<[f64; 2]> {
    series
        .of(run)
        .iter()
        .enumerate()
        .map(|(i, counts)| {
            let sum: f32 = counts
                .iter()
                .enumerate()
                .filter(|&(s, _)| State::from_index(s).is_some_and(counted))
                .map(|(_, n)| n)
                .sum();
            let mid = series.bucket_start(i) as f64 + series.bucket_ns as f64 / 2.0;
            [mid / 1e6, f64::from(sum)]
        })
        .collect()
}

/// The plot, x in ms of aligned time.
pub fn live_tasks(ui: &mut Ui, compare: &Compare) {
    let series = compare.series();
    let window = compare.window();
    ui.weak(format!(
        "Tasks by state, A solid and B dashed, aligned at {}",
        compare.anchor().describe()
    ));
    over_time("live tasks of both runs", "tasks")
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .show(ui, |plot| {
            plot.set_plot_bounds_x((window.start / 1e6)..=(window.end / 1e6));
            for run in [Run::A, Run::B] {
                let style = match run {
                    Run::A => LineStyle::Solid,
                    Run::B => LineStyle::dashed_loose(),
                };
                for Curve {
                    name,
                    counts,
                    colour,
                } in CURVES
                {
                    let points = curve(series, run, counts);
                    if points.iter().all(|p| p[1] == 0.0) {
                        continue;
                    }
                    plot.add(
                        Line::new(
                            format!("{name} ({})", run.as_str()),
                            PlotPoints::new(points),
                        )
                        .color(state_colour(colour))
                        .style(style)
                        .width(2.0),
                    );
                }
            }
            if *compare.anchor() != crate::diff::Anchor::Start {
                plot.add(VLine::new("anchor", 0.0).color(ANCHOR));
            }
        });
}
