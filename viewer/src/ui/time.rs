//! Time on screen: the visible window, its mapping to pixels, zooming and panning, and how
//! durations and ruler ticks are written.
//!
//! Times are nanoseconds since the start of the trace. The window is kept in `f64` so that zooming
//! far in (sub-nanosecond per pixel) stays smooth; `f64` is exact for integers up to 2^53 ns
//! (about 104 days), far beyond any trace.

use serde::{Deserialize, Serialize};

/// The narrowest window the user can zoom to, in ns: below this nothing new can be seen.
pub const MIN_WINDOW_NS: f64 = 100.0;

/// The part of the trace on screen, `[start, end)` in ns since the trace started.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// First visible instant.
    pub start: f64,
    /// End of the visible range (exclusive).
    pub end: f64,
}

impl TimeWindow {
    /// A window over `[start, end)`; an empty or reversed range becomes [`MIN_WINDOW_NS`] wide.
    pub fn new(start: f64, end: f64) -> Self {
        let end = if end - start < MIN_WINDOW_NS {
            start + MIN_WINDOW_NS
        } else {
            end
        };
        Self { start, end }
    }

    /// The window showing a whole trace of `duration_ns`, with a little air on each side so the
    /// first and last spans are not glued to the edges.
    pub fn whole(duration_ns: u64) -> Self {
        let duration = (duration_ns as f64).max(MIN_WINDOW_NS);
        let margin = duration * 0.01;
        Self::new(-margin, duration + margin)
    }

    /// Width of the window in ns.
    pub fn duration(&self) -> f64 {
        self.end - self.start
    }

    /// The x coordinate of instant `t` when the window spans `[left, right]` pixels.
    pub fn x_of(&self, t: f64, left: f32, right: f32) -> f32 {
        let frac = (t - self.start) / self.duration();
        left + (frac * f64::from(right - left)) as f32
    }

    /// The instant under pixel `x` when the window spans `[left, right]` pixels.
    pub fn t_of(&self, x: f32, left: f32, right: f32) -> f64 {
        let width = f64::from((right - left).max(1.0));
        self.start + f64::from(x - left) / width * self.duration()
    }

    /// Nanoseconds covered by one pixel for a view `width_px` wide.
    pub fn ns_per_px(&self, width_px: f32) -> f64 {
        self.duration() / f64::from(width_px.max(1.0))
    }

    /// Zoom by `factor` (< 1 zooms in) keeping instant `anchor` at the same place on screen, as
    /// wheel zoom at the cursor does. The result never gets narrower than [`MIN_WINDOW_NS`].
    pub fn zoom_at(&mut self, anchor: f64, factor: f64) {
        let factor = if factor.is_finite() && factor > 0.0 {
            factor
        } else {
            1.0
        };
        let new_duration = (self.duration() * factor).max(MIN_WINDOW_NS);
        let real_factor = new_duration / self.duration();
        self.start = anchor - (anchor - self.start) * real_factor;
        self.end = self.start + new_duration;
    }

    /// Move the window by `dt` ns (positive moves later in time).
    pub fn pan_by(&mut self, dt: f64) {
        if dt.is_finite() {
            self.start += dt;
            self.end += dt;
        }
    }

    /// Keep the window within `[bounds.start, bounds.end]` as much as its width allows, so the
    /// user cannot lose the trace off screen. A window wider than the bounds is centred on them.
    pub fn keep_within(&mut self, bounds: TimeWindow) {
        let duration = self.duration().min(bounds.duration() * 4.0);
        if duration >= bounds.duration() {
            let centre = (bounds.start + bounds.end) / 2.0;
            self.start = centre - duration / 2.0;
            self.end = centre + duration / 2.0;
            return;
        }
        if self.start < bounds.start {
            self.start = bounds.start;
        } else if self.start + duration > bounds.end {
            self.start = bounds.end - duration;
        }
        self.end = self.start + duration;
    }

    /// The window that shows `[start, end]` with 10 % air on each side (double-click zoom).
    pub fn around(start: f64, end: f64) -> Self {
        let duration = (end - start).max(MIN_WINDOW_NS);
        let margin = duration * 0.1;
        Self::new(start - margin, start + duration + margin)
    }

    /// True when `[start, end)` intersects the window.
    pub fn overlaps(&self, start: f64, end: f64) -> bool {
        start < self.end && end > self.start
    }
}

/// A duration in the unit that reads best: `850 ns`, `12.5 µs`, `3.20 ms`, `1.50 s`.
pub fn format_duration(ns: f64) -> String {
    let abs = ns.abs();
    let (value, unit) = if abs < 1e3 {
        return format!("{ns:.0} ns");
    } else if abs < 1e6 {
        (ns / 1e3, "µs")
    } else if abs < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let abs_value = value.abs();
    if abs_value >= 100.0 {
        format!("{value:.0} {unit}")
    } else if abs_value >= 10.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.2} {unit}")
    }
}

/// A whole-number duration in ns, for tables and details where precision matters more.
pub fn format_duration_u64(ns: u64) -> String {
    format_duration(ns as f64)
}

