//! Analytics settings resolved from the engine configuration sections.

use super::sessions::{SessionError, SessionKey};
use crate::config::Config;

/// Which anomaly detectors run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectorChoice {
    /// Isolation forest on per-event feature vectors.
    pub forest: bool,
    /// Statistical detectors on rates, latencies and sizes.
    pub statistical: bool,
}

/// Resolved analytics settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsConfig {
    /// Session keying policy.
    pub session_key: SessionKey,
    /// Longest session span.
    pub temporal_window_ns: i64,
    /// Completed sessions kept for mining.
    pub session_window: usize,
    /// Pattern mining on.
    pub patterns: bool,
    /// Shortest pattern reported.
    pub min_pattern_length: usize,
    /// Longest pattern reported.
    pub max_pattern_length: usize,
    /// Minimum support as a fraction of sessions.
    pub min_support: f64,
    /// Minimum rule confidence.
    pub confidence: f64,
    /// Correlation analysis on.
    pub correlations: bool,
    /// Anomaly detection on, and which detectors.
    pub anomalies: Option<DetectorChoice>,
    /// Sensitivity in (0, 1]: higher flags more.
    pub sensitivity: f64,
    /// Isolation-forest training window.
    pub window_size: usize,
    /// Samples before the forest trains.
    pub min_samples: usize,
    /// Expected share of anomalies.
    pub contamination: f64,
    /// Forecasts and next-event prediction on.
    pub prediction: bool,
    /// Forecast horizon in seconds.
    pub horizon_seconds: u64,
    /// Wall-clock quiet time after which open sessions are closed.
    pub session_idle_ns: i64,
    /// Anomaly records kept at most.
    pub max_records: usize,
    /// Oldest anomaly record kept, by recording time.
    pub max_record_age_ns: i64,
    /// Session verdicts kept.
    pub max_session_verdicts: usize,
    /// Sessions learned before session verdicts start.
    pub min_sessions: usize,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        AnalyticsConfig::from_config(&Config::default())
            .unwrap_or_else(|_| unreachable!("defaults are valid"))
    }
}

impl AnalyticsConfig {
    /// Resolves settings from the engine configuration.
    pub fn from_config(cfg: &Config) -> Result<AnalyticsConfig, SessionError> {
        let (a, p, d) = (
            &cfg.analytics,
            &cfg.pattern_discovery,
            &cfg.anomaly_detection,
        );
        let algorithm = d.algorithm.to_ascii_lowercase();
        let choice = DetectorChoice {
            forest: d.enable_ml_detection && algorithm != "statistical",
            statistical: d.enable_statistical_detection || algorithm == "statistical",
        };
        Ok(AnalyticsConfig {
            session_key: SessionKey::parse(&p.session_key)?,
            temporal_window_ns: seconds(p.temporal_window_seconds.max(1)),
            session_window: (a.sliding_window_size / 10).clamp(100, 10_000),
            patterns: a.enable_pattern_discovery && p.enable_sequence_mining,
            min_pattern_length: p.min_pattern_length.max(1),
            max_pattern_length: p.max_pattern_length.max(p.min_pattern_length).max(1),
            min_support: p.min_support_threshold.clamp(0.0, 1.0),
            confidence: p.confidence_threshold.clamp(0.0, 1.0),
            correlations: a.enable_pattern_discovery && p.enable_correlation_analysis,
            anomalies: a.enable_anomaly_detection.then_some(choice),
            sensitivity: d.sensitivity.clamp(1e-3, 1.0),
            window_size: d.window_size.max(2),
            min_samples: d.min_samples.clamp(2, d.window_size.max(2)),
            contamination: d.contamination_rate.clamp(0.0, 0.5),
            prediction: a.enable_predictive_analytics && cfg.prediction.enabled,
            horizon_seconds: cfg.prediction.horizon_seconds.max(1),
            session_idle_ns: seconds(p.session_idle_seconds.max(1)),
            max_records: d.max_records.max(1),
            max_record_age_ns: seconds(d.max_record_age_seconds),
            max_session_verdicts: d.max_session_verdicts.max(1),
            min_sessions: d.min_sessions.max(1),
        })
    }

    /// Score a series detector must reach to report an anomaly: 1.05 at the default sensitivity 0.1
    /// (near the NAB-optimal threshold), lower when more sensitive.
    pub fn series_threshold(&self) -> f64 {
        1.0 + 0.005 / self.sensitivity
    }

    /// Tail probability at or below which any detector reports (see [`super::records::severity`]).
    pub fn report_tail(&self) -> f64 {
        super::records::severity::report_tail(self.sensitivity)
    }
}

fn seconds(s: u64) -> i64 {
    (s.min(i64::MAX as u64 / 1_000_000_000) as i64) * 1_000_000_000
}
