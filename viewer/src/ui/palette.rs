//! Colours: one per task state (the legend), and the marks that must stand out (leaks,
//! deadlocks, the selection, causal arrows).
//!
//! Blocked states are warm (channel waits orange/amber, lock waits red) so contention jumps out
//! against the green of running work; waits that end on their own (sleep, park) are cool and
//! quiet because they are usually intended.

use eframe::egui::{Color32, RichText, Ui};

use crate::model::{BlockReason, State};

/// The colour of a state on every timeline, plot and table.
pub fn state_colour(state: State) -> Color32 {
    match state {
        State::Runnable => Color32::from_rgb(214, 196, 110),
        State::Running => Color32::from_rgb(76, 175, 80),
        State::Blocked(reason) => blocked_colour(reason),
        State::Done => Color32::from_rgb(70, 70, 76),
    }
}

fn blocked_colour(reason: BlockReason) -> Color32 {
    match reason {
        BlockReason::Send => Color32::from_rgb(236, 122, 36),
        BlockReason::Recv => Color32::from_rgb(246, 178, 52),
        BlockReason::Select => Color32::from_rgb(214, 152, 96),
        BlockReason::Lock => Color32::from_rgb(218, 58, 58),
        BlockReason::LockRead => Color32::from_rgb(236, 110, 122),
        BlockReason::Join => Color32::from_rgb(152, 104, 214),
        BlockReason::Park => Color32::from_rgb(92, 142, 212),
        BlockReason::Sleep => Color32::from_rgb(122, 134, 156),
        BlockReason::Condvar => Color32::from_rgb(204, 92, 174),
        BlockReason::Resource => Color32::from_rgb(84, 176, 160),
        BlockReason::Await => Color32::from_rgb(128, 116, 196),
    }
}

/// Text drawn on top of a state's colour: dark on light fills, light on dark ones.
pub fn text_on(fill: Color32) -> Color32 {
    let luma =
        0.299 * f32::from(fill.r()) + 0.587 * f32::from(fill.g()) + 0.114 * f32::from(fill.b());
    if luma > 140.0 {
        Color32::from_rgb(20, 20, 24)
    } else {
        Color32::from_rgb(240, 240, 244)
    }
}

/// A human name for a state, as the legend and the details panel show it.
pub fn state_label(state: State) -> &'static str {
    match state {
        State::Runnable => "runnable",
        State::Running => "running",
        State::Done => "done",
        State::Blocked(reason) => match reason {
            BlockReason::Send => "blocked: send",
            BlockReason::Recv => "blocked: recv",
            BlockReason::Select => "blocked: select",
            BlockReason::Lock => "blocked: lock",
            BlockReason::LockRead => "blocked: read lock",
            BlockReason::Join => "blocked: join",
            BlockReason::Park => "blocked: park",
            BlockReason::Sleep => "sleeping",
            BlockReason::Condvar => "blocked: condvar",
            BlockReason::Resource => "blocked: resource",
            BlockReason::Await => "awaiting",
        },
    }
}

/// Leaked tasks: badge and the marker on their last span.
pub const LEAK: Color32 = Color32::from_rgb(255, 64, 96);
/// Deadlock cycles.
pub const DEADLOCK: Color32 = Color32::from_rgb(255, 40, 40);
/// The selection outline.
pub const SELECTION: Color32 = Color32::from_rgb(255, 255, 255);
/// The compare view's anchor line (aligned time zero).
pub const ANCHOR: Color32 = Color32::from_rgb(250, 210, 90);
/// Causal arrows of the selection.
pub const ARROW: Color32 = Color32::from_rgb(120, 200, 255);
/// The measurement band of a shift-drag.
pub const MEASURE: Color32 = Color32::from_rgba_premultiplied(40, 90, 140, 70);
/// Summary blocks (many spans merged under one pixel column) are drawn dimmer than real spans.
pub const SUMMARY_ALPHA: f32 = 0.75;

/// Every state in legend order, `Done` last.
pub fn legend_states() -> impl Iterator<Item = State> {
    (0..State::COUNT).filter_map(State::from_index)
}

/// The legend: a swatch per state that occurs in the trace (`present`, by [`State::index`]).
/// Clicking a state highlights it on the timelines (clicking it again clears the highlight),
/// which is why each entry is a named, selectable widget.
pub fn legend(ui: &mut Ui, highlight: &mut Option<State>, present: &[bool; State::COUNT]) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("States:").strong());
        for state in legend_states().filter(|s| present[s.index()]) {
            let selected = *highlight == Some(state);
            // The swatch is monospace: the proportional default font has no "■".
            ui.label(RichText::new("■").monospace().color(state_colour(state)));
            let text = RichText::new(state_label(state)).color(state_colour(state));
            let response = ui
                .selectable_label(selected, text)
                .on_hover_text(format!("Highlight {} spans", state_label(state)));
            if response.clicked() {
                *highlight = if selected { None } else { Some(state) };
            }
        }
        if highlight.is_some() && ui.small_button("clear highlight").clicked() {
            *highlight = None;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_its_own_colour_and_name() {
        let states: Vec<State> = legend_states().collect();
        assert_eq!(states.len(), State::COUNT);
        for (i, a) in states.iter().enumerate() {
            for b in &states[i + 1..] {
                assert_ne!(state_colour(*a), state_colour(*b), "{a:?} and {b:?}");
                assert_ne!(state_label(*a), state_label(*b));
            }
        }
    }

    #[test]
    fn text_contrasts_with_its_fill() {
        assert_eq!(text_on(Color32::WHITE), Color32::from_rgb(20, 20, 24));
        assert_eq!(text_on(Color32::BLACK), Color32::from_rgb(240, 240, 244));
    }
}
