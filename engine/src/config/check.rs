//! Range checks on a parsed configuration that types alone cannot express.

use super::{Config, ConfigError};

fn invalid(key: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.to_string(),
    }
}

/// Checks `[analytics]`, `[pattern_discovery]` and `[anomaly_detection]`.
pub fn analytics(config: &Config) -> Result<(), ConfigError> {
    if config.analytics.sliding_window_size == 0 {
        return Err(invalid(
            "analytics.sliding_window_size",
            "must be at least 1",
        ));
    }
    if config.analytics.max_event_history == 0 {
        return Err(invalid("analytics.max_event_history", "must be at least 1"));
    }
    let pd = &config.pattern_discovery;
    if pd.min_pattern_length == 0 || pd.min_pattern_length > pd.max_pattern_length {
        return Err(invalid(
            "pattern_discovery.min_pattern_length",
            "must be between 1 and max_pattern_length",
        ));
    }
    for (key, v) in [
        (
            "pattern_discovery.min_support_threshold",
            pd.min_support_threshold,
        ),
        (
            "pattern_discovery.confidence_threshold",
            pd.confidence_threshold,
        ),
        (
            "anomaly_detection.sensitivity",
            config.anomaly_detection.sensitivity,
        ),
        (
            "anomaly_detection.contamination_rate",
            config.anomaly_detection.contamination_rate,
        ),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(invalid(key, "must be between 0 and 1"));
        }
    }
    if !["isolation_forest", "statistical", "both"]
        .contains(&config.anomaly_detection.algorithm.as_str())
    {
        return Err(invalid(
            "anomaly_detection.algorithm",
            "must be isolation_forest, statistical or both",
        ));
    }
    Ok(())
}

/// Checks `[profiler]`, `[server]`, `[charts]`, `[dashboard]` and `[storage]` limits.
pub fn limits(config: &Config) -> Result<(), ConfigError> {
    if config.profiler.profiling_interval_ms == 0 {
        return Err(invalid(
            "profiler.profiling_interval_ms",
            "must be at least 1",
        ));
    }
    if config.server.max_batch_events == 0 || config.server.ingest_queue_batches == 0 {
        return Err(invalid(
            "server.max_batch_events",
            "and server.ingest_queue_batches must be at least 1",
        ));
    }
    if config.server.max_event_bytes == 0
        || config.server.max_payload_bytes == 0
        || config.server.max_stream_clients == 0
        || config.server.max_connections == 0
        || config.server.header_read_timeout_ms == 0
        || config.server.body_read_timeout_ms == 0
    {
        return Err(invalid(
            "server.max_event_bytes",
            "server.max_payload_bytes, max_stream_clients, max_connections, \
             header_read_timeout_ms and body_read_timeout_ms must be at least 1",
        ));
    }
    let rate = config.server.rate_limit_per_second;
    if !rate.is_finite() || rate < 0.0 {
        return Err(invalid(
            "server.rate_limit_per_second",
            "must be 0 (off) or a positive number",
        ));
    }
    if config.charts.max_data_points == 0 || config.charts.max_data_points > 100_000 {
        return Err(invalid(
            "charts.max_data_points",
            "must be between 1 and 100000",
        ));
    }
    if config.charts.default_time_range_minutes == 0 {
        return Err(invalid(
            "charts.default_time_range_minutes",
            "must be at least 1",
        ));
    }
    if config.dashboard.max_dashboard_history == 0 {
        return Err(invalid(
            "dashboard.max_dashboard_history",
            "must be at least 1",
        ));
    }
    if config.storage.segment_size_bytes < 4096 {
        return Err(invalid(
            "storage.segment_size_bytes",
            "must be at least 4096",
        ));
    }
    Ok(())
}

/// Level names a `[logging] level` directive may use.
const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// Checks a log filter: comma-separated directives, each a level (`info`) or `target=level`
/// (`vexfs_engine=debug`). A bare word that is not a level would be read by `tracing` as a
/// target name and silence every other log line, so it is refused.
pub fn log_level(key: &'static str, filter: &str) -> Result<(), ConfigError> {
    let directives: Vec<&str> = filter.split(',').map(str::trim).collect();
    if directives.iter().all(|d| d.is_empty()) {
        return Err(invalid(
            key,
            "is empty; use one of trace, debug, info, warn, error, off",
        ));
    }
    for directive in directives.into_iter().filter(|d| !d.is_empty()) {
        let level = directive
            .rsplit_once('=')
            .map_or(directive, |(_, level)| level);
        if !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            return Err(invalid(
                key,
                &format!(
                    "{directive:?} has no valid level; use one of trace, debug, info, warn, error, off, optionally as target=level"
                ),
            ));
        }
    }
    Ok(())
}
