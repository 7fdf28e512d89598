//! One alert and its lifecycle: firing → acknowledged → resolved.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::rule::{AlertRule, Severity};

/// Sequence number of an alert, unique within one engine.
pub type AlertId = u64;

/// Where an alert is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    /// The condition holds and nobody has acknowledged it.
    Firing,
    /// Someone acknowledged it; it no longer escalates.
    Acknowledged,
    /// The condition stopped holding.
    Resolved,
}

impl AlertStatus {
    /// Parses `firing`, `acknowledged` or `resolved`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "firing" => Some(Self::Firing),
            "acknowledged" => Some(Self::Acknowledged),
            "resolved" => Some(Self::Resolved),
            _ => None,
        }
    }

    /// Whether the alert is still open (firing or acknowledged).
    pub fn is_active(self) -> bool {
        !matches!(self, Self::Resolved)
    }
}

/// A raised alert, as served by the API and sent to receivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Sequence number.
    pub id: AlertId,
    /// Stable identity of what is alerted on (rule name + condition); repeats share it.
    pub fingerprint: String,
    /// Name of the rule that raised it.
    pub rule: String,
    /// Current severity (raised one step by escalation).
    pub severity: Severity,
    /// Lifecycle state.
    pub status: AlertStatus,
    /// The rule's condition text.
    pub condition: String,
    /// Threshold of a metric condition.
    pub threshold: Option<f64>,
    /// Latest observed value.
    pub value: f64,
    /// Human-readable one-line summary.
    pub summary: String,
    /// Receiver names (empty: all receivers).
    pub receivers: Vec<String>,
    /// When it fired, nanoseconds since the epoch.
    pub fired_at_ns: i64,
    /// When it was acknowledged.
    pub acknowledged_at_ns: Option<i64>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// When it was escalated.
    pub escalated_at_ns: Option<i64>,
    /// When it resolved.
    pub resolved_at_ns: Option<i64>,
}

impl Alert {
    /// A new firing alert for `rule` with the observed `value`.
    pub fn fire(id: AlertId, rule: &AlertRule, value: f64, now_ns: i64) -> Self {
        let threshold = match &rule.condition {
            super::condition::Condition::Threshold { threshold, .. } => Some(*threshold),
            _ => None,
        };
        let summary = match threshold {
            Some(t) => format!(
                "{}: {} (value {value}, threshold {t})",
                rule.name, rule.condition_text
            ),
            None => format!("{}: {}", rule.name, rule.condition_text),
        };
        Self {
            id,
            fingerprint: fingerprint(rule),
            rule: rule.name.clone(),
            severity: rule.severity,
            status: AlertStatus::Firing,
            condition: rule.condition_text.clone(),
            threshold,
            value,
            summary,
            receivers: rule.receivers.clone(),
            fired_at_ns: now_ns,
            acknowledged_at_ns: None,
            acknowledged_by: None,
            escalated_at_ns: None,
            resolved_at_ns: None,
        }
    }
}

/// The deduplication key of a rule's alerts: hex SHA-256 prefix of name and condition.
pub fn fingerprint(rule: &AlertRule) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule.name.as_bytes());
    hasher.update([0]);
    hasher.update(rule.condition_text.as_bytes());
    hex::encode(&hasher.finalize()[..8])
}

/// Which alerts a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertFilter {
    /// Only alerts in this state.
    pub status: Option<AlertStatus>,
    /// Only alerts of at least this severity.
    pub min_severity: Option<Severity>,
    /// Only alerts of this rule.
    pub rule: Option<String>,
    /// Only alerts fired at or after this time, nanoseconds since the epoch.
    pub since_ns: Option<i64>,
    /// At most this many (newest first).
    pub limit: Option<usize>,
}

impl AlertFilter {
    /// Whether `alert` passes every set criterion (the limit is applied by the caller).
    pub fn matches(&self, alert: &Alert) -> bool {
        self.status.is_none_or(|s| alert.status == s)
            && self.min_severity.is_none_or(|s| alert.severity >= s)
            && self.rule.as_ref().is_none_or(|r| &alert.rule == r)
            && self.since_ns.is_none_or(|t| alert.fired_at_ns >= t)
    }
}
