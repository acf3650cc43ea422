//! One number in two runs: the value in A, in B, how far it moved and by what factor.

use serde::Serialize;

/// A count or a duration in run A and run B.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Change {
    /// The value in run A.
    pub a: u64,
    /// The value in run B.
    pub b: u64,
    /// `b - a`.
    pub delta: i64,
    /// `b / a`; `None` when `a` is 0 (nothing to compare against).
    pub ratio: Option<f64>,
}

impl Change {
    /// The change from `a` to `b`.
    pub fn new(a: u64, b: u64) -> Change {
        let delta = (i128::from(b) - i128::from(a)).clamp(i64::MIN as i128, i64::MAX as i128);
        Change {
            a,
            b,
            delta: delta as i64,
            ratio: (a != 0).then(|| b as f64 / a as f64),
        }
    }

    /// How far the value moved, whichever way: what "biggest change" sorts by.
    pub fn magnitude(&self) -> u64 {
        self.delta.unsigned_abs()
    }

    /// Both values are zero.
    pub fn is_zero(&self) -> bool {
        self.a == 0 && self.b == 0
    }
}

/// A rate (per second) in run A and run B.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RateChange {
    /// The rate in run A.
    pub a: f64,
    /// The rate in run B.
    pub b: f64,
    /// `b - a`.
    pub delta: f64,
    /// `b / a`; `None` when `a` is 0.
    pub ratio: Option<f64>,
}

impl RateChange {
    /// `count_a` per `ns_a` against `count_b` per `ns_b`, as rates per second (0 over a run of
    /// no duration).
    pub fn per_second(count_a: u64, ns_a: u64, count_b: u64, ns_b: u64) -> RateChange {
        let rate = |count: u64, ns: u64| {
            if ns == 0 {
                0.0
            } else {
                count as f64 * 1e9 / ns as f64
            }
        };
        let (a, b) = (rate(count_a, ns_a), rate(count_b, ns_b));
        RateChange {
            a,
            b,
            delta: b - a,
            ratio: (a != 0.0).then(|| b / a),
        }
    }
}

/// Whether something exists in one run, the other, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Only in run B: new.
    Appeared,
    /// Only in run A: gone.
    Disappeared,
    /// In both runs (its numbers may still differ).
    Persisted,
}

impl Status {
    /// From whether A and B have it; `None` when neither does.
    pub fn of(in_a: bool, in_b: bool) -> Option<Status> {
        match (in_a, in_b) {
            (true, true) => Some(Status::Persisted),
            (true, false) => Some(Status::Disappeared),
            (false, true) => Some(Status::Appeared),
            (false, false) => None,
        }
    }

    /// The stable name: `appeared`, `disappeared`, `persisted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Appeared => "appeared",
            Status::Disappeared => "disappeared",
            Status::Persisted => "persisted",
        }
    }

    /// Present in run A.
    pub fn in_a(self) -> bool {
        self != Status::Appeared
    }

    /// Present in run B.
    pub fn in_b(self) -> bool {
        self != Status::Disappeared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_and_ratios() {
        let c = Change::new(40, 10);
        assert_eq!(c.delta, -30);
        assert_eq!(c.ratio, Some(0.25));
        assert_eq!(c.magnitude(), 30);
        assert_eq!(Change::new(0, 5).ratio, None);
        assert_eq!(Change::new(5, 0).ratio, Some(0.0));
        assert_eq!(Change::new(u64::MAX, 0).delta, i64::MIN);
        let r = RateChange::per_second(10, 1_000_000_000, 30, 500_000_000);
        assert_eq!((r.a, r.b, r.ratio), (10.0, 60.0, Some(6.0)));
        assert_eq!(RateChange::per_second(10, 0, 1, 1).ratio, None);
    }

    #[test]
    fn changes_serialise_with_null_ratios() {
        let json = serde_json::to_value(Change::new(0, 3)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"a": 0, "b": 3, "delta": 3, "ratio": null})
        );
        let json = serde_json::to_value(Change::new(4, 2)).unwrap();
        assert_eq!(json["ratio"], 0.5);
    }
}
