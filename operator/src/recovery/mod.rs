//! Health-driven recovery: assessment, circuit breaker, recovery ladder, and their driver.

pub mod assess;
pub mod breaker;
pub mod day_two;
pub mod driver;
pub mod events;
pub mod ladder;
pub mod metrics;
pub mod signals;
pub mod slots;
pub mod status;
