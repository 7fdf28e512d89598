//! `spec.engine`: the engine workload (image, replicas, resources, storage, logging).

use k8s_openapi::api::core::v1::ResourceRequirements;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::cluster::AutoscalingSpec;

/// The engine workload.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct EngineSpec {
    /// Container image running `vexfs-engine serve` (also the backup and restore containers).
    /// When omitted, the operator's `--engine-image` (`ghcr.io/vexfs/vexfs-engine:0.1.0` unless
    /// the installation sets another).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Number of engine pods. More than 1 needs clustered mode (`spec.cluster.nats`): each
    /// standalone replica keeps its own event log, so several would split sessions, queries and
    /// backups between them (see docs/cluster.md). Ignored with `autoscaling`. `spec.stopped`
    /// scales to zero without changing this value.
    #[schemars(range(min = 0, max = 1024))]
    pub replicas: i32,
    /// A HorizontalPodAutoscaler sets the replica count from CPU use (clustered mode only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingSpec>,
    /// CPU and memory requests and limits of the engine container.
    /// When omitted, requests of 100m CPU and 128Mi memory and a 1Gi memory limit are used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Persistent storage for the event log. When omitted, data lives in an emptyDir and is lost with the
    /// pod; status then carries a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSpec>,
    /// Engine log level.
    pub log_level: LogLevel,
    /// Engine log format.
    pub log_format: LogFormat,
}

impl Default for EngineSpec {
    fn default() -> Self {
        Self {
            image: None,
            replicas: 1,
            autoscaling: None,
            resources: None,
            storage: None,
            log_level: LogLevel::Info,
            log_format: LogFormat::Json,
        }
    }
}

/// A persistent volume claim template for each engine pod.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StorageSpec {
    /// Requested volume size as a Kubernetes quantity, for example `10Gi`.
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"))]
    pub size: String,
    /// Storage class of the claim; the cluster default class when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
}

/// Engine log verbosity.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum LogLevel {
    /// Everything, including per-event tracing.
    Trace,
    /// Diagnostic detail.
    Debug,
    /// Normal operation.
    Info,
    /// Problems that the engine works around.
    Warn,
    /// Failures only.
    Error,
}

impl LogLevel {
    /// The lowercase name the engine's `[logging] level` key expects.
    pub fn as_config(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// Engine log line format.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable text.
    Text,
}

impl LogFormat {
    /// The lowercase name the engine's `[logging] format` key expects.
    pub fn as_config(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Text => "text",
        }
    }
}
