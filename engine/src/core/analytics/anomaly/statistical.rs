//! Statistical detectors: exponentially weighted mean/variance z-scores and a running anomaly likelihood.

use std::collections::VecDeque;

/// Exponentially weighted mean and variance (West's incremental form).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ewma {
    alpha: f64,
    mean: f64,
    var: f64,
    count: u64,
}

impl Ewma {
    /// A new estimator with smoothing factor `alpha` in (0, 1].
    pub fn new(alpha: f64) -> Ewma {
        Ewma {
            alpha: alpha.clamp(1e-6, 1.0),
            mean: 0.0,
            var: 0.0,
            count: 0,
        }
    }

    /// Current mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Current standard deviation.
    pub fn std(&self) -> f64 {
        self.var.max(0.0).sqrt()
    }

    /// Number of observations so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Signed distance of `x` from the mean in standard deviations (`floor` keeps it finite).
    pub fn z(&self, x: f64, floor: f64) -> f64 {
        (x - self.mean) / self.std().max(floor)
    }

    /// Adds an observation. The first observations use a plain running mean so early values weigh fairly.
    pub fn update(&mut self, x: f64) {
        self.count += 1;
        let alpha = self.alpha.max(1.0 / self.count as f64);
        let diff = x - self.mean;
        let incr = alpha * diff;
        self.mean += incr;
        self.var = (1.0 - alpha) * (self.var + diff * incr);
    }
}

/// Upper tail probability of the standard normal distribution, `P(Z > z)`.
pub fn normal_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Turns a stream of raw scores into the probability that the recent raw scores are unusually high
/// given their own long-run distribution (the "anomaly likelihood" of streaming detectors).
#[derive(Debug, Clone)]
pub struct Likelihood {
    history: VecDeque<f64>,
    capacity: usize,
    short: VecDeque<f64>,
    short_len: usize,
    sum: f64,
    sum_sq: f64,
    short_sum: f64,
}

impl Likelihood {
    /// Long-run distribution over `capacity` raw scores, recent mean over `short_len` scores.
    pub fn new(capacity: usize, short_len: usize) -> Likelihood {
        Likelihood {
            history: VecDeque::with_capacity(capacity + 1),
            capacity: capacity.max(2),
            short: VecDeque::with_capacity(short_len + 1),
            short_len: short_len.max(1),
            sum: 0.0,
            sum_sq: 0.0,
            short_sum: 0.0,
        }
    }

    /// Adds a raw score and returns the likelihood in [0, 1] (0 until a few scores were seen).
    pub fn update(&mut self, raw: f64) -> f64 {
        self.short.push_back(raw);
        self.short_sum += raw;
        if self.short.len() > self.short_len {
            self.short_sum -= self.short.pop_front().unwrap_or(0.0);
        }
        let n = self.history.len() as f64;
        let likelihood = if n < 2.0 {
            0.0
        } else {
            let mean = self.sum / n;
            let std = (self.sum_sq / n - mean * mean).max(0.0).sqrt().max(1e-4);
            let recent = self.short_sum / self.short.len() as f64;
            1.0 - normal_tail((recent - mean) / std)
        };
        self.history.push_back(raw);
        self.sum += raw;
        self.sum_sq += raw * raw;
        if self.history.len() > self.capacity {
            let old = self.history.pop_front().unwrap_or(0.0);
            self.sum -= old;
            self.sum_sq -= old * old;
        }
        likelihood
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewma_tracks_mean_and_spread() {
        let mut e = Ewma::new(0.01);
        for i in 0..10_000 {
            e.update(if i % 2 == 0 { 9.0 } else { 11.0 });
        }
        assert!((e.mean() - 10.0).abs() < 0.05, "mean {}", e.mean());
        assert!((e.std() - 1.0).abs() < 0.05, "std {}", e.std());
        assert!((e.z(13.0, 1e-9) - 3.0).abs() < 0.2);
    }

    #[test]
    fn normal_tail_known_values() {
        assert!((normal_tail(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_tail(1.96) - 0.024_998).abs() < 1e-5);
        assert!((normal_tail(-1.0) - 0.841_345).abs() < 1e-5);
    }

    #[test]
    fn likelihood_rises_on_a_burst_of_high_scores() {
        let mut l = Likelihood::new(500, 5);
        let mut last = 0.0;
        for i in 0..1000 {
            last = l.update(0.1 + 0.01 * ((i % 7) as f64));
        }
        assert!(last < 0.99);
        let mut peak: f64 = 0.0;
        for _ in 0..5 {
            peak = peak.max(l.update(0.9));
        }
        assert!(peak > 0.9999, "peak {peak}");
    }
}
