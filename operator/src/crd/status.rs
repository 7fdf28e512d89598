//! `VexfsSemantic` status: conditions, engine, backup, recovery and restore observations.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Observed state of a `VexfsSemantic`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VexfsSemanticStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling, Stalled, EngineAvailable and day-2 conditions.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// The engine workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineStatus>,
    /// Scheduled backups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupStatus>,
    /// Health-driven recovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoveryStatus>,
    /// Bootstrap restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreStatus>,
    /// Where the engine API's credentials are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthStatus>,
    /// Clustered mode: partition ownership and consumer lag per engine replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterStatus>,
    /// Configuration that works but is risky, for example an engine without persistent storage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Where the engine API's credentials are.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuthStatus {
    /// The Secret holding the generated admin token under key `token` (only without
    /// `spec.rbac.auth`): `kubectl get secret NAME -o jsonpath='{.data.token}' | base64 -d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_token_secret: Option<String>,
}

/// Clustered mode as the engine replicas report it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStatus {
    /// The replica count the engines are configured for (`[cluster] replicas`).
    pub configured_replicas: i32,
    /// Partitions of the stream.
    pub partitions: i32,
    /// One entry per configured replica, by ordinal.
    #[serde(default)]
    pub replicas: Vec<ClusterReplicaStatus>,
}

/// One engine replica's share of the stream.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterReplicaStatus {
    /// The replica's ordinal (pod `NAME-<ordinal>`).
    pub ordinal: i32,
    /// The partitions the replica reports it consumes.
    #[serde(default)]
    pub owned: Vec<i32>,
    /// Messages of its partitions not yet applied (consumer lag), summed.
    pub pending: i64,
    /// Whether the replica owns its share for the configured replica count and has applied every
    /// partition up to where it stood when the replica started (the engine's readiness rule).
    pub caught_up: bool,
    /// Why the replica could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Observed engine workload.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EngineStatus {
    /// Desired engine pods (0 while stopped).
    pub replicas: i32,
    /// Engine pods passing their readiness probe.
    pub ready_replicas: i32,
    /// `ready/desired`, shown by `kubectl get`.
    pub summary: String,
    /// Image of the engine pods.
    pub image: String,
    /// Hash of the rendered `engine.toml`.
    pub config_hash: String,
}

/// Observed scheduled backups.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    /// When the last backup run was scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_schedule_time: Option<Time>,
    /// When the next backup run is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_schedule_time: Option<Time>,
    /// The newest successful backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful: Option<LastSuccessfulBackup>,
    /// Number of successful backups currently retained.
    #[serde(default)]
    pub retained: i32,
    /// Runs skipped because they could not start before their deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_runs: Option<i32>,
    /// Schedule time of the most recent missed run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_missed_time: Option<Time>,
}

/// Summary of one successful backup.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LastSuccessfulBackup {
    /// Name of the `VexfsBackup`.
    pub name: String,
    /// When it completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<Time>,
    /// Archive size in bytes.
    #[serde(default)]
    pub size_bytes: i64,
    /// SHA-256 of the archive, hex encoded.
    #[serde(default)]
    pub sha256: String,
}

/// Observed recovery state; persisted so an operator restart does not reset the breaker.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryStatus {
    /// Circuit breaker state.
    pub circuit: CircuitState,
    /// Failed recoveries since the last success.
    #[serde(default)]
    pub consecutive_failures: i32,
    /// The most recent recovery action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_action: Option<RecoveryAction>,
    /// No action before this time (open circuit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_after: Option<Time>,
    /// The `spec.recovery.resetToken` last applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_token: Option<String>,
    /// Healthy, Degraded, Recovering, CircuitOpen or GaveUp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Whether the engine passed its last health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy: Option<bool>,
    /// Since when the engine has been in its current health.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_since: Option<Time>,
    /// The action awaiting its verdict (success after sustained health, failure after the timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_action: Option<RecoveryAction>,
    /// Failed actions in the current episode; selects the next rung of the ladder.
    #[serde(default)]
    pub ladder_rung: i32,
    /// When the circuit last opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<Time>,
    /// Restart count per engine pod at the last health check.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub restart_counts: std::collections::BTreeMap<String, i32>,
}

/// Circuit breaker state.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum CircuitState {
    /// Recovery allowed.
    #[default]
    Closed,
    /// Recovery blocked until `nextAttemptAfter`.
    Open,
    /// One probe recovery allowed.
    HalfOpen,
}

/// One recovery action.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryAction {
    /// What was done, for example `DeletePod` or `RolloutRestart`.
    pub action: String,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// The pod acted on, for `DeletePod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
}

/// Observed bootstrap restore.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RestoreStatus {
    /// Pending, Running, Succeeded or Failed.
    pub phase: String,
    /// Human-readable detail.
    #[serde(default)]
    pub message: String,
}
