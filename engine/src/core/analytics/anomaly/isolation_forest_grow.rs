//! Growing one isolation tree: random splits over a flat copy of the sampled rows, each node
//! partitioning its rows and measuring both children's feature ranges in one pass.

use super::{LEAF, NOT_TIED, Node, Tree, average_path_length};
use rand::Rng;
use rand::rngs::StdRng;

/// A tree being grown, with its random source and the feature ranges of the nodes on the
/// current path: per depth, `width` ranges of the left child then `width` of the right one, so
/// a node's split measures its children's ranges without a fixed-size array per node.
pub(super) struct Grower<'a> {
    pub(super) tree: Tree,
    pub(super) rng: &'a mut StdRng,
    pub(super) ranges: Vec<(f64, f64)>,
}

impl Grower<'_> {
    /// Makes node `id` a leaf over `n` rows, recording their shared row if they are several and identical.
    pub(super) fn leaf(&mut self, id: usize, rows: &[f64], n: usize) {
        let tree = &mut self.tree;
        let mut left = NOT_TIED;
        let w = tree.width;
        if n > 1 && w > 0 {
            let first = &rows[..w];
            if rows.chunks_exact(w).all(|r| r == first) {
                left = (tree.tied_rows.len() / w) as u32;
                tree.tied_rows.extend_from_slice(first);
            }
        }
        tree.nodes[id] = Node {
            value: average_path_length(n),
            feature: LEAF,
            left,
        };
    }

    /// Splits node `id` at `depth` over `rows` (a multiple of the non-zero width, each feature
    /// spanning the ranges at `self.ranges[at..]`) for at most `levels` more levels.
    pub(super) fn grow(
        &mut self,
        id: usize,
        rows: &mut [f64],
        at: usize,
        depth: usize,
        levels: usize,
    ) {
        let w = self.tree.width;
        let n = rows.len() / w;
        if levels == 0 || n <= 1 {
            self.leaf(id, rows, n);
            return;
        }
        let splittable = |&(lo, hi): &(f64, f64)| hi > lo;
        let own = &self.ranges[at..at + w];
        let count = own.iter().filter(|r| splittable(r)).count();
        if count == 0 {
            self.leaf(id, rows, n);
            return;
        }
        let pick = self.rng.random_range(0..count);
        let (feature, &(lo, hi)) = own
            .iter()
            .enumerate()
            .filter(|(_, r)| splittable(r))
            .nth(pick)
            .expect("pick < count");
        let value = self.rng.random_range(lo..hi);
        let below = 2 * w * (depth + 1);
        let sides = &mut self.ranges[below..below + 2 * w];
        // Two features (the event forest's rows) get a copy of the loop with a constant width.
        let split = if w == 2 {
            partition(rows, 2, feature, value, sides)
        } else {
            partition(rows, w, feature, value, sides)
        };
        let tree = &mut self.tree;
        let left = tree.nodes.len();
        let leaf = Node {
            value: 0.0,
            feature: LEAF,
            left: NOT_TIED,
        };
        tree.nodes.extend([leaf, leaf]);
        tree.nodes[id] = Node {
            value,
            feature: feature as u32,
            left: left as u32,
        };
        let (left_rows, right_rows) = rows.split_at_mut(split * w);
        self.grow(left, left_rows, below, depth + 1, levels - 1);
        self.grow(left + 1, right_rows, below + w, depth + 1, levels - 1);
    }
}

/// Moves the rows of `rows` (`w` values each) with `feature < value` to the front, measures
/// both sides' ranges into `sides` (`w` for the left side, then `w` for the right) and returns
/// the number of left rows. One branch-free pass: every row is swapped to `split` (a right row
/// just trades places with another right row) and `split` advances for left rows, so a random
/// comparison costs no misprediction. Row order inside a side never changes the tree grown
/// from it. Always inlined, so a call with a constant `w` compiles to a loop for that width.
#[allow(clippy::inline_always)] // the constant-width copy is the point of this function
#[inline(always)]
fn partition(
    rows: &mut [f64],
    w: usize,
    feature: usize,
    value: f64,
    sides: &mut [(f64, f64)],
) -> usize {
    sides.fill(EMPTY_RANGE);
    let mut split = 0;
    for i in 0..rows.len() / w {
        let is_left = usize::from(rows[i * w + feature] < value);
        let side = (1 - is_left) * w;
        widen(&mut sides[side..side + w], &rows[i * w..i * w + w]);
        for k in 0..w {
            rows.swap(i * w + k, split * w + k);
        }
        split += is_left;
    }
    split
}

/// The range of no rows: from `f64::MAX` down to `f64::MIN`.
pub(super) const EMPTY_RANGE: (f64, f64) = (f64::MAX, f64::MIN);

/// Widens `ranges` (smallest and largest value of each feature) to hold `row`. Plain
/// comparisons (a NaN never widens, as with `f64::min`) compile to single min and max instructions.
pub(super) fn widen(ranges: &mut [(f64, f64)], row: &[f64]) {
    for (range, &v) in ranges.iter_mut().zip(row) {
        let (lo, hi) = *range;
        *range = (if v < lo { v } else { lo }, if v > hi { v } else { hi });
    }
}
