//! The threshold from the highest scores against scoring every row in full.

use super::super::{ForestParams, IsolationForest, contamination_threshold, mean_excess};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The full computation: every row scored, sorted, and the threshold and tail read from all.
fn oracle(forest: &IsolationForest, rows: &[Vec<f64>], contamination: f64) -> Option<(f64, f64)> {
    let mut scores: Vec<f64> = rows.iter().map(|r| forest.score(r)).collect();
    let threshold = contamination_threshold(&mut scores, contamination)?;
    Some((threshold, mean_excess(&scores, threshold)))
}

/// Rows of `width` values: continuous, on a coarse lattice (many tied scores) or with far points.
fn rows(rng: &mut StdRng, n: usize, width: usize, kind: u32) -> Vec<Vec<f64>> {
    (0..n)
        .map(|_| {
            (0..width)
                .map(|_| match kind {
                    0 => rng.random_range(0.0..1.0),
                    1 => f64::from(rng.random_range(0..4u32)),
                    _ if rng.random_range(0..20) == 0 => rng.random_range(5.0..50.0),
                    _ => rng.random_range(0.0..1.0),
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_top_scores_place_the_same_threshold_and_tail_as_all_scores() {
    let mut rng = StdRng::seed_from_u64(41);
    let contaminations = [0.0, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9];
    let mut compared = 0;
    for case in 0..120u64 {
        let width = 1 + (case % 3) as usize;
        let kind = (case % 5) as u32 % 3;
        let count = rng.random_range(2..600);
        let train = rows(&mut rng, count, width, kind);
        let params = ForestParams {
            trees: rng.random_range(1..40),
            sample_size: rng.random_range(2..300),
            contamination: 0.05,
            seed: case,
        };
        let forest = IsolationForest::fit(&train, params).expect("two rows or more");
        for n in [1, 2, 7, 256, 400] {
            let sample = rows(&mut rng, n, width, kind);
            for &c in &contaminations {
                let top = forest.top_threshold(sample.iter().map(Vec::as_slice), c);
                let all = oracle(&forest, &sample, c);
                let bits = |r: Option<(f64, f64)>| r.map(|(t, s)| (t.to_bits(), s.to_bits()));
                assert_eq!(
                    bits(top),
                    bits(all),
                    "case {case}, {n} rows, contamination {c}"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 120 * 5 * contaminations.len());
}

#[test]
fn no_rows_place_no_threshold() {
    let train = vec![vec![0.0], vec![1.0], vec![2.0]];
    let forest = IsolationForest::fit(&train, ForestParams::default()).expect("trained");
    assert_eq!(forest.top_threshold(std::iter::empty(), 0.05), None);
}
