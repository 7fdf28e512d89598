//! The segmented write-ahead log: group-committed batches, fsync policy, checkpoints and replay.
//!
//! Segment files are named after the first event id they hold (`00000000000000000001.wal`).
//! Each record is one accepted request batch, as NDJSON, so a batch is durable as a whole or not.

use super::StoreError;
use super::checkpoint::{Checkpoint, read_checkpoint, write_checkpoint};
use super::io_err;
use super::position::{LogPosition, Positions};
use super::record::{self, TailProblem};
use crate::config::FsyncPolicy;
use crate::event::{Event, write_json};
use std::convert::Infallible;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const SUFFIX: &str = ".wal";

/// Log options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalOptions {
    /// When to fsync.
    pub fsync: FsyncPolicy,
    /// Interval for [`FsyncPolicy::Interval`].
    pub fsync_interval: Duration,
    /// Roll to a new segment beyond this size.
    pub segment_size: u64,
}

/// What replay found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplayStats {
    /// Events replayed.
    pub events: u64,
    /// Segments read.
    pub segments: usize,
    /// Bytes cut from a torn tail.
    pub truncated_bytes: u64,
    /// Next id according to log and checkpoint.
    pub next_id: u64,
    /// Clustered mode: the high-water mark of each partition, from checkpoint and records.
    pub positions: Positions,
}

#[derive(Debug, Clone)]
struct Segment {
    first_id: u64,
    path: PathBuf,
}

/// An open log, owned by one writer.
pub struct Wal {
    dir: PathBuf,
    opts: WalOptions,
    segments: Vec<Segment>,
    file: File,
    active_len: u64,
    pending: Vec<u8>,
    next_id: u64,
    last_sync: Instant,
    unsynced: bool,
    positions: Positions,
    pending_positions: Vec<LogPosition>,
}

fn segment_path(dir: &Path, first_id: u64) -> PathBuf {
    dir.join(format!("{first_id:020}{SUFFIX}"))
}

fn list_segments(dir: &Path) -> Result<Vec<Segment>, StoreError> {
    let mut segments = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let path = entry.map_err(io_err(dir))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if let Some(first_id) = name.strip_suffix(SUFFIX).and_then(|n| n.parse().ok()) {
            segments.push(Segment { first_id, path });
        }
    }
    segments.sort_by_key(|s| s.first_id);
    Ok(segments)
}

fn parse_record(
    path: &Path,
    payload: &[u8],
    positions: &mut Positions,
    visit: &mut dyn FnMut(Event),
) -> Result<u64, StoreError> {
    let mut n = 0;
    for line in payload.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        if LogPosition::is_position(line) {
            let position = LogPosition::parse(line).ok_or_else(|| StoreError::Corrupt {
                path: path.to_path_buf(),
                reason: "malformed position line in a checksummed record".into(),
            })?;
            position.raise(positions);
            continue;
        }
        let event: Event = serde_json::from_slice(line).map_err(|e| StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("undecodable event in a checksummed record: {e}"),
        })?;
        visit(event);
        n += 1;
    }
    Ok(n)
}

/// Reads every retained event of the log in `dir` in id order. With `repair`, a torn tail of
/// the last segment is truncated (and logged); without it, the tail is only skipped.
pub fn scan(
    dir: &Path,
    repair: bool,
    visit: &mut dyn FnMut(Event),
) -> Result<ReplayStats, StoreError> {
    let checkpoint = read_checkpoint(dir)?.unwrap_or_default();
    let segments = list_segments(dir)?;
    let mut stats = ReplayStats {
        next_id: checkpoint.next_id.max(1),
        positions: checkpoint.positions.clone(),
        ..ReplayStats::default()
    };
    let start = segments
        .iter()
        .rposition(|s| s.first_id <= checkpoint.first_retained_id)
        .unwrap_or(0);
    for (i, seg) in segments.iter().enumerate().skip(start) {
        let buf = fs::read(&seg.path).map_err(io_err(&seg.path))?;
        let (records, end, problem) = record::decode_all(&buf);
        let mut positions = std::mem::take(&mut stats.positions);
        let mut keep = |e: Event| {
            stats.next_id = stats.next_id.max(e.id + 1);
            if e.id >= checkpoint.first_retained_id {
                stats.events += 1;
                visit(e);
            }
        };
        for payload in records {
            parse_record(&seg.path, payload, &mut positions, &mut keep)?;
        }
        stats.positions = positions;
        stats.segments += 1;
        if let Some(problem) = problem {
            handle_tail(
                seg,
                i + 1 == segments.len(),
                repair,
                end,
                buf.len(),
                problem,
            )?;
            stats.truncated_bytes += (buf.len() - end) as u64;
        }
    }
    Ok(stats)
}

fn handle_tail(
    seg: &Segment,
    is_last: bool,
    repair: bool,
    end: usize,
    len: usize,
    problem: TailProblem,
) -> Result<(), StoreError> {
    if !is_last {
        return Err(StoreError::Corrupt {
            path: seg.path.clone(),
            reason: format!("{} at offset {end} in a sealed segment", problem.describe()),
        });
    }
    tracing::warn!(
        segment = %seg.path.display(),
        offset = end,
        dropped_bytes = len - end,
        problem = problem.describe(),
        repair,
        "write-ahead log has a torn tail; truncating to the last complete record"
    );
    if repair {
        let file = OpenOptions::new()
            .write(true)
            .open(&seg.path)
            .map_err(io_err(&seg.path))?;
        file.set_len(end as u64).map_err(io_err(&seg.path))?;
        file.sync_all().map_err(io_err(&seg.path))?;
    }
    Ok(())
}

