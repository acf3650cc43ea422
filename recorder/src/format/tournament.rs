//! The tournament that merges the workers' event streams by time: which worker has the
//! earliest next event, ties to the lower one.
//!
//! A tree of losers: the earliest is the champion, and replacing it replays only its path to
//! the root, one match per level against the loser stored there. Each node holds its loser's
//! whole key, the worker packed into the key's low bits, so a match is a `min` and a `max` of
//! two integers: no branch to mispredict (which side wins is as good as random), and no load
//! that waits on the match before it, since a path's nodes are known from its leaf.
//!
//! Keys are 64 bits, a time relative to the earliest first event above the worker's bits,
//! while every time fits (57 bits, 4.5 years, with 128 workers). A file whose times do not
//! (a hostile one, or one spanning years) switches the tournament to 128-bit keys, the
//! absolute time above 32 bits of worker, for the rest of the merge: slower, the same order.

/// The tournament over `leaves` workers' next event times.
pub(crate) struct Tournament {
    tree: Tree,
    /// Leaves beyond this (up to the tree's power of two) have no worker.
    leaves: usize,
}

enum Tree {
    Narrow {
        tree: LoserTree<u64>,
        /// Times are stored as `time - base`, below `limit`.
        base: u64,
        limit: u64,
    },
    Wide(LoserTree<u128>),
}

impl Tournament {
    /// A tournament whose leaf `i` starts at time `heads[i]` (`None`: that worker has none).
    pub fn new(heads: &[Option<u64>]) -> Self {
        let size = heads.len().next_power_of_two().max(1);
        let leaf_bits = size.trailing_zeros();
        let base = heads.iter().flatten().copied().min().unwrap_or(0);
        let limit = u64::MAX >> leaf_bits;
        let narrow = heads
            .iter()
            .flatten()
            .all(|&ts| ts.wrapping_sub(base) < limit);
        let tree = if narrow {
            Tree::Narrow {
                tree: LoserTree::new(size, |leaf| {
                    heads
                        .get(leaf)
                        .copied()
                        .flatten()
                        .map(|ts| u64::pack(ts - base, leaf, leaf_bits))
                }),
                base,
                limit,
            }
        } else {
            Tree::Wide(Self::wide(size, heads.len(), |leaf| heads[leaf]))
        };
        Tournament {
            tree,
            leaves: heads.len(),
        }
    }

    /// A tree of 128-bit keys, `head` asked for the leaves below `leaves`.
    fn wide(size: usize, leaves: usize, head: impl Fn(usize) -> Option<u64>) -> LoserTree<u128> {
        LoserTree::new(size, |leaf| {
            let ts = if leaf < leaves { head(leaf) } else { None };
            ts.map(|ts| u128::pack(ts, leaf, 0))
        })
    }

    /// The leaf with the earliest next event (ties to the lower leaf), unless all are done.
    #[inline]
    pub fn champion(&self) -> Option<usize> {
        match &self.tree {
            Tree::Narrow { tree, .. } => tree.champion(),
            Tree::Wide(tree) => tree.champion(),
        }
    }

    /// The champion's next event is at `next` (`None`: it has no more): replays its path.
    /// `head(leaf)` tells the next time of every other leaf (below the count given to
    /// [`Tournament::new`]), asked only if `next` is too far from the others for narrow keys
    /// and the tournament has to be rebuilt wide.
    #[inline]
    pub fn replace_champion(&mut self, next: Option<u64>, head: impl Fn(usize) -> Option<u64>) {
        match &mut self.tree {
            Tree::Narrow { tree, base, limit } => {
                let Some(leaf) = tree.champion() else {
                    return;
                };
                let key = match next {
                    None => u64::EXHAUSTED,
                    Some(ts) if ts.wrapping_sub(*base) < *limit => {
                        // Below the base only with a single leaf (no bits, limit `u64::MAX`),
                        // whose order does not matter.
                        u64::pack(ts.wrapping_sub(*base), leaf, tree.leaf_bits)
                    }
                    Some(_) => {
                        let size = tree.size;
                        self.tree = Tree::Wide(Self::wide(size, self.leaves, |l| {
                            if l == leaf {
                                next
                            } else {
                                head(l)
                            }
                        }));
                        return;
                    }
                };
                tree.replay(leaf, key);
            }
            Tree::Wide(tree) => {
                let Some(leaf) = tree.champion() else {
                    return;
                };
                let key = next.map_or(u128::EXHAUSTED, |ts| u128::pack(ts, leaf, 0));
                tree.replay(leaf, key);
            }
        }
    }

