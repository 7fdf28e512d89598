//! Receiver definitions: a name and where alerts go (webhook, Slack or email).

use super::secret::SecretSource;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (loopback relays only).
    None,
    /// Upgrade with STARTTLS, refusing to continue without it.
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// SMTP delivery settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailSettings {
    /// Server host name (also the TLS server name).
    pub smtp_host: String,
    /// Server port.
    pub smtp_port: u16,
    /// Transport security.
    pub security: SmtpSecurity,
    /// Envelope and header sender.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Login user, if the server wants authentication.
    pub username: Option<String>,
    /// Login password source.
    pub password: Option<SecretSource>,
    /// Extra trusted root certificate (PEM), for private CAs.
    pub root_ca_pem: Option<Vec<u8>>,
}

/// Where one receiver delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum ReceiverKind {
    /// Generic webhook: the alert as JSON, POSTed to a URL.
    Webhook {
        /// Target URL source.
        url: SecretSource,
        /// Optional bearer token source, sent as `Authorization: Bearer ...`.
        bearer_token: Option<SecretSource>,
    },
    /// Slack incoming webhook.
    Slack {
        /// Webhook URL source (a secret: the URL is the credential).
        webhook_url: SecretSource,
        /// Channel override.
        channel: Option<String>,
    },
    /// Email over SMTP.
    Email(EmailSettings),
}

impl ReceiverKind {
    /// The kind's label (`webhook`, `slack` or `email`).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Webhook { .. } => "webhook",
            Self::Slack { .. } => "slack",
            Self::Email(_) => "email",
        }
    }
}

/// A named receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Receiver {
    /// Name referenced by rules.
    pub name: String,
    /// Destination.
    pub kind: ReceiverKind,
}
