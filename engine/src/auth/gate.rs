//! The decision for one request: credentials from the `Authorization` header → subject →
//! permission check against the route's [`Access`].

use super::backup_token::BackupToken;
use super::jwt::{JwtError, JwtKeys};
use super::oidc::{OidcError, OidcSection};
use super::permission::Permission;
use super::policy::Policy;
use super::routes::Access;
use super::section::{AuthMethod, AuthSection};
use super::token::{TokenFileError, TokenTable};
use jsonwebtoken::jwk::JwkSet;
use std::sync::Arc;
use thiserror::Error;

/// The secret file cannot back the configured method.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GateError {
    /// The token list is malformed.
    #[error(transparent)]
    Tokens(#[from] TokenFileError),
    /// The token list is not UTF-8.
    #[error("token file is not UTF-8")]
    NotUtf8,
    /// The JWT secret is unusable.
    #[error(transparent)]
    Jwt(#[from] JwtError),
    /// `method = "oidc"` without `[auth.oidc]` or without a key source.
    #[error("OIDC authentication needs [auth.oidc] and the issuer's key set")]
    NoOidc,
}

/// The issuer's current key set, as last fetched (the edge that fetches it implements this).
pub trait KeySource: std::fmt::Debug + Send + Sync {
    /// The keys to verify with now.
    fn keys(&self) -> Arc<JwkSet>;
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Denial {
    /// No `Authorization` header (401).
    #[error("authentication required")]
    Missing,
    /// The header is not `Bearer <credential>` (401).
    #[error("expected an Authorization: Bearer credential")]
    NotBearer,
    /// The static token matches no subject (401).
    #[error("unknown token")]
    UnknownToken,
    /// The JWT is invalid (401).
    #[error("invalid token: {0}")]
    Jwt(JwtError),
    /// The OIDC token is invalid (401).
    #[error("invalid token: {0}")]
    Oidc(OidcError),
    /// The secret file was deleted or emptied: every credential is revoked (401).
    #[error("credentials revoked: the engine's auth secret file is missing or empty")]
    Revoked,
    /// Authenticated, but without the route's permission (403).
    #[error("subject `{subject}` lacks permission `{permission}`")]
    Forbidden {
        /// Who asked.
        subject: String,
        /// What the route needs.
        permission: Permission,
    },
}

impl Denial {
    /// Whether this is a 401 (credentials missing or invalid) rather than a 403.
    pub fn is_unauthenticated(&self) -> bool {
        !matches!(self, Denial::Forbidden { .. })
    }
}

#[derive(Debug, Clone)]
enum Credentials {
    Tokens(TokenTable),
    Jwt(JwtKeys),
    Oidc(OidcSection, Arc<dyn KeySource>),
    Revoked,
}

/// Authentication and authorization for an enabled `[auth]` section.
#[derive(Debug, Clone)]
pub struct Gate {
    credentials: Credentials,
    policy: Policy,
    backup: Option<BackupToken>,
}

impl Gate {
    /// Builds the gate from the section and the content of its secret file.
    pub fn new(section: &AuthSection, secret: &[u8]) -> Result<Gate, GateError> {
        Gate::with_keys(section, secret, None, None)
    }

    /// [`Gate::new`], with the previous HS256 key during a rotation (`jwt`) and the issuer's
    /// key source (`oidc`).
    pub fn with_keys(
        section: &AuthSection,
        secret: &[u8],
        previous_secret: Option<&[u8]>,
        keys: Option<Arc<dyn KeySource>>,
    ) -> Result<Gate, GateError> {
        let credentials = match section.method {
            AuthMethod::Token => {
                let text = std::str::from_utf8(secret).map_err(|_| GateError::NotUtf8)?;
                Credentials::Tokens(TokenTable::parse(text)?)
            }
            AuthMethod::Jwt => Credentials::Jwt(JwtKeys::new(
                secret,
                previous_secret,
                section.jwt_leeway_seconds,
            )?),
            AuthMethod::Oidc => match (&section.oidc, keys) {
                (Some(oidc), Some(keys)) => Credentials::Oidc(oidc.clone(), keys),
                _ => return Err(GateError::NoOidc),
            },
        };
        Ok(Gate {
            credentials,
            policy: Policy::from_section(section),
            backup: None,
        })
    }

    /// The same gate, also accepting `backup` (from `[auth] backup_token_file`) for
    /// `GET /api/v1/admin/backup` only.
    #[must_use]
    pub fn with_backup_token(self, backup: Option<BackupToken>) -> Gate {
        Gate { backup, ..self }
    }

    /// A gate that refuses every credential, the backup token included: the secret file was
    /// deleted or emptied. Open routes stay open.
    pub fn revoked(section: &AuthSection) -> Gate {
        Gate {
            credentials: Credentials::Revoked,
            policy: Policy::from_section(section),
            backup: None,
        }
    }

    /// Token-file subjects that no `[[auth.subjects]]` entry declares (they hold no permission).
    pub fn undeclared_subjects(&self) -> Vec<String> {
        match &self.credentials {
            Credentials::Tokens(table) => table
                .subjects()
                .filter(|s| !self.policy.knows(s))
                .map(str::to_string)
                .collect(),
            Credentials::Jwt(_) | Credentials::Oidc(..) | Credentials::Revoked => Vec::new(),
        }
    }

    /// Decides a request needing `access`, given its `Authorization` header and the time (Unix
    /// seconds). Returns the subject (`None` for open routes).
    pub fn check(
        &self,
        access: Access,
        authorization: Option<&str>,
        now: i64,
    ) -> Result<Option<String>, Denial> {
        self.identify(access, authorization, now)
            .map(|id| id.map(|id| id.subject))
    }

    /// [`Gate::check`], also returning when the credential expires.
    pub fn identify(
        &self,
        access: Access,
        authorization: Option<&str>,
        now: i64,
    ) -> Result<Option<Identity>, Denial> {
        let Some(permission) = access.permission() else {
            return Ok(None);
        };
        let header = authorization.ok_or(Denial::Missing)?;
        let credential = bearer(header).ok_or(Denial::NotBearer)?;
        if let Some(backup) = self.backup.as_ref().filter(|b| b.matches(credential)) {
            let subject = backup.subject().to_owned();
            return match access {
                Access::Backup => Ok(Some(Identity {
                    subject,
                    expires_at: None,
                })),
                _ => Err(Denial::Forbidden {
                    subject,
                    permission,
                }),
            };
        }
        let (identity, roles) = self.authenticate(credential, now)?;
        let allowed = match &roles {
            Some(roles) => self.policy.roles_allow(roles, permission),
            None => self.policy.allows(&identity.subject, permission),
        };
        if !allowed {
            return Err(Denial::Forbidden {
                subject: identity.subject,
                permission,
            });
        }
        Ok(Some(identity))
    }

    /// The credential's identity and, when the credential carries them, its roles.
    fn authenticate(
        &self,
        credential: &str,
        now: i64,
    ) -> Result<(Identity, Option<Vec<String>>), Denial> {
        match &self.credentials {
            Credentials::Tokens(table) => table
                .subject_of(credential)
                .map(|subject| {
                    let identity = Identity {
                        subject: subject.to_string(),
                        expires_at: None,
                    };
                    (identity, None)
                })
                .ok_or(Denial::UnknownToken),
            Credentials::Jwt(verifier) => verifier
                .verify(credential, now)
                .map(|c| {
                    let identity = Identity {
                        subject: c.sub,
                        expires_at: Some(c.exp),
                    };
                    (identity, None)
                })
                .map_err(Denial::Jwt),
            Credentials::Revoked => Err(Denial::Revoked),
            Credentials::Oidc(section, keys) => {
                super::oidc::verify(credential, &keys.keys(), section, now)
                    .map(|id| {
                        let identity = Identity {
                            subject: id.subject,
                            expires_at: Some(id.expires_at),
                        };
                        (identity, Some(id.roles))
                    })
                    .map_err(Denial::Oidc)
            }
        }
    }
}

/// Who a credential belongs to and until when it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The subject.
    pub subject: String,
    /// Expiry in seconds since the Unix epoch (`None`: static tokens, valid until revoked).
    pub expires_at: Option<i64>,
}

/// The credential of `Bearer <credential>` (scheme case-insensitive, RFC 6750).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    let credential = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !credential.is_empty()).then_some(credential)
}

#[cfg(test)]
mod tests;
