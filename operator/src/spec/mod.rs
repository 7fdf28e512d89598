//! The parsed spec and the vocabulary every other floor shares (pure, no I/O).
//!
//! [`validate`] turns a `VexfsSemantic` into a [`ValidatedSpec`]: defaults resolved, the backup
//! schedule parsed in its time zone, the data directory and the backup identity decided. Everything
//! above this floor reads only the parsed spec. Alongside it live the cron and schedule types,
//! Kubernetes time conversions, the condition vocabulary, names and labels, and the one container
//! builder.

pub mod cluster;
pub mod conditions;
pub mod container;
pub mod credentials;
pub mod cron;
pub mod identity;
pub mod images;
pub mod kube_time;
pub mod names;
pub mod nats_files;
pub mod peers;
pub mod schedule;
pub mod tls;
mod validate;

pub use validate::{DATA_DIR, ValidatedBackup, ValidatedSpec, ValidationError, validate};
