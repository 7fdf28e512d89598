//! Certificate reload without a restart: a task checks the files' modification times every
//! `reload_interval_ms` and, when they changed, builds a new configuration and publishes it to the
//! accept loop. A pair that does not load is logged and the configuration in use is kept.

use super::{TlsError, load};
use crate::config::TlsSection;
use rustls::ServerConfig;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// What identifies one version of a file: its modification time and length (`None` when it
/// cannot be read, so a file that disappears and comes back counts as changed).
type FileStamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> FileStamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The stamps of every file a section reads.
fn stamps(section: &TlsSection) -> Vec<FileStamp> {
    [
        Some(section.cert_path.as_path()),
        Some(section.key_path.as_path()),
        section.client_ca_path.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(stamp)
    .collect()
}

/// The accept loop's view of the current TLS configuration.
#[derive(Clone)]
pub struct TlsSource {
    current: watch::Receiver<Arc<ServerConfig>>,
    handshake_timeout: Duration,
}

impl TlsSource {
    /// An acceptor for the configuration in force now.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current.borrow().clone())
    }

    /// Time a client has to complete the handshake.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }
}

/// Loads the section's files (an error here stops the engine from starting) and starts the
/// task that reloads them on change. The task ends when every [`TlsSource`] is dropped.
pub fn start(section: TlsSection) -> Result<TlsSource, TlsError> {
    let mut seen = stamps(&section);
    let (tx, rx) = watch::channel(load(&section)?);
    let interval = Duration::from_millis(section.reload_interval_ms);
    let handshake_timeout = Duration::from_millis(section.handshake_timeout_ms);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tx.closed() => return,
                () = tokio::time::sleep(interval) => {}
            }
            let now = stamps(&section);
            if now == seen {
                continue;
            }
            seen = now;
            match load(&section) {
                Ok(config) => {
                    tx.send_replace(config);
                    tracing::info!(cert = %section.cert_path.display(), "TLS certificate reloaded");
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    "changed TLS files not loaded; the certificate in use is kept"
                ),
            }
        }
    });
    Ok(TlsSource {
        current: rx,
        handshake_timeout,
    })
}
