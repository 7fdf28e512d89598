//! Event-rate forecasts: seasonality detection, Holt-Winters with residual intervals, and a
//! holdout backtest against seasonal-naive.

pub mod backtest;
pub mod holt_winters;
pub mod seasonality;

pub use backtest::Backtest;
pub use holt_winters::{Fit, ForecastPoint, Smoothing};

/// Detects the season (up to `max_period` steps) and fits Holt-Winters, forecasting `horizon`.
pub fn forecast(xs: &[f64], max_period: usize, horizon: usize) -> Option<Fit> {
    let period = seasonality::detect_period(xs, max_period, 0.3).unwrap_or(1);
    holt_winters::fit(xs, period, horizon, Smoothing::default())
}
