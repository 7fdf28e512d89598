//! Restoring a backup archive into a data directory as it streams past: events go into a fresh
//! log 10,000 at a time, anomaly records and audit files straight to their files. Nothing is
//! kept whole in memory, and a directory left by a failed restore is emptied again.

use super::StoreError;
use super::archive_read::{ArchiveSink, bad, open_archive, read_verified};
use super::audit_files;
use super::checkpoint::{Checkpoint, write_checkpoint};
use super::sealed::SealKey;
use super::snapshot::{ANOMALIES, Manifest};
use super::wal::{Wal, WalOptions};
use crate::config::FsyncPolicy;
use crate::event::Event;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Events appended to the log per commit while restoring.
const BATCH: usize = 10_000;

/// Whether `dir` holds nothing (or does not exist).
pub fn is_empty_data_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Removes everything inside `dir`, keeping `dir` itself (it may be a volume's mount point).
fn clear_dir(dir: &Path) -> Result<(), StoreError> {
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(io(&path))?;
    }
    Ok(())
}

/// Writes the archive at `archive` (sealed ones opened with `key`) as a fresh log in `data_dir`.
/// A non-empty directory is refused unless `force`, which empties it first. On any failure,
/// including a checksum that only fails at the end, the directory is left empty.
pub fn restore_archive(
    archive: &Path,
    data_dir: &Path,
    force: bool,
    key: Option<SealKey>,
) -> Result<Manifest, StoreError> {
    let reader = open_archive(archive, key)?;
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
        clear_dir(data_dir)?;
    }
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    let mut sink = Restore {
        data_dir: data_dir.to_path_buf(),
        wal: None,
        batch: Vec::with_capacity(BATCH),
        anomalies: None,
        audit: None,
    };
    let restored =
        read_verified(reader, archive, &mut sink).and_then(|m| sink.finish(&m).map(|()| m));
    if restored.is_err() {
        drop(sink);
        // Best effort: the restore's own error is the one to report.
        let _ = clear_dir(data_dir);
    }
    restored
}

/// The sink writing a restore.
struct Restore {
    data_dir: PathBuf,
    wal: Option<Wal>,
    batch: Vec<Event>,
    anomalies: Option<BufWriter<File>>,
    audit: Option<(String, BufWriter<File>)>,
}

impl Restore {
    fn flush_events(&mut self) -> Result<(), StoreError> {
        if let Some(wal) = self.wal.as_mut()
            && !self.batch.is_empty()
        {
            wal.append(&self.batch)?;
            wal.commit()?;
            self.batch.clear();
        }
        Ok(())
    }

    fn create(path: &Path) -> Result<BufWriter<File>, StoreError> {
        Ok(BufWriter::new(File::create(path).map_err(io(path))?))
    }

    fn finish(&mut self, manifest: &Manifest) -> Result<(), StoreError> {
        self.flush_events()?;
        for writer in [self.anomalies.take(), self.audit.take().map(|(_, w)| w)]
            .into_iter()
            .flatten()
        {
            let file = writer
                .into_inner()
                .map_err(|e| io(&self.data_dir)(e.into_error()))?;
            file.sync_all().map_err(io(&self.data_dir))?;
        }
        if let Some(wal) = self.wal.as_mut() {
            wal.raise_next_id(manifest.next_id);
            wal.checkpoint(manifest.first_id.max(1))?;
        }
        Ok(())
    }
}

impl ArchiveSink for Restore {
    fn begin(&mut self, manifest: &Manifest) -> Result<(), StoreError> {
        let first = manifest.first_id.max(1);
        let start = Checkpoint {
            first_retained_id: first,
            next_id: first,
            ..Checkpoint::default()
        };
        write_checkpoint(&self.data_dir, &start)?;
        let opts = WalOptions {
            fsync: FsyncPolicy::Never,
            fsync_interval: Duration::from_secs(1),
            segment_size: 64 * 1024 * 1024,
        };
        let (wal, _) = Wal::open(&self.data_dir, opts, &mut |_| {})?;
        self.wal = Some(wal);
        Ok(())
    }

    fn event(&mut self, event: Event) -> Result<(), StoreError> {
        self.batch.push(event);
        if self.batch.len() >= BATCH {
            self.flush_events()?;
        }
        Ok(())
    }

    fn anomalies(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        let path = self.data_dir.join(ANOMALIES);
        if self.anomalies.is_none() {
            self.anomalies = Some(Self::create(&path)?);
        }
        let writer = self.anomalies.as_mut().map(|w| w.write_all(chunk));
        writer.unwrap_or(Ok(())).map_err(io(&path))
    }

    fn audit(&mut self, name: &str, chunk: &[u8]) -> Result<(), StoreError> {
        let dir = self.data_dir.join(audit_files::DIR);
        let path = dir.join(name);
        if self.audit.as_ref().is_none_or(|(open, _)| open != name) {
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            if let Some((_, previous)) = self.audit.take() {
                previous
                    .into_inner()
                    .map_err(|e| io(&dir)(e.into_error()))?;
            }
            self.audit = Some((name.to_string(), Self::create(&path)?));
        }
        let writer = self.audit.as_mut().map(|(_, w)| w.write_all(chunk));
        writer.unwrap_or(Ok(())).map_err(io(&path))
    }
}

#[cfg(test)]
#[path = "archive_tests.rs"]
mod tests;
