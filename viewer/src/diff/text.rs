//! How a change reads in words — `+7.5 ms`, `0.25×`, `gone`, `2.6k/s` — shared by `weft diff`
//! and the viewer's compare view, so that a terminal and the window say the same thing.

use super::change::{Change, RateChange};
use super::throughput::Throughput;
use crate::analysis::format_ns;

/// `+7.5 ms`, `-191.6 ms`, `0 ns`.
pub fn signed_ns(delta: i64) -> String {
    let sign = match delta {
        d if d > 0 => "+",
        d if d < 0 => "-",
        _ => "",
    };
    format!("{sign}{}", format_ns(delta.unsigned_abs()))
}

/// `+3`, `-2`, `0`.
pub fn signed_count(delta: i64) -> String {
    if delta > 0 {
        format!("+{delta}")
    } else {
        delta.to_string()
    }
}

/// `0.26×`, or `new` / `gone` when one side is zero.
pub fn ratio(c: &Change) -> String {
    match (c.a, c.b, c.ratio) {
        (0, 0, _) => "–".into(),
        (0, _, _) => "new".into(),
        (_, 0, _) => "gone".into(),
        (_, _, Some(r)) => format!("{r:.2}×"),
        (_, _, None) => "–".into(),
    }
}

/// A rate per second: `12.3/s`, `2.6k/s`, `1.20M/s`.
pub fn rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2}M/s", per_second / 1e6)
    } else if per_second >= 1e3 {
        format!("{:.1}k/s", per_second / 1e3)
    } else {
        format!("{per_second:.1}/s")
    }
}

/// A change of rate: `+2.6k/s`, `-12.3/s`.
pub fn signed_rate(delta: f64) -> String {
    let sign = if delta > 0.0 {
        "+"
    } else if delta < 0.0 {
        "-"
    } else {
        ""
    };
    format!("{sign}{}", rate(delta.abs()))
}

/// `1.50×`, or `new` when A had none.
pub fn rate_ratio(r: &RateChange) -> String {
    match r.ratio {
        Some(x) => format!("{x:.2}×"),
        None if r.b > 0.0 => "new".into(),
        None => "–".into(),
    }
}

/// A duration in one run, or `–` when the row is not in that run at all.
pub fn side_ns(ns: u64, present: bool) -> String {
    if present {
        format_ns(ns)
    } else {
        "–".into()
    }
}

/// A count in one run, or `–` when the row is not in that run at all.
pub fn side_count(n: u64, present: bool) -> String {
    if present {
        n.to_string()
    } else {
        "–".into()
    }
}

/// The throughput table, one row per measure: its name, then A, B, delta and ratio in words.
pub fn throughput_rows(t: &Throughput) -> Vec<(&'static str, [String; 4])> {
    let ns = |c: &Change| [format_ns(c.a), format_ns(c.b), signed_ns(c.delta), ratio(c)];
    let n = |c: &Change| {
        [
            c.a.to_string(),
            c.b.to_string(),
            signed_count(c.delta),
            ratio(c),
        ]
    };
    let r = |c: &RateChange| [rate(c.a), rate(c.b), signed_rate(c.delta), rate_ratio(c)];
    vec![
        ("duration", ns(&t.duration_ns)),
        ("tasks completed", n(&t.tasks_completed)),
        ("tasks completed / s", r(&t.tasks_completed_per_second)),
        ("messages", n(&t.messages)),
        ("messages / s", r(&t.messages_per_second)),
        ("events", n(&t.events)),
        ("events / s", r(&t.events_per_second)),
        ("tasks", n(&t.tasks)),
        ("peak live tasks", n(&t.peak_live)),
        ("blocked (all tasks)", ns(&t.blocked_ns)),
    ]
}

/// How B's pace compares with A's: `B ran 1.92× faster`.
pub fn pace(t: &Throughput) -> String {
    let (a, b) = (t.duration_ns.a, t.duration_ns.b);
    match t.speedup() {
        Some(s) if b < a => format!("B ran {s:.2}× faster"),
        Some(s) if b > a && s > 0.0 => format!("B ran {:.2}× slower", 1.0 / s),
        _ => "the same duration".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_changes() {
        assert_eq!(signed_ns(-191_600_000), "-191.6 ms");
        assert_eq!(signed_ns(7_500), "+7.5 µs");
        assert_eq!(signed_ns(0), "0 ns");
        assert_eq!(ratio(&Change::new(40, 10)), "0.25×");
        assert_eq!(ratio(&Change::new(0, 10)), "new");
        assert_eq!(ratio(&Change::new(10, 0)), "gone");
        assert_eq!(ratio(&Change::new(0, 0)), "–");
        assert_eq!(rate(2649.3), "2.6k/s");
        assert_eq!(signed_rate(-12.34), "-12.3/s");
        assert_eq!(signed_count(3), "+3");
        assert_eq!(side_ns(5, false), "–");
        assert_eq!(side_count(5, true), "5");
    }
}
