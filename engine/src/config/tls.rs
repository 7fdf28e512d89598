//! The `[server.tls]` section: HTTPS with a certificate and key read from files, reloaded when
//! they change, and optional client certificates (mTLS) for ingest.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[server.tls]`. Present (from the file, or from `ENABLE_TLS`, `TLS_CERT_PATH` or
/// `TLS_KEY_PATH`) and `enabled`, the engine serves HTTPS only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// Serve HTTPS (`ENABLE_TLS`); `false` keeps the section but serves plain HTTP.
    pub enabled: bool,
    /// PEM certificate chain, leaf first (`TLS_CERT_PATH`).
    pub cert_path: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of the leaf certificate (`TLS_KEY_PATH`).
    pub key_path: PathBuf,
    /// PEM CA certificates that sign client certificates. When set, a client that presents a
    /// certificate must present one these CAs signed, and ingest requires one.
    pub client_ca_path: Option<PathBuf>,
    /// Milliseconds between checks of the files' modification times; a changed pair is loaded
    /// without a restart.
    pub reload_interval_ms: u64,
    /// Milliseconds a client has to complete the TLS handshake before it is disconnected.
    pub handshake_timeout_ms: u64,
}

impl Default for TlsSection {
    fn default() -> Self {
        TlsSection {
            enabled: true,
            cert_path: PathBuf::new(),
            key_path: PathBuf::new(),
            client_ca_path: None,
            reload_interval_ms: 10_000,
            handshake_timeout_ms: 10_000,
        }
    }
}

impl TlsSection {
    /// Refuses an enabled section without both files, and zero intervals.
    pub fn check(&self) -> Result<(), ConfigError> {
        if !self.enabled {
            return Ok(());
        }
        let missing = |key, var| ConfigError::Invalid {
            key,
            reason: format!(
                "is not set, but TLS is enabled (by [server.tls] or ENABLE_TLS); \
                 name the PEM file with this key or {var}"
            ),
        };
        if self.cert_path.as_os_str().is_empty() {
            return Err(missing("server.tls.cert_path", "TLS_CERT_PATH"));
        }
        if self.key_path.as_os_str().is_empty() {
            return Err(missing("server.tls.key_path", "TLS_KEY_PATH"));
        }
        if self
            .client_ca_path
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return Err(ConfigError::Invalid {
                key: "server.tls.client_ca_path",
                reason: "is empty; name a PEM file of CA certificates or leave the key out".into(),
            });
        }
        if self.reload_interval_ms == 0 || self.handshake_timeout_ms == 0 {
            return Err(ConfigError::Invalid {
                key: "server.tls.reload_interval_ms",
                reason: "and server.tls.handshake_timeout_ms must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// The section when TLS is on: present and enabled.
    pub fn active(section: Option<&TlsSection>) -> Option<&TlsSection> {
        section.filter(|t| t.enabled)
    }
}
