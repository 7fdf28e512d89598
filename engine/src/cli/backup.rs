//! `backup`, `verify` and `restore`: consistent snapshots with a manifest and sha256, optionally
//! sealed with AES-256-GCM ([`crate::store::sealed`]). Archives are checked as they stream, so
//! none is ever held whole in memory.

use super::credentials::{Credential, CredentialArgs};
use super::stream_backup::{self, NatsArgs};
use super::{CliError, Summary, io};
use crate::event::Event;
use crate::store::archive_read::{Discard, open_archive, read_verified};
use crate::store::archive_restore::restore_archive;
use crate::store::sealed::{SealKey, SealWriter, is_sealed};
use crate::store::{scan, snapshot};
use clap::Args;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Encryption at rest of backup archives.
#[derive(Debug, Clone, Default, Args)]
pub struct EncryptionArgs {
    /// File holding the 256-bit archive key (32 raw bytes, 64 hex digits or base64, e.g. from
    /// `openssl rand -hex 32`). `backup` seals the archive with it; `verify` and `restore` open
    /// sealed archives with it.
    #[arg(long, env = "BACKUP_ENCRYPTION_KEY_FILE")]
    pub encryption_key_file: Option<PathBuf>,
    /// Id written into sealed archives to name their key (e.g. the Secret and its version).
    #[arg(long, env = "BACKUP_ENCRYPTION_KEY_ID", default_value = "default")]
    pub encryption_key_id: String,
    /// Refuse to write an unencrypted archive (`ENABLE_ENCRYPTION=true`).
    #[arg(long, env = "ENABLE_ENCRYPTION")]
    pub require_encryption: bool,
}

impl EncryptionArgs {
    /// The key, if a key file is given.
    pub fn key(&self) -> Result<Option<SealKey>, CliError> {
        let Some(file) = &self.encryption_key_file else {
            return Ok(None);
        };
        let material = std::fs::read(file).map_err(io(format!("reading {}", file.display())))?;
        Ok(Some(SealKey::parse(&self.encryption_key_id, &material)?))
    }

    /// The key `backup` must seal with: refuses to go on without one when encryption is required.
    fn sealing_key(&self) -> Result<Option<SealKey>, CliError> {
        let key = self.key()?;
        if key.is_none() && self.require_encryption {
            return Err(CliError::Encryption(
                "encryption is required (ENABLE_ENCRYPTION) but no --encryption-key-file is given"
                    .into(),
            ));
        }
        Ok(key)
    }
}

/// Options of `backup`.
#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["from", "data_dir"]))]
pub struct BackupArgs {
    /// Base URL of a running engine (streams `GET /api/v1/admin/backup`), or the NATS servers
    /// of a clustered deployment (`nats://host:4222[,...]`: a cut of the stream `--stream`).
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
    /// Encryption at rest.
    #[command(flatten)]
    pub encryption: EncryptionArgs,
    /// The stream and NATS options of a clustered backup (`--from nats://…`).
    #[command(flatten)]
    pub nats: NatsArgs,
}

/// Options of `verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The archive.
    pub backup: PathBuf,
    /// The key of a sealed archive.
    #[command(flatten)]
    pub encryption: EncryptionArgs,
}

/// Options of `restore`.
#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["data_dir", "to"]))]
pub struct RestoreArgs {
    /// The archive.
    pub backup: PathBuf,
    /// Data directory to restore into (must be empty unless `--force`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// NATS servers (`nats://host:4222[,...]`) of a clustered deployment: a clustered archive's
    /// events are republished into the stream `--stream`, which must be new or empty.
    #[arg(long)]
    pub to: Option<String>,
    /// Subject prefix of the stream a clustered restore creates (`cluster.subject_prefix`).
    #[arg(long, default_value = "vexfs.events")]
    pub subject_prefix: String,
    /// JetStream replication factor of that stream (`cluster.stream_replicas`).
    #[arg(long, default_value_t = 1)]
    pub stream_replicas: usize,
    /// The stream and NATS options of a clustered restore (`--to nats://…`).
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Replace an existing log in the data directory.
    #[arg(long)]
    pub force: bool,
    /// The key of a sealed archive.
    #[command(flatten)]
    pub encryption: EncryptionArgs,
}

fn target_file(to: &Path, now_ns: i64, sealed: bool) -> PathBuf {
    let name = to.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let archive = [".tar.gz", ".tgz", ".tar.gz.enc", ".tgz.enc"];
    if archive.iter().any(|suffix| name.ends_with(suffix)) {
        return to.to_path_buf();
    }
    let stamp = chrono::DateTime::from_timestamp_nanos(now_ns).format("%Y%m%dT%H%M%S%.3fZ");
    let suffix = if sealed { ".enc" } else { "" };
    to.join(format!("vexfs-backup-{stamp}.tar.gz{suffix}"))
}

/// Size and sha256 of a file, read in 64 KiB pieces.
fn hash_file(path: &Path) -> Result<(u64, String, bool), CliError> {
    let mut file = std::fs::File::open(path).map_err(io(format!("reading {}", path.display())))?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let (mut size, mut sealed) = (0u64, false);
    loop {
        let n = file
            .read(&mut buf)
            .map_err(io(format!("reading {}", path.display())))?;
        if n == 0 {
            break;
        }
        if size == 0 {
            sealed = is_sealed(&buf[..n]);
        }
        size += n as u64;
        hash.update(&buf[..n]);
    }
    Ok((size, hex::encode(hash.finalize()), sealed))
}

