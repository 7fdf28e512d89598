//! Anomaly detection: robust per-type baselines, rate series detectors, an isolation forest, and
//! the session model and count profile behind session verdicts.

pub mod detectors;
pub mod event_forest;
pub mod isolation_forest;
pub mod profile;
pub mod robust;
pub mod sequence;
pub mod series;
pub mod shift;
pub mod statistical;