    /// Whether the keys are 64-bit (for tests).
    #[cfg(test)]
    fn is_narrow(&self) -> bool {
        matches!(self.tree, Tree::Narrow { .. })
    }
}

/// A merge key: a time above a leaf's bits, ordered as (time, leaf).
trait Key: Copy + Ord {
    /// Above every event's key: a leaf with no more events.
    const EXHAUSTED: Self;
    fn pack(time: u64, leaf: usize, leaf_bits: u32) -> Self;
    fn leaf(self, leaf_bits: u32) -> usize;
}

impl Key for u64 {
    const EXHAUSTED: u64 = u64::MAX;

    /// `time` is below `u64::MAX >> leaf_bits`, so the key is below `EXHAUSTED`.
    #[inline(always)]
    fn pack(time: u64, leaf: usize, leaf_bits: u32) -> u64 {
        (time << leaf_bits) | leaf as u64
    }

    #[inline(always)]
    fn leaf(self, leaf_bits: u32) -> usize {
        (self & ((1u64 << leaf_bits) - 1)) as usize
    }
}

impl Key for u128 {
    const EXHAUSTED: u128 = u128::MAX;

    /// The leaf always takes the low 32 bits, whatever the tree's size. Leaves are worker
    /// slots, which the reader bounds far below `u32::MAX`: the key is below `EXHAUSTED` even
    /// at time `u64::MAX`.
    #[inline(always)]
    fn pack(time: u64, leaf: usize, _leaf_bits: u32) -> u128 {
        (u128::from(time) << 32) | leaf as u128
    }

    #[inline(always)]
    fn leaf(self, _leaf_bits: u32) -> usize {
        (self as u32) as usize
    }
}

struct LoserTree<K> {
    /// `nodes[0]` is the champion's key; `nodes[n]` for `1..size` the loser of the match at
    /// node `n`, whose children are `2n` and `2n + 1` (leaves are `size..2 * size`).
    nodes: Vec<K>,
    size: usize,
    leaf_bits: u32,
}

impl<K: Key> LoserTree<K> {
    /// Plays every match from the leaves (`size` of them, a power of two) up.
    fn new(size: usize, key: impl Fn(usize) -> Option<K>) -> Self {
        let leaf_bits = size.trailing_zeros();
        let mut winners = vec![K::EXHAUSTED; 2 * size];
        for leaf in 0..size {
            winners[size + leaf] = key(leaf).unwrap_or(K::EXHAUSTED);
        }
        let mut nodes = vec![K::EXHAUSTED; size];
        for node in (1..size).rev() {
            let (l, r) = (winners[2 * node], winners[2 * node + 1]);
            nodes[node] = l.max(r);
            winners[node] = l.min(r);
        }
        nodes[0] = winners[1];
        LoserTree {
            nodes,
            size,
            leaf_bits,
        }
    }

    #[inline]
    fn champion(&self) -> Option<usize> {
        let key = self.nodes[0];
        (key != K::EXHAUSTED).then(|| key.leaf(self.leaf_bits))
    }

    /// Replays the path of `leaf` (the champion) with its new key.
    #[inline]
    fn replay(&mut self, leaf: usize, key: K) {
        let mut winner = key;
        let mut node = (leaf + self.size) / 2;
        while node >= 1 {
            let other = self.nodes[node];
            self.nodes[node] = winner.max(other);
            winner = winner.min(other);
            node /= 2;
        }
        self.nodes[0] = winner;
    }
}

