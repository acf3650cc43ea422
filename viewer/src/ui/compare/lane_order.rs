//! The lanes of the two halves, matched: the tasks both runs have, in the same order in both
//! halves (A's order: by spawn site, then spawn time), then the ones only one run has.
//!
//! The pairing is [`LaneMatching`]'s (name and spawn site); this module only decides the order,
//! so that a task of A and its counterpart in B sit at the same height in their halves.

use crate::diff::LaneMatching;
use crate::model::TaskIx;

use super::super::document::Document;
use super::super::lanes::{GroupKey, LaneKey, LaneSection};

/// The section of the tasks both runs have.
pub const MATCHED: GroupKey = GroupKey::Section(0);
/// The section of the tasks only this half's run has.
pub const ONLY_HERE: GroupKey = GroupKey::Section(1);

/// How many tasks were matched between the runs, and how many are in one run only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneCounts {
    /// Tasks in both runs.
    pub matched: usize,
    /// Tasks only in A.
    pub only_a: usize,
    /// Tasks only in B.
    pub only_b: usize,
}

/// Both halves' lanes.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneOrder {
    /// Run A's sections.
    pub a: Vec<LaneSection>,
    /// Run B's sections.
    pub b: Vec<LaneSection>,
    /// How many lanes are matched or in one run only.
    pub counts: LaneCounts,
}

/// Tasks in a document's catalog order (by spawn site, then by spawn time).
fn catalog_order(doc: &Document) -> impl Iterator<Item = TaskIx> + '_ {
    doc.catalog
        .task_groups
        .iter()
        .flat_map(|g| g.tasks.iter().copied())
}

/// The matched and unmatched lanes of `a` and `b`.
pub fn order(a: &Document, b: &Document, matching: &LaneMatching) -> LaneOrder {
    let mut matched_a = Vec::new();
    let mut matched_b = Vec::new();
    let mut only_a = Vec::new();
    for t in catalog_order(a) {
        match matching.b_for(t) {
            Some(other) => {
                matched_a.push(LaneKey::Task(t));
                matched_b.push(LaneKey::Task(other));
            }
            None => only_a.push(LaneKey::Task(t)),
        }
    }
    let only_b: Vec<LaneKey> = catalog_order(b)
        .filter(|&t| matching.a_for(t).is_none())
        .map(LaneKey::Task)
        .collect();
    let counts = LaneCounts {
        matched: matched_a.len(),
        only_a: only_a.len(),
        only_b: only_b.len(),
    };
    let sections = |matched: Vec<LaneKey>, only: Vec<LaneKey>, run: &str| {
        vec![
            LaneSection {
                key: MATCHED,
                label: "Tasks in both runs".to_owned(),
                lanes: matched,
            },
            LaneSection {
                key: ONLY_HERE,
                label: format!("Only in {run}"),
                lanes: only,
            },
        ]
    };
    LaneOrder {
        a: sections(matched_a, only_a, "A"),
        b: sections(matched_b, only_b, "B"),
        counts,
    }
}
