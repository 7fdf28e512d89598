//! VexFS semantic event engine: durable ingest, a synchronous analytics core, and an HTTP API.
//!
//! The core (`event`, `core`) is pure and clock-free; I/O lives in `store` and `server`.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod core;
pub mod event;
pub mod notify;
pub mod quality;
pub mod server;
pub mod sources;
pub mod store;
