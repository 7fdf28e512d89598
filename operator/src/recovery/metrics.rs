//! Day-2 Prometheus metrics: recovery actions and verdicts, breaker transitions, backups and pruning.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Day-2 metrics, registered in the operator's registry.
#[derive(Clone, Debug)]
pub struct DayTwoMetrics {
    /// Recovery actions taken, by action.
    pub recovery_actions: IntCounterVec,
    /// Recovery verdicts, by action and outcome (`succeeded`, `failed`).
    pub recovery_outcomes: IntCounterVec,
    /// Circuit breaker transitions, by new state.
    pub circuit_transitions: IntCounterVec,
    /// Recoveries awaiting a verdict (slots in use).
    pub recoveries_in_progress: IntGauge,
    /// Finished backups, by phase (`Succeeded`, `Failed`).
    pub backups: IntCounterVec,
    /// Scheduled runs that could not start.
    pub missed_runs: IntCounter,
    /// Backups pruned by retention.
    pub pruned: IntCounter,
}

impl DayTwoMetrics {
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
            backups: IntCounterVec::new(
                Opts::new("vexfs_operator_backups_total", "Finished backups."),
                &["phase"],
            )?,
            missed_runs: IntCounter::new(
                "vexfs_operator_backup_missed_runs_total",
                "Scheduled backup runs missed.",
            )?,
            pruned: IntCounter::new(
                "vexfs_operator_backups_pruned_total",
                "Backups pruned by retention.",
            )?,
        };
        registry.register(Box::new(metrics.recovery_actions.clone()))?;
        registry.register(Box::new(metrics.recovery_outcomes.clone()))?;
        registry.register(Box::new(metrics.circuit_transitions.clone()))?;
        registry.register(Box::new(metrics.recoveries_in_progress.clone()))?;
        registry.register(Box::new(metrics.backups.clone()))?;
        registry.register(Box::new(metrics.missed_runs.clone()))?;
        registry.register(Box::new(metrics.pruned.clone()))?;
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
        let metrics = DayTwoMetrics::register(&registry).expect("registers");
        metrics
            .recovery_actions
            .with_label_values(&["DeletePod"])
            .inc();
        metrics.missed_runs.inc_by(2);
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&registry.gather(), &mut text)
            .expect("encodes");
        let text = String::from_utf8(text).expect("utf8");
        assert!(
            text.contains(r#"vexfs_operator_recovery_actions_total{action="DeletePod"} 1"#),
            "{text}"
        );
        assert!(text.contains("vexfs_operator_backup_missed_runs_total 2"));
        assert!(
            DayTwoMetrics::register(&registry).is_err(),
            "double registration is refused"
        );
    }
}