impl Wal {
    /// Opens (creating if needed) the log in `dir`, replaying retained events into `visit`.
    pub fn open(
        dir: &Path,
        opts: WalOptions,
        visit: &mut dyn FnMut(Event),
    ) -> Result<(Wal, ReplayStats), StoreError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let stats = scan(dir, true, visit)?;
        let mut segments = list_segments(dir)?;
        if segments.is_empty() {
            segments.push(Segment {
                first_id: stats.next_id,
                path: segment_path(dir, stats.next_id),
            });
        }
        let active = &segments[segments.len() - 1].path;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(active)
            .map_err(io_err(active))?;
        let active_len = file.metadata().map_err(io_err(active))?.len();
        let wal = Wal {
            dir: dir.to_path_buf(),
            opts,
            segments,
            file,
            active_len,
            pending: Vec::with_capacity(1 << 20),
            next_id: stats.next_id,
            last_sync: Instant::now(),
            unsynced: false,
            positions: stats.positions.clone(),
            pending_positions: Vec::new(),
        };
        Ok((wal, stats))
    }

    /// Buffers one batch (one record) for the next [`Wal::commit`].
    pub fn append(&mut self, events: &[Event]) -> Result<(), StoreError> {
        self.append_at(events, None)
    }

    /// Buffers one batch as one record, with the upstream position it was applied up to (a
    /// record is written for a position even without events, so the mark still advances).
    pub fn append_at(
        &mut self,
        events: &[Event],
        position: Option<LogPosition>,
    ) -> Result<(), StoreError> {
        if events.is_empty() && position.is_none() {
            return Ok(());
        }
        self.pending.reserve(events.len() * 320 + 32);
        let Ok(()) = record::encode_with(&mut self.pending, |payload| {
            if let Some(position) = position {
                position.encode(payload);
            }
            for e in events {
                write_json(payload, e);
                payload.push(b'\n');
            }
            Ok::<(), Infallible>(())
        });
        if let Some(last) = events.last() {
            self.next_id = self.next_id.max(last.id + 1);
        }
        self.pending_positions.extend(position);
        Ok(())
    }

    /// Writes buffered records and fsyncs per policy; returns bytes written. After it returns
    /// (with `fsync = "batch"`) the batches are durable and may be acknowledged.
    pub fn commit(&mut self) -> Result<usize, StoreError> {
        let written = self.pending.len();
        if written > 0 {
            let path = self.active_path();
            self.file.write_all(&self.pending).map_err(io_err(&path))?;
            self.pending.clear();
            for position in self.pending_positions.drain(..) {
                position.raise(&mut self.positions);
            }
            self.active_len += written as u64;
            self.unsynced = true;
        }
        match self.opts.fsync {
            FsyncPolicy::Batch => self.sync()?,
            FsyncPolicy::Interval if self.last_sync.elapsed() >= self.opts.fsync_interval => {
                self.sync()?;
            }
            _ => {}
        }
        if self.active_len >= self.opts.segment_size {
            self.roll()?;
        }
        Ok(written)
    }

    /// Flushes written data to stable storage if anything is unsynced.
    pub fn sync(&mut self) -> Result<(), StoreError> {
        if self.unsynced {
            let path = self.active_path();
            self.file.sync_data().map_err(io_err(&path))?;
            self.unsynced = false;
        }
        self.last_sync = Instant::now();
        Ok(())
    }

    fn active_path(&self) -> PathBuf {
        self.segments[self.segments.len() - 1].path.clone()
    }

    fn roll(&mut self) -> Result<(), StoreError> {
        self.sync()?;
        let path = segment_path(&self.dir, self.next_id);
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        tracing::debug!(segment = %path.display(), "rolled to a new log segment");
        self.segments.push(Segment {
            first_id: self.next_id,
            path,
        });
        self.active_len = 0;
        Ok(())
    }

    /// Records the checkpoint and deletes segments wholly older than `first_retained_id`.
    pub fn checkpoint(&mut self, first_retained_id: u64) -> Result<usize, StoreError> {
        self.sync()?;
        let cp = Checkpoint {
            first_retained_id,
            next_id: self.next_id,
            positions: self.positions.clone(),
        };
        write_checkpoint(&self.dir, &cp)?;
        let mut removed = 0;
        while self.segments.len() > 1 && self.segments[1].first_id <= first_retained_id {
            let seg = self.segments.remove(0);
            fs::remove_file(&seg.path).map_err(io_err(&seg.path))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Makes sure ids below `next_id` are never assigned again (recorded at the next checkpoint).
    pub fn raise_next_id(&mut self, next_id: u64) {
        self.next_id = self.next_id.max(next_id);
    }

    /// The high-water mark of each partition written so far (clustered mode).
    pub fn positions(&self) -> &Positions {
        &self.positions
    }

    /// Number of segment files.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }
}

#[cfg(test)]
mod tests;
