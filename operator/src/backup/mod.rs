//! Scheduled and on-demand backups: cron schedule, run planning, retention, and their driver.

pub mod cron;
pub mod driver;
pub mod health;
pub mod identity;
pub mod job;
pub mod kube_time;
pub mod outcome;
pub mod plan;
pub mod restore;
pub mod restore_driver;
pub mod retention;
pub mod runs;
pub mod schedule;
pub mod target;
pub mod watch;
