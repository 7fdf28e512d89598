//! The `VexfsBackup` resource: one backup of a `VexfsSemantic`'s event store.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One backup, scheduled or on demand.
#[derive(CustomResource, Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[kube(
    group = "vexfs.io",
    version = "v1alpha1",
    kind = "VexfsBackup",
    namespaced,
    status = "VexfsBackupStatus",
    shortname = "vxb",
    category = "vexfs",
    doc = "One backup of a VexfsSemantic's event store, scheduled by its spec.backup or created on demand. The operator runs a Job that archives the engine's data to the backup target and reports the phase, archive location, size, checksum and Ready, Reconciling, Stalled and Failed conditions in status. Short name vxb.",
    printcolumn = r#"{"name":"Semantic","type":"string","jsonPath":".spec.semanticRef"}"#,
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Size","type":"integer","jsonPath":".status.sizeBytes"}"#,
    printcolumn = r#"{"name":"Completed","type":"date","jsonPath":".status.completionTime"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct VexfsBackupSpec {
    /// Name of the `VexfsSemantic` (same namespace) whose engine is backed up.
    #[schemars(length(min = 1, max = 253))]
    pub semantic_ref: String,
    /// Whether deleting this record also deletes the stored archive.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// What happens to the archive when the record is deleted.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum DeletionPolicy {
    /// Keep the archive.
    #[default]
    Retain,
    /// Delete the archive with the record.
    Delete,
}

/// Observed state of one backup.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VexfsBackupStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready` (True once the archive is written), `Failed` (True when the backup failed, with the
    /// cause as reason), and kstatus's `Reconciling` (True while pending or running) and `Stalled`
    /// (True when failed; a failed backup is never retried).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Pending, Running, Succeeded or Failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<BackupPhase>,
    /// When the backup Job started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,
    /// When the backup finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<Time>,
    /// Where the archive is stored (path in the volume or `s3://bucket/key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Archive size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    /// SHA-256 of the archive, hex encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Number of events in the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_count: Option<i64>,
    /// Human-readable detail, for example the failure reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Phase of one backup.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum BackupPhase {
    /// Created, Job not started.
    Pending,
    /// Job running.
    Running,
    /// Archive written and verified.
    Succeeded,
    /// Job failed.
    Failed,
}
