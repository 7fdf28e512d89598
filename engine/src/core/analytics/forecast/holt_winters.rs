//! Additive Holt-Winters smoothing with an optionally damped trend (Gardner & McKenzie) and
//! prediction intervals from one-step residuals.

use serde::Serialize;

/// Smoothing factors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smoothing {
    /// Level.
    pub alpha: f64,
    /// Trend.
    pub beta: f64,
    /// Season.
    pub gamma: f64,
    /// Trend damping per step (1 = undamped).
    pub phi: f64,
}

impl Default for Smoothing {
    fn default() -> Self {
        Smoothing {
            alpha: 0.3,
            beta: 0.02,
            gamma: 0.2,
            phi: 1.0,
        }
    }
}

/// One forecast step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ForecastPoint {
    /// Steps ahead (1-based).
    pub step: usize,
    /// Point forecast.
    pub value: f64,
    /// Lower bound of the ~95% interval.
    pub lower: f64,
    /// Upper bound of the ~95% interval.
    pub upper: f64,
}

/// A fitted model: its forecasts and how well it predicted the data one step ahead.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fit {
    /// Season length used (1 = no seasonality).
    pub period: usize,
    /// Forecast steps.
    pub forecast: Vec<ForecastPoint>,
    /// Mean absolute one-step-ahead error over the data (the backtest).
    pub mae: f64,
    /// Standard deviation of one-step-ahead errors.
    pub residual_std: f64,
    /// Trend damping per step used (1 = undamped).
    pub damping: f64,
}

/// Fits additive Holt-Winters with season `period` (1 disables the seasonal part) and forecasts `horizon`.
///
/// Needs at least two seasons (or two points without season); returns `None` otherwise.
pub fn fit(xs: &[f64], period: usize, horizon: usize, s: Smoothing) -> Option<Fit> {
    let period = period.max(1);
    if xs.len() < 2 * period.max(1) || xs.len() < 2 {
        return None;
    }
    let first: f64 = xs[..period].iter().sum::<f64>() / period as f64;
    let second: f64 = xs[period..2 * period].iter().sum::<f64>() / period as f64;
    let mut level = first;
    let mut trend = if period > 1 {
        (second - first) / period as f64
    } else {
        xs[1] - xs[0]
    };
    let mut season: Vec<f64> = if period > 1 {
        xs[..period].iter().map(|x| x - first).collect()
    } else {
        vec![0.0]
    };
    let (mut abs_sum, mut sq_sum, mut n) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (t, &x) in xs.iter().enumerate().skip(period) {
        let si = t % period;
        let predicted = level + s.phi * trend + season[si];
        let err = x - predicted;
        abs_sum += err.abs();
        sq_sum += err * err;
        n += 1.0;
        let prev_level = level;
        level = s.alpha * (x - season[si]) + (1.0 - s.alpha) * (level + s.phi * trend);
        trend = s.beta * (level - prev_level) + (1.0 - s.beta) * s.phi * trend;
        if period > 1 {
            season[si] = s.gamma * (x - level) + (1.0 - s.gamma) * season[si];
        }
    }
    let residual_std = (sq_sum / n.max(1.0)).sqrt();
    let mut damped = 0.0;
    let forecast = (1..=horizon)
        .map(|h| {
            damped += s.phi.powi(h as i32);
            let value = level + damped * trend + season[(xs.len() + h - 1) % period];
            let spread = 1.96 * residual_std * (1.0 + (h as f64 - 1.0) * s.alpha * s.alpha).sqrt();
            ForecastPoint {
                step: h,
                value,
                lower: value - spread,
                upper: value + spread,
            }
        })
        .collect();
    Some(Fit {
        period,
        forecast,
        mae: abs_sum / n.max(1.0),
        residual_std,
        damping: s.phi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_a_seasonal_trend() {
        let f = |t: usize| 100.0 + 0.5 * t as f64 + [0.0, 10.0, 20.0, 10.0, 0.0, -10.0][t % 6];
        let xs: Vec<f64> = (0..120).map(f).collect();
        let fit = fit(&xs, 6, 6, Smoothing::default()).expect("fits");
        for p in &fit.forecast {
            let truth = f(119 + p.step);
            assert!(
                (p.value - truth).abs() < 1.0,
                "step {}: {} vs {truth}",
                p.step,
                p.value
            );
            assert!(p.lower <= p.value && p.value <= p.upper);
        }
        assert!(fit.mae < 2.0, "mae {}", fit.mae);
    }

    #[test]
    fn intervals_widen_with_noise() {
        let quiet: Vec<f64> = (0..100).map(|t| 50.0 + f64::from(t % 2) * 0.1).collect();
        let noisy: Vec<f64> = (0..100)
            .map(|t| 50.0 + f64::from((t * 7919) % 17))
            .collect();
        let width = |xs: &[f64]| {
            let p = fit(xs, 1, 1, Smoothing::default()).expect("fits").forecast[0];
            p.upper - p.lower
        };
        assert!(width(&noisy) > 10.0 * width(&quiet));
    }

    #[test]
    fn too_little_data() {
        assert!(fit(&[1.0, 2.0, 3.0], 6, 3, Smoothing::default()).is_none());
    }
}
