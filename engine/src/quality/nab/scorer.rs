//! NAB v1.1 scoring: sweep scores per row, per-threshold corpus scores and normalisation.

use serde::Serialize;

/// Largest true-positive sweep value, `scaled_sigmoid(-1)`, used to normalise window credit to 1.
fn max_tp() -> f64 {
    scaled_sigmoid(-1.0)
}

/// NAB's scaled sigmoid: credit for a detection at a relative position around a window.
pub fn scaled_sigmoid(position: f64) -> f64 {
    if position > 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * position).exp()) - 1.0
    }
}

/// Cost matrix of one scoring profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Profile {
    /// Profile name as in NAB's `profiles.json`.
    pub name: &'static str,
    /// Weight of a true positive.
    pub tp_weight: f64,
    /// Weight of a false positive.
    pub fp_weight: f64,
    /// Weight of a missed window.
    pub fn_weight: f64,
}

impl Profile {
    /// The three published NAB profiles: standard, reward_low_FP_rate, reward_low_FN_rate.
    pub const ALL: [Profile; 3] = [
        Profile {
            name: "standard",
            tp_weight: 1.0,
            fp_weight: 0.11,
            fn_weight: 1.0,
        },
        Profile {
            name: "reward_low_FP_rate",
            tp_weight: 1.0,
            fp_weight: 0.22,
            fn_weight: 1.0,
        },
        Profile {
            name: "reward_low_FN_rate",
            tp_weight: 1.0,
            fp_weight: 0.11,
            fn_weight: 2.0,
        },
    ];

    /// Normalised score: 0 for the null detector, 100 for the perfect one.
    pub fn normalise(&self, raw: f64, windows: usize) -> f64 {
        let perfect = self.tp_weight * windows as f64;
        let null = -self.fn_weight * windows as f64;
        100.0 * (raw - null) / (perfect - null)
    }
}

/// Where a scored row sits relative to the labelled windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// Inside the probationary prefix: never scored.
    Probation,
    /// Inside labelled window number `usize` (corpus-wide index).
    Window(usize),
    /// Outside every window: a detection here is a false positive.
    Outside,
}

/// One row ready for scoring: detector score, unweighted sweep value and zone.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// The detector's anomaly score for the row.
    pub score: f64,
    /// Unweighted sweep value (sigmoid credit or penalty) of a detection at this row.
    pub sweep: f64,
    /// Zone of the row.
    pub zone: Zone,
}

/// Number of probationary rows at the start of a file of `rows` rows.
pub fn probation_length(rows: usize) -> usize {
    ((0.15 * rows as f64).floor()).min(750.0) as usize
}

/// Builds the scored points of one file; `windows` are inclusive row-index ranges in order,
/// numbered from `first_window` in the corpus.
pub fn sweep_points(scores: &[f64], windows: &[(usize, usize)], first_window: usize) -> Vec<Point> {
    let probation = probation_length(scores.len());
    let mut points = Vec::with_capacity(scores.len());
    let mut next = 0usize;
    let mut current: Option<(usize, usize, usize)> = None; // (index, right, width)
    let mut previous: Option<(usize, f64)> = None; // (right index, width)
    for (i, &score) in scores.iter().enumerate() {
        if current.is_none() && next < windows.len() && windows[next].0 == i {
            let (left, right) = windows[next];
            current = Some((first_window + next, right, right - left + 1));
            next += 1;
        }
        let (sweep, zone) = if let Some((index, right, width)) = current {
            let position = -((right - i + 1) as f64) / width as f64;
            (scaled_sigmoid(position) / max_tp(), Zone::Window(index))
        } else {
            let sweep = match previous {
                None => -1.0,
                Some((right, width)) => scaled_sigmoid((i - right) as f64 / (width - 1.0)),
            };
            (sweep, Zone::Outside)
        };
        let zone = if i < probation { Zone::Probation } else { zone };
        points.push(Point { score, sweep, zone });
        if let Some((_, right, width)) = current
            && right == i
        {
            previous = Some((right, width as f64));
            current = None;
        }
    }
    points
}