/// The spacing between ruler ticks: the smallest 1, 2 or 5 × 10^k ns step that leaves at least
/// `min_px` pixels between ticks.
pub fn tick_step(ns_per_px: f64, min_px: f64) -> f64 {
    let wanted = (ns_per_px * min_px).max(1.0);
    let mut magnitude = 10f64.powf(wanted.log10().floor());
    loop {
        for multiple in [1.0, 2.0, 5.0] {
            let step = magnitude * multiple;
            if step >= wanted {
                return step;
            }
        }
        magnitude *= 10.0;
    }
}

/// A ruler label for instant `t` on a ruler whose ticks are `step` ns apart: the unit follows
/// the step, with just enough decimals to tell neighbouring ticks apart.
pub fn format_tick(t: f64, step: f64) -> String {
    // The largest unit in which a step is at least half a unit: `1.5 ms`, not `1500 µs`, for
    // 500 µs steps; `300 ns`, not `0.3 µs`, for 100 ns steps.
    let (scale, unit) = if step < 5e2 {
        (1.0, "ns")
    } else if step < 5e5 {
        (1e3, "µs")
    } else if step < 5e8 {
        (1e6, "ms")
    } else {
        (1e9, "s")
    };
    let step_in_unit = step / scale;
    let decimals = if step_in_unit >= 1.0 {
        0
    } else {
        (-step_in_unit.log10()).ceil() as usize
    };
    format!("{:.*} {unit}", decimals, t / scale)
}

/// The tick instants inside `window`, `step` apart, aligned to multiples of `step`.
pub fn ticks(window: TimeWindow, step: f64) -> impl Iterator<Item = f64> {
    let first = (window.start / step).ceil() as i64;
    let last = (window.end / step).floor() as i64;
    (first..=last).map(move |i| i as f64 * step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_keeps_the_anchor_under_the_cursor() {
        let mut w = TimeWindow::new(0.0, 1000.0);
        let x_before = w.x_of(250.0, 0.0, 100.0);
        w.zoom_at(250.0, 0.5);
        assert!((w.duration() - 500.0).abs() < 1e-9);
        let x_after = w.x_of(250.0, 0.0, 100.0);
        assert!((x_before - x_after).abs() < 1e-3, "{x_before} vs {x_after}");
    }

    #[test]
    fn zoom_stops_at_the_minimum_width() {
        let mut w = TimeWindow::new(0.0, 1000.0);
        for _ in 0..100 {
            w.zoom_at(500.0, 0.5);
        }
        assert!((w.duration() - MIN_WINDOW_NS).abs() < 1e-9);
        w.zoom_at(500.0, f64::NAN);
        assert!((w.duration() - MIN_WINDOW_NS).abs() < 1e-9);
    }

    #[test]
    fn pixel_and_time_round_trip() {
        let w = TimeWindow::new(1_000.0, 2_000.0);
        let x = w.x_of(1_500.0, 10.0, 110.0);
        assert!((x - 60.0).abs() < 1e-4);
        assert!((w.t_of(x, 10.0, 110.0) - 1_500.0).abs() < 1e-6);
    }

    #[test]
    fn keep_within_pulls_a_lost_window_back() {
        let bounds = TimeWindow::new(0.0, 1_000.0);
        let mut w = TimeWindow::new(5_000.0, 5_100.0);
        w.keep_within(bounds);
        assert_eq!(w, TimeWindow::new(900.0, 1_000.0));
        let mut wide = TimeWindow::new(-10_000.0, 10_000.0);
        wide.keep_within(bounds);
        assert!(wide.start <= 0.0 && wide.end >= 1_000.0);
        assert!((wide.start + wide.end - 1_000.0).abs() < 1e-6, "centred");
    }

    #[test]
    fn durations_read_in_the_right_unit() {
        assert_eq!(format_duration(850.0), "850 ns");
        assert_eq!(format_duration(12_500.0), "12.5 µs");
        assert_eq!(format_duration(3_200_000.0), "3.20 ms");
        assert_eq!(format_duration(1_500_000_000.0), "1.50 s");
        assert_eq!(format_duration(250_000_000.0), "250 ms");
    }

    #[test]
    fn tick_steps_are_1_2_5_and_wide_enough() {
        assert_eq!(tick_step(1.0, 80.0), 100.0);
        assert_eq!(tick_step(1.0, 150.0), 200.0);
        assert_eq!(tick_step(1.0, 300.0), 500.0);
        assert_eq!(tick_step(1_000.0, 80.0), 100_000.0);
        assert_eq!(tick_step(0.001, 80.0), 1.0);
    }

    #[test]
    fn tick_labels_have_the_unit_of_the_step() {
        assert_eq!(format_tick(1_500_000.0, 500_000.0), "1.5 ms");
        assert_eq!(format_tick(2_000_000.0, 1_000_000.0), "2 ms");
        assert_eq!(format_tick(300.0, 100.0), "300 ns");
        assert_eq!(format_tick(2_500.0, 500.0), "2.5 µs");
        assert_eq!(format_tick(1_400_000.0, 200_000.0), "1400 µs");
        assert_eq!(format_tick(2_000_000_000.0, 1e9), "2 s");
    }

    #[test]
    fn ticks_are_aligned_and_inside_the_window() {
        let t: Vec<f64> = ticks(TimeWindow::new(150.0, 520.0), 100.0).collect();
        assert_eq!(t, vec![200.0, 300.0, 400.0, 500.0]);
    }
}
