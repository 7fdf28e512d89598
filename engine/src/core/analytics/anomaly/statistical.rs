//! Exponentially weighted mean and variance, the baseline of the z-score detectors.

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
}
