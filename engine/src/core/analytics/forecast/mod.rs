//! Event-rate forecasts: seasonality detection, Holt-Winters with residual intervals, and a
//! holdout backtest against seasonal-naive.

pub mod backtest;
pub mod holt_winters;
pub mod seasonality;

pub use backtest::Backtest;
pub use holt_winters::{Fit, ForecastPoint, Smoothing};

/// Trend dampings tried; the one that forecasts a validation tail best is used.
const DAMPINGS: [f64; 3] = [1.0, 0.98, 0.9];

/// The smoothing whose trend damping best forecasts the last `horizon` points of `xs` (at most a
/// quarter of them) from the rest; the default when the history is too short to validate.
pub fn select_smoothing(xs: &[f64], period: usize, horizon: usize) -> Smoothing {
    let h = horizon.min(xs.len() / 4).max(1);
    let (train, valid) = xs.split_at(xs.len().saturating_sub(h));
    DAMPINGS
        .iter()
        .filter_map(|&phi| {
            let s = Smoothing {
                phi,
                ..Smoothing::default()
            };
            let fit = holt_winters::fit(train, period, h, s)?;
            let mae: f64 = fit
                .forecast
                .iter()
                .zip(valid)
                .map(|(p, x)| (p.value - x).abs())
                .sum();
            Some((mae, s))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or_else(Smoothing::default, |(_, s)| s)
}

/// Detects the season (up to `max_period` steps), picks the trend damping on a validation tail
/// and fits Holt-Winters on all of `xs`, forecasting `horizon`.
pub fn forecast(xs: &[f64], max_period: usize, horizon: usize) -> Option<Fit> {
    let period = seasonality::detect_period(xs, max_period, 0.3).unwrap_or(1);
    holt_winters::fit(xs, period, horizon, select_smoothing(xs, period, horizon))
}
