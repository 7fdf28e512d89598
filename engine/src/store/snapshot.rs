//! Backup archives: a `tar.gz` with `manifest.json` (counts, ids, sha256s), `events.ndjson` and,
//! when the engine kept any, its anomaly records as `anomalies.jsonl` (restored into the data
//! directory as they were, one JSON record per line) and its audit files as
//! `audit/audit-YYYY-MM-DD.jsonl` (restored byte for byte, see [`super::audit_files`]).

use super::StoreError;
use super::audit_files::{self, AuditFile};
use super::wal::{Checkpoint, Wal, WalOptions, write_checkpoint};
use crate::config::FsyncPolicy;
use crate::event::{Event, timestamp};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

/// Archive format identifier.
pub const FORMAT: &str = "vexfs-backup/v1";
const MANIFEST: &str = "manifest.json";
const EVENTS: &str = "events.ndjson";
/// The anomaly records: the archive member and the file in the data directory.
pub const ANOMALIES: &str = "anomalies.jsonl";

/// The archive manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// When the snapshot was taken (RFC 3339).
    pub created_at: String,
    /// Events in `events.ndjson`.
    pub event_count: u64,
    /// Id of the first event (0 when empty).
    pub first_id: u64,
    /// Next id the engine would assign.
    pub next_id: u64,
    /// Hex sha256 of `events.ndjson`.
    pub events_sha256: String,
    /// Anomaly records in `anomalies.jsonl` (0 and no member when none).
    #[serde(default)]
    pub anomaly_count: u64,
    /// Hex sha256 of `anomalies.jsonl`, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomalies_sha256: Option<String>,
    /// Audit files under `audit/` (0 and no member when none).
    #[serde(default)]
    pub audit_files: u64,
    /// [`audit_files::digest`] of the audit files, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_sha256: Option<String>,
}

/// What an archive holds besides its manifest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contents {
    /// The events, in id order.
    pub events: Vec<Event>,
    /// The anomaly records as JSON lines (empty when none).
    pub anomalies: Vec<u8>,
    /// The audit files, oldest first (empty when none).
    pub audit: Vec<AuditFile>,
}

fn lines(bytes: &[u8]) -> u64 {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count() as u64
}

fn bad(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::Backup {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    data: &[u8],
    mtime: u64,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    header.set_cksum();
    tar.append_data(&mut header, name, data)
}

/// Writes a consistent snapshot of `events`, the anomaly records `anomalies` (JSON lines,
/// possibly empty) and the audit files `audit` as a gzip'd tar to `out`.
pub fn write_archive<W: Write>(
    events: &[Event],
    anomalies: &[u8],
    audit: &[AuditFile],
    next_id: u64,
    now_ns: i64,
    out: W,
) -> Result<Manifest, StoreError> {
    let mut ndjson = Vec::with_capacity(events.len() * 256);
    for e in events {
        serde_json::to_writer(&mut ndjson, e).map_err(|e| StoreError::Encode(e.to_string()))?;
        ndjson.push(b'\n');
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        created_at: timestamp::format(now_ns),
        event_count: events.len() as u64,
        first_id: events.first().map_or(0, |e| e.id),
        next_id,
        events_sha256: hex::encode(Sha256::digest(&ndjson)),
        anomaly_count: lines(anomalies),
        anomalies_sha256: (!anomalies.is_empty()).then(|| hex::encode(Sha256::digest(anomalies))),
        audit_files: audit.len() as u64,
        audit_sha256: audit_files::digest(audit),
    };
    let manifest_json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| StoreError::Encode(e.to_string()))?;
    let mtime = (now_ns / 1_000_000_000).max(0) as u64;
    let io = |source| StoreError::Io {
        path: "<backup stream>".into(),
        source,
    };
    let mut tar = tar::Builder::new(GzEncoder::new(out, Compression::fast()));
    append_file(&mut tar, MANIFEST, &manifest_json, mtime).map_err(io)?;
    append_file(&mut tar, EVENTS, &ndjson, mtime).map_err(io)?;
    if !anomalies.is_empty() {
        append_file(&mut tar, ANOMALIES, anomalies, mtime).map_err(io)?;
    }
    for (name, content) in audit {
        let member = format!("{}/{name}", audit_files::DIR);
        append_file(&mut tar, &member, content, mtime).map_err(io)?;
    }
    tar.into_inner().map_err(io)?.finish().map_err(io)?;
    Ok(manifest)
}

/// Reads and fully verifies an archive: manifest, checksums, counts and every event.
pub fn read_archive(path: &Path) -> Result<(Manifest, Contents), StoreError> {
    let file = std::fs::File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut archive = tar::Archive::new(GzDecoder::new(file));
    let mut manifest: Option<Manifest> = None;
    let mut ndjson: Option<Vec<u8>> = None;
    let mut anomalies = Vec::new();
    let mut audit = Vec::new();
    let entries = archive.entries().map_err(|e| bad(path, e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(path, e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| bad(path, e.to_string()))?
            .display()
            .to_string();
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| bad(path, e.to_string()))?;
        match name.as_str() {
            MANIFEST => {
                manifest = Some(
                    serde_json::from_slice(&data)
                        .map_err(|e| bad(path, format!("manifest: {e}")))?,
                );
            }
            EVENTS => ndjson = Some(data),
            ANOMALIES => anomalies = data,
            other if audit_files::member_name(other).is_some() => {
                let name = audit_files::member_name(other).unwrap_or_default();
                audit.push((name.to_string(), data));
            }
            other => return Err(bad(path, format!("unexpected entry `{other}`"))),
        }
    }
    let manifest = manifest.ok_or_else(|| bad(path, "missing manifest.json"))?;
    let ndjson = ndjson.ok_or_else(|| bad(path, "missing events.ndjson"))?;
    if manifest.format != FORMAT {
        return Err(bad(path, format!("unknown format `{}`", manifest.format)));
    }
    let digest = hex::encode(Sha256::digest(&ndjson));
    if digest != manifest.events_sha256 {
        return Err(bad(
            path,
            format!("events sha256 {digest} does not match the manifest"),
        ));
    }
    let events = decode_events(path, &ndjson)?;
    if events.len() as u64 != manifest.event_count {
        return Err(bad(
            path,
            format!(
                "{} events, manifest says {}",
                events.len(),
                manifest.event_count
            ),
        ));
    }
    verify_anomalies(path, &manifest, &anomalies)?;
    audit.sort();
    if audit.len() as u64 != manifest.audit_files
        || audit_files::digest(&audit) != manifest.audit_sha256
    {
        return Err(bad(path, "audit files do not match the manifest"));
    }
    let contents = Contents {
        events,
        anomalies,
        audit,
    };
    Ok((manifest, contents))
}

