//! `spec.backup` and `spec.restore`: scheduled backups, retention, targets and bootstrap restore.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::refs::{SecretKeyRef, SecretRef};

/// Scheduled backups of the engine's event store.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BackupSpec {
    /// Standard 5-field cron expression (minute hour day-of-month month day-of-week).
    #[serde(default = "default_schedule")]
    #[schemars(length(min = 9, max = 128))]
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self.matches('^\\\\s*\\\\S+(\\\\s+\\\\S+){4}\\\\s*$')", "message": super::messages::SCHEDULE_FIELDS}]))]
    pub schedule: String,
    /// IANA time zone the schedule is evaluated in, for example `Europe/Berlin`.
    #[serde(default = "default_time_zone")]
    #[schemars(length(min = 1, max = 64))]
    pub time_zone: String,
    /// Pause scheduling new backups; running ones finish.
    #[serde(default)]
    pub suspend: bool,
    /// A run that could not start within this many seconds of its scheduled time is skipped and counted
    /// as missed; no deadline when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub starting_deadline_seconds: Option<i64>,
    /// Which backups to keep.
    #[serde(default)]
    #[schemars(transform = super::schema::no_default)]
    pub retention: RetentionSpec,
    /// Where backups are written.
    pub target: BackupTarget,
    /// Deletion policy of scheduled backups: `Delete` removes the archive when retention prunes the record.
    #[serde(default)]
    pub deletion_policy: super::DeletionPolicy,
    /// Encryption at rest: archives are sealed with AES-256-GCM as they are written, and restores
    /// (`spec.restore`) open them with the same key. Plain archives when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<BackupEncryption>,
}

/// The key that seals backup archives.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BackupEncryption {
    /// Secret key holding the 256-bit key: 32 raw bytes, 64 hex digits or base64 (for example
    /// `openssl rand -hex 32`). The key id written into each archive is `<secret>/<key>`.
    pub key_secret_ref: SecretKeyRef,
}

fn default_schedule() -> String {
    "0 2 * * *".to_owned()
}

fn default_time_zone() -> String {
    "UTC".to_owned()
}

/// Retention of successful backups; the newest successful backup is never pruned.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct RetentionSpec {
    /// Keep at most this many successful backups.
    #[schemars(range(min = 1, max = 1000))]
    pub keep_last: i32,
    /// Prune backups older than this many days.
    #[schemars(range(min = 1))]
    pub max_age_days: i32,
}

impl Default for RetentionSpec {
    fn default() -> Self {
        Self {
            keep_last: 7,
            max_age_days: 30,
        }
    }
}

/// Backup destination; exactly one of `volume` or `s3`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{"rule": "[has(self.volume), has(self.s3)].filter(x, x).size() == 1", "message": super::messages::ONE_BACKUP_TARGET}]))]
pub struct BackupTarget {
    /// An existing PersistentVolumeClaim in the resource's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeTarget>,
    /// An S3-compatible bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Target>,
}

/// A PersistentVolumeClaim backup target.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VolumeTarget {
    /// Name of the claim.
    #[schemars(length(min = 1, max = 253))]
    pub claim_name: String,
}

/// An S3-compatible backup target.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct S3Target {
    /// Bucket name.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// Endpoint URL; AWS S3 when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 512))]
    pub endpoint: Option<String>,
    /// Key prefix inside the bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 512))]
    pub prefix: Option<String>,
    /// Bucket region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub region: Option<String>,
    /// Secret with `accessKeyId` and `secretAccessKey` keys.
    pub credentials_secret_ref: SecretRef,
}

/// Restore the event store from a backup when the engine is first created.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RestoreSpec {
    /// Name of a `VexfsBackup` in the same namespace.
    #[schemars(length(min = 1, max = 253))]
    pub backup_name: String,
}
