//! Scheduled and on-demand backups, and the bootstrap restore: run planning, retention, Jobs, and
//! their driver. Reads the parsed spec only; never the controller or recovery.

pub mod conditions;
pub mod driver;
pub mod encryption;
pub mod freshness;
pub mod health;
pub mod job;
pub mod metrics;
pub mod outcome;
pub mod plan;
pub mod restore;
pub mod retention;
pub mod runs;
pub mod stream_restore;
pub mod stream_restore_run;
pub mod target;
pub mod watch;
