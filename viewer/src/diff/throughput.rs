//! How much each run got done, and how fast: the headline of a comparison.

use serde::Serialize;

use super::change::{Change, RateChange};
use crate::analysis::Analysis;
use crate::model::Model;

/// Run-wide totals and rates in A and in B.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Throughput {
    /// From the first to the last event.
    pub duration_ns: Change,
    /// Events recorded.
    pub events: Change,
    /// Events per second of the run.
    pub events_per_second: RateChange,
    /// Tasks seen.
    pub tasks: Change,
    /// Tasks that finished: exited, or (the main thread) ended with the program.
    pub tasks_completed: Change,
    /// Tasks completed per second of the run.
    pub tasks_completed_per_second: RateChange,
    /// Channel messages delivered (sends that succeeded): often the unit of work.
    pub messages: Change,
    /// Messages per second of the run.
    pub messages_per_second: RateChange,
    /// The most tasks alive at once.
    pub peak_live: Change,
    /// All blocked time, summed over tasks.
    pub blocked_ns: Change,
}

/// One run's totals.
struct Totals {
    duration_ns: u64,
    events: u64,
    tasks: u64,
    completed: u64,
    messages: u64,
    peak_live: u64,
    blocked_ns: u64,
}

impl Totals {
    fn of(model: &Model, analysis: &Analysis) -> Totals {
        let messages = model
            .object_ixs()
            .filter(|&o| model.object(o).kind.is_channel())
            .map(|o| {
                model
                    .object_events(o)
                    .rows()
                    .iter()
                    .filter(|e| e.op().sent_message())
                    .count() as u64
            })
            .sum();
        Totals {
            duration_ns: model.duration_ns(),
            events: model.event_count(),
            tasks: model.tasks().len() as u64,
            completed: analysis.fates.iter().filter(|f| f.is_finished()).count() as u64,
            messages,
            peak_live: analysis.peak_live,
            blocked_ns: analysis.blocking.total_ns,
        }
    }
}

impl Throughput {
    /// Totals and rates of run A against run B.
    pub fn new(a: &Model, a_analysis: &Analysis, b: &Model, b_analysis: &Analysis) -> Throughput {
        let (x, y) = (Totals::of(a, a_analysis), Totals::of(b, b_analysis));
        let rate = |count: fn(&Totals) -> u64| {
            RateChange::per_second(count(&x), x.duration_ns, count(&y), y.duration_ns)
        };
        Throughput {
            duration_ns: Change::new(x.duration_ns, y.duration_ns),
            events: Change::new(x.events, y.events),
            events_per_second: rate(|t| t.events),
            tasks: Change::new(x.tasks, y.tasks),
            tasks_completed: Change::new(x.completed, y.completed),
            tasks_completed_per_second: rate(|t| t.completed),
            messages: Change::new(x.messages, y.messages),
            messages_per_second: rate(|t| t.messages),
            peak_live: Change::new(x.peak_live, y.peak_live),
            blocked_ns: Change::new(x.blocked_ns, y.blocked_ns),
        }
    }

    /// How many times faster B ran than A (`a / b` duration); `None` if B took no time.
    pub fn speedup(&self) -> Option<f64> {
        (self.duration_ns.b != 0).then(|| self.duration_ns.a as f64 / self.duration_ns.b as f64)
    }
}
