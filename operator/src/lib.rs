//! VexFS Semantic operator: the `VexfsSemantic` API and its reconcile pipeline.
//!
//! Floors, each importing only the ones below it: `controller` → `day2` → {`backup`,
//! `recovery`} → `spec` → `crd`.

pub mod api_client;
pub mod backup;
pub mod controller;
pub mod crd;
pub mod crdgen;
pub mod day2;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod metrics_tls;
pub mod recovery;
pub mod spec;
