//! Which share of the stream a data directory holds, and what to do when it is not this
//! replica's share any more.
//!
//! `cluster.json` in the data directory records the stream, its partition count, the replica
//! count and the ordinal the local state was built for. At start, the same share resumes from
//! the local checkpoint; a different share (the replica count changed, or the directory moved to
//! another ordinal or stream) discards the local log and rebuilds the whole local state from the
//! stream. Rebuilding everything rather than only the partitions gained keeps one rule (the
//! local log holds exactly the owned partitions, in stream order per partition) at the price of
//! re-reading the partitions kept. A data directory holding a standalone log and no
//! `cluster.json` is refused: those events are not in the stream.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

const OWNERSHIP_FILE: &str = "cluster.json";
const CHECKPOINT_FILE: &str = "checkpoint.json";
const ANOMALY_FILE: &str = "anomalies.jsonl";

/// Errors of the ownership check.
#[derive(Debug, Error)]
pub enum TakeoverError {
    /// A file of the data directory could not be read, written or removed.
    #[error("cluster ownership: I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `cluster.json` is not what this module writes.
    #[error("cluster ownership file {path} is unreadable: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The directory holds a standalone log.
    #[error(
        "data directory {0} holds a standalone write-ahead log; clustered mode rebuilds its \
         state from the stream and would discard it: start clustered replicas on empty data \
         directories (or keep this one standalone)"
    )]
    StandaloneLog(PathBuf),
}

/// The share of the stream a data directory's state was built for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ownership {
    /// The stream.
    pub stream: String,
    /// Its partition count.
    pub partitions: u32,
    /// Engine replicas.
    pub replicas: u32,
    /// This replica's ordinal.
    pub ordinal: u32,
}

/// What to do with the local state at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The local state is this share: replay it and resume from its checkpoint.
    Resume,
    /// No local state: build it from the stream.
    Fresh,
    /// The local state is another share: discard it and rebuild from the stream.
    Rebuild,
    /// The directory holds a standalone log: refuse to start.
    RefuseStandalone,
}

/// The pure rule: `recorded` is the directory's `cluster.json`, `has_log` whether it holds log
/// files.
pub fn decide(recorded: Option<&Ownership>, has_log: bool, current: &Ownership) -> Decision {
    match recorded {
        Some(r) if r == current => Decision::Resume,
        Some(_) => Decision::Rebuild,
        None if has_log => Decision::RefuseStandalone,
        None => Decision::Fresh,
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TakeoverError + '_ {
    move |source| TakeoverError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The files of the local state that a rebuild discards (log segments, checkpoint, anomaly
/// records); audit files stay.
fn state_files(dir: &Path) -> Result<Vec<PathBuf>, TakeoverError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(io(dir))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".wal") || name == CHECKPOINT_FILE || name == ANOMALY_FILE {
            files.push(path);
        }
    }
    Ok(files)
}

/// Applies the rule to `dir`: reads `cluster.json`, discards the local state on a rebuild,
/// and records `current`. Returns the decision taken.
pub fn prepare(dir: &Path, current: &Ownership) -> Result<Decision, TakeoverError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let file = dir.join(OWNERSHIP_FILE);
    let recorded = match std::fs::read(&file) {
        Ok(bytes) => Some(serde_json::from_slice::<Ownership>(&bytes).map_err(|e| {
            TakeoverError::Corrupt {
                path: file.clone(),
                reason: e.to_string(),
            }
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&file)(e)),
    };
    let files = state_files(dir)?;
    let decision = decide(recorded.as_ref(), !files.is_empty(), current);
    match decision {
        Decision::RefuseStandalone => return Err(TakeoverError::StandaloneLog(dir.to_path_buf())),
        Decision::Rebuild => {
            for path in &files {
                std::fs::remove_file(path).map_err(io(path))?;
            }
        }
        Decision::Resume | Decision::Fresh => {}
    }
    if decision != Decision::Resume {
        let tmp = dir.join("cluster.json.tmp");
        let bytes = serde_json::to_vec_pretty(current).map_err(|e| TakeoverError::Corrupt {
            path: file.clone(),
            reason: e.to_string(),
        })?;
        std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&tmp))?;
        std::fs::rename(&tmp, &file).map_err(io(&file))?;
    }
    Ok(decision)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(replicas: u32, ordinal: u32) -> Ownership {
        Ownership {
            stream: "S".into(),
            partitions: 16,
            replicas,
            ordinal,
        }
    }

    #[test]
    fn the_rule() {
        let now = share(3, 1);
        assert_eq!(decide(Some(&now), true, &now), Decision::Resume);
        assert_eq!(decide(Some(&share(2, 1)), true, &now), Decision::Rebuild);
        assert_eq!(decide(None, false, &now), Decision::Fresh);
        assert_eq!(decide(None, true, &now), Decision::RefuseStandalone);
    }

    #[test]
    fn a_changed_share_discards_the_log_but_keeps_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(prepare(d, &share(2, 1)).unwrap(), Decision::Fresh);
        std::fs::write(d.join("00000000000000000001.wal"), b"x").unwrap();
        std::fs::write(d.join("checkpoint.json"), b"{}").unwrap();
        std::fs::write(d.join("audit-2026-11-30.jsonl"), b"{}").unwrap();
        assert_eq!(prepare(d, &share(2, 1)).unwrap(), Decision::Resume);
        assert!(d.join("checkpoint.json").exists());
        assert_eq!(prepare(d, &share(3, 1)).unwrap(), Decision::Rebuild);
        assert!(!d.join("00000000000000000001.wal").exists());
        assert!(!d.join("checkpoint.json").exists());
        assert!(d.join("audit-2026-11-30.jsonl").exists());
        assert_eq!(prepare(d, &share(3, 1)).unwrap(), Decision::Resume);
        let standalone = tempfile::tempdir().unwrap();
        std::fs::write(standalone.path().join("checkpoint.json"), b"{}").unwrap();
        assert!(matches!(
            prepare(standalone.path(), &share(3, 1)),
            Err(TakeoverError::StandaloneLog(_))
        ));
    }
}
