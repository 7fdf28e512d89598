//! What receivers are sent: the notification and its rendering as webhook JSON, Slack
//! message and email text. Pure functions, tested on their output.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::core::alerts::{Alert, Severity};

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationKind {
    /// The alert just fired.
    Fired,
    /// The alert stayed unacknowledged past the escalation timeout.
    Escalated,
    /// The alert's condition cleared.
    Resolved,
}

impl NotificationKind {
    /// Lower-case word used in texts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fired => "fired",
            Self::Escalated => "escalated",
            Self::Resolved => "resolved",
        }
    }
}

/// One alert event to deliver.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Why it is sent.
    pub kind: NotificationKind,
    /// The alert as it is now.
    pub alert: Alert,
}

/// RFC 3339 (UTC, milliseconds) of nanoseconds since the epoch.
pub fn rfc3339(ns: i64) -> String {
    DateTime::<Utc>::from_timestamp_nanos(ns).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One-line title, e.g. `[CRITICAL] HighErrorRate fired`.
pub fn title(n: &Notification) -> String {
    format!(
        "[{}] {} {}",
        n.alert.severity.as_str().to_ascii_uppercase(),
        n.alert.rule,
        n.kind.as_str()
    )
}

/// Body of the generic webhook: a versioned JSON document with the whole alert.
pub fn webhook_body(n: &Notification, receiver: &str) -> Value {
    json!({
        "version": "1",
        "source": "vexfs-engine",
        "receiver": receiver,
        "kind": n.kind,
        "title": title(n),
        "firedAt": rfc3339(n.alert.fired_at_ns),
        "alert": n.alert,
    })
}

fn slack_color(n: &Notification) -> &'static str {
    match (n.kind, n.alert.severity) {
        (NotificationKind::Resolved, _) => "#2eb886",
        (_, Severity::Critical) => "#d00000",
        (_, Severity::Warning) => "#daa038",
        (_, Severity::Info) => "#439fe0",
    }
}

/// Body of a Slack incoming webhook: `text` fallback plus one coloured attachment with fields.
pub fn slack_body(n: &Notification, channel: Option<&str>) -> Value {
    let a = &n.alert;
    let mut fields = vec![
        json!({"title": "Rule", "value": a.rule, "short": true}),
        json!({"title": "Severity", "value": a.severity.as_str(), "short": true}),
        json!({"title": "Condition", "value": a.condition, "short": true}),
        json!({"title": "Value", "value": a.value.to_string(), "short": true}),
    ];
    if let Some(t) = a.threshold {
        fields.push(json!({"title": "Threshold", "value": t.to_string(), "short": true}));
    }
    fields.push(json!({"title": "Alert id", "value": a.id.to_string(), "short": true}));
    let mut body = json!({
        "text": format!("{}: {}", title(n), a.summary),
        "attachments": [{
            "fallback": a.summary,
            "color": slack_color(n),
            "title": title(n),
            "fields": fields,
            "footer": "vexfs-engine",
            "ts": a.fired_at_ns / 1_000_000_000,
        }],
    });
    if let Some(channel) = channel {
        body["channel"] = Value::String(channel.to_owned());
    }
    body
}

/// Email subject line.
pub fn email_subject(n: &Notification) -> String {
    format!("[VexFS] {}", title(n))
}

/// A `Message-ID` unique per alert and notification kind.
pub fn email_message_id(n: &Notification) -> String {
    let a = &n.alert;
    format!(
        "<alert-{}-{}.{}@vexfs-engine>",
        a.id,
        n.kind.as_str(),
        a.fingerprint
    )
}

/// Plain-text email body.
pub fn email_body(n: &Notification) -> String {
    let a = &n.alert;
    let mut lines = vec![
        a.summary.clone(),
        String::new(),
        format!("Alert id:    {}", a.id),
        format!("Rule:        {}", a.rule),
        format!("Severity:    {}", a.severity.as_str()),
        format!("Status:      {}", n.kind.as_str()),
        format!("Condition:   {}", a.condition),
        format!("Value:       {}", a.value),
    ];
    if let Some(t) = a.threshold {
        lines.push(format!("Threshold:   {t}"));
    }
    lines.push(format!("Fired at:    {}", rfc3339(a.fired_at_ns)));
    if let Some(t) = a.resolved_at_ns {
        lines.push(format!("Resolved at: {}", rfc3339(t)));
    }
    lines.push(format!("Fingerprint: {}", a.fingerprint));
    lines.push(String::new());
    lines.push(format!("Acknowledge: POST /api/v1/alerts/{}/ack", a.id));
    lines.join("\r\n")
}
