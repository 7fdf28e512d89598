//! Isolation forest (Liu, Ting and Zhou 2008): random axis-parallel splits isolate outliers in few steps.

use grow::{EMPTY_RANGE, Grower, widen};
use rand::SeedableRng;
use rand::rngs::StdRng;
use screen::Screen;
use std::hash::{BuildHasher, Hash, Hasher};

#[path = "isolation_forest_grow.rs"]
mod grow;
#[path = "isolation_forest_screen.rs"]
mod screen;
#[path = "isolation_forest_top.rs"]
mod top;

/// Expected path length of an unsuccessful search in a binary search tree of `n` points, `c(n)`.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + 0.577_215_664_901_532_9) - 2.0 * (n - 1.0) / n
        }
    }
}

/// Widest feature vector used (further features are ignored).
pub const MAX_FEATURES: usize = 16;

/// Distinct training rows scored exactly (or rows sampled) to place the contamination threshold.
const THRESHOLD_SAMPLE: usize = 256;

/// Marks a leaf in [`Node::feature`].
const LEAF: u32 = u32::MAX;

/// Marks a leaf that is not a tied leaf in [`Node::left`].
const NOT_TIED: u32 = u32::MAX;

/// A 16-byte node: a split on `feature < value` whose children sit at `left` and `left + 1`, or a
/// leaf (`feature == LEAF`) whose `value` is the precomputed `c(size)` and whose `left` indexes the
/// shared row of a tied leaf (several identical rows), else `NOT_TIED`.
#[derive(Debug, Clone, Copy)]
struct Node {
    value: f64,
    feature: u32,
    left: u32,
}

/// One isolation tree; `tied_rows` holds, `width` values each, the row shared by each tied leaf.
#[derive(Debug, Clone)]
struct Tree {
    nodes: Vec<Node>,
    tied_rows: Vec<f64>,
    width: usize,
}

impl Tree {
    /// Grows a tree over `rows` (`width` values each, stored one after another): a flat copy
    /// keeps the partitioning in cache instead of chasing a pointer per row.
    /// `rows_without_features` is the row count when `width` is zero (nothing to store).
    fn build(
        rows: &mut [f64],
        width: usize,
        rows_without_features: usize,
        height_limit: usize,
        rng: &mut StdRng,
    ) -> Tree {
        let n = rows
            .len()
            .checked_div(width)
            .unwrap_or(rows_without_features);
        let tree = Tree {
            nodes: Vec::with_capacity(2 * n.max(1)),
            tied_rows: Vec::new(),
            width,
        };
        let mut grower = Grower {
            tree,
            rng,
            ranges: vec![EMPTY_RANGE; 2 * width * (height_limit + 2)],
        };
        grower.tree.nodes.push(Node {
            value: 0.0,
            feature: LEAF,
            left: NOT_TIED,
        });
        if width == 0 {
            // Rows without features cannot be split: one leaf holds them all.
            grower.leaf(0, rows, n);
        } else {
            for row in rows.chunks_exact(width) {
                widen(&mut grower.ranges[..width], row);
            }
            grower.grow(0, rows, 0, 0, height_limit);
        }
        grower.tree
    }

    /// Path length of `x` given the leaf `node` it reached at `depth`.
    fn finish_path(&self, node: Node, depth: f64, x: &[f64]) -> f64 {
        if node.left != NOT_TIED && !self.matches_tied(node.left as usize, x) {
            // Differs from the identical rows of a tied leaf: one more split isolates it, however
            // many rows tie there (else a novel value past a large tied block would look common).
            return depth + 1.0;
        }
        depth + node.value
    }

    fn matches_tied(&self, tied: usize, x: &[f64]) -> bool {
        let start = tied * self.width;
        self.tied_rows[start..start + self.width]
            .iter()
            .zip(x)
            .all(|(a, b)| a == b)
    }
}

/// Trees walked side by side: their node loads do not depend on each other, so the processor
/// overlaps them instead of waiting for one tree's chain of loads at a time.
const LANES: usize = 8;

/// Path lengths of `x` in each of `trees` (at most [`LANES`]), walked in lock step.
fn path_lengths(trees: &[Tree], x: &[f64], out: &mut [f64; LANES]) {
    let mut nodes = [Node {
        value: 0.0,
        feature: LEAF,
        left: NOT_TIED,
    }; LANES];
    let mut depths = [0.0f64; LANES];
    for (node, tree) in nodes.iter_mut().zip(trees) {
        *node = tree.nodes[0];
    }
    loop {
        let mut walking = false;
        for ((node, depth), tree) in nodes.iter_mut().zip(&mut depths).zip(trees) {
            if node.feature != LEAF {
                let right = x[node.feature as usize] >= node.value;
                *node = tree.nodes[node.left as usize + usize::from(right)];
                *depth += 1.0;
                walking = true;
            }
        }
        if !walking {
            break;
        }
    }
    for (i, tree) in trees.iter().enumerate() {
        out[i] = tree.finish_path(nodes[i], depths[i], x);
    }
}

