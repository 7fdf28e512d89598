//! Serialisable query results of the analytics facade.

use super::forecast::{Backtest as ForecastBacktest, Fit};
use super::next_event::Backtest;
use super::records::query::AnomalyPage;
use super::records::{Detector, RecordKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// A frequent sequential pattern of event types.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatternView {
    /// Event type names in order.
    pub types: Vec<&'static str>,
    /// Sessions containing the pattern.
    pub support: usize,
    /// Support as a fraction of sessions in the window.
    pub support_ratio: f64,
}

/// A sequence rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleView {
    /// What happened first.
    pub antecedent: Vec<&'static str>,
    /// What followed.
    pub consequent: &'static str,
    /// Sessions with both.
    pub support: usize,
    /// P(consequent | antecedent).
    pub confidence: f64,
}

/// `GET /api/v1/patterns`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatternsReport {
    /// Completed sessions in the mining window.
    pub sessions: usize,
    /// Sessions still open.
    pub open_sessions: usize,
    /// Support (sessions) a pattern needed.
    pub min_support: usize,
    /// True when patterns longer than `complete_up_to_length` were left out to stay within the mining limit.
    pub truncated: bool,
    /// Patterns are complete up to this length; with `truncated`, longer ones did not fit the limit.
    pub complete_up_to_length: usize,
    /// Patterns, highest support first.
    pub patterns: Vec<PatternView>,
    /// Rules, highest confidence first.
    pub rules: Vec<RuleView>,
}

/// A correlated pair of event types.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrelationView {
    /// First type.
    pub a: &'static str,
    /// Second type.
    pub b: &'static str,
    /// Pearson coefficient at the best lag.
    pub coefficient: f64,
    /// Seconds by which `b` follows `a`.
    pub lag_seconds: i64,
}

/// `GET /api/v1/correlations`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrelationsReport {
    /// Seconds of rate history used.
    pub seconds: usize,
    /// Pairs with |coefficient| ≥ the confidence threshold, strongest first.
    pub pairs: Vec<CorrelationView>,
}

/// Isolation forest state.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForestView {
    /// A model is trained.
    pub trained: bool,
    /// Samples in the training window.
    pub window: usize,
    /// Current score threshold.
    pub threshold: Option<f64>,
    /// Events scored by a trained forest since start.
    pub scored: u64,
    /// Events among them scoring above the threshold (about `contamination` of `scored`); only
    /// those whose tail probability reaches the reporting level become records.
    pub flagged: u64,
}

/// Kept records per kind and per detector.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordTotals {
    /// Per kind.
    pub by_kind: BTreeMap<&'static str, u64>,
    /// Per detector.
    pub by_detector: BTreeMap<&'static str, u64>,
}

impl RecordTotals {
    /// Totals with every kind and detector present (zero when none kept).
    pub fn new(kinds: &BTreeMap<RecordKind, u64>, detectors: &BTreeMap<Detector, u64>) -> Self {
        RecordTotals {
            by_kind: RecordKind::ALL
                .iter()
                .map(|k| (k.name(), kinds.get(k).copied().unwrap_or(0)))
                .collect(),
            by_detector: Detector::ALL
                .iter()
                .map(|d| (d.name(), detectors.get(d).copied().unwrap_or(0)))
                .collect(),
        }
    }
}

/// `GET /api/v1/anomalies`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomaliesReport {
    /// The requested page, its cursor and the number of matching records.
    #[serde(flatten)]
    pub page: AnomalyPage,
    /// Kept records per kind and detector (whatever the filters).
    pub totals: RecordTotals,
    /// Isolation forest state.
    pub forest: ForestView,
}

/// One series' forecast on event time, with the history it was fitted on and its backtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesForecast {
    /// Series name: `rate:total` or `rate:<Category>` (events per second).
    pub series: String,
    /// Event time of the first observed point (ns); points are one second apart.
    pub observed_start_ns: i64,
    /// Event time of the first observed point, RFC 3339.
    pub observed_start: String,
    /// The most recent observed points (up to 300 seconds).
    pub observed: Vec<f64>,
    /// Event time of the first forecast point (ns), the second after the last observed one.
    pub forecast_start_ns: i64,
    /// Event time of the first forecast point, RFC 3339.
    pub forecast_start: String,
    /// Season, one-step error and forecast points with their ~95% intervals.
    #[serde(flatten)]
    pub fit: Fit,
    /// Holdout backtest against seasonal-naive.
    pub backtest: Option<ForecastBacktest>,
}

/// A candidate next event type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextEventView {
    /// Event type name.
    #[serde(rename = "type")]
    pub event_type: &'static str,
    /// Blended probability.
    pub probability: f64,
}

/// `GET /api/v1/predictions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictionsReport {
    /// Forecast horizon in seconds.
    pub horizon_seconds: u64,
    /// Total event-rate forecast (events/s) on event time; absent until enough history.
    pub rate_forecast: Option<Fit>,
    /// Forecasts of the total rate and of each active category, with backtests.
    pub forecasts: Vec<SeriesForecast>,
    /// Likely next event types of the most recently active session.
    pub next_events: Vec<NextEventView>,
    /// Running top-1 accuracy of next-event predictions (each checked before it was learned).
    pub next_event_backtest: Backtest,
    /// Top-1 accuracy as a fraction.
    pub next_event_accuracy: f64,
}
