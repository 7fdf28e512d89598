//! Anomaly detection: statistical detectors, an isolation forest and sequence-level anomalies.

pub mod detectors;
pub mod event_forest;
pub mod isolation_forest;
pub mod profile;
pub mod robust;
pub mod sequence;
pub mod series;
pub mod statistical;
