//! The `[audit]` section: the hash-chained audit log of API requests (see `crate::audit`).

use serde::{Deserialize, Serialize};

/// `[audit]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSection {
    /// Record API requests, refusals and admin actions (`ENABLE_AUDIT_LOGGING`).
    pub enabled: bool,
    /// Days of audit files kept, today included (`PRODUCTION_AUDIT_RETENTION_DAYS`).
    pub audit_retention_days: u32,
    /// Records buffered between the request path and the writer before records are dropped
    /// (counted in `vexfs_audit_dropped_total`).
    pub queue_records: usize,
}

impl Default for AuditSection {
    fn default() -> Self {
        AuditSection {
            enabled: true,
            audit_retention_days: 90,
            queue_records: 4_096,
        }
    }
}