#[cfg(test)]
mod tests {
    use super::Tournament;

    /// Drains the tournament over per-leaf queues of times, as the merge does.
    fn drain(queues: &[Vec<u64>]) -> (Vec<(u64, usize)>, bool) {
        let mut next = vec![0usize; queues.len()];
        let heads: Vec<Option<u64>> = queues.iter().map(|q| q.first().copied()).collect();
        let mut t = Tournament::new(&heads);
        let mut narrow_all_along = t.is_narrow();
        let mut out = Vec::new();
        while let Some(leaf) = t.champion() {
            out.push((queues[leaf][next[leaf]], leaf));
            next[leaf] += 1;
            let following = queues[leaf].get(next[leaf]).copied();
            t.replace_champion(following, |l| queues[l].get(next[l]).copied());
            narrow_all_along &= t.is_narrow();
        }
        (out, narrow_all_along)
    }

    fn sorted(queues: &[Vec<u64>]) -> Vec<(u64, usize)> {
        let mut all: Vec<(u64, usize)> = queues
            .iter()
            .enumerate()
            .flat_map(|(leaf, q)| q.iter().map(move |&ts| (ts, leaf)))
            .collect();
        all.sort();
        all
    }

    #[test]
    fn merges_by_time_then_leaf_with_narrow_keys() {
        let queues = vec![
            vec![5, 5, 9, 12],
            vec![],
            vec![1, 5, 30],
            vec![5, 6],
            vec![2],
        ];
        let (out, narrow) = drain(&queues);
        assert_eq!(out, sorted(&queues));
        assert!(narrow);
    }

    #[test]
    fn one_leaf_and_no_leaves() {
        assert_eq!(drain(&[vec![3, 4, 4]]).0, vec![(3, 0), (4, 0), (4, 0)]);
        // A lone worker going back below where it began merges as it comes.
        assert_eq!(drain(&[vec![5, 2, 7]]).0, vec![(5, 0), (2, 0), (7, 0)]);
        assert_eq!(drain(&[]).0, vec![]);
        assert_eq!(drain(&[vec![], vec![]]).0, vec![]);
    }

    #[test]
    fn times_too_far_apart_for_narrow_keys_switch_to_wide_keys_in_the_same_order() {
        // Three leaves: two bits of leaf, so narrow times must stay below 2^62 from the base.
        let far = 1u64 << 62;
        let cases = [
            // Too far from the start already.
            vec![vec![10, 20], vec![far + 10], vec![15]],
            // Found far only mid-merge, and at the very end of time.
            vec![
                vec![10, far + 11, u64::MAX],
                vec![12, u64::MAX],
                vec![11, far + 11],
            ],
        ];
        for queues in cases {
            let (out, narrow) = drain(&queues);
            assert_eq!(out, sorted(&queues), "{queues:?}");
            assert!(!narrow, "{queues:?}");
        }
        // Earlier than the base (a damaged worker), mid-merge: a worker's times going back
        // merge as they come, 3 right after that worker's 102.
        let (out, narrow) = drain(&[vec![100, 101], vec![102, 3], vec![103]]);
        assert_eq!(out, vec![(100, 0), (101, 0), (102, 1), (3, 1), (103, 2)]);
        assert!(!narrow);
    }

    #[test]
    fn many_leaves_interleaved() {
        // 40 leaves (64 in the tree), steps of 0 to 2 ns in a pattern that differs by leaf:
        // ties everywhere.
        let queues: Vec<Vec<u64>> = (0..40u64)
            .map(|leaf| {
                (0..200u64)
                    .scan(1_000_000, |t, i| {
                        *t += (leaf * 7 + i * i * 13) % 3;
                        Some(*t)
                    })
                    .collect()
            })
            .collect();
        let (out, narrow) = drain(&queues);
        assert_eq!(out, sorted(&queues));
        assert!(narrow);
    }
}
