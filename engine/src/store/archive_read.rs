//! Reading backup archives as a stream: every member is checked against the manifest while its
//! content passes through, one line or one read buffer at a time, so an archive that inflates to
//! gigabytes needs no more memory than a small one.

use super::StoreError;
use super::audit_files;
use super::audit_files::AuditFile;
use super::sealed::{OpenReader, SealKey, is_sealed};
use super::snapshot::{ANOMALIES, EVENTS, FORMAT, MANIFEST, Manifest};
use crate::event::Event;
use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Longest line accepted in `events.ndjson`: far above any event the engine accepts.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Where the content of an archive goes while it is read and checked.
pub trait ArchiveSink {
    /// The manifest, before any other member.
    fn begin(&mut self, manifest: &Manifest) -> Result<(), StoreError>;
    /// One event of `events.ndjson`, in order.
    fn event(&mut self, event: Event) -> Result<(), StoreError>;
    /// The next bytes of `anomalies.jsonl`.
    fn anomalies(&mut self, chunk: &[u8]) -> Result<(), StoreError>;
    /// The next bytes of the audit file `name` (files arrive whole, one after another).
    fn audit(&mut self, name: &str, chunk: &[u8]) -> Result<(), StoreError>;
}

/// A sink that keeps nothing: reading into it only verifies.
pub struct Discard;

