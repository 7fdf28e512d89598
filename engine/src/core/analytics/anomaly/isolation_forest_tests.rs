//! Tests of the isolation forest: path lengths, thresholds under ties and isolation of novel values.

use super::*;
use rand::Rng;

fn cluster() -> Vec<Vec<f64>> {
    (0..500)
        .map(|i| {
            vec![
                f64::from((i * 7) % 50) / 50.0,
                f64::from((i * 13) % 50) / 50.0,
            ]
        })
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
fn tied_scores_never_push_the_flagged_share_above_contamination() {
    let mut scores: Vec<f64> = [vec![0.9; 3], vec![0.8; 10], vec![0.5; 87]].concat();
    let t = contamination_threshold(&mut scores, 0.05).expect("scores");
    assert_eq!(t, 0.8);
    assert_eq!(scores.iter().filter(|&&s| s > t).count(), 3);
    let mut all_tied = vec![0.6; 40];
    let t = contamination_threshold(&mut all_tied, 0.05).expect("scores");
    assert_eq!(all_tied.iter().filter(|&&s| s > t).count(), 0);
    assert_eq!(contamination_threshold(&mut [], 0.05), None);
}

#[test]
fn discrete_training_rows_flag_at_most_contamination() {
    let value = |i: u32| match (i % 97, i % 7) {
        (0, _) => 2.0,
        (_, 0) => 1.0,
        _ => 0.0,
    };
    let data: Vec<[f64; 1]> = (0..1000).map(|i| [value(i)]).collect();
    let forest = IsolationForest::fit(&data, ForestParams::default()).expect("trained");
    let flagged = data
        .iter()
        .filter(|x| forest.score(*x) > forest.threshold())
        .count();
    // Only the 11 rows of value 2 (1.1%) fit under 5%; the 14% block of value 1 must not be flagged.
    assert_eq!(flagged, 11);
}

#[test]
fn a_point_beyond_a_tied_leaf_is_isolated_sooner() {
    let data: Vec<[f64; 1]> = (0..400).map(|i| [f64::from(i % 2)]).collect();
    let forest = IsolationForest::fit(&data, ForestParams::default()).expect("trained");
    let edge = forest.score(&[1.0]);
    let beyond = forest.score(&[2.0]);
    assert!(beyond > edge + 0.1, "beyond {beyond}, edge {edge}");
    assert!(beyond > forest.threshold());
}

#[test]
fn sampled_threshold_on_continuous_rows_flags_about_contamination() {
    let mut rng = StdRng::seed_from_u64(3);
    let data: Vec<[f64; 2]> = (0..4000)
        .map(|_| [rng.random_range(0.0..1.0), rng.random_range(0.0..1.0)])
        .collect();
    let params = ForestParams {
        contamination: 0.1,
        ..Default::default()
    };
    let forest = IsolationForest::fit(&data, params).expect("trained");
    let flagged = data
        .iter()
        .filter(|x| forest.score(*x) > forest.threshold());
    let share = flagged.count() as f64 / data.len() as f64;
    assert!((0.05..0.15).contains(&share), "flagged {share}");
}

#[test]
fn same_seed_same_model() {
    let a = IsolationForest::fit(&cluster(), ForestParams::default()).expect("trained");
    let b = IsolationForest::fit(&cluster(), ForestParams::default()).expect("trained");
    assert_eq!(a.score(&[0.3, 0.9]), b.score(&[0.3, 0.9]));
}

/// A forest with the event detector's settings (32 trees of 256-row samples, 5% contamination).
fn event_forest_like(data: &[[f64; 2]], seed: u64) -> IsolationForest {
    let params = ForestParams {
        trees: 32,
        sample_size: 256,
        contamination: 0.05,
        seed,
    };
    IsolationForest::fit(data, params).expect("trained")
}

#[test]
fn scores_match_the_reference_walk_bit_for_bit() {
    let data: Vec<[f64; 2]> = (0..1000u32)
        .map(|i| {
            let a = f64::from((i * 7919) % 1000) / 100.0;
            let b = f64::from((i * 104_729) % 997) / 50.0;
            [a.ln_1p(), b.ln_1p()]
        })
        .collect();
    let forest = event_forest_like(&data, 11);
    let points = [[0.5, 0.5], [2.0, 3.0], [9.0, 0.1], [1.2, 2.2], [0.0, 0.0]];
    let scores: Vec<u64> = points.iter().map(|p| forest.score(p).to_bits()).collect();
    // Bit patterns of the scores and threshold of the reference implementation (one pointer per
    // row, one tree at a time): a faster layout must grow the same trees and sum the same paths.
    assert_eq!(
        scores,
        [
            4_603_964_481_491_972_842,
            4_602_453_536_105_109_300,
            4_604_560_011_915_658_402,
            4_602_242_469_871_256_139,
            4_604_720_603_145_746_503
        ]
    );
    assert_eq!(forest.threshold().to_bits(), 4_603_695_934_054_299_284);
    for p in &points {
        let score = forest.score(p);
        let above = forest.score_above_threshold(p);
        assert_eq!(
            above,
            (score > forest.threshold()).then_some(score),
            "{p:?}"
        );
    }
}

/// Two clusters, a sparse halo and a few far points, as (ln latency, ln size) rows.
fn mixed_rows(n: u32) -> Vec<[f64; 2]> {
    (0..n)
        .map(|i| {
            let jitter = f64::from((i * 7919) % 1000) / 1000.0;
            let other = f64::from((i * 104_729) % 997) / 997.0;
            match i % 50 {
                0 => [20.0 * jitter, 15.0 * other],
                1..=30 => [9.0 + jitter, 6.0 + other * 0.5],
                _ => [12.0 + jitter * 0.3, 2.0 + other],
            }
        })
        .collect()
}

#[test]
fn the_screen_never_disagrees_with_the_walk() {
    let data = mixed_rows(1000);
    for seed in [3, 11, 29] {
        let forest = event_forest_like(&data, seed);
        let walk = IsolationForest {
            screen: None,
            ..forest.clone()
        };
        // Every training row, a fine lattice over and past the data, and the cell edges themselves.
        let mut points: Vec<[f64; 2]> = data.clone();
        for a in 0..120 {
            for b in 0..120 {
                points.push([f64::from(a) * 0.2 - 1.0, f64::from(b) * 0.15 - 1.0]);
            }
        }
        let screen = forest.screen.as_ref().expect("two features are screened");
        for &a in &screen.edges[0] {
            for &b in &screen.edges[1] {
                points.push([a, b]);
            }
        }
        for p in &points {
            assert_eq!(
                forest.score_above_threshold(p),
                walk.score_above_threshold(p),
                "seed {seed}, point {p:?}"
            );
        }
    }
}

#[test]
fn the_screen_settles_most_normal_points_without_a_walk() {
    let data = mixed_rows(1000);
    let forest = event_forest_like(&data, 7);
    let screen = forest.screen.as_ref().expect("screened");
    let settled = data.iter().filter(|x| screen.surely_normal(*x)).count();
    assert!(settled > 650, "settled {settled} of 1000 training rows");
    assert!(screen.normal_share() < 1.0, "far cells are walked");
    let far = [40.0, 40.0];
    assert!(!screen.surely_normal(&far));
    assert!(forest.score_above_threshold(&far).is_some());
}
