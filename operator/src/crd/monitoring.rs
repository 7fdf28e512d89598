//! `spec.monitoring`: Prometheus Operator integration.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which Prometheus Operator objects to create.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct MonitoringSpec {
    /// ServiceMonitor scraping the engine's `/metrics`.
    pub service_monitor: MonitoringMode,
    /// PrometheusRule with the engine alerts of monitoring/rules/vexfs.rules.yaml (latency, memory,
    /// target down, not ready, anomaly bursts, alert deliveries), limited to this engine.
    pub prometheus_rule: MonitoringMode,
}

impl Default for MonitoringSpec {
    fn default() -> Self {
        Self {
            service_monitor: MonitoringMode::Auto,
            prometheus_rule: MonitoringMode::Auto,
        }
    }
}

/// Whether to create an optional object.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum MonitoringMode {
    /// Create it when the `monitoring.coreos.com` API is served.
    #[default]
    Auto,
    /// Always create it (reconcile reports an error when the API is missing).
    Enabled,
    /// Never create it; delete an existing one.
    Disabled,
}
