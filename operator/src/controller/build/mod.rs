//! Pure builders: one function and one file per child kind, reading only a [`ValidatedSpec`] and
//! the [`ClusterFacts`] the fetch step read (the monitoring API, the backup to restore from).

mod autoscaler;
mod certificate;
mod cluster_toml;
mod config_map;
mod engine_toml;
mod monitoring;
mod network_policy;
mod pdb;
mod service;
mod service_account;
mod statefulset;

pub use autoscaler::{autoscaled, autoscaler};
pub use certificate::{
    CERT_MANAGER_API_VERSION, CERT_MANAGER_GROUP, certificate, certificate_resource,
};
pub use config_map::{CONFIG_FILE, config_map, config_map_name};
pub use engine_toml::{EngineTomlError, render_engine_toml};
pub use monitoring::{
    MONITORING_API_VERSION, MONITORING_GROUP, RulesError, monitoring_resource, prometheus_rule,
    service_monitor,
};
pub use network_policy::{NAMESPACE_NAME_LABEL, OPERATOR_APP_NAME, network_policy};
pub use pdb::pod_disruption_budget;
pub use service::{client_service, headless_service, headless_service_name};
pub use service_account::service_account;
pub use statefulset::{CONFIG_HASH_ANNOTATION, ENGINE_PORT, statefulset};

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::DynamicObject;
use sha2::{Digest, Sha256};

use crate::backup::restore::{inject, inputs_for, plan_restore};
use crate::crd::{MonitoringMode, RestoreStatus, VexfsBackup};
use crate::spec::ValidatedSpec;
use crate::spec::cluster::configured_replicas;

/// What the builders need to know about the cluster besides the spec.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClusterFacts<'a> {
    /// The `monitoring.coreos.com/v1` API is served.
    pub monitoring_api: bool,
    /// The `VexfsBackup` named by `spec.restore`, if it exists.
    pub restore_backup: Option<&'a VexfsBackup>,
    /// The current `status.restore`.
    pub previous_restore: Option<&'a RestoreStatus>,
    /// The namespace the operator's pods run in (`POD_NAMESPACE`), admitted by the NetworkPolicy.
    pub operator_namespace: Option<&'a str>,
    /// The live StatefulSet's `spec.replicas`: an autoscaled engine is configured for it.
    pub live_replicas: Option<i32>,
}

/// Every child object of one `VexfsSemantic`; `None` marks a child that must not exist.
#[derive(Clone, Debug, PartialEq)]
pub struct Children {
    /// `engine.toml`.
    pub config_map: ConfigMap,
    /// The engine pods.
    pub statefulset: StatefulSet,
    /// Stable client endpoint.
    pub client_service: Service,
    /// Per-pod DNS for the StatefulSet.
    pub headless_service: Service,
    /// Identity of the engine pods.
    pub service_account: ServiceAccount,
    /// Present when more than one engine pod is wanted.
    pub pod_disruption_budget: Option<PodDisruptionBudget>,
    /// Present unless `spec.networkPolicy.enabled` is false.
    pub network_policy: Option<NetworkPolicy>,
    /// Present when requested and the API exists.
    pub service_monitor: Option<DynamicObject>,
    /// Present when requested and the API exists.
    pub prometheus_rule: Option<DynamicObject>,
    /// The engine's autoscaler, with `spec.engine.autoscaling`.
    pub autoscaler: Option<HorizontalPodAutoscaler>,
    /// The engine replica count `engine.toml` is rendered for (clustered mode's `[cluster]
    /// replicas`).
    pub configured_replicas: i32,
    /// Engine pods wanted now: zero while stopped, the autoscaler's current scale under one,
    /// else `spec.engine.replicas`.
    pub desired_replicas: i32,
    /// cert-manager's `Certificate`, with `spec.tls.issuerRef`.
    pub certificate: Option<DynamicObject>,
    /// SHA-256 of `engine.toml`, hex encoded.
    pub config_hash: String,
}

/// A child could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `engine.toml` did not render.
    #[error(transparent)]
    EngineToml(#[from] EngineTomlError),
    /// The embedded alert rules are unusable.
    #[error(transparent)]
    Rules(#[from] RulesError),
}

/// Builds every child of `spec`; a bootstrap restore shapes the engine StatefulSet (init
/// containers, or zero replicas while the backup is not ready).
pub fn build_all(spec: &ValidatedSpec, facts: ClusterFacts<'_>) -> Result<Children, BuildError> {
    let configured_replicas = configured_replicas(&spec.engine, facts.live_replicas);
    let toml = render_engine_toml(spec, configured_replicas)?;
    let config_hash = hex::encode(Sha256::digest(toml.as_bytes()));
    let monitoring = spec.monitoring.clone();
    let mut engine = statefulset(spec, &config_hash);
    let (restore, _) = plan_restore(&inputs_for(
        spec,
        facts.previous_restore,
        facts.restore_backup,
    ));
    inject(&mut engine, &restore);
    Ok(Children {
        config_map: config_map(spec, toml),
        statefulset: engine,
        client_service: client_service(spec),
        headless_service: headless_service(spec),
        service_account: service_account(spec),
        pod_disruption_budget: (!spec.stopped && configured_replicas > 1)
            .then(|| pod_disruption_budget(spec)),
        network_policy: spec
            .network_policy
            .enabled
            .then(|| network_policy(spec, facts.operator_namespace)),
        service_monitor: wanted(monitoring.service_monitor, facts).then(|| service_monitor(spec)),
        prometheus_rule: wanted(monitoring.prometheus_rule, facts)
            .then(|| prometheus_rule(spec))
            .transpose()?,
        certificate: certificate(spec),
        autoscaler: autoscaler(spec),
        configured_replicas,
        desired_replicas: if autoscaled(spec) {
            configured_replicas
        } else {
            spec.desired_replicas()
        },
        config_hash,
    })
}

/// Whether an optional monitoring object should exist.
pub fn wanted(mode: MonitoringMode, facts: ClusterFacts<'_>) -> bool {
    match mode {
        MonitoringMode::Enabled => true,
        MonitoringMode::Auto => facts.monitoring_api,
        MonitoringMode::Disabled => false,
    }
}
