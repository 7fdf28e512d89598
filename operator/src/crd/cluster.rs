//! `spec.cluster`: clustered mode, engine replicas sharing one NATS JetStream stream
//! (docs/cluster.md). The NATS cluster itself is the user's (the official NATS Helm chart); the
//! spec names it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::refs::{SecretKeyRef, SecretRef};

/// Clustered mode. Without `spec.cluster.nats` the engine runs standalone and at most one replica.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSpec {
    /// The NATS JetStream cluster the engine replicas share; enables clustered mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nats: Option<NatsSpec>,
}

/// An existing NATS cluster with JetStream enabled, and the stream the engine keeps its events in.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NatsSpec {
    /// Client URLs of the NATS servers, comma-separated (`nats://nats.nats:4222`, or `tls://`
    /// for servers requiring TLS); the client learns the rest of the cluster from them.
    #[schemars(length(min = 1, max = 4096))]
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self.matches('^\\\\s*(nats|tls)://[^\\\\s,]+(\\\\s*,\\\\s*(nats|tls)://[^\\\\s,]+)*\\\\s*$')", "message": super::messages::NATS_URL}]))]
    pub url: String,
    /// The JetStream stream holding the events; created by the engine when it does not exist.
    #[serde(default = "default_stream")]
    #[schemars(length(min = 1, max = 255))]
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self.matches('^[^\\\\s.*>/\\\\\\\\]+$')", "message": super::messages::NATS_STREAM}]))]
    pub stream: String,
    /// Subjects are `<subjectPrefix>.<partition>`.
    #[serde(default = "default_subject_prefix")]
    #[schemars(length(min = 1, max = 255))]
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self.matches('^[^\\\\s.*>/\\\\\\\\]+([.][^\\\\s.*>/\\\\\\\\]+)*$')", "message": super::messages::NATS_SUBJECT_PREFIX}]))]
    pub subject_prefix: String,
    /// Partitions of the stream (by session key), 1–1024; fixed once the stream exists, and an
    /// upper bound for the engine replicas (each owns at least one partition).
    #[serde(default = "default_partitions")]
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self >= 1 && self <= 1024", "message": super::messages::NATS_PARTITIONS}]))]
    pub partitions: i32,
    /// JetStream replication factor of the stream, 1–5 (3 for a three-server NATS cluster).
    #[serde(default = "default_stream_replicas")]
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self >= 1 && self <= 5", "message": super::messages::NATS_STREAM_REPLICAS}]))]
    pub stream_replicas: i32,
    /// A Secret key holding a NATS credentials file (`.creds`: user JWT and NKey seed), when the
    /// servers use decentralised authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<SecretKeyRef>,
    /// TLS to the NATS servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<NatsTlsSpec>,
}

/// TLS to the NATS servers: the CA their certificates chain to, and a client certificate when
/// they verify clients.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NatsTlsSpec {
    /// A Secret key holding the PEM CA certificates of the NATS servers.
    pub ca_secret_ref: SecretKeyRef,
    /// A `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`) the engine presents to servers that
    /// verify clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_ref: Option<SecretRef>,
}

fn default_stream() -> String {
    "VEXFS_EVENTS".to_owned()
}

fn default_subject_prefix() -> String {
    "vexfs.events".to_owned()
}

fn default_partitions() -> i32 {
    16
}

fn default_stream_replicas() -> i32 {
    3
}

impl NatsSpec {
    /// A spec for the servers at `url` with every other field at its default.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            stream: default_stream(),
            subject_prefix: default_subject_prefix(),
            partitions: default_partitions(),
            stream_replicas: default_stream_replicas(),
            credentials_secret_ref: None,
            tls: None,
        }
    }
}

/// A HorizontalPodAutoscaler for the engine StatefulSet (clustered mode only): the replica count
/// then follows CPU use, and the operator renders the engine's `[cluster] replicas` from the
/// StatefulSet's current scale.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{"rule": "self.minReplicas <= self.maxReplicas", "message": super::messages::AUTOSCALING_RANGE}]))]
pub struct AutoscalingSpec {
    /// Fewest engine replicas, at least 1.
    #[serde(default = "default_min_replicas")]
    #[schemars(range(min = 1, max = 1024))]
    pub min_replicas: i32,
    /// Most engine replicas, at most `spec.cluster.nats.partitions`.
    #[schemars(range(min = 1, max = 1024))]
    pub max_replicas: i32,
    /// Average CPU use, in percent of the engine container's CPU request, the autoscaler aims at.
    #[serde(
        default = "default_target_cpu",
        rename = "targetCPUUtilizationPercentage"
    )]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_utilization_percentage: i32,
}

fn default_min_replicas() -> i32 {
    1
}

fn default_target_cpu() -> i32 {
    80
}
