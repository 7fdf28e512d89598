//! Alert delivery, the I/O edge of alerting: receivers (generic webhook, Slack incoming
//! webhook, email over SMTP with STARTTLS), secrets from files or the environment, retries with
//! exponential backoff, per-receiver bounded queues, Prometheus counters, and the runtime that
//! ties the pure alert engine to all of them.

mod deliver;
mod message;
mod metrics;
mod queue;
mod receiver;
mod redact;
mod retry;
mod runtime;
mod secret;
pub mod setup;

pub use deliver::{DeliveryError, deliver};
pub use message::{
    Notification, NotificationKind, email_body, email_message_id, email_subject, rfc3339,
    slack_body, title, webhook_body,
};
pub use metrics::AlertMetrics;
pub use queue::{Notifier, NotifierOptions};
pub use receiver::{EmailSettings, Receiver, ReceiverKind, SmtpSecurity};
pub use retry::{RetryPolicy, Retryable, with_retry};
pub use runtime::{ALERT_EVENT_SOURCE, AlertRuntime, alert_event};
pub use secret::{SecretError, SecretSource};
