//! Prometheus counters of alerting: fired, suppressed and delivered.

use prometheus::{IntCounterVec, Opts, Registry};

/// The alerting counters; clones share the same series.
#[derive(Debug, Clone)]
pub struct AlertMetrics {
    /// `vexfs_alerts_fired_total{rule,severity}`.
    pub fired: IntCounterVec,
    /// `vexfs_alerts_suppressed_total{reason}`.
    pub suppressed: IntCounterVec,
    /// `vexfs_alert_deliveries_total{receiver,outcome}`; outcome is success, failure, retry or
    /// dropped.
    pub deliveries: IntCounterVec,
}

impl AlertMetrics {
    /// Creates the counters and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let metrics = Self::unregistered()?;
        registry.register(Box::new(metrics.fired.clone()))?;
        registry.register(Box::new(metrics.suppressed.clone()))?;
        registry.register(Box::new(metrics.deliveries.clone()))?;
        Ok(metrics)
    }

    /// Creates the counters without registering them (tests, embedding).
    pub fn unregistered() -> Result<Self, prometheus::Error> {
        Ok(Self {
            fired: IntCounterVec::new(
                Opts::new(
                    "vexfs_alerts_fired_total",
                    "Alerts fired, by rule and severity",
                ),
                &["rule", "severity"],
            )?,
            suppressed: IntCounterVec::new(
                Opts::new(
                    "vexfs_alerts_suppressed_total",
                    "Would-be alerts suppressed, by reason (cooldown, rate_limit)",
                ),
                &["reason"],
            )?,
            deliveries: IntCounterVec::new(
                Opts::new(
                    "vexfs_alert_deliveries_total",
                    "Alert delivery attempts' outcomes, by receiver",
                ),
                &["receiver", "outcome"],
            )?,
        })
    }

    /// Counts one delivery outcome.
    pub fn delivery(&self, receiver: &str, outcome: &str) {
        self.deliveries
            .with_label_values(&[receiver, outcome])
            .inc();
    }
}
