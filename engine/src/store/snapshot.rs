//! Backup archives: a `tar.gz` with `manifest.json` (counts, ids, sha256s), `events.ndjson` and,
//! when the engine kept any, its anomaly records as `anomalies.jsonl` (restored into the data
//! directory as they were, one JSON record per line) and its audit files as
//! `audit/audit-YYYY-MM-DD.jsonl` (restored byte for byte, see [`super::audit_files`]).

use super::StoreError;
use super::audit_files::{self, AuditFile};
use crate::event::{Event, timestamp, write_json};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};

/// Archive format identifier.
pub const FORMAT: &str = "vexfs-backup/v1";
/// The manifest member: always the first.
pub const MANIFEST: &str = "manifest.json";
/// The events member, one JSON event per line.
pub const EVENTS: &str = "events.ndjson";
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
    /// The JetStream stream a clustered backup was cut from (absent for a standalone engine's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<StreamSource>,
}

/// Where a clustered backup came from: `events.ndjson` holds partition 0's events in stream
/// order, then partition 1's, and so on, `partition_counts[p]` of partition `p`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamSource {
    /// The stream's name.
    pub stream: String,
    /// Its subjects are `<subject_prefix>.<partition>`.
    pub subject_prefix: String,
    /// The stream's last sequence when the backup started: nothing after it is in the archive.
    pub cut_sequence: u64,
    /// Events of each partition, by partition (its length is the partition count).
    pub partition_counts: Vec<u64>,
}

fn lines(bytes: &[u8]) -> u64 {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count() as u64
}

fn member_header(size: u64, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    header.set_cksum();
    header
}

fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    data: &[u8],
    mtime: u64,
) -> std::io::Result<()> {
    let mut header = member_header(data.len() as u64, mtime);
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
    let members = Members {
        events,
        anomalies,
        audit,
        next_id,
        source: None,
    };
    write_members(members, now_ns, out)
}

/// Writes a clustered backup: `events` grouped by partition as `source` describes them (no
/// anomaly records or audit files: replicas derive their analytic state from the stream).
pub fn write_stream_archive<W: Write>(
    events: &[Event],
    source: StreamSource,
    now_ns: i64,
    out: W,
) -> Result<Manifest, StoreError> {
    let members = Members {
        events,
        anomalies: b"",
        audit: &[],
        next_id: source.cut_sequence + 1,
        source: Some(source),
    };
    write_members(members, now_ns, out)
}

/// What an archive holds besides its manifest, and what the manifest says of it.
struct Members<'a> {
    events: &'a [Event],
    anomalies: &'a [u8],
    audit: &'a [AuditFile],
    next_id: u64,
    source: Option<StreamSource>,
}

fn write_members<W: Write>(
    members: Members<'_>,
    now_ns: i64,
    out: W,
) -> Result<Manifest, StoreError> {
    let Members {
        events,
        anomalies,
        audit,
        next_id,
        source,
    } = members;
    // Two passes over the events: the first measures and hashes the member (its size heads it
    // in the tar, its sha256 is in the manifest before it), the second streams it. Neither
    // holds more than one batch of encoded events.
    let mut measure = EventLines::new(events);
    let mut hash = Sha256::new();
    let events_len = std::io::copy(&mut measure, &mut HashWriter(&mut hash))
        .map_err(|e| StoreError::Encode(e.to_string()))?;
    let manifest = Manifest {
        format: FORMAT.into(),
        created_at: timestamp::format(now_ns),
        event_count: events.len() as u64,
        first_id: events.first().map_or(0, |e| e.id),
        next_id,
        events_sha256: hex::encode(hash.finalize()),
        anomaly_count: lines(anomalies),
        anomalies_sha256: (!anomalies.is_empty()).then(|| hex::encode(Sha256::digest(anomalies))),
        audit_files: audit.len() as u64,
        audit_sha256: audit_files::digest(audit),
        source,
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
    let mut header = member_header(events_len, mtime);
    tar.append_data(&mut header, EVENTS, EventLines::new(events))
        .map_err(io)?;
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

/// `events.ndjson` produced on demand, about 64 KiB of encoded events at a time.
struct EventLines<'a> {
    events: std::slice::Iter<'a, Event>,
    buf: Vec<u8>,
    pos: usize,
}

impl<'a> EventLines<'a> {
    fn new(events: &'a [Event]) -> Self {
        EventLines {
            events: events.iter(),
            buf: Vec::with_capacity(64 * 1024),
            pos: 0,
        }
    }
}

impl Read for EventLines<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            while self.buf.len() < 64 * 1024 {
                let Some(event) = self.events.next() else {
                    break;
                };
                write_json(&mut self.buf, event);
                self.buf.push(b'\n');
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Feeds everything written to it into a hash.
struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.update(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
