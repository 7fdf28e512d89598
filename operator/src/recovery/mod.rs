//! Health-driven recovery: assessment, circuit breaker, recovery ladder, and their driver.
//! Reads the parsed spec only; never the controller or backups.

pub mod assess;
pub mod breaker;
pub mod driver;
pub mod events;
pub mod ladder;
pub mod memory;
pub mod metrics;
pub mod signals;
pub mod slots;
pub mod status;