/// Whether `rows` hold at most `limit` distinct rows (by bit pattern hash; stops early past `limit`).
fn few_distinct<'a>(rows: impl Iterator<Item = &'a [f64]>, limit: usize) -> bool {
    // Fixed seeds: the same rows always count the same (a hash collision can only undercount).
    let state = ahash::RandomState::with_seeds(1, 2, 3, 4);
    let mut seen = ahash::HashSet::with_capacity_and_hasher(limit + 1, state.clone());
    for r in rows {
        let mut h = state.build_hasher();
        for v in r {
            v.to_bits().hash(&mut h);
        }
        seen.insert(h.finish());
        if seen.len() > limit {
            return false;
        }
    }
    true
}

/// The lowest score `t` with at most `contamination * n` of `scores` strictly above it, so that
/// "score > t" never flags more than the contamination share however many scores tie at `t`.
pub fn contamination_threshold(scores: &mut [f64], contamination: f64) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    scores.sort_by(|a, b| b.total_cmp(a));
    let allowed = (contamination.clamp(0.0, 0.5) * scores.len() as f64).floor() as usize;
    Some(scores[allowed.min(scores.len() - 1)])
}

/// Smallest tail scale, so a threshold with no training score above it still ranks excesses.
const MIN_TAIL_SCALE: f64 = 0.01;

/// Mean of `score - threshold` over the scores above `threshold` (at least [`MIN_TAIL_SCALE`]).
fn mean_excess(scores: &[f64], threshold: f64) -> f64 {
    let (sum, n) = scores
        .iter()
        .filter(|&&s| s > threshold)
        .fold((0.0, 0usize), |(sum, n), s| (sum + s - threshold, n + 1));
    if n == 0 {
        MIN_TAIL_SCALE
    } else {
        (sum / n as f64).max(MIN_TAIL_SCALE)
    }
}

/// Forest parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForestParams {
    /// Number of trees.
    pub trees: usize,
    /// Points sampled (without replacement) per tree.
    pub sample_size: usize,
    /// Expected share of anomalies; sets the score threshold.
    pub contamination: f64,
    /// RNG seed (training is deterministic for a seed and data).
    pub seed: u64,
}

impl Default for ForestParams {
    fn default() -> Self {
        ForestParams {
            trees: 64,
            sample_size: 256,
            contamination: 0.05,
            seed: 7,
        }
    }
}

/// A trained isolation forest with its anomaly threshold.
#[derive(Debug, Clone)]
pub struct IsolationForest {
    trees: Vec<Tree>,
    normaliser: f64,
    threshold: f64,
    tail_scale: f64,
    /// Sum of path lengths at or past which a score cannot exceed the threshold (set with it).
    stop_sum: f64,
    /// Grid cells whose points surely stop (built with the threshold, for narrow rows).
    screen: Option<Screen>,
}

impl IsolationForest {
    /// Trains on `data` (rows of equal width); returns `None` for fewer than two rows.
    pub fn fit<R: AsRef<[f64]>>(data: &[R], params: ForestParams) -> Option<IsolationForest> {
        if data.len() < 2 {
            return None;
        }
        let mut rng = StdRng::seed_from_u64(params.seed);
        let sample = params.sample_size.clamp(2, data.len());
        let height_limit = (sample as f64).log2().ceil() as usize;
        let width = data[0].as_ref().len().min(MAX_FEATURES);
        let mut trees = Vec::with_capacity(params.trees);
        let mut rows = Vec::with_capacity(sample * width);
        for _ in 0..params.trees.max(1) {
            let picked = rand::seq::index::sample(&mut rng, data.len(), sample);
            rows.clear();
            rows.extend(picked.iter().flat_map(|i| &data[i].as_ref()[..width]));
            trees.push(Tree::build(
                &mut rows,
                width,
                sample,
                height_limit,
                &mut rng,
            ));
        }
        let mut forest = IsolationForest {
            trees,
            normaliser: average_path_length(sample),
            threshold: 1.0,
            tail_scale: MIN_TAIL_SCALE,
            stop_sum: f64::INFINITY,
            screen: None,
        };
        (forest.threshold, forest.tail_scale) =
            forest.threshold_and_tail(data, &mut rng, params.contamination)?;
        // score > t  <=>  mean path < -log2(t) * c(n); paths only add up, so once the partial
        // sum reaches that bound times the number of trees the answer is known. The margin keeps
        // rounding from ever stopping a walk whose exact score would pass.
        let bound = -forest.threshold.log2() * forest.normaliser * forest.trees.len() as f64;
        forest.stop_sum = bound * (1.0 + 1e-9);
        forest.screen = Screen::build(&forest.trees, data, width, forest.stop_sum);
        Some(forest)
    }

