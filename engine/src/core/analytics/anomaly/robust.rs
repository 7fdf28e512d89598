//! A robust per-type baseline: median and median absolute deviation of log values over a sliding
//! window, with a Laplace tail for how rare a deviation is.
//!
//! Values are compared on a log scale, so "2,500 times the median" means the same for a 20 µs
//! write and a 20 ms fsync. The median and MAD are recomputed every few observations (every
//! 1/16 of the window), so the cost per event stays a few comparisons.

use std::collections::VecDeque;

/// Log values kept per baseline.
pub const WINDOW: usize = 256;
/// Observations before a baseline judges anything.
pub const MIN_OBSERVATIONS: usize = 30;
/// Smallest MAD used, in log units (about 10%): a type whose values never vary still tolerates
/// jitter, and a 20x change of a constant value is rare (29 MADs) without being off the scale.
const MAD_FLOOR: f64 = 0.1;

/// How one value compares with its baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deviation {
    /// The value.
    pub value: f64,
    /// The baseline median (same unit as `value`).
    pub median: f64,
    /// `value / median`.
    pub ratio: f64,
    /// Distance from the median in log-scale MADs.
    pub mads: f64,
    /// Laplace tail probability of a distance at least this large: `exp(-ln 2 * mads)`.
    pub tail: f64,
}

/// Sliding-window median/MAD of `ln(value)` for one event type and one measure.
#[derive(Debug, Clone, Default)]
pub struct RobustBaseline {
    window: VecDeque<f64>,
    median: f64,
    mad: f64,
    since_refresh: usize,
}

/// Distance in MADs whose Laplace tail is `p`.
pub fn mads_for_tail(p: f64) -> f64 {
    -p.clamp(f64::MIN_POSITIVE, 1.0).ln() / std::f64::consts::LN_2
}

impl RobustBaseline {
    /// Compares a positive `value` with the baseline; `None` while fewer than
    /// [`MIN_OBSERVATIONS`] values were learned.
    pub fn deviation(&self, value: f64) -> Option<Deviation> {
        if self.window.len() < MIN_OBSERVATIONS || value <= 0.0 {
            return None;
        }
        let x = value.ln();
        let mads = (x - self.median).abs() / self.mad.max(MAD_FLOOR);
        Some(Deviation {
            value,
            median: self.median.exp(),
            ratio: (x - self.median).exp(),
            mads,
            tail: (-std::f64::consts::LN_2 * mads).exp(),
        })
    }

    /// Learns a positive `value`.
    pub fn learn(&mut self, value: f64) {
        if value <= 0.0 {
            return;
        }
        self.window.push_back(value.ln());
        if self.window.len() > WINDOW {
            self.window.pop_front();
        }
        self.since_refresh += 1;
        if self.since_refresh >= (self.window.len() / 16).max(1) {
            self.refresh();
        }
    }

    fn refresh(&mut self) {
        let mut xs: Vec<f64> = self.window.iter().copied().collect();
        self.median = median(&mut xs);
        for x in &mut xs {
            *x = (*x - self.median).abs();
        }
        self.mad = median(&mut xs);
        self.since_refresh = 0;
    }

    /// Values learned and kept.
    pub fn len(&self) -> usize {
        self.window.len()
    }

    /// Whether nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }
}

fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let mid = xs.len() / 2;
    let (_, m, _) = xs.select_nth_unstable_by(mid, f64::total_cmp);
    *m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_of_times_the_median_is_far_rarer_than_jitter() {
        let mut b = RobustBaseline::default();
        assert!(b.deviation(1.0).is_none());
        for i in 0..300 {
            b.learn(15_000.0 + f64::from(i % 11) * 1_000.0);
        }
        let jitter = b.deviation(25_000.0).expect("ready");
        let spike = b.deviation(50_000_000.0).expect("ready");
        assert!(jitter.tail > 0.05, "{jitter:?}");
        assert!(spike.tail < 1e-10, "{spike:?}");
        assert!((spike.ratio - 2500.0).abs() < 200.0, "{spike:?}");
        assert!(b.deviation(0.0).is_none());
        assert_eq!(b.len(), WINDOW);
        assert!((mads_for_tail(0.5) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn constant_values_still_tolerate_small_jitter() {
        let mut b = RobustBaseline::default();
        for _ in 0..100 {
            b.learn(4096.0);
        }
        assert!(b.deviation(4300.0).expect("ready").tail > 0.5);
        assert!(b.deviation(40_960.0).expect("ready").tail < 1e-6);
    }
}
