//! Building the alerting runtime from the `[alerts]` configuration section.

use std::sync::Arc;

use tokio::task::JoinHandle;

use super::metrics::AlertMetrics;
use super::queue::{Notifier, NotifierOptions};
use super::receiver::{EmailSettings, Receiver, ReceiverKind, SmtpSecurity};
use super::runtime::AlertRuntime;
use super::secret::SecretSource;
use crate::config::{AlertsSection, EmailReceiver, ReceiverConfig, SlackReceiver, WebhookReceiver};
use crate::core::alerts::{AlertEngine, AlertRule, AlertSettings, RuleError, RuleSpec};

/// Errors in the `[alerts]` section.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A rule is invalid.
    #[error("alerts.rules: {0}")]
    Rule(#[from] RuleError),
    /// A rule names a receiver that is not configured.
    #[error("alerts.rules: rule {rule:?} names unknown receiver {receiver:?}")]
    UnknownReceiver {
        /// Rule name.
        rule: String,
        /// Missing receiver.
        receiver: String,
    },
    /// A receiver lacks a required setting.
    #[error("alerts.receivers: receiver {receiver:?}: {reason}")]
    Receiver {
        /// Receiver name.
        receiver: String,
        /// What is missing.
        reason: &'static str,
    },
    /// A CA file could not be read.
    #[error("alerts.receivers: receiver {receiver:?}: cannot read ca_file: {source}")]
    CaFile {
        /// Receiver name.
        receiver: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The metrics could not be registered.
    #[error("alert metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// Validated rules of the section.
pub fn rules(section: &AlertsSection) -> Result<Vec<AlertRule>, SetupError> {
    let names: Vec<&str> = section.receivers.iter().map(|r| r.name.as_str()).collect();
    section
        .rules
        .iter()
        .map(|r| {
            if let Some(missing) = r.receivers.iter().find(|n| !names.contains(&n.as_str())) {
                return Err(SetupError::UnknownReceiver {
                    rule: r.name.clone(),
                    receiver: missing.clone(),
                });
            }
            Ok(AlertRule::parse(RuleSpec {
                name: &r.name,
                severity: &r.severity,
                condition: &r.condition,
                threshold: r.threshold,
                for_seconds: r.for_seconds,
                receivers: &r.receivers,
            })?)
        })
        .collect()
}

/// Engine settings of the section.
pub fn settings(section: &AlertsSection) -> AlertSettings {
    AlertSettings {
        cooldown_minutes: section.alert_cooldown_minutes,
        escalation_timeout_minutes: section.escalation_timeout_minutes,
        max_alerts_per_hour: section.max_alerts_per_hour,
        ..AlertSettings::default()
    }
}

/// Receivers of the section whose kind is enabled (`enable_*_alerts`).
pub fn receivers(section: &AlertsSection) -> Result<Vec<Receiver>, SetupError> {
    let mut out = Vec::new();
    for config in &section.receivers {
        let receiver = receiver(config)?;
        let enabled = match receiver.kind {
            ReceiverKind::Webhook { .. } => section.enable_webhook_alerts,
            ReceiverKind::Slack { .. } => section.enable_slack_alerts,
            ReceiverKind::Email(_) => section.enable_email_alerts,
        };
        if enabled {
            out.push(receiver);
        } else {
            let (name, kind) = (receiver.name.as_str(), receiver.kind.label());
            tracing::info!(receiver = name, kind, "receiver kind disabled");
        }
    }
    Ok(out)
}

fn receiver(config: &ReceiverConfig) -> Result<Receiver, SetupError> {
    let fail = |reason| SetupError::Receiver {
        receiver: config.name.clone(),
        reason,
    };
    let kind = match (&config.webhook, &config.slack, &config.email) {
        (Some(w), None, None) => {
            webhook(w).ok_or_else(|| fail("webhook needs url, url_file or url_env"))?
        }
        (None, Some(s), None) => {
            slack(s).ok_or_else(|| fail("slack needs webhook_url_file or webhook_url_env"))?
        }
        (None, None, Some(e)) => ReceiverKind::Email(email(&config.name, e)?),
        _ => return Err(fail("exactly one of webhook, slack or email is required")),
    };
    Ok(Receiver {
        name: config.name.clone(),
        kind,
    })
}

fn one_source(
    value: Option<&String>,
    file: Option<&std::path::PathBuf>,
    env: Option<&String>,
) -> Option<SecretSource> {
    file.map(|p| SecretSource::File(p.clone()))
        .or_else(|| env.map(|v| SecretSource::Env(v.clone())))
        .or_else(|| value.map(|v| SecretSource::Value(v.clone())))
}

fn webhook(w: &WebhookReceiver) -> Option<ReceiverKind> {
    Some(ReceiverKind::Webhook {
        url: one_source(w.url.as_ref(), w.url_file.as_ref(), w.url_env.as_ref())?,
        bearer_token: w.bearer_token_file.clone().map(SecretSource::File),
    })
}

fn slack(s: &SlackReceiver) -> Option<ReceiverKind> {
    Some(ReceiverKind::Slack {
        webhook_url: one_source(
            None,
            s.webhook_url_file.as_ref(),
            s.webhook_url_env.as_ref(),
        )?,
        channel: s.channel.clone(),
    })
}

fn email(name: &str, e: &EmailReceiver) -> Result<EmailSettings, SetupError> {
    let root_ca_pem = match &e.ca_file {
        Some(path) => Some(std::fs::read(path).map_err(|source| SetupError::CaFile {
            receiver: name.to_owned(),
            source,
        })?),
        None => None,
    };
    let security = match (e.implicit_tls, e.starttls) {
        (true, _) => SmtpSecurity::Tls,
        (false, true) => SmtpSecurity::StartTls,
        (false, false) => SmtpSecurity::None,
    };
    Ok(EmailSettings {
        smtp_host: e.smtp_host.clone(),
        smtp_port: e.smtp_port,
        security,
        from: e.from.clone(),
        to: e.to.clone(),
        username: e.username.clone(),
        password: one_source(None, e.password_file.as_ref(), e.password_env.as_ref()),
        root_ca_pem,
    })
}

/// Validates the section, registers the metrics and starts the delivery workers.
///
/// Must run inside a Tokio runtime. Returns the runtime and the workers' handles (they end when
/// the runtime is dropped and their queues are drained).
pub fn start(
    section: &AlertsSection,
    registry: &prometheus::Registry,
    options: NotifierOptions,
) -> Result<(Arc<AlertRuntime>, Vec<JoinHandle<()>>), SetupError> {
    let engine = AlertEngine::new(rules(section)?, settings(section));
    let receivers = receivers(section)?;
    let metrics = AlertMetrics::register(registry)?;
    metrics.initialize(
        engine
            .rules()
            .map(|r| (r.name.as_str(), r.severity.as_str())),
        receivers.iter().map(|r| r.name.as_str()),
    );
    let (notifier, handles) = Notifier::start(receivers, options, metrics.clone());
    Ok((
        Arc::new(AlertRuntime::new(engine, notifier, metrics)),
        handles,
    ))
}
