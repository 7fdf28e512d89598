//! `[alerts]` with `[[alerts.rules]]` and `[[alerts.receivers]]` as raw TOML structures.
//!
//! The alerting module validates rules and resolves receiver secrets; this only parses.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsSection {
    /// Evaluate rules at all.
    pub enabled: bool,
    /// Deliver to email receivers.
    pub enable_email_alerts: bool,
    /// Deliver to Slack receivers.
    pub enable_slack_alerts: bool,
    /// Deliver to webhook receivers.
    pub enable_webhook_alerts: bool,
    /// Minimum minutes between two alerts with the same fingerprint.
    pub alert_cooldown_minutes: u64,
    /// Minutes unacknowledged before escalation.
    pub escalation_timeout_minutes: u64,
    /// Cap on alerts fired per hour.
    pub max_alerts_per_hour: u32,
    /// Alert rules.
    pub rules: Vec<RuleConfig>,
    /// Delivery targets.
    pub receivers: Vec<ReceiverConfig>,
}

impl Default for AlertsSection {
    fn default() -> Self {
        AlertsSection {
            enabled: true,
            enable_email_alerts: true,
            enable_slack_alerts: true,
            enable_webhook_alerts: true,
            alert_cooldown_minutes: 5,
            escalation_timeout_minutes: 15,
            max_alerts_per_hour: 10,
            rules: Vec::new(),
            receivers: Vec::new(),
        }
    }
}

/// One `[[alerts.rules]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Rule name.
    pub name: String,
    /// `info`, `warning` or `critical`.
    #[serde(default = "default_severity")]
    pub severity: String,
    /// Condition text (see the alerting module).
    pub condition: String,
    /// Threshold for metric conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Seconds the condition must hold before firing.
    #[serde(default)]
    pub for_seconds: u64,
    /// Receiver names; empty means all.
    #[serde(default)]
    pub receivers: Vec<String>,
}

fn default_severity() -> String {
    "warning".into()
}

/// One `[[alerts.receivers]]` entry: a name and exactly one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverConfig {
    /// Receiver name referenced by rules.
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

impl ReceiverConfig {
    /// How many kinds are set (valid receivers have exactly one).
    pub fn kinds(&self) -> usize {
        usize::from(self.webhook.is_some())
            + usize::from(self.slack.is_some())
            + usize::from(self.email.is_some())
    }
}

/// Webhook target: a URL given inline or in a file (a mounted Secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookReceiver {
    /// URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// File holding the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_file: Option<PathBuf>,
    /// Environment variable holding the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
    /// File holding a bearer token sent as `Authorization: Bearer ...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_file: Option<PathBuf>,
}

/// Slack target: the incoming-webhook URL from a file or an environment variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackReceiver {
    /// File holding the webhook URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url_file: Option<PathBuf>,
    /// Environment variable holding the webhook URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url_env: Option<String>,
    /// Channel override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// Email target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailReceiver {
    /// SMTP server host.
    pub smtp_host: String,
    /// SMTP server port.
    #[serde(default = "default_smtp_port")]
    pub smtp_port: u16,
    /// Upgrade the connection with STARTTLS.
    #[serde(default = "default_true")]
    pub starttls: bool,
    /// Sender address.
    pub from: String,
    /// Recipient addresses.
    pub to: Vec<String>,
    /// SMTP user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// File holding the SMTP password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// Environment variable holding the SMTP password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// TLS from the first byte (SMTPS, port 465) instead of STARTTLS.
    #[serde(default)]
    pub implicit_tls: bool,
    /// PEM file of an extra trusted CA (private SMTP servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_true() -> bool {
    true
}