    /// Anomaly score `2^(-E[h(x)] / c(n))` in (0, 1]; near 1 is anomalous, about 0.5 or less is normal.
    pub fn score(&self, x: &[f64]) -> f64 {
        // An infinite bound never stops the walk; were it to, the point would be the most normal.
        self.path_sum(x, f64::INFINITY)
            .map_or(0.0, |sum| self.score_of_sum(sum))
    }

    /// The score of `x` if it is above the threshold, else `None`. Cheaper than [`Self::score`]
    /// for the common normal point: the walk stops once the trees walked so far already make a
    /// score above the threshold impossible, and most normal points are settled by a grid lookup
    /// (the screen) without walking a tree at all.
    pub fn score_above_threshold(&self, x: &[f64]) -> Option<f64> {
        if self.screen.as_ref().is_some_and(|s| s.surely_normal(x)) {
            return None;
        }
        self.path_sum(x, self.stop_sum)
            .map(|sum| self.score_of_sum(sum))
            .filter(|&score| score > self.threshold)
    }

    /// `2^(-mean path / c(n))` for the sum of the trees' path lengths.
    fn score_of_sum(&self, sum: f64) -> f64 {
        let mean = sum / self.trees.len() as f64;
        2f64.powf(-mean / self.normaliser.max(f64::MIN_POSITIVE))
    }

    /// The sum of the path lengths of `x` over every tree, or `None` once it reaches `stop_at`.
    fn path_sum(&self, x: &[f64], stop_at: f64) -> Option<f64> {
        let mut sum = 0.0;
        let mut lengths = [0.0; LANES];
        for group in self.trees.chunks(LANES) {
            path_lengths(group, x, &mut lengths);
            for length in &lengths[..group.len()] {
                sum += length;
            }
            if sum >= stop_at {
                return None;
            }
        }
        Some(sum)
    }

    /// The contamination threshold and tail scale of the training scores. Rows with at most
    /// [`THRESHOLD_SAMPLE`] distinct values (discrete features, where scores come in large tied
    /// blocks) are all scored, each distinct row once, so the blocks' shares are exact; otherwise
    /// a uniform sample of [`THRESHOLD_SAMPLE`] rows estimates the quantile.
    fn threshold_and_tail<R: AsRef<[f64]>>(
        &self,
        data: &[R],
        rng: &mut StdRng,
        contamination: f64,
    ) -> Option<(f64, f64)> {
        if !few_distinct(data.iter().map(AsRef::as_ref), THRESHOLD_SAMPLE) {
            let picked = rand::seq::index::sample(rng, data.len(), THRESHOLD_SAMPLE);
            let rows = picked.iter().map(|i| data[i].as_ref());
            return self.top_threshold(rows, contamination);
        }
        let mut scores = self.distinct_row_scores(data);
        let threshold = contamination_threshold(&mut scores, contamination)?;
        Some((threshold, mean_excess(&scores, threshold)))
    }

    /// The score of every row of `data`, each distinct row scored once.
    fn distinct_row_scores<R: AsRef<[f64]>>(&self, data: &[R]) -> Vec<f64> {
        let row = |i: usize| data[i].as_ref();
        let same = |a: usize, b: usize| {
            row(a)
                .iter()
                .zip(row(b))
                .all(|(x, y)| x.total_cmp(y).is_eq())
        };
        let mut order: Vec<usize> = (0..data.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            let pairs = row(a).iter().zip(row(b));
            pairs
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut scores = Vec::with_capacity(data.len());
        let mut last: Option<(usize, f64)> = None;
        for &i in &order {
            let score = match last {
                Some((j, s)) if same(i, j) => s,
                _ => self.score(row(i)),
            };
            scores.push(score);
            last = Some((i, score));
        }
        scores
    }

    /// Score above which a point is anomalous: at most `contamination` of the training rows exceed it.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Mean excess over the threshold of the training scores above it: the scale of an
    /// exponential (peaks-over-threshold) model of the score tail.
    pub fn tail_scale(&self) -> f64 {
        self.tail_scale
    }

    /// Estimated share of normal data scoring at least `score`: `contamination` at the threshold,
    /// falling exponentially with the excess in units of [`IsolationForest::tail_scale`].
    pub fn tail_probability(&self, score: f64, contamination: f64) -> f64 {
        let excess = (score - self.threshold).max(0.0);
        contamination.clamp(1e-6, 1.0) * (-excess / self.tail_scale).exp()
    }
}

#[cfg(test)]
#[path = "isolation_forest_tests.rs"]
mod tests;
