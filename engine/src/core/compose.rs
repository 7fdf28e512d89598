//! Composition of the core from the configuration: its settings and which hooks run, in order.
//!
//! The one place that decides what an [`Engine`] is made of. The server builds its core here;
//! tests and tools that want the server's behaviour without a server do the same.

use super::analytics::Analytics;
use super::analytics::config::AnalyticsConfig;
use super::profiler::ProfilerSettings;
use super::{Engine, EngineSettings};
use crate::config::Config;

/// The core settings derived from the configuration.
pub fn engine_settings(config: &Config) -> EngineSettings {
    EngineSettings {
        sliding_window_size: config.analytics.sliding_window_size,
        profiler: ProfilerSettings {
            max_history: config.profiler.max_profile_history,
            bottleneck_threshold_ms: config.profiler.bottleneck_threshold_ms,
            detect_bottlenecks: config.profiler.enable_bottleneck_detection,
        },
    }
}

/// Builds the core with its hooks: the analytics hook, unless every analytic is disabled.
/// (Alerting is not a hook: it evaluates on the profiler sampler's schedule.)
pub fn build_engine(config: &Config) -> Engine {
    let mut engine = Engine::new(&engine_settings(config));
    if let Some(analytics) = analytics(config) {
        engine.add_hook(Box::new(analytics));
    }
    engine
}

/// The analytics hook the configuration asks for, or `None` when every analytic is disabled.
/// An invalid session key falls back to the default one, with a warning.
fn analytics(config: &Config) -> Option<Analytics> {
    let a = &config.analytics;
    if !(a.enable_pattern_discovery || a.enable_anomaly_detection || a.enable_predictive_analytics)
    {
        return None;
    }
    let cfg = AnalyticsConfig::from_config(config).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "invalid analytics settings; using the default session key");
        let mut fixed = config.clone();
        fixed.pattern_discovery.session_key = "auto".into();
        AnalyticsConfig::from_config(&fixed).unwrap_or_default()
    });
    tracing::info!(
        patterns = cfg.patterns,
        anomalies = cfg.anomalies.is_some(),
        prediction = cfg.prediction,
        "analytics enabled"
    );
    Some(Analytics::new(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analytics_run_unless_every_analytic_is_disabled() {
        let mut config = Config::default();
        assert!(build_engine(&config).hook::<Analytics>().is_some());
        config.analytics.enable_pattern_discovery = false;
        config.analytics.enable_anomaly_detection = false;
        assert!(build_engine(&config).hook::<Analytics>().is_some());
        config.analytics.enable_predictive_analytics = false;
        assert!(build_engine(&config).hook::<Analytics>().is_none());
    }

    #[test]
    fn settings_follow_the_configuration() {
        let mut config = Config::default();
        config.analytics.sliding_window_size = 77;
        config.profiler.max_profile_history = 9;
        let settings = engine_settings(&config);
        assert_eq!(settings.sliding_window_size, 77);
        assert_eq!(settings.profiler.max_history, 9);
    }
}
