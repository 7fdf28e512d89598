//! Quality harness support: loading public benchmark corpora from disk and scoring detectors on them.
//!
//! Not part of the serving engine; the `vexfs-nab` harness and the quality tests use it. The scoring is
//! pure; only corpus loading reads files.

pub mod nab;
