//! Event-rate forecasts: seasonality detection and Holt-Winters with residual intervals.

pub mod holt_winters;
pub mod seasonality;

pub use holt_winters::{Fit, ForecastPoint, Smoothing};

/// Detects the season (up to `max_period` steps) and fits Holt-Winters, forecasting `horizon` steps.
pub fn forecast(xs: &[f64], max_period: usize, horizon: usize) -> Option<Fit> {
    let period = seasonality::detect_period(xs, max_period, 0.3).unwrap_or(1);
    holt_winters::fit(xs, period, horizon, Smoothing::default())
}
