//! Isolation forest (Liu, Ting and Zhou 2008): random axis-parallel splits isolate outliers in few steps.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

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

/// Training points scored to place the contamination threshold.
const THRESHOLD_SAMPLE: usize = 256;

/// Marks a leaf in [`Node::feature`].
const LEAF: u32 = u32::MAX;

/// A 16-byte node: a split on `feature < value` whose children sit at `left` and `left + 1`, or a
/// leaf (`feature == LEAF`) whose `value` is the precomputed `c(size)`.
#[derive(Debug, Clone, Copy)]
struct Node {
    value: f64,
    feature: u32,
    left: u32,
}

#[derive(Debug, Clone)]
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    fn build(rows: &mut [&[f64]], height_limit: usize, rng: &mut StdRng) -> Tree {
        let mut tree = Tree {
            nodes: Vec::with_capacity(2 * rows.len()),
        };
        tree.nodes.push(Node {
            value: 0.0,
            feature: LEAF,
            left: 0,
        });
        tree.grow(0, rows, 0, height_limit, rng);
        tree
    }

    fn grow(
        &mut self,
        id: usize,
        rows: &mut [&[f64]],
        depth: usize,
        limit: usize,
        rng: &mut StdRng,
    ) {
        self.nodes[id] = Node {
            value: average_path_length(rows.len()),
            feature: LEAF,
            left: 0,
        };
        if depth >= limit || rows.len() <= 1 {
            return;
        }
        let mut candidates = [(0usize, 0.0f64, 0.0f64); MAX_FEATURES];
        let mut count = 0;
        for f in 0..rows[0].len().min(MAX_FEATURES) {
            let (lo, hi) = rows
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), r| (a.min(r[f]), b.max(r[f])));
            if hi > lo {
                candidates[count] = (f, lo, hi);
                count += 1;
            }
        }
        if count == 0 {
            return;
        }
        let (feature, lo, hi) = candidates[rng.random_range(0..count)];
        let value = rng.random_range(lo..hi);
        let mut split = 0;
        for i in 0..rows.len() {
            if rows[i][feature] < value {
                rows.swap(i, split);
                split += 1;
            }
        }
        let left = self.nodes.len();
        let leaf = Node {
            value: 0.0,
            feature: LEAF,
            left: 0,
        };
        self.nodes.extend([leaf, leaf]);
        self.nodes[id] = Node {
            value,
            feature: feature as u32,
            left: left as u32,
        };
        let (left_rows, right_rows) = rows.split_at_mut(split);
        self.grow(left, left_rows, depth + 1, limit, rng);
        self.grow(left + 1, right_rows, depth + 1, limit, rng);
    }

    fn path_length(&self, x: &[f64]) -> f64 {
        let mut node = self.nodes[0];
        let mut depth = 0.0;
        while node.feature != LEAF {
            let right = x[node.feature as usize] >= node.value;
            node = self.nodes[node.left as usize + usize::from(right)];
            depth += 1.0;
        }
        depth + node.value
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
        let mut trees = Vec::with_capacity(params.trees);
        for _ in 0..params.trees.max(1) {
            let picked = rand::seq::index::sample(&mut rng, data.len(), sample);
            let mut rows: Vec<&[f64]> = picked.iter().map(|i| data[i].as_ref()).collect();
            trees.push(Tree::build(&mut rows, height_limit, &mut rng));
        }
        let mut forest = IsolationForest {
            trees,
            normaliser: average_path_length(sample),
            threshold: 1.0,
        };
        // The threshold is a quantile of training scores, estimated on at most THRESHOLD_SAMPLE points.
        let picked =
            rand::seq::index::sample(&mut rng, data.len(), THRESHOLD_SAMPLE.min(data.len()));
        let mut scores: Vec<f64> = picked
            .iter()
            .map(|i| forest.score(data[i].as_ref()))
            .collect();
        scores.sort_by(f64::total_cmp);
        let rank = ((1.0 - params.contamination.clamp(0.0, 0.5)) * scores.len() as f64) as usize;
        forest.threshold = scores[rank.min(scores.len() - 1)];
        Some(forest)
    }

    /// Anomaly score `2^(-E[h(x)] / c(n))` in (0, 1]; near 1 is anomalous, about 0.5 or less is normal.
    pub fn score(&self, x: &[f64]) -> f64 {
        let mean =
            self.trees.iter().map(|t| t.path_length(x)).sum::<f64>() / self.trees.len() as f64;
        2f64.powf(-mean / self.normaliser.max(f64::MIN_POSITIVE))
    }

    /// Score above which a point is anomalous (the training scores' `1 - contamination` quantile).
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> Vec<Vec<f64>> {
        (0..500)
            .map(|i| vec![((i * 7) % 50) as f64 / 50.0, ((i * 13) % 50) as f64 / 50.0])
            .collect()
    }

    #[test]
    fn c_of_n_known_values() {
        assert_eq!(average_path_length(1), 0.0);
        assert_eq!(average_path_length(2), 1.0);
        assert!((average_path_length(256) - 10.244_770_920_116_851).abs() < 1e-9);
    }

    #[test]
    fn outlier_scores_high_and_inlier_low() {
        let forest = IsolationForest::fit(&cluster(), ForestParams::default()).expect("trained");
        let outlier = forest.score(&[5.0, 5.0]);
        let inlier = forest.score(&[0.5, 0.5]);
        assert!(outlier > 0.6, "outlier {outlier}");
        assert!(inlier < 0.5, "inlier {inlier}");
        assert!(outlier > forest.threshold() && inlier < forest.threshold());
    }

    #[test]
    fn threshold_flags_about_the_contamination_share() {
        let data = cluster();
        let forest = IsolationForest::fit(
            &data,
            ForestParams {
                contamination: 0.1,
                ..Default::default()
            },
        )
        .expect("trained");
        let flagged = data
            .iter()
            .filter(|x| forest.score(x) > forest.threshold())
            .count();
        assert!(flagged <= 50, "flagged {flagged}");
    }

    #[test]
    fn same_seed_same_model() {
        let a = IsolationForest::fit(&cluster(), ForestParams::default()).expect("trained");
        let b = IsolationForest::fit(&cluster(), ForestParams::default()).expect("trained");
        assert_eq!(a.score(&[0.3, 0.9]), b.score(&[0.3, 0.9]));
    }
}
