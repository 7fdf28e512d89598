//! `spec.analytics`: sliding windows, pattern discovery, anomaly detection and prediction.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Analytics settings; defaults are the product's documented values.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct AnalyticsSpec {
    /// Number of most recent events kept in the sliding statistics window.
    #[schemars(range(min = 1))]
    pub sliding_window_size: i64,
    /// Maximum number of events kept in memory for queries.
    #[schemars(range(min = 1))]
    pub max_event_history: i64,
    /// Target processing latency per event, in nanoseconds.
    #[schemars(range(min = 1))]
    pub processing_latency_target_ns: i64,
    /// Sequential pattern and correlation mining.
    #[schemars(transform = super::schema::no_default)]
    pub pattern_discovery: PatternDiscoverySpec,
    /// Anomaly detection over event rates and latencies.
    #[schemars(transform = super::schema::no_default)]
    pub anomaly_detection: AnomalyDetectionSpec,
    /// Forecasts of event rates and next events.
    #[schemars(transform = super::schema::no_default)]
    pub prediction: PredictionSpec,
}

impl Default for AnalyticsSpec {
    fn default() -> Self {
        Self {
            sliding_window_size: 10_000,
            max_event_history: 100_000,
            processing_latency_target_ns: 1_000_000,
            pattern_discovery: PatternDiscoverySpec::default(),
            anomaly_detection: AnomalyDetectionSpec::default(),
            prediction: PredictionSpec::default(),
        }
    }
}

/// Pattern discovery settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", default)]
#[schemars(extend("x-kubernetes-validations" = [{"rule": "self.minPatternLength <= self.maxPatternLength", "message": super::messages::PATTERN_LENGTH}]))]
pub struct PatternDiscoverySpec {
    /// Mine sequential patterns at all.
    pub enabled: bool,
    /// Shortest pattern reported, in events.
    #[schemars(range(min = 1, max = 100))]
    pub min_pattern_length: i32,
    /// Longest pattern reported, in events.
    #[schemars(range(min = 1, max = 100))]
    pub max_pattern_length: i32,
    /// Minimum support of a reported pattern, in percent of windows.
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self >= 0 && self <= 100", "message": super::messages::PERCENT_RANGE}]))]
    pub min_support_percent: i32,
    /// Minimum confidence of a reported rule, in percent.
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self >= 0 && self <= 100", "message": super::messages::PERCENT_RANGE}]))]
    pub confidence_percent: i32,
    /// Time window within which events form a sequence, in seconds.
    #[schemars(range(min = 1))]
    pub temporal_window_seconds: i64,
    /// Enable sequence mining.
    pub sequence_mining: bool,
    /// Enable correlation analysis between event types.
    pub correlation_analysis: bool,
}

impl Default for PatternDiscoverySpec {
    fn default() -> Self {
        Self {
            enabled: true,
            min_pattern_length: 2,
            max_pattern_length: 10,
            min_support_percent: 10,
            confidence_percent: 80,
            temporal_window_seconds: 300,
            sequence_mining: true,
            correlation_analysis: true,
        }
    }
}

/// Anomaly detection settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct AnomalyDetectionSpec {
    /// Detect anomalies at all.
    pub enabled: bool,
    /// Detection algorithm.
    pub algorithm: AnomalyAlgorithm,
    /// Detection sensitivity, in percent.
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self >= 0 && self <= 100", "message": super::messages::PERCENT_RANGE}]))]
    pub sensitivity_percent: i32,
    /// Number of recent samples each detector looks at.
    #[schemars(range(min = 1))]
    pub window_size: i64,
    /// Samples needed before a detector reports anything.
    #[schemars(range(min = 1))]
    pub min_samples: i64,
    /// Expected share of anomalous samples, in percent (isolation forest contamination).
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self >= 0 && self <= 100", "message": super::messages::PERCENT_RANGE}]))]
    pub contamination_percent: i32,
}

impl Default for AnomalyDetectionSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            algorithm: AnomalyAlgorithm::IsolationForest,
            sensitivity_percent: 10,
            window_size: 1000,
            min_samples: 50,
            contamination_percent: 5,
        }
    }
}

/// Anomaly detection algorithm.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum AnomalyAlgorithm {
    /// Isolation forest (machine-learned).
    IsolationForest,
    /// Statistical tests (z-score and friends).
    Statistical,
    /// Both detectors.
    Both,
}

impl AnomalyAlgorithm {
    /// The name the engine's `[anomaly_detection] algorithm` key expects.
    pub fn as_config(self) -> &'static str {
        match self {
            Self::IsolationForest => "isolation_forest",
            Self::Statistical => "statistical",
            Self::Both => "both",
        }
    }
}

/// Forecasting settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct PredictionSpec {
    /// Produce forecasts at all.
    pub enabled: bool,
    /// How far ahead forecasts look, in seconds.
    #[schemars(range(min = 1))]
    pub horizon_seconds: i64,
}

impl Default for PredictionSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            horizon_seconds: 300,
        }
    }
}
