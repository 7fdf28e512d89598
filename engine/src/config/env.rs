//! Environment-variable overrides with the product brief's names (`ANALYTICS_SLIDING_WINDOW_SIZE`...).

use super::{Config, ConfigError};
use std::str::FromStr;

type Setter = fn(&mut Config, &str, &'static str) -> Result<(), ConfigError>;

fn parse<T: FromStr>(value: &str, var: &'static str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Env {
        var,
        value: value.to_string(),
    })
}

macro_rules! setter {
    ($($path:ident).+) => {
        |c: &mut Config, v: &str, var: &'static str| {
            c.$($path).+ = parse(v, var)?;
            Ok(())
        }
    };
}

/// A table of `"VARIABLE" => setter` rows, one line each.
macro_rules! overrides {
    ($($var:literal => $set:expr),* $(,)?) => {
        &[$(($var, $set)),*]
    };
}

/// Every supported variable and the key it overrides.
pub const OVERRIDES: &[(&str, Setter)] = overrides![
    "ANALYTICS_PROCESSING_LATENCY_TARGET_NS" => setter!(analytics.processing_latency_target_ns),
    "ANALYTICS_SLIDING_WINDOW_SIZE" => setter!(analytics.sliding_window_size),
    "ANALYTICS_MAX_EVENT_HISTORY" => setter!(analytics.max_event_history),
    "ANALYTICS_ENABLE_PATTERN_DISCOVERY" => setter!(analytics.enable_pattern_discovery),
    "ANALYTICS_ENABLE_ANOMALY_DETECTION" => setter!(analytics.enable_anomaly_detection),
    "ANALYTICS_ENABLE_PREDICTIVE_ANALYTICS" => setter!(analytics.enable_predictive_analytics),
    "DASHBOARD_UPDATE_INTERVAL_MS" => setter!(dashboard.update_interval_ms),
    "DASHBOARD_MAX_HISTORY" => setter!(dashboard.max_dashboard_history),
    "DASHBOARD_ENABLE_ALERTING" => setter!(alerts.enabled),
    "DASHBOARD_ENABLE_REAL_TIME_UPDATES" => setter!(dashboard.enable_real_time_updates),
    "CHARTS_DEFAULT_TIME_RANGE_MINUTES" => setter!(charts.default_time_range_minutes),
    "CHARTS_MAX_DATA_POINTS" => setter!(charts.max_data_points),
    "PROFILER_INTERVAL_MS" => setter!(profiler.profiling_interval_ms),
    "PROFILER_MAX_HISTORY" => setter!(profiler.max_profile_history),
    "PROFILER_ENABLE_BOTTLENECK_DETECTION" => setter!(profiler.enable_bottleneck_detection),
    "PROFILER_BOTTLENECK_THRESHOLD_MS" => setter!(profiler.bottleneck_threshold_ms),
    "PRODUCTION_LOG_LEVEL" => setter!(logging.level),
    "ENABLE_AUDIT_LOGGING" => setter!(audit.enabled),
    "PRODUCTION_AUDIT_RETENTION_DAYS" => setter!(audit.audit_retention_days),
    "AUTH_METHOD" => set_auth_method,
    "OAUTH2_ISSUER_URL" => |c, v, _| {
        oidc(c).issuer = v.trim().to_string();
        Ok(())
    },
    "OAUTH2_AUDIENCE" => |c, v, _| {
        oidc(c).audience = v.trim().to_string();
        Ok(())
    },
    "OAUTH2_ROLES_CLAIM" => |c, v, _| {
        oidc(c).roles_claim = v.trim().to_string();
        Ok(())
    },
    "CLUSTER_MODE" => setter!(cluster.mode),
    "CLUSTER_NATS_URL" => |c, v, _| {
        c.cluster.nats_url = v.trim().to_string();
        Ok(())
    },
    "CLUSTER_REPLICAS" => setter!(cluster.replicas),
    "CLUSTER_ORDINAL" => |c, v, var| {
        c.cluster.ordinal = Some(parse(v, var)?);
        Ok(())
    },
    "ENABLE_TLS" => |c, v, var| {
        c.server.tls.get_or_insert_default().enabled = parse(v, var)?;
        Ok(())
    },
    "TLS_CERT_PATH" => |c, v, var| {
        c.server.tls.get_or_insert_default().cert_path = parse(v, var)?;
        Ok(())
    },
    "TLS_KEY_PATH" => |c, v, var| {
        c.server.tls.get_or_insert_default().key_path = parse(v, var)?;
        Ok(())
    },
];

/// `AUTH_METHOD` sets `[auth] method`, creating an enabled `[auth]` section if there is none.
fn set_auth_method(c: &mut Config, v: &str, var: &'static str) -> Result<(), ConfigError> {
    c.auth.get_or_insert_default().method = parse(v, var)?;
    Ok(())
}

/// `[auth.oidc]`, creating it (and an enabled `[auth]` section) if there is none.
fn oidc(c: &mut Config) -> &mut crate::auth::oidc::OidcSection {
    c.auth.get_or_insert_default().oidc.get_or_insert_default()
}

/// Applies every override present in `vars` (name, value pairs, e.g. `std::env::vars()`).
pub fn apply_env<I>(config: &mut Config, vars: I) -> Result<(), ConfigError>
where
    I: IntoIterator<Item = (String, String)>,
{
    for (name, value) in vars {
        if let Some((var, set)) = OVERRIDES.iter().find(|(n, _)| *n == name) {
            set(config, &value, var)?;
        }
    }
    Ok(())
}