fn verify_anomalies(path: &Path, manifest: &Manifest, anomalies: &[u8]) -> Result<(), StoreError> {
    let digest = (!anomalies.is_empty()).then(|| hex::encode(Sha256::digest(anomalies)));
    if digest != manifest.anomalies_sha256 {
        return Err(bad(
            path,
            format!("{ANOMALIES} does not match the manifest's sha256"),
        ));
    }
    if lines(anomalies) != manifest.anomaly_count {
        return Err(bad(
            path,
            format!(
                "{} anomaly records, manifest says {}",
                lines(anomalies),
                manifest.anomaly_count
            ),
        ));
    }
    Ok(())
}

fn decode_events(path: &Path, ndjson: &[u8]) -> Result<Vec<Event>, StoreError> {
    ndjson
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_slice(line)
                .map_err(|e| bad(path, format!("events.ndjson line {}: {e}", i + 1)))
        })
        .collect()
}

/// Whether `dir` holds no log data (missing, empty, or without segments and checkpoint).
pub fn is_empty_data_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none())
}

/// Writes the archive's events as a fresh log in `data_dir`; refuses a non-empty directory
/// unless `force` (which removes the old log first). Returns the manifest.
pub fn restore_archive(
    archive: &Path,
    data_dir: &Path,
    force: bool,
) -> Result<Manifest, StoreError> {
    let (
        manifest,
        Contents {
            events,
            anomalies,
            audit,
        },
    ) = read_archive(archive)?;
    if !is_empty_data_dir(data_dir) {
        if !force {
            return Err(bad(
                archive,
                format!(
                    "data directory {} is not empty (use --force to replace it)",
                    data_dir.display()
                ),
            ));
        }
        std::fs::remove_dir_all(data_dir).map_err(|source| StoreError::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
    }
    let opts = WalOptions {
        fsync: FsyncPolicy::Never,
        fsync_interval: Duration::from_secs(1),
        segment_size: 64 * 1024 * 1024,
    };
    std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
        path: data_dir.to_path_buf(),
        source,
    })?;
    let first = manifest.first_id.max(1);
    let start = Checkpoint {
        first_retained_id: first,
        next_id: first,
    };
    write_checkpoint(data_dir, &start)?;
    let (mut wal, _) = Wal::open(data_dir, opts, &mut |_| {})?;
    for chunk in events.chunks(10_000) {
        wal.append(chunk)?;
        wal.commit()?;
    }
    wal.raise_next_id(manifest.next_id);
    wal.checkpoint(manifest.first_id.max(1))?;
    if !anomalies.is_empty() {
        let file = data_dir.join(ANOMALIES);
        std::fs::write(&file, &anomalies)
            .map_err(|source| StoreError::Io { path: file, source })?;
    }
    audit_files::restore(data_dir, &audit)?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventType;

    fn events(n: u64) -> Vec<Event> {
        (1..=n)
            .map(|id| {
                let mut e = Event::new(EventType::VectorEmbed, id as i64 * 1000, "n");
                e.id = id + 10;
                e
            })
            .collect()
    }

    #[test]
    fn archive_round_trip_restore_and_refusal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.tar.gz");
        let records = b"{\"id\":\"a-000000001\"}\n{\"id\":\"a-000000002\"}\n";
        let file = std::fs::File::create(&path).unwrap();
        let audit = vec![(
            "audit-2026-11-29.jsonl".to_string(),
            b"{\"seq\":0}\n".to_vec(),
        )];
        let written = write_archive(&events(50), records, &audit, 61, 5, file).unwrap();
        assert_eq!((written.anomaly_count, written.audit_files), (2, 1));
        let (manifest, back) = read_archive(&path).unwrap();
        assert_eq!(manifest, written);
        assert_eq!(back.events, events(50));
        let data = dir.path().join("data");
        restore_archive(&path, &data, false).unwrap();
        assert_eq!(std::fs::read(data.join(ANOMALIES)).unwrap(), records);
        assert_eq!(audit_files::read(&data).unwrap(), audit);
        let mut ids = Vec::new();
        let stats = super::super::scan(&data, false, &mut |e| ids.push(e.id)).unwrap();
        assert_eq!(ids, (11..=60).collect::<Vec<_>>());
        assert_eq!(stats.next_id, 61);
        let err = restore_archive(&path, &data, false).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        restore_archive(&path, &data, true).unwrap();
    }

    #[test]
    fn tampered_archives_fail_verification() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.tar.gz");
        let mut bytes = Vec::new();
        write_archive(&events(5), b"", &[], 16, 5, &mut bytes).unwrap();
        let mut raw = Vec::new();
        GzDecoder::new(&bytes[..]).read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).replace("VectorEmbed", "VectorIndex");
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let err = read_archive(&path).unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
    }
}
