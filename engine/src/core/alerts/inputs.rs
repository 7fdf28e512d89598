//! The observed values alert rules are evaluated against, filled by the pipeline each tick.

use std::collections::{BTreeMap, BTreeSet};

/// Which costly inputs the rules read (the others are always collected).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputNeeds {
    /// Frequent patterns.
    pub patterns: bool,
    /// The event-rate forecast.
    pub forecast: bool,
    /// Anomaly scores and counts.
    pub anomalies: bool,
}

/// A snapshot of everything a rule may look at, in plain numbers.
///
/// The pipeline fills it from the sliding windows, the profiler and the analytics reports; a field
/// left `None` (or a missing map key) means "no data yet", and rules over it are skipped rather
/// than resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertInputs {
    /// Total event rate, events per second.
    pub event_rate: Option<f64>,
    /// Per event type rate, events per second, keyed by the type's wire name.
    pub type_rates: BTreeMap<String, f64>,
    /// Rate of `ErrorReported` events, events per second.
    pub error_rate: Option<f64>,
    /// 95th percentile of per-event latency, milliseconds.
    pub latency_p95_ms: Option<f64>,
    /// 99th percentile of per-event latency, milliseconds.
    pub latency_p99_ms: Option<f64>,
    /// Profiler stage 95th percentile, milliseconds, keyed by stage name.
    pub stage_p95_ms: BTreeMap<String, f64>,
    /// Resident memory of the engine, bytes.
    pub memory_bytes: Option<f64>,
    /// CPU use of the engine, percent of one core.
    pub cpu_percent: Option<f64>,
    /// Highest anomaly score of the last minute relative to its detector's threshold
    /// (1.0 = at the threshold; 0 when nothing was anomalous).
    pub anomaly_score: Option<f64>,
    /// Anomalies detected in the last minute.
    pub anomaly_count: Option<f64>,
    /// Currently frequent sequential patterns, each a list of event type names.
    pub patterns: Option<BTreeSet<Vec<String>>>,
    /// Highest upper bound of the event-rate forecast over the horizon, events per second.
    pub forecast_peak_rate: Option<f64>,
}