/// Raw score of `points` (spanning `windows` windows) when rows with `score >= threshold` detect.
pub fn raw_score(points: &[Point], windows: usize, threshold: f64, profile: &Profile) -> f64 {
    let mut best = vec![f64::NEG_INFINITY; windows];
    let mut fp = 0.0;
    for p in points.iter().filter(|p| p.score >= threshold) {
        match p.zone {
            Zone::Probation => {}
            Zone::Outside => fp += p.sweep * profile.fp_weight,
            Zone::Window(w) => best[w] = best[w].max(p.sweep),
        }
    }
    let windows_total: f64 = best
        .iter()
        .map(|&b| {
            if b.is_finite() {
                b * profile.tp_weight
            } else {
                -profile.fn_weight
            }
        })
        .sum();
    windows_total + fp
}

/// Result of an exhaustive threshold sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Optimum {
    /// Best threshold (rows with `score >= threshold` detect).
    pub threshold: f64,
    /// Raw corpus score at that threshold.
    pub raw: f64,
}

/// Exact corpus-wide optimum over every distinct score used as threshold.
pub fn optimise(points: &[Point], windows: usize, profile: &Profile) -> Optimum {
    let mut order: Vec<&Point> = points
        .iter()
        .filter(|p| p.zone != Zone::Probation)
        .collect();
    order.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut best = vec![f64::NEG_INFINITY; windows];
    let mut total = -profile.fn_weight * windows as f64;
    let mut optimum = Optimum {
        threshold: f64::INFINITY,
        raw: total,
    };
    let mut i = 0;
    while i < order.len() {
        let threshold = order[i].score;
        while i < order.len() && order[i].score == threshold {
            let p = order[i];
            match p.zone {
                Zone::Outside => total += p.sweep * profile.fp_weight,
                Zone::Window(w) if p.sweep > best[w] => {
                    let old = if best[w].is_finite() {
                        best[w] * profile.tp_weight
                    } else {
                        -profile.fn_weight
                    };
                    best[w] = p.sweep;
                    total += p.sweep * profile.tp_weight - old;
                }
                _ => {}
            }
            i += 1;
        }
        if total > optimum.raw {
            optimum = Optimum {
                threshold,
                raw: total,
            };
        }
    }
    optimum
}

#[cfg(test)]
mod tests {
    use super::*;

    const STD: Profile = Profile::ALL[0];

    #[test]
    fn earliest_detection_gets_full_credit() {
        // 100 rows, probation 15, one window at rows 40..=49.
        let mut scores = vec![0.0; 100];
        scores[40] = 1.0;
        let points = sweep_points(&scores, &[(40, 49)], 0);
        let raw = raw_score(&points, 1, 0.5, &STD);
        assert!((raw - 1.0).abs() < 1e-12, "raw = {raw}");
        assert!((STD.normalise(raw, 1) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn missed_window_and_false_positive_cost() {
        let mut scores = vec![0.0; 100];
        scores[20] = 1.0; // before any window: full fp penalty
        let points = sweep_points(&scores, &[(40, 49)], 0);
        let raw = raw_score(&points, 1, 0.5, &STD);
        assert!((raw - (-1.0 - 0.11)).abs() < 1e-12, "raw = {raw}");
    }

    #[test]
    fn late_detection_earns_less_and_probation_is_ignored() {
        let mut scores = vec![0.0; 100];
        scores[5] = 1.0; // probationary
        scores[49] = 1.0; // last row of the window
        let points = sweep_points(&scores, &[(40, 49)], 0);
        let raw = raw_score(&points, 1, 0.5, &STD);
        let expected = scaled_sigmoid(-0.1) / scaled_sigmoid(-1.0);
        assert!((raw - expected).abs() < 1e-12);
        assert!(raw > 0.0 && raw < 0.3, "raw = {raw}");
    }

    #[test]
    fn optimiser_matches_brute_force() {
        let scores: Vec<f64> = (0..300)
            .map(|i| f64::from((i * 37) % 101) / 100.0)
            .collect();
        let points = sweep_points(&scores, &[(100, 129), (200, 229)], 0);
        let best = optimise(&points, 2, &STD);
        let brute = scores
            .iter()
            .map(|&t| raw_score(&points, 2, t, &STD))
            .fold(-2.0_f64, f64::max);
        assert!((best.raw - brute).abs() < 1e-9, "{} vs {brute}", best.raw);
        assert!((raw_score(&points, 2, best.threshold, &STD) - best.raw).abs() < 1e-9);
    }
}
