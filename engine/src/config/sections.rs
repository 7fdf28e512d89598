//! The TOML sections of the engine configuration, with the product brief's key names and defaults.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[analytics]`: the core analytics switches and sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsSection {
    /// Target per-event processing latency; the profile reports whether p99 meets it.
    pub processing_latency_target_ns: u64,
    /// Run sequential pattern discovery.
    pub enable_pattern_discovery: bool,
    /// Run anomaly detection.
    pub enable_anomaly_detection: bool,
    /// Run rate forecasts and next-event prediction.
    pub enable_predictive_analytics: bool,
    /// Size of the count window.
    pub sliding_window_size: usize,
    /// Events retained in memory and in the log.
    pub max_event_history: usize,
}

impl Default for AnalyticsSection {
    fn default() -> Self {
        AnalyticsSection {
            processing_latency_target_ns: 1_000_000,
            enable_pattern_discovery: true,
            enable_anomaly_detection: true,
            enable_predictive_analytics: true,
            sliding_window_size: 10_000,
            max_event_history: 100_000,
        }
    }
}

/// `[pattern_discovery]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PatternDiscoverySection {
    /// Shortest pattern.
    pub min_pattern_length: usize,
    /// Longest pattern.
    pub max_pattern_length: usize,
    /// Minimum support as a fraction of sessions (0..1).
    pub min_support_threshold: f64,
    /// Minimum rule confidence (0..1).
    pub confidence_threshold: f64,
    /// Session gap / window in seconds.
    pub temporal_window_seconds: u64,
    /// Mine sequential patterns.
    pub enable_sequence_mining: bool,
    /// Compute correlations between event-type rates.
    pub enable_correlation_analysis: bool,
    /// How sessions are keyed: `auto` (transaction, session, agent, source), `transaction`,
    /// `session`, `agent` or `source`.
    pub session_key: String,
    /// Wall-clock seconds without any event after which every open session is closed (the
    /// event-time watermark cannot advance while the stream is quiet).
    pub session_idle_seconds: u64,
}

impl Default for PatternDiscoverySection {
    fn default() -> Self {
        PatternDiscoverySection {
            min_pattern_length: 2,
            max_pattern_length: 10,
            min_support_threshold: 0.1,
            confidence_threshold: 0.8,
            temporal_window_seconds: 300,
            enable_sequence_mining: true,
            enable_correlation_analysis: true,
            session_key: "auto".into(),
            session_idle_seconds: 10,
        }
    }
}

/// `[anomaly_detection]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnomalyDetectionSection {
    /// `isolation_forest`, `statistical` or `both`.
    pub algorithm: String,
    /// Detector sensitivity (0..1, higher flags more).
    pub sensitivity: f64,
    /// Samples in the training window.
    pub window_size: usize,
    /// Samples needed before detection starts.
    pub min_samples: usize,
    /// Expected share of anomalies (0..0.5).
    pub contamination_rate: f64,
    /// Run the statistical detectors.
    pub enable_statistical_detection: bool,
    /// Run the isolation forest.
    pub enable_ml_detection: bool,
    /// Anomaly records kept at most (oldest dropped first).
    pub max_records: usize,
    /// Anomaly records older than this many seconds are dropped.
    pub max_record_age_seconds: u64,
    /// Closed-session verdicts kept for `GET /api/v1/sessions`.
    pub max_session_verdicts: usize,
    /// Closed sessions learned without a verdict before session verdicts start (the cold start;
    /// set it to the length of a history known to be normal to learn all of it first).
    pub min_sessions: usize,
}

impl Default for AnomalyDetectionSection {
    fn default() -> Self {
        AnomalyDetectionSection {
            algorithm: "isolation_forest".into(),
            sensitivity: 0.1,
            window_size: 1000,
            min_samples: 50,
            contamination_rate: 0.05,
            enable_statistical_detection: true,
            enable_ml_detection: true,
            max_records: 10_000,
            max_record_age_seconds: 7 * 24 * 3600,
            max_session_verdicts: 10_000,
            min_sessions: 50,
        }
    }
}

/// `[prediction]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PredictionSection {
    /// Run forecasts.
    pub enabled: bool,
    /// Forecast horizon.
    pub horizon_seconds: u64,
}

impl Default for PredictionSection {
    fn default() -> Self {
        PredictionSection {
            enabled: true,
            horizon_seconds: 300,
        }
    }
}

/// `[profiler]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfilerSection {
    /// Sample process counters periodically.
    pub enable_real_time_profiling: bool,
    /// Sampling interval.
    pub profiling_interval_ms: u64,
    /// Samples kept.
    pub max_profile_history: usize,
    /// Flag stages whose p95 exceeds the threshold.
    pub enable_bottleneck_detection: bool,
    /// Bottleneck threshold.
    pub bottleneck_threshold_ms: f64,
    /// Percentile used by performance alerts.
    pub alert_threshold_percentile: f64,
}

impl Default for ProfilerSection {
    fn default() -> Self {
        ProfilerSection {
            enable_real_time_profiling: true,
            profiling_interval_ms: 1000,
            max_profile_history: 1000,
            enable_bottleneck_detection: true,
            bottleneck_threshold_ms: 100.0,
            alert_threshold_percentile: 95.0,
        }
    }
}

