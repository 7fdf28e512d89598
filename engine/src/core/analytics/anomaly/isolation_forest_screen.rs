//! Screening of clearly normal points: a grid over the training data's quantiles whose cells carry
//! a lower bound of the forest's path-length sum for any point inside them.
//!
//! Most points a detector sees are normal, and walking every tree is the forest's main cost per
//! point. At training time each tree is descended once over the grid, and the shortest path any
//! point of a cell can take is summed over the trees. A point in a cell whose bound already reaches
//! the forest's early-stop sum cannot score above the threshold; two binary searches and one table
//! read prove it. Every other point is walked as before. The screen only ever answers "surely
//! normal", and only when the full walk would stop too, so results are exactly those of the walk.

use super::{LEAF, NOT_TIED, Tree};

/// Quantiles of the training data at which cell edges sit: dense in the tails, where points are
/// rare and trees isolate them early, then every 5% through the body.
const EDGE_QUANTILES: [f64; 27] = [
    0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55,
    0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 0.999,
];

/// Widest feature vector screened: the grid has the product of the features' cell counts.
pub(super) const MAX_SCREENED_FEATURES: usize = 2;

/// Cell index ranges `[start, end)` per feature, one per screened feature.
type CellRanges = [(usize, usize); MAX_SCREENED_FEATURES];

/// The grid and, per cell, whether every point in it surely scores at or below the threshold.
#[derive(Debug, Clone)]
pub(super) struct Screen {
    /// Per feature, the distinct cell edges in increasing order; cell `i` holds the values from
    /// edge `i - 1` (inclusive, minus infinity for the first) to edge `i` (exclusive).
    pub(super) edges: Vec<Vec<f64>>,
    /// Per cell (row-major over the features), whether its points are surely normal.
    normal: Vec<bool>,
}

impl Screen {
    /// Builds the screen of `trees` trained on `data` (rows of `width` features) whose walks stop
    /// once the path sum reaches `stop_sum`. `None` when the rows are too wide to screen.
    pub(super) fn build<R: AsRef<[f64]>>(
        trees: &[Tree],
        data: &[R],
        width: usize,
        stop_sum: f64,
    ) -> Option<Screen> {
        if width == 0 || width > MAX_SCREENED_FEATURES || !stop_sum.is_finite() {
            return None;
        }
        let edges: Vec<Vec<f64>> = (0..width).map(|f| quantile_edges(data, f)).collect();
        let cells: usize = edges.iter().map(|e| e.len() + 1).product();
        let mut lower = vec![0.0f64; cells];
        let mut tree_min = vec![f64::INFINITY; cells];
        let grid = Grid { edges: &edges };
        for tree in trees {
            tree_min.fill(f64::INFINITY);
            let mut all: CellRanges = [(0, 1); MAX_SCREENED_FEATURES];
            for (range, e) in all.iter_mut().zip(&edges) {
                *range = (0, e.len() + 1);
            }
            grid.descend(tree, 0, 0.0, all, &mut tree_min);
            // Summed tree by tree, in the order the walk adds path lengths: rounded addition is
            // monotone, so a bound below every path sums to a bound below the walk's sum.
            for (sum, min) in lower.iter_mut().zip(&tree_min) {
                *sum += min;
            }
        }
        let normal = lower.iter().map(|&sum| sum >= stop_sum).collect();
        Some(Screen { edges, normal })
    }

    /// Whether `x` surely scores at or below the threshold (`false` means "walk the trees").
    pub(super) fn surely_normal(&self, x: &[f64]) -> bool {
        let mut cell = 0;
        for (edges, &value) in self.edges.iter().zip(x) {
            if value.is_nan() {
                return false;
            }
            cell = cell * (edges.len() + 1) + edges.partition_point(|&e| e <= value);
        }
        self.normal[cell]
    }

    /// Share of the grid's cells that are surely normal (for tests and diagnostics).
    #[cfg(test)]
    pub(super) fn normal_share(&self) -> f64 {
        self.normal.iter().filter(|&&n| n).count() as f64 / self.normal.len() as f64
    }
}

/// The grid's edges during a descent.
struct Grid<'a> {
    edges: &'a [Vec<f64>],
}

impl Grid<'_> {
    /// Visits node `id` at `depth` whose region overlaps the cells in `ranges`, lowering each
    /// overlapped cell's minimum in `mins` to the shortest path a leaf below offers.
    fn descend(&self, tree: &Tree, id: usize, depth: f64, ranges: CellRanges, mins: &mut [f64]) {
        let node = tree.nodes[id];
        if node.feature == LEAF {
            // A tied leaf charges one more split to a point that differs from its shared row.
            let shortest = if node.left == NOT_TIED {
                node.value
            } else {
                node.value.min(1.0)
            };
            self.lower_cells(ranges, depth + shortest, mins);
            return;
        }
        let f = node.feature as usize;
        let edges = &self.edges[f];
        let (start, end) = ranges[f];
        // Left holds `x < value`: cells whose lower edge is below the value.
        let left_end = end.min(edges.partition_point(|&e| e < node.value) + 1);
        // Right holds `x >= value`: cells whose upper edge is above it.
        let right_start = start.max(edges.partition_point(|&e| e <= node.value));
        let child = node.left as usize;
        if start < left_end {
            let mut left = ranges;
            left[f] = (start, left_end);
            self.descend(tree, child, depth + 1.0, left, mins);
        }
        if right_start < end {
            let mut right = ranges;
            right[f] = (right_start, end);
            self.descend(tree, child + 1, depth + 1.0, right, mins);
        }
    }

    /// Lowers the minimum of every cell in `ranges` to `path` (a single feature has one column).
    fn lower_cells(&self, ranges: CellRanges, path: f64, mins: &mut [f64]) {
        let row = self.edges.get(1).map_or(1, |e| e.len() + 1);
        let (first, last) = ranges[1];
        for i in ranges[0].0..ranges[0].1 {
            for min in &mut mins[i * row + first..i * row + last] {
                *min = min.min(path);
            }
        }
    }
}

/// The distinct values of feature `f` at [`EDGE_QUANTILES`] of `data`, in increasing order.
fn quantile_edges<R: AsRef<[f64]>>(data: &[R], f: usize) -> Vec<f64> {
    let mut column: Vec<f64> = data
        .iter()
        .map(|row| row.as_ref()[f])
        .filter(|v| !v.is_nan())
        .collect();
    if column.is_empty() {
        return Vec::new();
    }
    column.sort_unstable_by(f64::total_cmp);
    let last = column.len() - 1;
    let mut edges: Vec<f64> = EDGE_QUANTILES
        .iter()
        .map(|q| column[(q * last as f64).round() as usize])
        .collect();
    edges.dedup();
    edges
}
