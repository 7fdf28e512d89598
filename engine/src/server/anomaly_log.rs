//! Anomaly records on disk: `anomalies.jsonl` in the data directory, one record per line.
//!
//! New records are appended (and flushed) by `anomaly_publish::publish`, which also streams them to
//! `GET /api/v1/anomalies/stream` subscribers and counts them in `vexfs_anomalies_total`. At start
//! the file is read back into the analytics before the log is replayed, so ids continue and
//! replayed detections are not recorded twice. When the file holds more than twice the records
//! kept, it is rewritten with the kept ones (write to a temporary file, fsync, rename).

use crate::core::analytics::Analytics;
use crate::core::analytics::records::AnomalyRecord;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// File name in the data directory (also the member name in backup archives).
pub const FILE: &str = crate::store::snapshot::ANOMALIES;

/// Why the record file could not be used.
#[derive(Debug, Error)]
pub enum AnomalyLogError {
    /// Reading, writing or renaming failed.
    #[error("anomaly records {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Wraps an I/O error with the path it concerns.
pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AnomalyLogError + '_ {
    move |source| AnomalyLogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads the records of `path` (none when it does not exist). A line that does not parse (a
/// torn last write) is skipped with a warning naming it.
pub fn load(path: &Path) -> Result<Vec<AnomalyRecord>, AnomalyLogError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(path)(e)),
    };
    let mut records = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io(path))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(&line) {
            Ok(r) => records.push(r),
            Err(e) => {
                tracing::warn!(file = %path.display(), line = n + 1, error = %e, "skipping an unreadable anomaly record");
            }
        }
    }
    Ok(records)
}

/// The open record file.
pub struct AnomalyLog {
    path: PathBuf,
    out: BufWriter<File>,
    lines: usize,
}

impl AnomalyLog {
    /// Opens (creating) `dir/anomalies.jsonl` for appending; `lines` records are already in it.
    pub fn open(dir: &Path, lines: usize) -> Result<AnomalyLog, AnomalyLogError> {
        let path = dir.join(FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        if ends_mid_line(&mut file).map_err(io(&path))? {
            file.write_all(b"\n").map_err(io(&path))?;
        }
        Ok(AnomalyLog {
            path,
            out: BufWriter::new(file),
            lines,
        })
    }

    /// Appends `records` and flushes them to the file.
    pub fn append(&mut self, records: &[AnomalyRecord]) -> Result<(), AnomalyLogError> {
        for r in records {
            serde_json::to_writer(&mut self.out, r)
                .map_err(|e| io(&self.path)(std::io::Error::other(e)))?;
            self.out.write_all(b"\n").map_err(io(&self.path))?;
        }
        self.out.flush().map_err(io(&self.path))?;
        self.lines += records.len();
        Ok(())
    }

    /// Whether the file holds more than twice the `kept` records.
    pub fn compaction_due(&self, kept: usize) -> bool {
        self.lines > 2 * kept.max(1)
    }

    /// Rewrites the file with exactly the `kept` records.
    pub fn compact<'a>(
        &mut self,
        kept: impl ExactSizeIterator<Item = &'a AnomalyRecord>,
    ) -> Result<(), AnomalyLogError> {
        let tmp = self.path.with_extension("jsonl.tmp");
        let count = kept.len();
        {
            let file = File::create(&tmp).map_err(io(&tmp))?;
            let mut w = BufWriter::new(file);
            for r in kept {
                serde_json::to_writer(&mut w, r).map_err(|e| io(&tmp)(std::io::Error::other(e)))?;
                w.write_all(b"\n").map_err(io(&tmp))?;
            }
            let file = w.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
            file.sync_all().map_err(io(&tmp))?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io(&self.path))?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        *self = AnomalyLog::open(dir, count)?;
        Ok(())
    }
}

/// Whether a torn write left the file without a final newline.
fn ends_mid_line(file: &mut File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// The records the analytics of `engine` keep (none when analytics are disabled).
pub fn kept(engine: &crate::core::Engine) -> Vec<AnomalyRecord> {
    engine
        .hook::<Analytics>()
        .map_or_else(Vec::new, |a| a.records().cloned().collect())
}

/// `records` as JSON lines.
pub fn to_jsonl(records: &[AnomalyRecord]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        if serde_json::to_writer(&mut out, r).is_ok() {
            out.push(b'\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::analytics::records::{Detector, Finding, RecordId};

    fn record(id: u64) -> AnomalyRecord {
        let finding = Finding {
            detector: Detector::Latency,
            subject: id.to_string(),
            event_type: Some("FilesystemWrite"),
            event_id: Some(id),
            event_time_ns: id as i64,
            tail_probability: 1e-6,
            score: 20.0,
            threshold: 13.3,
            contributions: Vec::new(),
            explanation: "slow".into(),
        };
        AnomalyRecord::new(RecordId(id), finding, 5)
    }

    #[test]
    fn appends_reloads_skips_torn_lines_and_compacts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut log = AnomalyLog::open(dir.path(), 0).expect("open");
        let all: Vec<AnomalyRecord> = (1..=7).map(record).collect();
        log.append(&all).expect("append");
        let path = dir.path().join(FILE);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"{\"id\":\"a-0000"))
            .expect("torn write");
        assert_eq!(load(&path).expect("load"), all);
        let mut log = AnomalyLog::open(dir.path(), 8).expect("reopen");
        log.append(&[record(8)]).expect("append after a torn line");
        assert_eq!(load(&path).expect("load").len(), 8);
        assert!(log.compaction_due(2) && !log.compaction_due(5));
        log.compact(all[5..].iter()).expect("compact");
        assert_eq!(load(&path).expect("load"), all[5..].to_vec());
        assert!(
            load(&dir.path().join("missing.jsonl"))
                .expect("none")
                .is_empty()
        );
    }
}
