//! Durable storage: the write-ahead log, retained events in memory, and backup archives.

pub mod archive_read;
pub mod archive_restore;
pub mod audit_files;
mod batches;
mod checkpoint;
mod intern;
mod keys;
pub mod position;
pub mod record;
mod retained;
pub mod sealed;
pub mod snapshot;
mod wal;

pub use batches::SharedBatch;
#[cfg(test)]
pub(crate) use batches::test_batch;
pub use checkpoint::{Checkpoint, read_checkpoint, write_checkpoint};
pub use intern::Interner;
pub use position::{LogPosition, Positions};
pub use retained::{Admission, EventFilter, Page, Retained, Retention};
pub use wal::{ReplayStats, Wal, WalOptions, scan};

use std::path::PathBuf;
use thiserror::Error;

/// Storage failures.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Stored data is damaged beyond a torn tail.
    #[error("corrupt data in {path}: {reason}")]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An event could not be encoded.
    #[error("cannot encode event: {0}")]
    Encode(String),
    /// A backup archive is malformed or does not match its manifest.
    #[error("invalid backup {path}: {reason}")]
    Backup {
        /// The archive.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Maps an I/O error on `path` to [`StoreError::Io`].
pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}
