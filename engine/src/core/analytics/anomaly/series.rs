//! Streaming anomaly detector for one numeric series (event rates, latencies, sizes, NAB files).
//!
//! Three signals are combined: how far a value extends the range seen so far, whether the recent
//! context of quantised values (orders 1..=3) was ever seen before, and a small EWMA z-score term that
//! ranks otherwise equal scores. A gate then keeps only scores that exceed every raw score of the last
//! `gate` observations, so one incident yields one report instead of a burst.

use super::statistical::Ewma;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// Tuning of a [`SeriesDetector`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesConfig {
    /// Quantisation levels across the observed range.
    pub bins: u32,
    /// Observations buffered to learn the range before any score is emitted.
    pub warmup: usize,
    /// Observations a new score must dominate to be reported.
    pub gate: usize,
    /// Weight of the z-score term.
    pub z_weight: f64,
    /// Smoothing of the EWMA baseline.
    pub alpha: f64,
}

/// Defaults chosen on the NAB corpus (see BENCHMARKS.md): 7 levels, 150 warm-up points, a 50-point gate.
impl Default for SeriesConfig {
    fn default() -> Self {
        SeriesConfig {
            bins: 7,
            warmup: 150,
            gate: 50,
            z_weight: 0.01,
            alpha: 0.003,
        }
    }
}

/// Score of one observation with the facts that explain it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesScore {
    /// Gated anomaly score (0 when not a new maximum of the recent raw scores).
    pub score: f64,
    /// How far the value extended the known range, in range widths (0 inside the range).
    pub range_excess: f64,
    /// Fraction of context orders never seen before.
    pub novelty: f64,
    /// Absolute z-score against the EWMA baseline.
    pub z: f64,
    /// The EWMA baseline the value was compared to.
    pub expected: f64,
}

const ORDERS: usize = 3;

/// Streaming detector over one series; memory is bounded by `bins^(ORDERS+1)` contexts.
#[derive(Debug, Clone)]
pub struct SeriesDetector {
    cfg: SeriesConfig,
    warm: Vec<f64>,
    range: Option<(f64, f64)>,
    contexts: HashMap<[i16; ORDERS + 1], u32>,
    recent: VecDeque<i16>,
    baseline: Ewma,
    gate: VecDeque<(u64, f64)>,
    seen: u64,
}

impl SeriesDetector {
    /// A new detector.
    pub fn new(cfg: SeriesConfig) -> SeriesDetector {
        SeriesDetector {
            cfg,
            warm: Vec::with_capacity(cfg.warmup),
            range: None,
            contexts: HashMap::new(),
            recent: VecDeque::with_capacity(ORDERS + 2),
            baseline: Ewma::new(cfg.alpha),
            gate: VecDeque::new(),
            seen: 0,
        }
    }

    /// Scores `x` against the state so far, then learns it.
    pub fn update(&mut self, x: f64) -> SeriesScore {
        if self.range.is_none() {
            self.warm.push(x);
            if self.warm.len() >= self.cfg.warmup.max(1) {
                self.finish_warmup();
            }
            return SeriesScore::default();
        }
        let raw = self.learn(x);
        let score = self.gated(raw.score);
        SeriesScore { score, ..raw }
    }

    fn finish_warmup(&mut self) {
        let (lo, hi) = self
            .warm
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        self.range = Some((lo, hi));
        for v in std::mem::take(&mut self.warm) {
            let raw = self.learn(v);
            self.gated(raw.score);
        }
    }

    /// Updates range, contexts and baseline with `x`; returns the ungated score.
    fn learn(&mut self, x: f64) -> SeriesScore {
        let (mut lo, mut hi) = self.range.unwrap_or((x, x));
        let width = (hi - lo).max(1e-9);
        let range_excess = if x < lo {
            (lo - x) / width
        } else if x > hi {
            (x - hi) / width
        } else {
            0.0
        };
        let extends = if x < lo || x > hi {
            1.0 + range_excess
        } else {
            0.0
        };
        lo = lo.min(x);
        hi = hi.max(x);
        self.range = Some((lo, hi));
        let bin = (((x - lo) / (hi - lo).max(1e-9)) * f64::from(self.cfg.bins)).floor() as i16;
        let novelty = self.observe_context(bin);
        let z = self.baseline.z(x, 1e-9).abs();
        let expected = self.baseline.mean();
        self.baseline.update(x);
        let ranked_z = if self.baseline.count() < 50 {
            0.0
        } else {
            z.min(20.0)
        };
        let score = extends.max(novelty) + self.cfg.z_weight * ranked_z;
        SeriesScore {
            score,
            range_excess,
            novelty,
            z,
            expected,
        }
    }

    fn observe_context(&mut self, bin: i16) -> f64 {
        self.recent.push_back(bin);
        if self.recent.len() > ORDERS + 1 {
            self.recent.pop_front();
        }
        let (mut novel, mut orders) = (0u32, 0u32);
        for order in 1..=ORDERS.min(self.recent.len() - 1) {
            let mut key = [i16::MIN; ORDERS + 1];
            let tail = self.recent.iter().skip(self.recent.len() - order - 1);
            for (slot, &b) in key.iter_mut().zip(tail) {
                *slot = b;
            }
            let count = self.contexts.entry(key).or_insert(0);
            if *count == 0 {
                novel += 1;
            }
            *count = count.saturating_add(1);
            orders += 1;
        }
        if orders == 0 {
            0.0
        } else {
            f64::from(novel) / f64::from(orders)
        }
    }

    /// Sliding-maximum gate: returns `raw` only if it exceeds every raw score of the last `gate` steps.
    fn gated(&mut self, raw: f64) -> f64 {
        self.seen += 1;
        let window = self.cfg.gate as u64;
        while self
            .gate
            .front()
            .is_some_and(|&(i, _)| i + window < self.seen)
        {
            self.gate.pop_front();
        }
        let max = self.gate.front().map_or(0.0, |&(_, v)| v);
        while self.gate.back().is_some_and(|&(_, v)| v <= raw) {
            self.gate.pop_back();
        }
        self.gate.push_back((self.seen, raw));
        if raw > max { raw } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn periodic(i: usize) -> f64 {
        10.0 + ((i % 24) as f64 / 24.0 * std::f64::consts::TAU).sin()
    }

    #[test]
    fn silent_on_a_repeating_pattern_and_fires_on_a_spike() {
        let mut d = SeriesDetector::new(SeriesConfig::default());
        let mut late_max: f64 = 0.0;
        for i in 0..3000 {
            let s = d.update(periodic(i));
            if i > 1000 {
                late_max = late_max.max(s.score);
            }
        }
        assert!(late_max < 0.2, "steady pattern scored {late_max}");
        let spike = d.update(20.0);
        assert!(spike.score > 1.0, "spike scored {spike:?}");
        assert!(spike.range_excess > 1.0);
    }

    #[test]
    fn one_report_per_incident() {
        let mut d = SeriesDetector::new(SeriesConfig::default());
        for i in 0..2000 {
            d.update(periodic(i));
        }
        let scores: Vec<f64> = (0..10).map(|_| d.update(15.0).score).collect();
        assert!(scores[0] > 1.0);
        assert!(scores[1..].iter().all(|&s| s == 0.0), "{scores:?}");
    }

    #[test]
    fn warmup_emits_nothing() {
        let mut d = SeriesDetector::new(SeriesConfig {
            warmup: 100,
            ..SeriesConfig::default()
        });
        assert!((0..99).all(|i| d.update(f64::from(i) * 7.0).score == 0.0));
    }
}
