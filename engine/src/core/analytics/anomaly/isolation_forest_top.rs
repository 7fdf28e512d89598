//! The contamination threshold of sampled training rows from their highest scores alone.
//!
//! [`contamination_threshold`](super::contamination_threshold) takes the score at rank
//! `allowed` of the scores sorted in decreasing order, and [`mean_excess`] only reads the scores
//! strictly above it: both depend on the `allowed + 1` highest scores and nothing else. So the
//! rows are walked keeping just those, and each further row's walk stops as soon as its partial
//! path sum shows it cannot score above the lowest score kept. Most rows are normal and stop
//! after a few trees, which makes placing the threshold cheaper than scoring every sampled row in
//! full, with the same threshold and tail scale to the bit.

use super::{IsolationForest, mean_excess};

/// Relative margin above the lowest kept score's path sum at which a walk stops. A row stopped
/// there has a sum larger by at least this share, so its exact score is lower by far more than
/// the rounding of the score's power could ever reverse: leaving it out is exact.
const STOP_MARGIN: f64 = 1e-9;

/// A score kept among the highest, with the path sum it was computed from.
#[derive(Debug, Clone, Copy)]
struct Kept {
    score: f64,
    sum: f64,
}

impl IsolationForest {
    /// The threshold and tail scale that
    /// [`contamination_threshold`](super::contamination_threshold) and [`mean_excess`] give for
    /// the scores of `rows`, computed from the highest scores only; `None` for no rows.
    pub(super) fn top_threshold<'a>(
        &self,
        rows: impl ExactSizeIterator<Item = &'a [f64]>,
        contamination: f64,
    ) -> Option<(f64, f64)> {
        let n = rows.len();
        if n == 0 {
            return None;
        }
        // The rank `contamination_threshold` reads, counted from the highest score.
        let allowed = (contamination.clamp(0.0, 0.5) * n as f64).floor() as usize;
        let keep = allowed.min(n - 1) + 1;
        let mut top: Vec<Kept> = Vec::with_capacity(keep);
        // Index of the lowest kept score, once `keep` are kept.
        let mut low = 0;
        let mut stop_at = f64::INFINITY;
        for x in rows {
            // The same walk as `score`, summing in the same order: a row not stopped gets the
            // exact sum and so the exact score a full walk gives.
            let Some(sum) = self.path_sum(x, stop_at) else {
                continue;
            };
            let kept = Kept {
                score: self.score_of_sum(sum),
                sum,
            };
            if top.len() < keep {
                top.push(kept);
            } else if kept.score.total_cmp(&top[low].score).is_gt() {
                top[low] = kept;
            } else {
                // A score equal to the lowest kept one leaves the kept values unchanged.
                continue;
            }
            if top.len() == keep {
                low = lowest(&top);
                stop_at = top[low].sum * (1.0 + STOP_MARGIN);
            }
        }
        let mut scores: Vec<f64> = top.iter().map(|k| k.score).collect();
        scores.sort_by(|a, b| b.total_cmp(a));
        let threshold = scores[keep - 1];
        // The scores above the threshold, in the decreasing order the full computation sums them.
        Some((threshold, mean_excess(&scores, threshold)))
    }
}

/// Index of the lowest score in `top` (not empty).
fn lowest(top: &[Kept]) -> usize {
    let mut at = 0;
    for (i, k) in top.iter().enumerate().skip(1) {
        if k.score.total_cmp(&top[at].score).is_lt() {
            at = i;
        }
    }
    at
}

#[cfg(test)]
#[path = "isolation_forest_top_tests.rs"]
mod tests;