/// `[dashboard]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardSection {
    /// Whether the page follows the engine live (the stream and polling); off, it loads once
    /// and refreshes on request.
    pub enable_real_time_updates: bool,
    /// The page's polling interval, ms (at least 250).
    pub update_interval_ms: u64,
    /// Samples the page keeps per live chart (the ingest rate and lag it records itself), and
    /// rows it keeps per table.
    pub max_dashboard_history: usize,
}

impl Default for DashboardSection {
    fn default() -> Self {
        DashboardSection {
            enable_real_time_updates: true,
            update_interval_ms: 1000,
            max_dashboard_history: 10_000,
        }
    }
}

/// `[charts]`: the dashboard's time charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChartsSection {
    /// The time range the page opens with, minutes before the newest event.
    pub default_time_range_minutes: u64,
    /// Most points per chart series; the series API buckets ranges to fit.
    pub max_data_points: usize,
    /// Whether the charts follow new data live; with `[dashboard] enable_real_time_updates`, it
    /// decides whether the page starts with live updates on.
    pub enable_real_time_streaming: bool,
    /// How often the overview reloads its time series while live, ms (at least 250).
    pub refresh_interval_ms: u64,
    /// Drag-to-zoom and pan on the time charts.
    pub enable_zoom_and_pan: bool,
    /// The CSV and JSON export buttons.
    pub enable_data_export: bool,
}

impl Default for ChartsSection {
    fn default() -> Self {
        ChartsSection {
            default_time_range_minutes: 60,
            max_data_points: 1000,
            enable_real_time_streaming: true,
            refresh_interval_ms: 5000,
            enable_zoom_and_pan: true,
            enable_data_export: true,
        }
    }
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Listen address.
    pub listen: String,
    /// Largest accepted request body (after decompression).
    pub max_body_bytes: usize,
    /// Most events per ingest request.
    pub max_batch_events: usize,
    /// Ingest batches that may wait for the log writer before 429.
    pub ingest_queue_batches: usize,
    /// Largest single event, as JSON text (413 naming the event otherwise).
    pub max_event_bytes: usize,
    /// Largest `payload` of one event, as JSON text (413 naming the event otherwise).
    pub max_payload_bytes: usize,
    /// Concurrent server-sent-event streams (`/api/v1/stream`, `/api/v1/anomalies/stream`);
    /// more are refused with 429.
    pub max_stream_clients: usize,
    /// Open connections at most; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Milliseconds a client has to send a request's headers before it is disconnected.
    pub header_read_timeout_ms: u64,
    /// Milliseconds a client has to send a request's body (408 otherwise).
    pub body_read_timeout_ms: u64,
    /// Requests per second allowed per client address and per authenticated subject (0: off).
    pub rate_limit_per_second: f64,
    /// Requests a client may send at once before the rate applies.
    pub rate_limit_burst: u32,
    /// `[server.tls]`; absent means plain HTTP.
    pub tls: Option<super::TlsSection>,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 16 * 1024 * 1024,
            max_batch_events: 50_000,
            ingest_queue_batches: 32,
            max_event_bytes: 1024 * 1024,
            max_payload_bytes: 512 * 1024,
            max_stream_clients: 64,
            max_connections: 1024,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            rate_limit_per_second: 0.0,
            rate_limit_burst: 100,
            tls: None,
        }
    }
}

/// When the log is flushed to stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FsyncPolicy {
    /// fsync once per group commit, before acknowledging (the default).
    Batch,
    /// fsync every `fsync_interval_ms`; a crash may lose the last interval.
    Interval,
    /// Never fsync; the OS decides.
    Never,
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSection {
    /// Data directory; empty means the user's data dir (`…/vexfs-engine`).
    pub data_dir: PathBuf,
    /// fsync policy.
    pub fsync: FsyncPolicy,
    /// Interval for `fsync = "interval"`.
    pub fsync_interval_ms: u64,
    /// Segment size before rolling to a new file.
    pub segment_size_bytes: u64,
    /// How often a checkpoint is written.
    pub checkpoint_interval_seconds: u64,
    /// Events older than this are dropped (0: keep until `max_event_history`).
    pub retention_age_seconds: u64,
    /// Retained events take at most about this many bytes of memory; the oldest go first
    /// (0: no byte bound, only `max_event_history`).
    pub retention_bytes: u64,
}

impl Default for StorageSection {
    fn default() -> Self {
        StorageSection {
            data_dir: PathBuf::new(),
            fsync: FsyncPolicy::Batch,
            fsync_interval_ms: 100,
            segment_size_bytes: 64 * 1024 * 1024,
            checkpoint_interval_seconds: 60,
            retention_age_seconds: 0,
            retention_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text when stderr is a terminal, JSON otherwise (a container, a file, a pipe).
    Auto,
    /// One JSON object per line.
    Json,
    /// Human-readable text.
    Text,
}

impl LogFormat {
    /// The concrete format (`Json` or `Text`): `Auto` becomes `Text` when `terminal` is true.
    pub fn resolve(self, terminal: bool) -> LogFormat {
        match self {
            LogFormat::Auto if terminal => LogFormat::Text,
            LogFormat::Auto => LogFormat::Json,
            other => other,
        }
    }
}

/// `[logging]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSection {
    /// Level or `tracing` filter directive (`info`, `vexfs_engine=debug`...).
    pub level: String,
    /// Output format.
    pub format: LogFormat,
}

impl Default for LoggingSection {
    fn default() -> Self {
        LoggingSection {
            level: "info".into(),
            format: LogFormat::Auto,
        }
    }
}
