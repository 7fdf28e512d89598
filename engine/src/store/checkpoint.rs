//! The checkpoint file of the write-ahead log: where replay starts, the next id, and in
//! clustered mode the high-water mark of each partition. Replaced atomically.

use super::StoreError;
use super::io_err;
use super::position::Positions;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::path::Path;

const CHECKPOINT: &str = "checkpoint.json";

/// The checkpoint: replay starts at the segment holding `first_retained_id`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    /// Oldest event still retained; older ones are never replayed.
    pub first_retained_id: u64,
    /// Next id to assign (kept so ids are never reused after retention empties the log).
    pub next_id: u64,
    /// Clustered mode: the last stream sequence applied per partition (kept here because the
    /// segments that recorded them may be deleted). Absent in standalone logs.
    #[serde(default, skip_serializing_if = "Positions::is_empty")]
    pub positions: Positions,
}

/// Reads the checkpoint of `dir`, if any.
pub fn read_checkpoint(dir: &Path) -> Result<Option<Checkpoint>, StoreError> {
    let path = dir.join(CHECKPOINT);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                path,
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&path)(e)),
    }
}

/// Atomically replaces the checkpoint of `dir`.
pub fn write_checkpoint(dir: &Path, cp: &Checkpoint) -> Result<(), StoreError> {
    let tmp = dir.join("checkpoint.json.tmp");
    let bytes = serde_json::to_vec(cp).map_err(|e| StoreError::Encode(e.to_string()))?;
    fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io_err(&tmp))?;
    fs::rename(&tmp, dir.join(CHECKPOINT)).map_err(io_err(&tmp))?;
    Ok(())
}
