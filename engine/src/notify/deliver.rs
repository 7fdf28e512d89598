//! One delivery attempt to one receiver: HTTP POST for webhook and Slack, SMTP for email.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::message::{self, Notification};
use super::receiver::{EmailSettings, Receiver, ReceiverKind, SmtpSecurity};
use super::retry::Retryable;
use super::secret::{SecretError, SecretSource};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Why one delivery attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// A secret could not be read.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The HTTP request failed before a response (connect, timeout, TLS).
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The HTTP server answered with a non-success status.
    #[error("HTTP {status}: {body}")]
    Status {
        /// Status code.
        status: u16,
        /// Start of the response body.
        body: String,
    },
    /// An email address is malformed.
    #[error("invalid email address {address:?}: {reason}")]
    Address {
        /// The address.
        address: String,
        /// Parser message.
        reason: String,
    },
    /// The email message could not be built.
    #[error("cannot build email: {0}")]
    Message(#[from] lettre::error::Error),
    /// The SMTP exchange failed.
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl Retryable for DeliveryError {
    fn is_transient(&self) -> bool {
        match self {
            Self::Http(_) => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Smtp(e) => !e.is_permanent(),
            Self::Secret(_) | Self::Address { .. } | Self::Message(_) => false,
        }
    }
}

/// Sends `notification` to `receiver` once.
pub async fn deliver(
    http: &reqwest::Client,
    receiver: &Receiver,
    notification: &Notification,
) -> Result<(), DeliveryError> {
    match &receiver.kind {
        ReceiverKind::Webhook { url, bearer_token } => {
            let body = message::webhook_body(notification, &receiver.name);
            post_json(http, url, bearer_token.as_ref(), &body).await
        }
        ReceiverKind::Slack {
            webhook_url,
            channel,
        } => {
            let body = message::slack_body(notification, channel.as_deref());
            post_json(http, webhook_url, None, &body).await
        }
        ReceiverKind::Email(settings) => send_email(settings, notification).await,
    }
}

async fn post_json(
    http: &reqwest::Client,
    url: &SecretSource,
    bearer: Option<&SecretSource>,
    body: &serde_json::Value,
) -> Result<(), DeliveryError> {
    let mut request = http.post(url.resolve()?).timeout(TIMEOUT).json(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token.resolve()?);
    }
    let response = request.send().await?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    Err(DeliveryError::Status {
        status: status.as_u16(),
        body: text.chars().take(200).collect(),
    })
}

fn mailbox(address: &str) -> Result<lettre::message::Mailbox, DeliveryError> {
    address
        .parse()
        .map_err(|e: lettre::address::AddressError| DeliveryError::Address {
            address: address.to_owned(),
            reason: e.to_string(),
        })
}

fn build_email(settings: &EmailSettings, n: &Notification) -> Result<Message, DeliveryError> {
    let mut builder = Message::builder()
        .from(mailbox(&settings.from)?)
        .subject(message::email_subject(n))
        .message_id(Some(message::email_message_id(n)))
        .header(ContentType::TEXT_PLAIN);
    for to in &settings.to {
        builder = builder.to(mailbox(to)?);
    }
    Ok(builder.body(message::email_body(n))?)
}

fn transport(
    settings: &EmailSettings,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliveryError> {
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.smtp_host)
        .port(settings.smtp_port)
        .timeout(Some(TIMEOUT));
    if settings.security != SmtpSecurity::None {
        let mut params = TlsParameters::builder(settings.smtp_host.clone());
        if let Some(pem) = &settings.root_ca_pem {
            params = params.add_root_certificate(Certificate::from_pem(pem)?);
        }
        let params = params.build_rustls()?;
        builder = builder.tls(match settings.security {
            SmtpSecurity::Tls => Tls::Wrapper(params),
            _ => Tls::Required(params),
        });
    }
    if let Some(user) = &settings.username {
        let password = match &settings.password {
            Some(source) => source.resolve()?,
            None => String::new(),
        };
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

async fn send_email(settings: &EmailSettings, n: &Notification) -> Result<(), DeliveryError> {
    let email = build_email(settings, n)?;
    transport(settings)?.send(email).await?;
    Ok(())
}
