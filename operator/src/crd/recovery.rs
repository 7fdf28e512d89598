//! `spec.recovery`: health-driven recovery of the engine with a circuit breaker.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Health-driven recovery settings; defaults are the product's documented values.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct RecoverySpec {
    /// Act on unhealthy engine pods at all.
    pub enabled: bool,
    /// Seconds between two health checks.
    #[schemars(range(min = 1))]
    pub health_check_interval_seconds: i64,
    /// A recovery action that has not restored health after this many seconds counts as failed.
    #[schemars(range(min = 1))]
    pub recovery_timeout_seconds: i64,
    /// Consecutive failed health checks before the first recovery action (3 when omitted).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub failure_threshold_checks: Option<i32>,
    /// Cap on recoveries running at once across all resources (1 when omitted).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_concurrent_recoveries: Option<i32>,
    /// Circuit breaker that stops recovery after repeated failures.
    #[schemars(transform = super::schema::no_default)]
    pub circuit_breaker: CircuitBreakerSpec,
    /// Changing this value closes an open circuit breaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub reset_token: Option<String>,
}

impl Default for RecoverySpec {
    fn default() -> Self {
        Self {
            enabled: true,
            health_check_interval_seconds: 30,
            recovery_timeout_seconds: 300,
            failure_threshold_checks: None,
            max_concurrent_recoveries: None,
            circuit_breaker: CircuitBreakerSpec::default(),
            reset_token: None,
        }
    }
}

/// Circuit breaker thresholds.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct CircuitBreakerSpec {
    /// Consecutive failed recoveries that open the circuit.
    #[schemars(range(min = 1))]
    pub failure_threshold: i32,
    /// Seconds the circuit stays open before one half-open probe.
    #[schemars(range(min = 1))]
    pub timeout_seconds: i64,
}

impl Default for CircuitBreakerSpec {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            timeout_seconds: 60,
        }
    }
}
