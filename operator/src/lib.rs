//! VexFS Semantic operator: the `VexfsSemantic` API and its reconcile pipeline.

pub mod backup;
pub mod controller;
pub mod crd;
pub mod crdgen;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod recovery;
