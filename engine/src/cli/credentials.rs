//! API credentials of the client commands (`backup --from`, `replay`) for an engine enforcing
//! `[auth]`: a static bearer token (alone in a file, or picked by subject from the engine's own
//! `subject:token` file) or short-lived HS256 JWTs minted for a subject from the signing secret.

use crate::auth::{JwtError, JwtVerifier, TokenFileError, token_of};
use clap::Args;
use reqwest::StatusCode;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Default lifetime of a minted JWT, in seconds.
pub const DEFAULT_JWT_TTL_SECONDS: u64 = 300;

/// Credentials that cannot be loaded.
#[derive(Debug, Error)]
pub enum CredentialError {
    /// A credentials file cannot be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The token file holds no usable token.
    #[error("token file {path} must hold exactly one token on one line (or use --token-subject)")]
    NotOneToken {
        /// The file.
        path: String,
    },
    /// The credentials file is not a list of `subject:token` lines.
    #[error("token file {path}: {source}")]
    TokenFile {
        /// The file.
        path: String,
        /// What is wrong (the token is never echoed).
        source: TokenFileError,
    },
    /// No line of the credentials file names the subject.
    #[error("token file {path} has no `{subject}:TOKEN` line")]
    NoSubject {
        /// The file.
        path: String,
        /// The subject asked for.
        subject: String,
    },
    /// The JWT signing secret is unusable.
    #[error("JWT secret file {path}: {source}")]
    Jwt {
        /// The file.
        path: String,
        /// Why.
        source: JwtError,
    },
}

/// `--token-file`/`--token-subject` or `--jwt-secret-file`/`--jwt-subject` (or their `VEXFS_*`
/// environment variables). Without any, requests carry no credentials.
#[derive(Debug, Clone, Default, Args)]
pub struct CredentialArgs {
    /// File holding the bearer token; with `--token-subject`, a `subject:token` credentials file.
    #[arg(long, env = "VEXFS_TOKEN_FILE", conflicts_with = "jwt_secret_file")]
    pub token_file: Option<PathBuf>,
    /// Subject whose line of the `--token-file` credentials file is sent.
    #[arg(long, env = "VEXFS_TOKEN_SUBJECT", requires = "token_file")]
    pub token_subject: Option<String>,
    /// The engine's HS256 signing secret: a short-lived JWT is minted for `--jwt-subject`.
    #[arg(long, env = "VEXFS_JWT_SECRET_FILE", requires = "jwt_subject")]
    pub jwt_secret_file: Option<PathBuf>,
    /// The `sub` claim of minted JWTs.
    #[arg(long, env = "VEXFS_JWT_SUBJECT", requires = "jwt_secret_file")]
    pub jwt_subject: Option<String>,
    /// Lifetime of each minted JWT, in seconds.
    #[arg(long, env = "VEXFS_JWT_TTL_SECONDS", default_value_t = DEFAULT_JWT_TTL_SECONDS)]
    pub jwt_ttl_seconds: u64,
}

/// Loaded credentials, ready to authorize requests.
#[derive(Clone)]
pub enum Credential {
    /// Requests are sent without credentials.
    Anonymous,
    /// A static bearer token.
    Token(String),
    /// A fresh JWT is minted for `subject` per request.
    Jwt {
        /// Holds the signing secret.
        signer: JwtVerifier,
        /// The `sub` claim.
        subject: String,
        /// Lifetime of each token.
        ttl_seconds: u64,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Anonymous => f.write_str("Anonymous"),
            Credential::Token(_) => f.write_str("Token(..)"),
            Credential::Jwt { subject, .. } => write!(f, "Jwt({subject})"),
        }
    }
}

impl CredentialArgs {
    /// Reads the files named by the options.
    pub fn load(&self) -> Result<Credential, CredentialError> {
        if let Some(path) = &self.token_file {
            let text = read(path)?;
            return token_credential(&text, self.token_subject.as_deref(), &shown(path));
        }
        match (&self.jwt_secret_file, &self.jwt_subject) {
            (Some(path), Some(subject)) => {
                let secret = std::fs::read(path).map_err(read_error(path))?;
                let signer =
                    JwtVerifier::new(&secret, 0).map_err(|source| CredentialError::Jwt {
                        path: shown(path),
                        source,
                    })?;
                Ok(Credential::Jwt {
                    signer,
                    subject: subject.clone(),
                    ttl_seconds: self.jwt_ttl_seconds,
                })
            }
            _ => Ok(Credential::Anonymous),
        }
    }
}

/// The static token in `text`: the whole (one-line) content, or the line of `subject`.
fn token_credential(
    text: &str,
    subject: Option<&str>,
    path: &str,
) -> Result<Credential, CredentialError> {
    let Some(subject) = subject else {
        let token = text.trim();
        if token.is_empty() || token.lines().count() != 1 {
            return Err(CredentialError::NotOneToken { path: path.into() });
        }
        return Ok(Credential::Token(token.to_string()));
    };
    let token = token_of(text, subject).map_err(|source| CredentialError::TokenFile {
        path: path.into(),
        source,
    })?;
    token
        .map(|t| Credential::Token(t.to_string()))
        .ok_or_else(|| CredentialError::NoSubject {
            path: path.into(),
            subject: subject.into(),
        })
}

impl Credential {
    /// Whether requests carry credentials at all.
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Credential::Anonymous)
    }

    /// The bearer credential to send at `now` (Unix seconds); `None` when anonymous.
    pub fn bearer(&self, now: i64) -> Option<String> {
        match self {
            Credential::Anonymous => None,
            Credential::Token(token) => Some(token.clone()),
            Credential::Jwt {
                signer,
                subject,
                ttl_seconds,
            } => Some(signer.mint(subject, now, *ttl_seconds)),
        }
    }

    /// `request` with an `Authorization: Bearer` header for the current time, if any.
    pub fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.bearer(chrono::Utc::now().timestamp()) {
            Some(bearer) => request.bearer_auth(bearer),
            None => request,
        }
    }

    /// A clear reason for a 401 or 403 answer (`body` is the engine's JSON explanation).
    pub fn refusal(&self, status: StatusCode, body: &str) -> Option<String> {
        let hint = match status {
            StatusCode::UNAUTHORIZED if self.is_anonymous() => {
                "the engine requires authentication; pass --token-file or --jwt-secret-file"
            }
            StatusCode::UNAUTHORIZED => "the engine rejected the credentials",
            StatusCode::FORBIDDEN => "the credentials lack the permission this call needs",
            _ => return None,
        };
        Some(format!("{status}: {hint}: {}", body.trim()))
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> CredentialError {
    let path = shown(path);
    move |source| CredentialError::Read { path, source }
}

fn read(path: &Path) -> Result<String, CredentialError> {
    std::fs::read_to_string(path).map_err(read_error(path))
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
