//! Holdout backtest of a forecast against the seasonal-naive forecast (MASE).
//!
//! The last `horizon` points are held out; the model is selected (trend damping, on a validation
//! tail of what remains) and fitted on the rest, then forecasts them.
//! MASE divides its mean absolute error by the in-sample mean absolute error of the one-step
//! seasonal-naive forecast (Hyndman & Koehler, 2006): below 1 the model beats repeating the last
//! season. The seasonal-naive forecast's own error on the same holdout is reported beside it.

use super::holt_winters::fit;
use super::select_smoothing;
use serde::Serialize;

/// Backtest result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backtest {
    /// Mean absolute scaled error of the model on the holdout (`None` for a constant history).
    pub mase: Option<f64>,
    /// Mean absolute error of the seasonal-naive forecast on the same holdout.
    pub seasonal_naive_mae: f64,
    /// Mean absolute error of the model on the holdout.
    pub mae: f64,
    /// Points held out (seconds for rate series).
    pub horizon_seconds: usize,
}

/// Backtests Holt-Winters with season `period` on the last `horizon` points of `xs` (at most a
/// quarter of the series); `None` when too little history remains to fit.
pub fn backtest(xs: &[f64], period: usize, horizon: usize) -> Option<Backtest> {
    let period = period.max(1);
    let h = horizon.min(xs.len() / 4).max(1);
    if xs.len() <= h {
        return None;
    }
    let (train, test) = xs.split_at(xs.len() - h);
    let model = fit(train, period, h, select_smoothing(train, period, h))?;
    let mae = mean(
        model
            .forecast
            .iter()
            .zip(test)
            .map(|(p, &x)| (p.value - x).abs()),
    );
    let last_season = &train[train.len() - period.min(train.len())..];
    let naive = |j: usize| last_season[j % last_season.len()];
    let seasonal_naive_mae = mean(test.iter().enumerate().map(|(j, &x)| (naive(j) - x).abs()));
    let scale = mean(
        train
            .iter()
            .skip(period)
            .zip(train)
            .map(|(now, before)| (now - before).abs()),
    );
    Some(Backtest {
        mase: (scale > f64::EPSILON).then(|| mae / scale),
        seasonal_naive_mae,
        mae,
        horizon_seconds: h,
    })
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seasonal_trend_beats_seasonal_naive() {
        let xs: Vec<f64> = (0..600)
            .map(|t| 100.0 + 0.2 * t as f64 + [0.0, 8.0, 16.0, 8.0, 0.0, -8.0][t % 6])
            .collect();
        let b = backtest(&xs, 6, 60).expect("fits");
        assert_eq!(b.horizon_seconds, 60);
        assert!(b.mae < b.seasonal_naive_mae, "{b:?}");
        assert!(b.mase.is_some_and(|m| m < 1.0), "{b:?}");
    }

    #[test]
    fn constant_history_has_no_mase_and_short_history_no_backtest() {
        let b = backtest(&[5.0; 100], 1, 10).expect("fits");
        assert_eq!((b.mase, b.mae, b.seasonal_naive_mae), (None, 0.0, 0.0));
        assert!(backtest(&[1.0], 1, 10).is_none());
    }
}
