//! Dense typed indices into the model's tables.
//!
//! The trace names tasks and objects by process-wide `u64` ids that are sparse and mean nothing
//! to a table. The model renumbers them densely (`TaskIx(0)`, `TaskIx(1)`, …) so every per-task or
//! per-object table is a plain `Vec` indexed without hashing, and a distinct type per table stops
//! a task index from being used as an object index. `u32` keeps the columns small: a trace of
//! more than four billion tasks or objects cannot be held in memory anyway.

use serde::{Deserialize, Serialize};

macro_rules! dense_index {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The position in the model's table.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }

            /// The index of position `i`. The model never holds more than `u32::MAX` entries
            /// (it stops reading a trace before that), so the conversion cannot wrap.
            #[inline]
            #[allow(dead_code)] // not every index type is built from a position
            pub(crate) fn at(i: usize) -> Self {
                debug_assert!(i < u32::MAX as usize);
                Self(i as u32)
            }
        }
    };
}

dense_index!(
    /// A task (a thread for std programs) in [`Model::tasks`](super::Model::tasks).
    TaskIx
);
dense_index!(
    /// A channel, lock or condition variable in [`Model::objects`](super::Model::objects).
    ObjectIx
);
dense_index!(
    /// An OS thread in [`Model::workers`](super::Model::workers); equal to the trace's `WorkerId`.
    WorkerIx
);
dense_index!(
    /// A causal link in [`Model::links`](super::Model::links).
    LinkIx
);
dense_index!(
    /// One blocking `select!` wait, see [`Model::select`](super::Model::select).
    SelectIx
);

/// A source site: the trace's `SiteId` (0 = unknown), resolved with
/// [`Model::site`](super::Model::site).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SiteIx(pub u32);

impl SiteIx {
    /// No known site.
    pub const UNKNOWN: SiteIx = SiteIx(0);

    /// True when the site is known.
    pub fn is_known(self) -> bool {
        self.0 != 0
    }

    /// The highest site the model stores (22 bits, so a span row packs into 8 bytes): a
    /// recorder numbers sites from 1 as it meets call sites, and no program has four million.
    /// A higher one (a corrupt file) reads as unknown.
    pub const MAX: SiteIx = SiteIx((1 << 22) - 1);

    /// This site, or [`SiteIx::UNKNOWN`] when beyond [`SiteIx::MAX`].
    pub(crate) fn stored(self) -> SiteIx {
        if self.0 > Self::MAX.0 {
            Self::UNKNOWN
        } else {
            self
        }
    }
}
