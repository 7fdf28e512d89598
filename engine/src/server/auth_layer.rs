//! HTTP side of `auth`: loads the secret file into a gate at startup (reloading it when the file
//! changes) and applies it to every matched route as an axum middleware (401 with
//! `WWW-Authenticate`, 403 naming the permission).

mod reload;

pub use reload::{LiveGate, RELOAD_INTERVAL};

use super::AppState;
use super::audit_sink::AuditSink;
use super::oidc_keys::OidcKeys;
use super::stream_gate::CredentialExpiry;
use crate::auth::oidc::OidcError;
use crate::auth::{Access, AuthSection, Denial, GateError, Identity, KeySource, required};
use crate::config::Config;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use thiserror::Error;

/// The realm named in `WWW-Authenticate`.
const REALM: &str = "vexfs";

/// The auth secret file cannot be used.
#[derive(Debug, Error)]
pub enum AuthLoadError {
    /// The file could not be read.
    #[error("cannot read auth secret file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Its content does not suit the configured method.
    #[error("auth secret file {path}: {source}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: GateError,
    },
}

/// The subject a request was authenticated as, added to the request's extensions (for the
/// handler) and to the response's (for the audit log, also on a 403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedSubject(pub String);

/// The `[auth]` section when it exists and is enabled.
pub fn active(config: &Config) -> Option<&AuthSection> {
    config.auth.as_ref().filter(|a| a.enabled)
}

/// Reads the secret file of an enabled `[auth]` section and builds its gate (`None`: API open).
pub fn load(config: &Config) -> Result<Option<Arc<LiveGate>>, AuthLoadError> {
    load_with_keys(config, None)
}

/// [`load`] with the OIDC issuer's keys that `method = "oidc"` verifies tokens with.
pub fn load_with_keys(
    config: &Config,
    keys: Option<Arc<OidcKeys>>,
) -> Result<Option<Arc<LiveGate>>, AuthLoadError> {
    let Some(section) = active(config) else {
        tracing::info!("authentication disabled; the API is open");
        return Ok(None);
    };
    let keys = keys.map(|k| k as Arc<dyn KeySource>);
    let live = LiveGate::open_with_keys(section, keys)?;
    for subject in live.gate().undeclared_subjects() {
        tracing::warn!(%subject, "token subject has no [[auth.subjects]] entry; it holds no permission");
    }
    tracing::info!(
        method = ?section.method,
        roles = section.roles.len(),
        subjects = section.subjects.len(),
        secret_file = %section.secret_file.display(),
        "authentication enabled"
    );
    Ok(Some(Arc::new(live)))
}

/// [`load`], then re-reads the secret file every [`RELOAD_INTERVAL`] for as long as the gate is
/// in use (a rotated Kubernetes Secret takes effect without a restart), recording each reload
/// in `audit` when given. Needs a Tokio runtime.
pub fn start(
    config: &Config,
    audit: Option<Arc<AuditSink>>,
    keys: Option<Arc<OidcKeys>>,
) -> Result<Option<Arc<LiveGate>>, AuthLoadError> {
    let live = load_with_keys(config, keys)?;
    if let Some(live) = &live {
        tokio::spawn(reload::watch(Arc::downgrade(live), audit));
    }
    Ok(live)
}

/// Middleware: lets a request through only if its route is open or its credentials carry the
/// route's permission. With authentication enabled but no gate loaded, everything but open
/// routes is refused (fail closed).
pub async fn require(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if active(&state.config).is_none() {
        return next.run(req).await;
    }
    let path = match req.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_string(),
        None => req.uri().path().to_string(),
    };
    let access = required(req.method().as_str(), &path);
    if access == Access::Open {
        return next.run(req).await;
    }
    let Some(gate) = state.auth.as_deref().map(LiveGate::gate) else {
        tracing::error!(%path, "authentication enabled but no credentials loaded; refusing");
        return not_loaded();
    };
    let authorization = credentials(req.headers());
    let mut decision = gate.identify(access, authorization, unix_now());
    if let (Err(Denial::Oidc(OidcError::UnknownKeyId(_))), Some(keys)) =
        (&decision, &state.oidc_keys)
    {
        // The issuer may have rotated its keys: refresh (rate-limited) and decide again.
        keys.refresh().await;
        decision = gate.identify(access, authorization, unix_now());
    }
    match decision {
        Ok(identity) => {
            let Some(Identity {
                subject,
                expires_at,
            }) = identity
            else {
                return next.run(req).await;
            };
            let subject = AuthenticatedSubject(subject);
            tracing::debug!(subject = %subject.0, %path, "authorized");
            req.extensions_mut().insert(subject.clone());
            if let Some(exp) = expires_at {
                req.extensions_mut().insert(CredentialExpiry(exp));
            }
            let mut response = next.run(req).await;
            response.extensions_mut().insert(subject);
            response
        }
        Err(denial) => {
            tracing::info!(%path, method = %req.method(), reason = %denial, "request refused");
            let mut response = reject(&denial);
            if let Denial::Forbidden { subject, .. } = denial {
                response
                    .extensions_mut()
                    .insert(AuthenticatedSubject(subject));
            }
            response
        }
    }
}

