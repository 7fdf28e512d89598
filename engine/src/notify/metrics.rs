//! Prometheus counters of alerting: fired, suppressed and delivered.

use prometheus::{IntCounterVec, Opts, Registry};

use crate::core::alerts::SuppressionReason;

/// Every reason a would-be alert is suppressed for.
const SUPPRESSION_REASONS: [SuppressionReason; 2] =
    [SuppressionReason::Cooldown, SuppressionReason::RateLimit];
/// `outcome` label values of `vexfs_alert_deliveries_total`.
pub const DELIVERY_OUTCOMES: [&str; 4] = ["success", "failure", "retry", "dropped"];

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

    /// Creates every series the configuration can produce at zero (each rule at its configured
    /// severity, both suppression reasons, each receiver with each outcome), so that rates and
    /// `increase()` see the first event instead of a series appearing at 1.
    pub fn initialize<'a>(
        &self,
        rules: impl IntoIterator<Item = (&'a str, &'a str)>,
        receivers: impl IntoIterator<Item = &'a str>,
    ) {
        for (rule, severity) in rules {
            self.fired.with_label_values(&[rule, severity]);
        }
        for reason in SUPPRESSION_REASONS {
            self.suppressed.with_label_values(&[reason.as_str()]);
        }
        for receiver in receivers {
            for outcome in DELIVERY_OUTCOMES {
                self.deliveries.with_label_values(&[receiver, outcome]);
            }
        }
    }

    /// Counts one delivery outcome.
    pub fn delivery(&self, receiver: &str, outcome: &str) {
        self.deliveries
            .with_label_values(&[receiver, outcome])
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use prometheus::{Encoder, TextEncoder};

    use super::*;

    #[test]
    fn configured_series_start_at_zero() {
        let registry = Registry::new();
        let metrics = AlertMetrics::register(&registry).unwrap();
        metrics.initialize([("SlowEvents", "warning")], ["ops"]);
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&registry.gather(), &mut text)
            .unwrap();
        let text = String::from_utf8(text).unwrap();
        for series in [
            r#"vexfs_alerts_fired_total{rule="SlowEvents",severity="warning"} 0"#,
            r#"vexfs_alerts_suppressed_total{reason="rate_limit"} 0"#,
            r#"vexfs_alert_deliveries_total{outcome="dropped",receiver="ops"} 0"#,
        ] {
            assert!(text.contains(series), "{series} missing from\n{text}");
        }
    }
}
