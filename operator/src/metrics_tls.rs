//! HTTPS for the operator's own `/metrics`, `/healthz` and `/readyz` (`--metrics-tls-cert`,
//! `--metrics-tls-key`): the certificate is loaded at start (an unusable pair stops the operator),
//! and reloaded without a restart when the files' modification times or sizes change, as the
//! engine does; a changed pair that does not load is logged and the one in use is kept.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// How often the certificate files are checked for a change.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(10);
/// Time a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MetricsTlsError {
    /// A PEM file is missing, unreadable or holds nothing of the expected kind.
    #[error("metrics TLS {what} {path}: {reason}")]
    Pem {
        /// `certificate` or `private key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the pair (e.g. the key does not match the certificate).
    #[error("metrics TLS certificate {cert} and key {key} refused: {reason}")]
    Config {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls' reason.
        reason: String,
    },
}

/// The certificate chain and key files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

impl TlsFiles {
    /// Both files, or neither; one without the other is an error naming the missing flag.
    pub fn from_flags(
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
    ) -> Result<Option<TlsFiles>, String> {
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
            (None, None) => Ok(None),
            (Some(_), None) => Err("--metrics-tls-cert needs --metrics-tls-key".to_owned()),
            (None, Some(_)) => Err("--metrics-tls-key needs --metrics-tls-cert".to_owned()),
        }
    }

    /// Modification time and length of each file (`None` when unreadable).
    fn stamps(&self) -> [Option<(SystemTime, u64)>; 2] {
        let stamp = |path: &Path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        };
        [stamp(&self.cert), stamp(&self.key)]
    }
}

/// Reads the pair and builds the server configuration (HTTP/1.1 only: Prometheus and probes).
pub fn load(files: &TlsFiles) -> Result<Arc<ServerConfig>, MetricsTlsError> {
    let pem = |what, path: &Path, reason: String| MetricsTlsError::Pem {
        what,
        path: path.to_path_buf(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| pem("certificate", &files.cert, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem("certificate", &files.cert, e.to_string()))?;
    if chain.is_empty() {
        let reason = "no CERTIFICATE block in the file".to_owned();
        return Err(pem("certificate", &files.cert, reason));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| pem("private key", &files.key, e.to_string()))?;
    let refused = |reason: String| MetricsTlsError::Config {
        cert: files.cert.clone(),
        key: files.key.clone(),
        reason,
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| refused(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| refused(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Loads `files` and keeps reloading them every `interval` while the receiver lives.
pub fn start(
    files: TlsFiles,
    interval: Duration,
) -> Result<watch::Receiver<Arc<ServerConfig>>, MetricsTlsError> {
    let mut seen = files.stamps();
    let (tx, rx) = watch::channel(load(&files)?);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tx.closed() => return,
                () = tokio::time::sleep(interval) => {}
            }
            let now = files.stamps();
            if now == seen {
                continue;
            }
            seen = now;
            match load(&files) {
                Ok(config) => {
                    tx.send_replace(config);
                    tracing::info!(cert = %files.cert.display(), "metrics TLS certificate reloaded");
                }
                Err(error) => {
                    tracing::warn!(%error, "changed metrics TLS files not loaded; the certificate in use is kept");
                }
            }
        }
    });
    Ok(rx)
}

/// Serves `router` over HTTPS on `listener` until `shutdown`, each connection with the
/// configuration current when it was accepted.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: watch::Receiver<Arc<ServerConfig>>,
    shutdown: CancellationToken,
) {
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "accepting a metrics connection failed");
                    continue;
                }
            },
        };
        let acceptor = TlsAcceptor::from(tls.borrow().clone());
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let Ok(Ok(stream)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
            else {
                return;
            };
            let connection = Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(error) = connection {
                tracing::debug!(%error, "metrics connection ended with an error");
            }
        });
    }
}

#[cfg(test)]
#[path = "metrics_tls_tests.rs"]
mod tests;
