//! Backup Prometheus metrics: finished backups, missed runs, pruning, and per resource the time of
//! the newest successful backup and the age its schedule allows.

use prometheus::{GaugeVec, IntCounter, IntCounterVec, Opts, Registry};

use super::freshness::Freshness;

/// `phase` label of a backup that wrote its archive.
pub const SUCCEEDED: &str = "Succeeded";
/// `phase` label of a backup that failed.
pub const FAILED: &str = "Failed";
/// Every `phase` label value of finished backups.
pub const PHASES: [&str; 2] = [SUCCEEDED, FAILED];
/// Labels of the per-resource gauges (`namespace` is taken by the scrape target's own).
const RESOURCE_LABELS: [&str; 2] = ["semantic_namespace", "semantic"];

/// Backup metrics, registered in the operator's registry.
#[derive(Clone, Debug)]
pub struct BackupMetrics {
    /// Finished backups, by phase (`Succeeded`, `Failed`).
    pub backups: IntCounterVec,
    /// Scheduled runs that could not start.
    pub missed_runs: IntCounter,
    /// Backups pruned by retention.
    pub pruned: IntCounter,
    /// Completion time of each scheduled resource's newest successful backup.
    last_success: GaugeVec,
    /// Age of the newest success each resource's schedule allows.
    max_age: GaugeVec,
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
            last_success: GaugeVec::new(
                Opts::new(
                    "vexfs_operator_backup_last_success_timestamp_seconds",
                    "Completion time of the newest successful backup of a scheduled VexfsSemantic \
                     (its creation time before the first success).",
                ),
                &RESOURCE_LABELS,
            )?,
            max_age: GaugeVec::new(
                Opts::new(
                    "vexfs_operator_backup_max_age_seconds",
                    "Age of the newest successful backup that the schedule allows.",
                ),
                &RESOURCE_LABELS,
            )?,
        };
        // Both phases exist at zero, so `increase()` sees the first failure.
        for phase in PHASES {
            metrics.backups.with_label_values(&[phase]).reset();
        }
        registry.register(Box::new(metrics.backups.clone()))?;
        registry.register(Box::new(metrics.missed_runs.clone()))?;
        registry.register(Box::new(metrics.pruned.clone()))?;
        registry.register(Box::new(metrics.last_success.clone()))?;
        registry.register(Box::new(metrics.max_age.clone()))?;
        Ok(metrics)
    }

    /// Replaces the per-resource gauges with `all` (resources no longer scheduled disappear).
    pub fn set_freshness(&self, all: &[Freshness]) {
        self.last_success.reset();
        self.max_age.reset();
        for fresh in all {
            let labels = [fresh.namespace.as_str(), fresh.name.as_str()];
            self.last_success
                .with_label_values(&labels)
                .set(fresh.last_success_seconds);
            self.max_age
                .with_label_values(&labels)
                .set(fresh.max_age_seconds);
        }
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
        assert!(
            text.contains(r#"vexfs_operator_backups_total{phase="Failed"} 0"#),
            "{text}"
        );
        assert!(BackupMetrics::register(&registry).is_err());
    }

    fn render(registry: &Registry) -> String {
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&registry.gather(), &mut text)
            .expect("encodes");
        String::from_utf8(text).expect("utf8")
    }

    #[test]
    fn freshness_replaces_the_previous_resources() {
        let registry = Registry::new();
        let metrics = BackupMetrics::register(&registry).expect("registers");
        let fresh = |name: &str, last: f64| Freshness {
            namespace: "analytics".into(),
            name: name.into(),
            last_success_seconds: last,
            max_age_seconds: 7200.0,
        };
        metrics.set_freshness(&[fresh("old", 1.0e9), fresh("kept", 2.0e9)]);
        metrics.set_freshness(&[fresh("kept", 3.0e9)]);
        let text = render(&registry);
        assert!(
            text.contains(
                r#"vexfs_operator_backup_last_success_timestamp_seconds{semantic="kept",semantic_namespace="analytics"} 3000000000"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"vexfs_operator_backup_max_age_seconds{semantic="kept",semantic_namespace="analytics"} 7200"#
            ),
            "{text}"
        );
        assert!(!text.contains(r#"semantic="old""#), "{text}");
    }
}