/// Header carrying the credential when `Authorization` cannot: the Kubernetes API server's
/// service proxy authenticates with, and removes, the caller's `Authorization` header.
pub const PROXIED_AUTHORIZATION: &str = "x-vexfs-authorization";

/// The credential header: `Authorization`, else `X-Vexfs-Authorization` (same format).
fn credentials(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .or_else(|| headers.get(PROXIED_AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The `WWW-Authenticate` challenge for a denial (RFC 6750 error codes).
fn challenge(denial: &Denial) -> String {
    let error = match denial {
        Denial::Missing => return format!("Bearer realm=\"{REALM}\""),
        Denial::NotBearer => "invalid_request",
        Denial::UnknownToken | Denial::Jwt(_) | Denial::Oidc(_) | Denial::Revoked => {
            "invalid_token"
        }
        Denial::Forbidden { .. } => "insufficient_scope",
    };
    let description = denial.to_string().replace(['"', '\\'], "'");
    format!("Bearer realm=\"{REALM}\", error=\"{error}\", error_description=\"{description}\"")
}

fn reject(denial: &Denial) -> Response {
    let (status, code) = if denial.is_unauthenticated() {
        (StatusCode::UNAUTHORIZED, "unauthorized")
    } else {
        (StatusCode::FORBIDDEN, "forbidden")
    };
    let mut body = json!({"error": code, "message": denial.to_string()});
    if let Denial::Forbidden { permission, .. } = denial {
        body["permission"] = json!(permission.to_string());
    }
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge(denial)) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn not_loaded() -> Response {
    let body = json!({"error": "unavailable",
        "message": "authentication is enabled but its credentials are not loaded"});
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxied_credentials_are_read_when_authorization_is_absent() {
        let mut headers = axum::http::HeaderMap::new();
        assert_eq!(credentials(&headers), None);
        headers.insert(PROXIED_AUTHORIZATION, HeaderValue::from_static("Bearer p"));
        assert_eq!(credentials(&headers), Some("Bearer p"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer a"));
        assert_eq!(credentials(&headers), Some("Bearer a"));
    }

    #[test]
    fn challenges_follow_rfc_6750() {
        assert_eq!(challenge(&Denial::Missing), "Bearer realm=\"vexfs\"");
        let invalid = challenge(&Denial::UnknownToken);
        assert!(invalid.contains("error=\"invalid_token\""), "{invalid}");
        let forbidden = challenge(&Denial::Forbidden {
            subject: "bob\"x".into(),
            permission: "analytics:write".parse().unwrap(),
        });
        assert!(forbidden.contains("insufficient_scope"), "{forbidden}");
        assert!(forbidden.contains("bob'x"), "{forbidden}");
    }

    #[test]
    fn disabled_or_absent_sections_are_inactive() {
        let mut config = Config::default();
        assert!(active(&config).is_none());
        assert!(load(&config).unwrap().is_none());
        config.auth = Some(AuthSection {
            enabled: false,
            ..AuthSection::default()
        });
        assert!(active(&config).is_none());
    }

    #[test]
    fn a_missing_secret_file_fails_loading() {
        let config = Config {
            auth: Some(AuthSection {
                secret_file: "/nonexistent/vexfs/auth".into(),
                ..AuthSection::default()
            }),
            ..Config::default()
        };
        let err = load(&config).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/vexfs/auth"), "{err}");
    }
}
