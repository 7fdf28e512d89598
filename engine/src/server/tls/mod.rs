//! HTTPS for the accept loop: the rustls server configuration built from `[server.tls]`, kept
//! current by [`reload`] when the certificate files change, and the marker a request carries
//! when its connection presented a verified client certificate.

pub mod reload;

use super::error::ApiError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::TlsSection;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// Why a certificate, key or client CA could not be turned into a TLS configuration.
#[derive(Debug, Error)]
pub enum TlsError {
    /// A PEM file is missing, unreadable or holds nothing of the expected kind.
    #[error("{what} {path}: {reason}")]
    Pem {
        /// `certificate`, `private key` or `client CA`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the combination (e.g. the key does not match the certificate).
    #[error("TLS configuration from {cert} and {key} refused: {reason}")]
    Config {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls' reason.
        reason: String,
    },
}

/// Request extension: the connection's client presented a certificate signed by
/// `[server.tls] client_ca_path` (the handshake refuses one signed by anyone else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientCertificate;

/// The crypto provider of every TLS configuration the engine builds.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn pem_error(what: &'static str, path: &Path, reason: impl ToString) -> TlsError {
    TlsError::Pem {
        what,
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn certificates(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(what, path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(what, path, e))?;
    if certs.is_empty() {
        return Err(pem_error(what, path, "no CERTIFICATE block in the file"));
    }
    Ok(certs)
}

/// Reads the section's files and builds the server configuration: HTTP/2 and HTTP/1.1 by ALPN,
/// and, with `client_ca_path`, client certificates verified against those CAs. A client without a
/// certificate is still let in (only ingest requires one, see [`ClientCertificate`]); a client
/// with a certificate from another CA is refused in the handshake.
pub fn load(section: &TlsSection) -> Result<Arc<ServerConfig>, TlsError> {
    let (cert_path, key_path) = (&section.cert_path, &section.key_path);
    let chain = certificates("certificate", cert_path)?;
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| pem_error("private key", key_path, e))?;
    let refused = |reason: String| TlsError::Config {
        cert: cert_path.clone(),
        key: key_path.clone(),
        reason,
    };
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| refused(e.to_string()))?;
    let builder = match &section.client_ca_path {
        Some(ca_path) => {
            let mut roots = rustls::RootCertStore::empty();
            for ca in certificates("client CA", ca_path)? {
                roots
                    .add(ca)
                    .map_err(|e| pem_error("client CA", ca_path, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .allow_unauthenticated()
                .build()
                .map_err(|e| pem_error("client CA", ca_path, e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| refused(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Whether `[server.tls]` asks ingest for a client certificate (`client_ca_path` set).
pub fn ingest_requires_client_certificate(tls: Option<&TlsSection>) -> bool {
    TlsSection::active(tls).is_some_and(|t| t.client_ca_path.is_some())
}

/// Middleware on `POST /api/v1/events` when [`ingest_requires_client_certificate`]: ingest is
/// refused with 403 unless the connection presented a verified client certificate. Queries
/// only need what the rest of the API needs.
pub async fn require_client_certificate(req: Request, next: Next) -> Response {
    if req.extensions().get::<ClientCertificate>().is_none() {
        return ApiError::ClientCertificateRequired.into_response();
    }
    next.run(req).await
}