impl ArchiveSink for Discard {
    fn begin(&mut self, _: &Manifest) -> Result<(), StoreError> {
        Ok(())
    }
    fn event(&mut self, _: Event) -> Result<(), StoreError> {
        Ok(())
    }
    fn anomalies(&mut self, _: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
    fn audit(&mut self, _: &str, _: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
}

pub(super) fn bad(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::Backup {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Opens the archive at `path` for reading: a sealed archive is opened with `key` (an error
/// names the archive's key id when none is given), a plain one is read as it is.
pub fn open_archive(path: &Path, key: Option<SealKey>) -> Result<Box<dyn Read>, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = BufReader::new(std::fs::File::open(path).map_err(io)?);
    let sealed = is_sealed(file.fill_buf().map_err(io)?);
    match (sealed, key) {
        (true, Some(key)) => {
            let reader = OpenReader::new(file, key).map_err(|e| bad(path, e.to_string()))?;
            Ok(Box::new(reader))
        }
        (true, None) => Err(bad(
            path,
            "the archive is encrypted; pass its key with --encryption-key-file",
        )),
        (false, _) => Ok(Box::new(file)),
    }
}

/// Reads the gzip'd tar `reader` (`origin` names it in errors) into `sink`, checking the
/// manifest (which must come first), every checksum and count, and every event.
pub fn read_verified<R: Read>(
    reader: R,
    origin: &Path,
    sink: &mut dyn ArchiveSink,
) -> Result<Manifest, StoreError> {
    let mut archive = tar::Archive::new(GzDecoder::new(reader));
    let mut manifest: Option<Manifest> = None;
    let mut events_seen = false;
    let mut anomalies = LinesDigest::default();
    let mut audit = AuditDigest::default();
    let entries = archive.entries().map_err(|e| bad(origin, e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(origin, e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| bad(origin, e.to_string()))?
            .display()
            .to_string();
        if name == MANIFEST {
            if manifest.is_some() {
                return Err(bad(origin, "two manifest.json members"));
            }
            let parsed = read_manifest(&mut entry, origin)?;
            sink.begin(&parsed)?;
            manifest = Some(parsed);
            continue;
        }
        let Some(m) = manifest.as_ref() else {
            return Err(bad(origin, format!("`{name}` comes before manifest.json")));
        };
        match name.as_str() {
            EVENTS if !events_seen => {
                events_seen = true;
                check_events(&mut entry, origin, m, sink)?;
            }
            ANOMALIES => {
                copy_chunks(&mut entry, origin, |chunk| {
                    anomalies.update(chunk);
                    sink.anomalies(chunk)
                })?;
            }
            other => {
                let file = audit_files::member_name(other)
                    .ok_or_else(|| bad(origin, format!("unexpected entry `{other}`")))?
                    .to_string();
                audit.start(&file, entry.size(), origin)?;
                copy_chunks(&mut entry, origin, |chunk| {
                    audit.update(chunk);
                    sink.audit(&file, chunk)
                })?;
            }
        }
    }
    let manifest = manifest.ok_or_else(|| bad(origin, "missing manifest.json"))?;
    if !events_seen {
        return Err(bad(origin, "missing events.ndjson"));
    }
    let (count, digest) = anomalies.finish();
    if digest != manifest.anomalies_sha256 {
        return Err(bad(
            origin,
            format!("{ANOMALIES} does not match the manifest's sha256"),
        ));
    }
    if count != manifest.anomaly_count {
        return Err(bad(
            origin,
            format!(
                "{count} anomaly records, manifest says {}",
                manifest.anomaly_count
            ),
        ));
    }
    let (files, digest) = audit.finish();
    if files != manifest.audit_files || digest != manifest.audit_sha256 {
        return Err(bad(origin, "audit files do not match the manifest"));
    }
    Ok(manifest)
}

fn read_manifest(entry: &mut impl Read, origin: &Path) -> Result<Manifest, StoreError> {
    let mut data = Vec::new();
    entry
        .take(1024 * 1024)
        .read_to_end(&mut data)
        .map_err(|e| bad(origin, e.to_string()))?;
    let manifest: Manifest =
        serde_json::from_slice(&data).map_err(|e| bad(origin, format!("manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(bad(origin, format!("unknown format `{}`", manifest.format)));
    }
    if let Some(source) = &manifest.source {
        let placed: u64 = source.partition_counts.iter().sum();
        if placed != manifest.event_count || source.partition_counts.is_empty() {
            return Err(bad(
                origin,
                format!(
                    "manifest: the partition counts of stream `{}` add up to {placed} events \
                     over {} partitions, but eventCount is {}",
                    source.stream,
                    source.partition_counts.len(),
                    manifest.event_count
                ),
            ));
        }
    }
    Ok(manifest)
}

/// Streams `events.ndjson` line by line: hashes it, decodes and counts every event.
fn check_events(
    entry: &mut impl Read,
    origin: &Path,
    manifest: &Manifest,
    sink: &mut dyn ArchiveSink,
) -> Result<(), StoreError> {
    let mut lines = BufReader::with_capacity(64 * 1024, entry);
    let mut hash = Sha256::new();
    let mut line = Vec::new();
    let (mut number, mut events) = (0u64, 0u64);
    loop {
        line.clear();
        let read = (&mut lines)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| bad(origin, e.to_string()))?;
        if read == 0 {
            break;
        }
        number += 1;
        if line.len() > MAX_LINE_BYTES {
            return Err(bad(
                origin,
                format!("{EVENTS} line {number} is longer than {MAX_LINE_BYTES} bytes"),
            ));
        }
        hash.update(&line);
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if text.is_empty() {
            continue;
        }
        let event: Event = serde_json::from_slice(text)
            .map_err(|e| bad(origin, format!("{EVENTS} line {number}: {e}")))?;
        events += 1;
        sink.event(event)?;
    }
    let digest = hex::encode(hash.finalize());
    if digest != manifest.events_sha256 {
        return Err(bad(
            origin,
            format!("events sha256 {digest} does not match the manifest"),
        ));
    }
    if events != manifest.event_count {
        return Err(bad(
            origin,
            format!("{events} events, manifest says {}", manifest.event_count),
        ));
    }
    Ok(())
}

fn copy_chunks(
    entry: &mut impl Read,
    origin: &Path,
    mut each: impl FnMut(&[u8]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = entry
            .read(&mut buf)
            .map_err(|e| bad(origin, e.to_string()))?;
        if n == 0 {
            return Ok(());
        }
        each(&buf[..n])?;
    }
}

/// The sha256 and the count of non-blank lines of a member read in chunks.
#[derive(Default)]
struct LinesDigest {
    hash: Sha256,
    bytes: u64,
    lines: u64,
    /// Whether the line in progress has a non-whitespace byte.
    pending: bool,
}

impl LinesDigest {
    fn update(&mut self, chunk: &[u8]) {
        self.hash.update(chunk);
        self.bytes += chunk.len() as u64;
        for &b in chunk {
            if b == b'\n' {
                self.lines += u64::from(self.pending);
                self.pending = false;
            } else if !b.is_ascii_whitespace() {
                self.pending = true;
            }
        }
    }

    /// Line count and hex digest (`None` for an empty member, which is never written).
    fn finish(self) -> (u64, Option<String>) {
        let lines = self.lines + u64::from(self.pending);
        let digest = (self.bytes > 0).then(|| hex::encode(self.hash.finalize()));
        (lines, digest)
    }
}

/// [`audit_files::digest`] computed as the files stream past, in name order.
#[derive(Default)]
struct AuditDigest {
    hash: Sha256,
    files: u64,
    last: Option<String>,
}

impl AuditDigest {
    fn start(&mut self, name: &str, len: u64, origin: &Path) -> Result<(), StoreError> {
        if self.last.as_deref().is_some_and(|last| last >= name) {
            return Err(bad(
                origin,
                format!("audit file `{name}` is out of order or repeated"),
            ));
        }
        self.hash.update(name.as_bytes());
        self.hash.update(b"\n");
        self.hash.update(len.to_le_bytes());
        self.files += 1;
        self.last = Some(name.to_string());
        Ok(())
    }

    fn update(&mut self, chunk: &[u8]) {
        self.hash.update(chunk);
    }

    fn finish(self) -> (u64, Option<String>) {
        let digest = (self.files > 0).then(|| hex::encode(self.hash.finalize()));
        (self.files, digest)
    }
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

/// Reads and fully verifies an archive, keeping its whole content in memory: for tests and small
/// archives. Verification and restore stream instead ([`super::archive_read`]).
pub fn read_archive(path: &Path) -> Result<(Manifest, Contents), StoreError> {
    #[derive(Default)]
    struct Collect(Contents);
    impl ArchiveSink for Collect {
        fn begin(&mut self, _: &Manifest) -> Result<(), StoreError> {
            Ok(())
        }
        fn event(&mut self, event: Event) -> Result<(), StoreError> {
            self.0.events.push(event);
            Ok(())
        }
        fn anomalies(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
            self.0.anomalies.extend_from_slice(chunk);
            Ok(())
        }
        fn audit(&mut self, name: &str, chunk: &[u8]) -> Result<(), StoreError> {
            match self.0.audit.last_mut() {
                Some((last, content)) if last == name => content.extend_from_slice(chunk),
                _ => self.0.audit.push((name.to_string(), chunk.to_vec())),
            }
            Ok(())
        }
    }
    let mut sink = Collect::default();
    let manifest = read_verified(open_archive(path, None)?, path, &mut sink)?;
    Ok((manifest, sink.0))
}
