//! `spec.profiler`: the engine's self-profiler.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Profiler settings; defaults are the product's documented values.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ProfilerSpec {
    /// Profile the engine at all.
    pub enabled: bool,
    /// Sampling interval, in milliseconds.
    #[schemars(range(min = 1))]
    pub interval_ms: i64,
    /// Number of profile samples kept.
    #[schemars(range(min = 1))]
    pub max_history: i64,
    /// Detect pipeline bottlenecks.
    pub bottleneck_detection: bool,
    /// A stage slower than this is a bottleneck, in milliseconds.
    #[schemars(range(min = 1))]
    pub bottleneck_threshold_ms: i64,
    /// Latency percentile that performance alerts watch (0 to 100).
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self >= 0 && self <= 100", "message": super::messages::PERCENT_RANGE}]))]
    pub alert_percentile: i32,
}

impl Default for ProfilerSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_ms: 1000,
            max_history: 1000,
            bottleneck_detection: true,
            bottleneck_threshold_ms: 100,
            alert_percentile: 95,
        }
    }
}
