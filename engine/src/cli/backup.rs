//! `backup`, `verify` and `restore`: consistent snapshots with a manifest and sha256.

use super::credentials::{Credential, CredentialArgs};
use super::{CliError, Summary, io};
use crate::event::Event;
use crate::store::{scan, snapshot};
use clap::Args;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of `backup`.
#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["from", "data_dir"]))]
pub struct BackupArgs {
    /// Base URL of a running engine (streams `GET /api/v1/admin/backup`).
    #[arg(long)]
    pub from: Option<String>,
    /// Data directory of a stopped engine.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Target directory (a timestamped file is created in it) or `FILE.tar.gz`.
    #[arg(long)]
    pub to: PathBuf,
    /// Also write the summary line to this file (e.g. `/dev/termination-log`).
    #[arg(long)]
    pub summary_file: Option<PathBuf>,
    /// Credentials for an engine enforcing `[auth]` (the backup route needs `production:write`).
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// HTTPS options for an engine serving TLS.
    #[command(flatten)]
    pub tls: super::tls_client::TlsClientArgs,
}

/// Options of `verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The archive.
    pub backup: PathBuf,
}

/// Options of `restore`.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The archive.
    pub backup: PathBuf,
    /// Data directory to restore into (must be empty unless `--force`).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Replace an existing log in the data directory.
    #[arg(long)]
    pub force: bool,
}

fn target_file(to: &Path, now_ns: i64) -> PathBuf {
    let name = to.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        return to.to_path_buf();
    }
    let stamp = chrono::DateTime::from_timestamp_nanos(now_ns).format("%Y%m%dT%H%M%S%.3fZ");
    to.join(format!("vexfs-backup-{stamp}.tar.gz"))
}

/// Hashes and measures a file, after a full verification of its content.
pub fn summarize(path: &Path) -> Result<Summary, CliError> {
    let (manifest, _) = snapshot::read_archive(path)?;
    let bytes = std::fs::read(path).map_err(io(format!("reading {}", path.display())))?;
    Ok(Summary {
        location: path.display().to_string(),
        size_bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        event_count: manifest.event_count,
    })
}

/// Takes a backup and returns its summary.
pub async fn backup(args: &BackupArgs, now_ns: i64) -> Result<Summary, CliError> {
    let target = target_file(&args.to, now_ns);
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
    }
    let partial = target.with_extension("partial");
    match (&args.from, &args.data_dir) {
        (Some(url), _) => {
            let http = args.tls.client()?;
            download(&http, url, &args.credentials.load()?, &partial).await?;
        }
        (None, Some(dir)) => from_data_dir(dir, &partial, now_ns)?,
        (None, None) => unreachable!("clap requires --from or --data-dir"),
    }
    let summary = summarize(&partial)?;
    std::fs::rename(&partial, &target).map_err(io(format!("renaming to {}", target.display())))?;
    let summary = Summary {
        location: target.display().to_string(),
        ..summary
    };
    if let Some(file) = &args.summary_file {
        std::fs::write(file, summary.to_line())
            .map_err(io(format!("writing {}", file.display())))?;
    }
    Ok(summary)
}

async fn download(
    client: &reqwest::Client,
    base: &str,
    credential: &Credential,
    path: &Path,
) -> Result<(), CliError> {
    let url = format!("{}/api/v1/admin/backup", base.trim_end_matches('/'));
    let http = |reason: String| CliError::Http {
        url: url.clone(),
        reason,
    };
    let request = credential.authorize(client.get(&url));
    let response = request.send().await.map_err(|e| http(e.to_string()))?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let reason = credential.refusal(status, &body);
        return Err(http(reason.unwrap_or_else(|| format!("{status}: {body}"))));
    }
    let mut file =
        std::fs::File::create(path).map_err(io(format!("creating {}", path.display())))?;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| http(e.to_string()))?;
        file.write_all(&chunk)
            .map_err(io(format!("writing {}", path.display())))?;
    }
    file.sync_all()
        .map_err(io(format!("syncing {}", path.display())))
}

fn from_data_dir(dir: &Path, path: &Path, now_ns: i64) -> Result<(), CliError> {
    let mut events: Vec<Event> = Vec::new();
    let stats = scan(dir, false, &mut |e| events.push(e))?;
    let records = dir.join(snapshot::ANOMALIES);
    let anomalies = match std::fs::read(&records) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(format!("reading {}", records.display()))(e)),
    };
    let file = std::fs::File::create(path).map_err(io(format!("creating {}", path.display())))?;
    let audit = crate::store::audit_files::read(dir)?;
    snapshot::write_archive(&events, &anomalies, &audit, stats.next_id, now_ns, &file)?;
    file.sync_all()
        .map_err(io(format!("syncing {}", path.display())))
}

/// Restores an archive; returns its summary.
pub fn restore(args: &RestoreArgs) -> Result<Summary, CliError> {
    let summary = summarize(&args.backup)?;
    snapshot::restore_archive(&args.backup, &args.data_dir, args.force)?;
    Ok(summary)
}
