//! Prometheus metrics of the operator: reconciles, errors by reason, durations, objects per Ready state.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Failure to register or encode metrics.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The Prometheus client refused a metric or failed to encode.
    #[error("prometheus: {0}")]
    Prometheus(#[from] prometheus::Error),
    /// Encoded text was not UTF-8.
    #[error("metrics text is not UTF-8: {0}")]
    Utf8(#[from] std::string::FromUtf8Error),
}

/// The operator's metrics, registered in their own registry.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    reconciles: IntCounterVec,
    errors: IntCounterVec,
    duration: HistogramVec,
    ready: IntGaugeVec,
    /// Backup metrics, registered in the same registry.
    pub backup: crate::backup::metrics::BackupMetrics,
    /// Recovery metrics, registered in the same registry.
    pub recovery: crate::recovery::metrics::RecoveryMetrics,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let reconciles = IntCounterVec::new(
            Opts::new(
                "vexfs_operator_reconciles_total",
                "Reconcile passes by outcome.",
            ),
            &["outcome"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "vexfs_operator_reconcile_errors_total",
                "Failed reconcile passes by reason.",
            ),
            &["reason"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "vexfs_operator_reconcile_duration_seconds",
                "Duration of reconcile passes.",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["outcome"],
        )?;
        let ready = IntGaugeVec::new(
            Opts::new(
                "vexfs_operator_objects",
                "VexfsSemantic objects by Ready condition status.",
            ),
            &["ready"],
        )?;
        registry.register(Box::new(reconciles.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(ready.clone()))?;
        let backup = crate::backup::metrics::BackupMetrics::register(&registry)?;
        let recovery = crate::recovery::metrics::RecoveryMetrics::register(&registry)?;
        Ok(Self {
            registry,
            reconciles,
            errors,
            duration,
            ready,
            backup,
            recovery,
        })
    }

    /// Records one reconcile pass; `error_reason` is `None` on success.
    pub fn observe_reconcile(&self, elapsed: Duration, error_reason: Option<&str>) {
        let outcome = if error_reason.is_some() {
            "error"
        } else {
            "success"
        };
        self.reconciles.with_label_values(&[outcome]).inc();
        self.duration
            .with_label_values(&[outcome])
            .observe(elapsed.as_secs_f64());
        if let Some(reason) = error_reason {
            self.errors.with_label_values(&[reason]).inc();
        }
    }

    /// Sets the per-Ready-state object counts (`True`, `False`, `Unknown`).
    pub fn set_ready_counts(&self, states: impl IntoIterator<Item = &'static str>) {
        let mut counts = [("True", 0), ("False", 0), ("Unknown", 0)];
        for state in states {
            if let Some(entry) = counts.iter_mut().find(|(name, _)| *name == state) {
                entry.1 += 1;
            }
        }
        for (state, count) in counts {
            self.ready.with_label_values(&[state]).set(count);
        }
    }

    /// Prometheus text exposition of every metric.
    pub fn render(&self) -> Result<String, MetricsError> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8(buffer)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_outcomes_reasons_and_ready_states() {
        let metrics = Metrics::new().expect("registers");
        metrics.observe_reconcile(Duration::from_millis(20), None);
        metrics.observe_reconcile(Duration::from_millis(30), Some("apply"));
        metrics.set_ready_counts(["True", "True", "False"]);
        let text = metrics.render().expect("renders");
        assert!(text.contains(r#"vexfs_operator_reconciles_total{outcome="success"} 1"#));
        assert!(text.contains(r#"vexfs_operator_reconcile_errors_total{reason="apply"} 1"#));
        assert!(text.contains(r#"vexfs_operator_objects{ready="True"} 2"#));
        assert!(text.contains(r#"vexfs_operator_objects{ready="Unknown"} 0"#));
        assert!(
            text.contains(r#"vexfs_operator_reconcile_duration_seconds_count{outcome="error"} 1"#)
        );
    }
}
