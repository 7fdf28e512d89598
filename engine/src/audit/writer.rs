//! The audit log writer: appends records to the current day's file, continuing the chain from
//! the newest file found at open, and removes files past retention. Time comes from an injected
//! [`Clock`] so rotation and retention are testable.

use super::verify::audit_files;
use super::{AuditError, GENESIS, Record, day_of, expired, file_name, hash_line, parse_file_name};
use chrono::NaiveDate;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A source of the current time.
pub trait Clock: Send {
    /// Nanoseconds since the Unix epoch.
    fn now_ns(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ns(&self) -> i64 {
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    }
}

/// Appends chained records to daily files in one directory.
pub struct AuditWriter {
    dir: PathBuf,
    retention_days: u32,
    clock: Box<dyn Clock>,
    next_seq: u64,
    last_hash: String,
    current: Option<(NaiveDate, BufWriter<File>)>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
    move |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The last non-empty line of `path`, if any.
fn last_line(path: &Path) -> Result<Option<String>, AuditError> {
    let file = File::open(path).map_err(io(path))?;
    let mut last = None;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(io(path))?;
        if !line.trim().is_empty() {
            last = Some(line);
        }
    }
    Ok(last)
}

impl AuditWriter {
    /// Opens (creating) `dir` and continues the chain from its newest audit file.
    pub fn open(
        dir: &Path,
        retention_days: u32,
        clock: Box<dyn Clock>,
    ) -> Result<AuditWriter, AuditError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut next_seq = 0;
        let mut last_hash = GENESIS.to_string();
        for path in audit_files(dir)?.iter().rev() {
            let Some(line) = last_line(path)? else {
                continue;
            };
            let record: Record = serde_json::from_str(&line).map_err(|e| AuditError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            next_seq = record.seq + 1;
            last_hash = hash_line(&line);
            break;
        }
        Ok(AuditWriter {
            dir: dir.to_path_buf(),
            retention_days,
            clock,
            next_seq,
            last_hash,
            current: None,
        })
    }

    /// The current time of the writer's clock.
    pub fn now_ns(&self) -> i64 {
        self.clock.now_ns()
    }

    /// Chains `record` (setting `seq` and `prev`) and appends it to the file of its day. The
    /// line is buffered; [`AuditWriter::flush`] writes it out.
    pub fn append(&mut self, mut record: Record) -> Result<(), AuditError> {
        record.seq = self.next_seq;
        record.prev.clone_from(&self.last_hash);
        let line = record.to_line()?;
        let day = day_of(record.time_ns);
        let out = self.file_for(day)?;
        out.write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .map_err(io(&self.dir))?;
        self.next_seq += 1;
        self.last_hash = hash_line(&line);
        Ok(())
    }

    fn file_for(&mut self, day: NaiveDate) -> Result<&mut BufWriter<File>, AuditError> {
        if self.current.as_ref().is_none_or(|(d, _)| *d != day) {
            self.flush(true)?;
            let path = self.dir.join(file_name(day));
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io(&path))?;
            self.current = Some((day, BufWriter::new(file)));
        }
        let (_, out) = self.current.as_mut().expect("opened above");
        Ok(out)
    }

    /// Writes buffered lines to the file, and with `sync` also to disk.
    pub fn flush(&mut self, sync: bool) -> Result<(), AuditError> {
        if let Some((_, out)) = &mut self.current {
            out.flush().map_err(io(&self.dir))?;
            if sync {
                out.get_ref().sync_data().map_err(io(&self.dir))?;
            }
        }
        Ok(())
    }

    /// Removes the files past retention at the clock's current day; returns the days removed.
    pub fn prune(&mut self) -> Result<Vec<NaiveDate>, AuditError> {
        let days: Vec<NaiveDate> = audit_files(&self.dir)?
            .iter()
            .filter_map(|p| parse_file_name(p.file_name()?.to_str()?))
            .collect();
        let today = day_of(self.clock.now_ns());
        let gone = expired(&days, today, self.retention_days);
        for day in &gone {
            let path = self.dir.join(file_name(*day));
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::super::verify_dir;
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    const DAY_NS: i64 = 86_400_000_000_000;
    /// 2026-11-29T00:00:00Z.
    const START: i64 = 1_795_910_400_000_000_000;

    struct TestClock(Arc<AtomicI64>);

    impl Clock for TestClock {
        fn now_ns(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn record(time_ns: i64) -> Record {
        Record {
            seq: 0,
            time_ns,
            subject: Some("alice".into()),
            role: None,
            client: None,
            method: "GET".into(),
            route: "/api/v1/stats".into(),
            status: 200,
            bytes: None,
            request_id: "r".into(),
            action: None,
            prev: String::new(),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        audit_files(dir)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn rotates_daily_continues_the_chain_and_expires_old_days() {
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicI64::new(START));
        let clock = || Box::new(TestClock(now.clone()));
        let mut writer = AuditWriter::open(dir.path(), 3, clock()).unwrap();
        for day in 0..5 {
            now.store(START + day * DAY_NS, Ordering::SeqCst);
            writer.append(record(writer.now_ns())).unwrap();
            writer.append(record(writer.now_ns() + 1)).unwrap();
        }
        writer.flush(true).unwrap();
        assert_eq!(names(dir.path()).len(), 5);
        let whole = verify_dir(dir.path()).unwrap().unwrap();
        assert_eq!((whole.files, whole.records), (5, 10));

        // Reopening continues the chain where it stopped.
        drop(writer);
        let mut writer = AuditWriter::open(dir.path(), 3, clock()).unwrap();
        writer.append(record(writer.now_ns() + 2)).unwrap();
        writer.flush(false).unwrap();
        assert_eq!(verify_dir(dir.path()).unwrap().unwrap().records, 11);

        // On 2026-12-03 with 3 days kept, 12-01..12-03 remain.
        let gone = writer.prune().unwrap();
        assert_eq!(gone.len(), 2);
        assert_eq!(
            names(dir.path()),
            [
                "audit-2026-12-01.jsonl",
                "audit-2026-12-02.jsonl",
                "audit-2026-12-03.jsonl"
            ]
        );
        let kept = verify_dir(dir.path()).unwrap().unwrap();
        assert_eq!((kept.first_seq, kept.records), (Some(4), 7));

        // A day later one more file goes.
        now.store(START + 5 * DAY_NS, Ordering::SeqCst);
        assert_eq!(writer.prune().unwrap().len(), 1);
    }

    #[test]
    fn a_torn_last_line_refuses_to_continue_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("audit-2026-11-29.jsonl"), "{\"seq\":0,\"ti").unwrap();
        let err = AuditWriter::open(dir.path(), 90, Box::new(SystemClock))
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("last line is not a record"),
            "{err}"
        );
    }
}
