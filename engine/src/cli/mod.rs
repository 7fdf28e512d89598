//! Command-line interface: `serve`, `backup`, `verify`, `restore`, `replay`, `convert` and
//! `audit verify`.

pub mod audit;
pub mod backup;
pub mod convert;
pub mod credentials;
pub mod replay;
pub mod stream_backup;
pub mod tls_client;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::path::PathBuf;
use thiserror::Error;

/// Command-line failures.
#[derive(Debug, Error)]
pub enum CliError {
    /// Storage or archive failure.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// API credentials cannot be loaded.
    #[error(transparent)]
    Credentials(#[from] credentials::CredentialError),
    /// An HTTP request failed.
    #[error("request to {url} failed: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The archive key cannot be used.
    #[error(transparent)]
    Seal(#[from] crate::store::sealed::SealError),
    /// Encryption is required or asked for inconsistently.
    #[error("backup encryption: {0}")]
    Encryption(String),
    /// The HTTPS options (`--ca-file`, `--client-cert`) are unusable.
    #[error("HTTPS client: {0}")]
    Tls(String),
    /// An input file could not be converted into events.
    #[error("cannot convert {file}: {reason}")]
    Convert {
        /// The input file.
        file: String,
        /// What is wrong with it, naming the line.
        reason: String,
    },
    /// The audit log cannot be read.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// The audit log's hash chain is broken.
    #[error("audit chain broken at {file}:{line}: {reason}\n{text}")]
    AuditBroken {
        /// The audit file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
        /// The start of the line.
        text: String,
    },
    /// The server refused a replay batch.
    #[error("the engine refused the batch starting at line {first_line}: {message}")]
    Refused {
        /// First file line of the batch.
        first_line: usize,
        /// The server's explanation (line numbers relative to the file).
        message: String,
    },
    /// The NATS options of a clustered backup or restore are invalid (named as `cluster.*`).
    #[error("NATS options: {0}")]
    NatsOptions(#[from] crate::config::ConfigError),
    /// The NATS servers or the stream cannot be reached or set up.
    #[error(transparent)]
    Nats(#[from] crate::server::cluster::connect::ConnectError),
    /// A JetStream request of a clustered backup or restore failed, or the stream is unusable.
    #[error("JetStream stream `{stream}`: {reason}")]
    Stream {
        /// The stream.
        stream: String,
        /// What went wrong.
        reason: String,
    },
}

/// VexFS semantic event engine.
#[derive(Debug, Parser)]
#[command(name = "vexfs-engine", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the engine (the default; with no options it uses the embedded configuration).
    Serve(ServeArgs),
    /// Take a backup from a running engine, a data directory or a clustered deployment's stream.
    Backup(backup::BackupArgs),
    /// Verify a backup archive (manifest, checksum, every event).
    Verify(backup::VerifyArgs),
    /// Restore a backup archive into a data directory, or a clustered one into a new stream.
    Restore(backup::RestoreArgs),
    /// Send an NDJSON file of events to a running engine.
    Replay(replay::ReplayArgs),
    /// Convert public log formats (HDFS) into NDJSON events on standard output.
    Convert(convert::ConvertArgs),
    /// Check the audit log (`audit verify [DIR]`).
    Audit(audit::AuditArgs),
}

/// Options of `serve`.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// TOML configuration file (default: the embedded configuration).
    #[arg(long, env = "VEXFS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Listen address, overriding `[server] listen`.
    #[arg(long, env = "VEXFS_LISTEN")]
    pub listen: Option<String>,
    /// Data directory, overriding `[storage] data_dir`.
    #[arg(long, env = "VEXFS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// The one-line JSON summary printed by `backup`, `verify` and `restore`
/// (small enough for a Kubernetes termination message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Archive path.
    pub location: String,
    /// Archive size.
    pub size_bytes: u64,
    /// Hex sha256 of the archive file.
    pub sha256: String,
    /// Events in the archive.
    pub event_count: u64,
    /// Whether the archive is sealed (AES-256-GCM); omitted when it is not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub encrypted: bool,
}

impl Summary {
    /// The summary as one JSON line.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
    let context = context.into();
    move |source| CliError::Io { context, source }
}