/// Verifies an archive as it streams (manifest, checksums, every event) and summarizes it.
pub fn summarize(path: &Path, key: Option<SealKey>) -> Result<Summary, CliError> {
    let manifest = read_verified(open_archive(path, key)?, path, &mut Discard)?;
    let (size_bytes, sha256, encrypted) = hash_file(path)?;
    Ok(Summary {
        location: path.display().to_string(),
        size_bytes,
        sha256,
        event_count: manifest.event_count,
        encrypted,
    })
}

/// `verify`: checks an archive and summarizes it.
pub fn verify(args: &VerifyArgs) -> Result<Summary, CliError> {
    summarize(&args.backup, args.encryption.key()?)
}

/// Takes a backup and returns its summary.
pub async fn backup(args: &BackupArgs, now_ns: i64) -> Result<Summary, CliError> {
    let key = args.encryption.sealing_key()?;
    let target = target_file(&args.to, now_ns, key.is_some());
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
    }
    let partial = target.with_extension("partial");
    match (&args.from, &args.data_dir) {
        (Some(servers), _) if stream_backup::is_nats(servers) => {
            let (events, source) = stream_backup::read_cut(servers, &args.nats).await?;
            let mut out = ArchiveOut::create(&partial, key.as_ref())?;
            snapshot::write_stream_archive(&events, source, now_ns, &mut out)?;
            out.finish(&partial)?;
        }
        (Some(url), _) => {
            let http = args.tls.client()?;
            download(
                &http,
                url,
                &args.credentials.load()?,
                &partial,
                key.as_ref(),
            )
            .await?;
        }
        (None, Some(dir)) => from_data_dir(dir, &partial, now_ns, key.as_ref())?,
        (None, None) => unreachable!("clap requires --from or --data-dir"),
    }
    let summary = summarize(&partial, args.encryption.key()?)?;
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

/// The archive file being written: plain, or sealed on the way to disk.
enum ArchiveOut<'k> {
    Plain(std::fs::File),
    Sealed(SealWriter<'k, std::fs::File>),
}

impl<'k> ArchiveOut<'k> {
    fn create(path: &Path, key: Option<&'k SealKey>) -> Result<Self, CliError> {
        let file =
            std::fs::File::create(path).map_err(io(format!("creating {}", path.display())))?;
        Ok(match key {
            Some(key) => ArchiveOut::Sealed(
                SealWriter::new(file, key).map_err(io(format!("writing {}", path.display())))?,
            ),
            None => ArchiveOut::Plain(file),
        })
    }

    /// Seals the last chunk if sealing, then syncs the file to disk.
    fn finish(self, path: &Path) -> Result<(), CliError> {
        let file = match self {
            ArchiveOut::Plain(file) => file,
            ArchiveOut::Sealed(writer) => writer
                .finish()
                .map_err(io(format!("writing {}", path.display())))?,
        };
        file.sync_all()
            .map_err(io(format!("syncing {}", path.display())))
    }
}

impl Write for ArchiveOut<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        match self {
            ArchiveOut::Plain(file) => file.write(data),
            ArchiveOut::Sealed(writer) => writer.write(data),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            ArchiveOut::Plain(file) => file.flush(),
            ArchiveOut::Sealed(writer) => writer.flush(),
        }
    }
}

async fn download(
    client: &reqwest::Client,
    base: &str,
    credential: &Credential,
    path: &Path,
    key: Option<&SealKey>,
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
    let mut out = ArchiveOut::create(path, key)?;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| http(e.to_string()))?;
        out.write_all(&chunk)
            .map_err(io(format!("writing {}", path.display())))?;
    }
    out.finish(path)
}

fn from_data_dir(
    dir: &Path,
    path: &Path,
    now_ns: i64,
    key: Option<&SealKey>,
) -> Result<(), CliError> {
    let mut events: Vec<Event> = Vec::new();
    let stats = scan(dir, false, &mut |e| events.push(e))?;
    let records = dir.join(snapshot::ANOMALIES);
    let anomalies = match std::fs::read(&records) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(format!("reading {}", records.display()))(e)),
    };
    let audit = crate::store::audit_files::read(dir)?;
    let mut out = ArchiveOut::create(path, key)?;
    snapshot::write_archive(&events, &anomalies, &audit, stats.next_id, now_ns, &mut out)?;
    out.finish(path)
}

/// Restores an archive (verifying it as it streams) into a data directory, or republishes a
/// clustered archive into a stream; returns its summary.
pub async fn restore(args: &RestoreArgs) -> Result<Summary, CliError> {
    let key = args.encryption.key()?;
    let manifest = match (&args.to, &args.data_dir) {
        (Some(servers), _) => {
            let target = stream_backup::Target {
                servers,
                nats: &args.nats,
                subject_prefix: &args.subject_prefix,
                stream_replicas: args.stream_replicas,
            };
            stream_backup::restore(&args.backup, key, &target).await?
        }
        (None, Some(dir)) => restore_archive(&args.backup, dir, args.force, key)?,
        (None, None) => unreachable!("clap requires --data-dir or --to"),
    };
    let (size_bytes, sha256, encrypted) = hash_file(&args.backup)?;
    Ok(Summary {
        location: args.backup.display().to_string(),
        size_bytes,
        sha256,
        event_count: manifest.event_count,
        encrypted,
    })
}
