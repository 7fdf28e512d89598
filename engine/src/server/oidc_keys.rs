//! The issuer's signing keys for `[auth] method = "oidc"`: the discovery document
//! (`<issuer>/.well-known/openid-configuration`) names the key set (`jwks_uri`), which is fetched
//! at start and again when a token names a key id the cached set lacks, at most once per
//! `jwks_refresh_min_interval_seconds` so that tokens with made-up key ids cannot make the engine
//! hammer the issuer. Verification itself is pure (`crate::auth::oidc`).

use crate::auth::oidc::OidcSection;
use crate::auth::{AuthMethod, KeySource};
use crate::config::Config;
use jsonwebtoken::jwk::JwkSet;
use parking_lot::{Mutex, RwLock};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Time one discovery or key-set request may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the issuer's keys could not be fetched.
#[derive(Debug, Error)]
pub enum OidcFetchError {
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client for the OIDC issuer: {0}")]
    Client(String),
    /// The request failed or answered with an error status.
    #[error("GET {url} failed: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The discovery document names another issuer than the configured one.
    #[error("discovery document at {url} names issuer {found:?}, not the configured {expected:?}")]
    IssuerMismatch {
        /// The discovery URL.
        url: String,
        /// `[auth.oidc] issuer`.
        expected: String,
        /// The document's `issuer`.
        found: String,
    },
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

/// Whether a refresh may start now, given when the last one started.
pub fn refresh_due(last: Option<Instant>, now: Instant, min_interval: Duration) -> bool {
    last.is_none_or(|last| now.saturating_duration_since(last) >= min_interval)
}

/// The issuer's keys when an enabled `[auth]` section has `method = "oidc"` (else `None`).
pub async fn start(config: &Config) -> Result<Option<Arc<OidcKeys>>, OidcFetchError> {
    let oidc = config
        .auth
        .as_ref()
        .filter(|a| a.enabled && a.method == AuthMethod::Oidc)
        .and_then(|a| a.oidc.as_ref());
    match oidc {
        Some(section) => OidcKeys::start(section).await.map(Some),
        None => Ok(None),
    }
}

/// The cached key set of one issuer and the means to refresh it.
#[derive(Debug)]
pub struct OidcKeys {
    issuer: String,
    http: reqwest::Client,
    keys: RwLock<Arc<JwkSet>>,
    /// Held while fetching (one refresh at a time); the key set's URL once discovered.
    jwks_uri: tokio::sync::Mutex<Option<String>>,
    last_refresh: Mutex<Option<Instant>>,
    min_interval: Duration,
}

impl KeySource for OidcKeys {
    fn keys(&self) -> Arc<JwkSet> {
        self.keys.read().clone()
    }
}

impl OidcKeys {
    /// Fetches the issuer's keys. When the issuer cannot be reached the engine still starts,
    /// refusing OIDC tokens until a later refresh succeeds (logged as a warning).
    pub async fn start(section: &OidcSection) -> Result<Arc<OidcKeys>, OidcFetchError> {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|e| OidcFetchError::Client(e.to_string()))?;
        let keys = Arc::new(OidcKeys {
            issuer: section.issuer.clone(),
            http,
            keys: RwLock::new(Arc::new(JwkSet { keys: Vec::new() })),
            jwks_uri: tokio::sync::Mutex::new(None),
            last_refresh: Mutex::new(None),
            min_interval: Duration::from_secs(section.jwks_refresh_min_interval_seconds),
        });
        keys.refresh().await;
        Ok(keys)
    }

    /// Fetches the key set again unless a refresh started less than the minimum interval ago.
    /// Failures are logged and the cached keys kept.
    pub async fn refresh(&self) {
        let mut uri = self.jwks_uri.lock().await;
        {
            let mut last = self.last_refresh.lock();
            let now = Instant::now();
            if !refresh_due(*last, now, self.min_interval) {
                return;
            }
            *last = Some(now);
        }
        match self.fetch(&mut uri).await {
            Ok(set) => {
                tracing::info!(issuer = %self.issuer, keys = set.keys.len(), "OIDC issuer keys fetched");
                *self.keys.write() = Arc::new(set);
            }
            Err(e) => {
                tracing::warn!(error = %e, "OIDC issuer keys not fetched; keeping the cached ones");
            }
        }
    }

    async fn fetch(&self, uri: &mut Option<String>) -> Result<JwkSet, OidcFetchError> {
        if let Some(known) = uri.as_ref() {
            return self.get_json(known).await;
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let doc: Discovery = self.get_json(&url).await?;
        if doc.issuer != self.issuer {
            return Err(OidcFetchError::IssuerMismatch {
                url,
                expected: self.issuer.clone(),
                found: doc.issuer,
            });
        }
        let jwks_uri = uri.insert(doc.jwks_uri).clone();
        self.get_json(&jwks_uri).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<T, OidcFetchError> {
        let failed = |reason: String| OidcFetchError::Http {
            url: url.to_string(),
            reason,
        };
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?
            .error_for_status()
            .map_err(|e| failed(e.to_string()))?;
        response.json().await.map_err(|e| failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_are_spaced_by_the_minimum_interval() {
        let start = Instant::now();
        let min = Duration::from_secs(30);
        assert!(refresh_due(None, start, min));
        assert!(!refresh_due(
            Some(start),
            start + Duration::from_secs(29),
            min
        ));
        assert!(refresh_due(Some(start), start + min, min));
    }
}
