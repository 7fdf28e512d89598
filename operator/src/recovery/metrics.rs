//! Recovery Prometheus metrics: actions and verdicts, breaker transitions, recoveries in progress.

use prometheus::{IntCounterVec, IntGauge, Opts, Registry};

use super::breaker::BreakerChange;
use super::events::breaker_state;
use super::ladder::ActionKind;

/// `outcome` label of an action that fixed what it was taken for.
pub const SUCCEEDED: &str = "succeeded";
/// `outcome` label of an action that did not.
pub const FAILED: &str = "failed";
/// Every `outcome` label value.
pub const OUTCOMES: [&str; 2] = [SUCCEEDED, FAILED];

/// Recovery metrics, registered in the operator's registry.
#[derive(Clone, Debug)]
pub struct RecoveryMetrics {
    /// Recovery actions taken, by action.
    pub recovery_actions: IntCounterVec,
    /// Recovery verdicts, by action and outcome (`succeeded`, `failed`).
    pub recovery_outcomes: IntCounterVec,
    /// Circuit breaker transitions, by new state.
    pub circuit_transitions: IntCounterVec,
    /// Recoveries awaiting a verdict (slots in use).
    pub recoveries_in_progress: IntGauge,
}

impl RecoveryMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let metrics = Self {
            recovery_actions: IntCounterVec::new(
                Opts::new(
                    "vexfs_operator_recovery_actions_total",
                    "Recovery actions taken.",
                ),
                &["action"],
            )?,
            recovery_outcomes: IntCounterVec::new(
                Opts::new(
                    "vexfs_operator_recovery_outcomes_total",
                    "Recovery action verdicts.",
                ),
                &["action", "outcome"],
            )?,
            circuit_transitions: IntCounterVec::new(
                Opts::new(
                    "vexfs_operator_recovery_circuit_transitions_total",
                    "Circuit breaker transitions.",
                ),
                &["state"],
            )?,
            recoveries_in_progress: IntGauge::new(
                "vexfs_operator_recoveries_in_progress",
                "Recovery actions awaiting their verdict.",
            )?,
        };
        // Every known label value starts at zero, so `rate()` and `increase()` have series (and
        // see the first increment) before anything happens.
        for action in ActionKind::ALL {
            metrics
                .recovery_actions
                .with_label_values(&[action.as_str()])
                .reset();
            for outcome in OUTCOMES {
                metrics
                    .recovery_outcomes
                    .with_label_values(&[action.as_str(), outcome])
                    .reset();
            }
        }
        for change in BreakerChange::ALL {
            metrics
                .circuit_transitions
                .with_label_values(&[breaker_state(change)])
                .reset();
        }
        registry.register(Box::new(metrics.recovery_actions.clone()))?;
        registry.register(Box::new(metrics.recovery_outcomes.clone()))?;
        registry.register(Box::new(metrics.circuit_transitions.clone()))?;
        registry.register(Box::new(metrics.recoveries_in_progress.clone()))?;
        Ok(metrics)
    }
}

#[cfg(test)]
mod tests {
    use prometheus::{Encoder, TextEncoder};

    use super::*;

    #[test]
    fn registers_and_exports_every_metric() {
        let registry = Registry::new();
        let metrics = RecoveryMetrics::register(&registry).expect("registers");
        metrics
            .recovery_actions
            .with_label_values(&["DeletePod"])
            .inc();
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&registry.gather(), &mut text)
            .expect("encodes");
        let text = String::from_utf8(text).expect("utf8");
        assert!(
            text.contains(r#"vexfs_operator_recovery_actions_total{action="DeletePod"} 1"#),
            "{text}"
        );
        for series in [
            r#"vexfs_operator_recovery_actions_total{action="RolloutRestart"} 0"#,
            r#"vexfs_operator_recovery_outcomes_total{action="DeletePod",outcome="failed"} 0"#,
            r#"vexfs_operator_recovery_outcomes_total{action="RolloutRestart",outcome="succeeded"} 0"#,
            r#"vexfs_operator_recovery_circuit_transitions_total{state="HalfOpen"} 0"#,
        ] {
            assert!(text.contains(series), "{series} missing from {text}");
        }
        assert!(
            RecoveryMetrics::register(&registry).is_err(),
            "double registration is refused"
        );
    }
}
