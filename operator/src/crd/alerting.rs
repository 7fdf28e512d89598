//! `spec.alerting`: alert rules and the receivers they notify.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::refs::SecretKeyRef;

/// Alerting settings; defaults are the product's documented values.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", default)]
#[schemars(extend("x-kubernetes-validations" = [{"rule": "!has(self.receivers) || self.receivers.all(r, self.receivers.exists_one(x, x.name == r.name))", "message": super::messages::UNIQUE_RECEIVERS}, {"rule": "!has(self.rules) || self.rules.all(r, self.rules.exists_one(x, x.name == r.name))", "message": super::messages::UNIQUE_RULES}, {"rule": "!has(self.rules) || self.rules.all(r, !has(r.receivers) || r.receivers.all(n, has(self.receivers) && self.receivers.exists(x, x.name == n)))", "message": super::messages::RULE_RECEIVERS_EXIST}]))]
pub struct AlertingSpec {
    /// Evaluate alert rules and notify receivers at all.
    pub enabled: bool,
    /// Minimum time between two notifications of the same alert, in minutes.
    #[schemars(range(min = 0))]
    pub cooldown_minutes: i32,
    /// Unacknowledged alerts escalate after this many minutes.
    #[schemars(range(min = 1))]
    pub escalation_timeout_minutes: i32,
    /// Cap on notifications per hour; further alerts are counted as suppressed.
    #[schemars(range(min = 1))]
    pub max_alerts_per_hour: i32,
    /// Alert rules.
    #[schemars(length(max = 64))]
    #[schemars(transform = super::schema::no_default)]
    pub rules: Vec<AlertRule>,
    /// Notification receivers.
    #[schemars(length(max = 16))]
    #[schemars(transform = super::schema::no_default)]
    pub receivers: Vec<Receiver>,
}

impl Default for AlertingSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            cooldown_minutes: 5,
            escalation_timeout_minutes: 15,
            max_alerts_per_hour: 10,
            rules: Vec::new(),
            receivers: Vec::new(),
        }
    }
}

/// One alert rule: fire when a condition holds for a while.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{"rule": "self.condition.startsWith('pattern_') || has(self.threshold)", "message": super::messages::RULE_THRESHOLD}]))]
pub struct AlertRule {
    /// Unique rule name.
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name: String,
    /// Severity attached to fired alerts.
    pub severity: Severity,
    /// What to watch, in the engine's rule language: a metric with an optional comparison
    /// (`event_rate <`, `latency_p99_ms >`, `type_rate(FilesystemWrite) >=`, `stage_p95_ms(wal_append)`,
    /// `error_rate`, `memory_bytes`, `cpu_percent`, `anomaly_score`, `forecast_peak_rate`; `>` when omitted)
    /// or a pattern event (`pattern_appeared(FilesystemCreate,FilesystemWrite)`, `pattern_disappeared(...)`).
    #[schemars(
        length(min = 1, max = 256),
        regex(pattern = r"^[a-z_0-9]+(\([A-Za-z0-9_,]+\))?(\s*(>=|<=|>|<)(\s*threshold)?)?$")
    )]
    pub condition: String,
    /// Threshold of a metric condition as a decimal string, for example `250` or `0.75`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32), regex(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub threshold: Option<String>,
    /// The condition must hold this long before the alert fires, in seconds (0 when omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub for_seconds: Option<i64>,
    /// Names of receivers notified when the alert fires; every receiver when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = super::schema::no_default)]
    #[schemars(length(max = 16), inner(length(max = 63)))]
    pub receivers: Vec<String>,
}

/// Alert severity.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum Severity {
    /// Informational.
    Info,
    /// Needs attention.
    Warning,
    /// Needs attention now.
    Critical,
}

impl Severity {
    /// The lowercase name used in the engine configuration.
    pub fn as_config(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// A notification receiver; exactly one of `webhook`, `slack` or `email`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{"rule": "[has(self.webhook), has(self.slack), has(self.email)].filter(x, x).size() == 1", "message": super::messages::ONE_RECEIVER_KIND}]))]
pub struct Receiver {
    /// Unique receiver name; also the directory its Secret files are mounted in.
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name: String,
    /// Generic JSON webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookReceiver>,
    /// Slack incoming webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackReceiver>,
    /// Email over SMTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailReceiver>,
}

/// A generic webhook receiver.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WebhookReceiver {
    /// Secret key holding the webhook URL (URLs often embed tokens, so never inline).
    pub url_secret_ref: SecretKeyRef,
}

/// A Slack incoming-webhook receiver.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SlackReceiver {
    /// Secret key holding the Slack incoming-webhook URL.
    pub webhook_url_secret_ref: SecretKeyRef,
    /// Channel override, for example `#ops`; the webhook's channel when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 80))]
    pub channel: Option<String>,
}

/// An SMTP email receiver.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EmailReceiver {
    /// SMTP server host name.
    #[schemars(length(min = 1, max = 253))]
    pub smtp_host: String,
    /// SMTP server port (587 when omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub smtp_port: Option<i32>,
    /// Upgrade the connection with STARTTLS (true when omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_tls: Option<bool>,
    /// Sender address.
    #[schemars(length(min = 3, max = 254))]
    pub from: String,
    /// Recipient addresses.
    #[schemars(length(min = 1, max = 32))]
    pub to: Vec<String>,
    /// SMTP user name; no authentication when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 254))]
    pub username: Option<String>,
    /// Secret key holding the SMTP password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret_ref: Option<SecretKeyRef>,
}
