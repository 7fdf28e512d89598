//! Backup Prometheus metrics: finished backups, missed runs and pruning.

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

/// Backup metrics, registered in the operator's registry.
#[derive(Clone, Debug)]
pub struct BackupMetrics {
    /// Finished backups, by phase (`Succeeded`, `Failed`).
    pub backups: IntCounterVec,
    /// Scheduled runs that could not start.
    pub missed_runs: IntCounter,
    /// Backups pruned by retention.
    pub pruned: IntCounter,
}

impl BackupMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let metrics = Self {
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
        let metrics = BackupMetrics::register(&registry).expect("registers");
        metrics.missed_runs.inc_by(2);
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&registry.gather(), &mut text)
            .expect("encodes");
        let text = String::from_utf8(text).expect("utf8");
        assert!(
            text.contains("vexfs_operator_backup_missed_runs_total 2"),
            "{text}"
        );
        assert!(BackupMetrics::register(&registry).is_err());
    }
}
