//! The `vexfs.io/v1alpha1` API: `VexfsSemantic` (one analytics stack) and `VexfsBackup` (one backup).

mod alerting;
mod analytics;
mod backup;
mod cluster;
mod engine;
pub mod messages;
mod monitoring;
mod network_policy;
mod profiler;
mod rbac;
mod recovery;
mod refs;
mod schema;
mod status;
mod tls;
mod vexfs_backup;

pub use alerting::{
    AlertRule, AlertingSpec, EmailReceiver, Receiver, Severity, SlackReceiver, WebhookReceiver,
};
pub use analytics::{
    AnalyticsSpec, AnomalyAlgorithm, AnomalyDetectionSpec, PatternDiscoverySpec, PredictionSpec,
};
pub use backup::{
    BackupEncryption, BackupSpec, BackupTarget, RestoreSpec, RetentionSpec, S3Target, VolumeTarget,
};
pub use cluster::{AutoscalingSpec, ClusterSpec, NatsSpec, NatsTlsSpec};
pub use engine::{EngineSpec, LogFormat, LogLevel, StorageSpec};
pub use monitoring::{MonitoringMode, MonitoringSpec};
pub use network_policy::{IpBlock, NetworkPeer, NetworkPolicySpec};
pub use profiler::ProfilerSpec;
pub use rbac::{AuthMethod, AuthSpec, RbacSpec, Role, Subject, SubjectKind};
pub use recovery::{CircuitBreakerSpec, RecoverySpec};
pub use refs::{SecretKeyRef, SecretRef};
pub use status::{
    AuthStatus, BackupStatus, CircuitState, ClusterReplicaStatus, ClusterStatus, EngineStatus,
    LastSuccessfulBackup, RecoveryAction, RecoveryStatus, RestoreStatus, VexfsSemanticStatus,
};
pub use tls::{IssuerRef, TlsSpec};
pub use vexfs_backup::{
    BackupPhase, DeletionPolicy, VexfsBackup, VexfsBackupSpec, VexfsBackupStatus,
};

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Desired state of one VexFS Semantic analytics stack.
#[derive(CustomResource, Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[kube(
    group = "vexfs.io",
    version = "v1alpha1",
    kind = "VexfsSemantic",
    namespaced,
    status = "VexfsSemanticStatus",
    shortname = "vxs",
    category = "vexfs",
    doc = "A VexFS Semantic analytics stack: the vexfs-engine StatefulSet that ingests filesystem and application events into a durable log and analyses them (patterns, anomalies, predictions, alerts), with its Services, configuration, monitoring objects, scheduled backups and automatic recovery. The operator reconciles the children from spec and reports Ready, Reconciling and Stalled conditions in status. Short name vxs.",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Engine","type":"string","jsonPath":".status.engine.summary"}"#,
    printcolumn = r#"{"name":"Last Backup","type":"date","jsonPath":".status.backup.lastSuccessful.completionTime"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "!has(self.engine) || !has(self.engine.replicas) || self.engine.replicas <= 1 || (has(self.cluster) && has(self.cluster.nats))", "message": messages::ONE_ENGINE_REPLICA, "fieldPath": ".engine.replicas"},
    {"rule": "!has(self.engine) || !has(self.engine.autoscaling) || (has(self.cluster) && has(self.cluster.nats))", "message": messages::AUTOSCALING_NEEDS_CLUSTER, "fieldPath": ".engine.autoscaling"},
    {"rule": "!has(self.engine) || !has(self.cluster) || !has(self.cluster.nats) || ((!has(self.engine.replicas) || self.engine.replicas <= self.cluster.nats.partitions) && (!has(self.engine.autoscaling) || self.engine.autoscaling.maxReplicas <= self.cluster.nats.partitions))", "message": messages::REPLICAS_WITHIN_PARTITIONS, "fieldPath": ".engine"}
]))]
pub struct VexfsSemanticSpec {
    /// The engine workload; defaults apply when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineSpec>,
    /// Analytics settings; defaults apply when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics: Option<AnalyticsSpec>,
    /// Self-profiler settings; defaults apply when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiler: Option<ProfilerSpec>,
    /// Alert rules and receivers; alerting is enabled without rules when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerting: Option<AlertingSpec>,
    /// Scheduled backups; none when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupSpec>,
    /// Health-driven recovery; defaults apply when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoverySpec>,
    /// Engine API access control (roles, subjects, authentication). The engine always requires
    /// credentials: without `rbac.auth`, a generated admin token (see `status.auth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rbac: Option<RbacSpec>,
    /// Prometheus Operator objects; `Auto` for both when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringSpec>,
    /// Who may reach the engine's port; a NetworkPolicy admitting only the operator and backup
    /// Jobs when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<NetworkPolicySpec>,
    /// HTTPS for the engine API; plain HTTP when omitted, the operator's own CA with `{}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,
    /// Clustered mode: engine replicas sharing a NATS JetStream stream; standalone (one replica)
    /// when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterSpec>,
    /// Restore the event store from a backup when the engine is first created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreSpec>,
    /// Freeze all changes to child objects; status stays current.
    #[serde(default)]
    pub suspend: bool,
    /// Scale the engine to zero, keeping data and configuration.
    #[serde(default)]
    pub stopped: bool,
}
