//! Pure builders: one function and one file per child kind, reading only a [`ValidatedSpec`].

mod config_map;
mod engine_toml;
mod monitoring;
mod pdb;
mod service;
mod service_account;
mod statefulset;

pub use config_map::{CONFIG_FILE, config_map, config_map_name};
pub use engine_toml::{EngineTomlError, render_engine_toml};
pub use monitoring::{
    MONITORING_API_VERSION, MONITORING_GROUP, monitoring_resource, prometheus_rule, service_monitor,
};
pub use pdb::pod_disruption_budget;
pub use service::{client_service, headless_service, headless_service_name};
pub use service_account::service_account;
pub use statefulset::{CONFIG_HASH_ANNOTATION, ENGINE_PORT, statefulset};

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::DynamicObject;
use sha2::{Digest, Sha256};

use super::validate::ValidatedSpec;
use crate::crd::MonitoringMode;

/// The field manager and `app.kubernetes.io/managed-by` value of everything the operator writes.
pub const MANAGER: &str = "vexfs-operator";
/// `app.kubernetes.io/name` of engine objects.
pub const APP_NAME: &str = "vexfs-engine";

/// What the builders need to know about the cluster besides the spec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterFacts {
    /// The `monitoring.coreos.com/v1` API is served.
    pub monitoring_api: bool,
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
    /// Present when requested and the API exists.
    pub service_monitor: Option<DynamicObject>,
    /// Present when requested and the API exists.
    pub prometheus_rule: Option<DynamicObject>,
    /// SHA-256 of `engine.toml`, hex encoded.
    pub config_hash: String,
}

/// Builds every child of `spec`.
pub fn build_all(spec: &ValidatedSpec, facts: ClusterFacts) -> Result<Children, EngineTomlError> {
    let toml = render_engine_toml(spec)?;
    let config_hash = hex::encode(Sha256::digest(toml.as_bytes()));
    let monitoring = spec.monitoring.clone();
    Ok(Children {
        config_map: config_map(spec, toml),
        statefulset: statefulset(spec, &config_hash),
        client_service: client_service(spec),
        headless_service: headless_service(spec),
        service_account: service_account(spec),
        pod_disruption_budget: (spec.desired_replicas() > 1).then(|| pod_disruption_budget(spec)),
        service_monitor: wanted(monitoring.service_monitor, facts).then(|| service_monitor(spec)),
        prometheus_rule: wanted(monitoring.prometheus_rule, facts).then(|| prometheus_rule(spec)),
        config_hash,
    })
}

/// Whether an optional monitoring object should exist.
pub fn wanted(mode: MonitoringMode, facts: ClusterFacts) -> bool {
    match mode {
        MonitoringMode::Enabled => true,
        MonitoringMode::Auto => facts.monitoring_api,
        MonitoringMode::Disabled => false,
    }
}

/// Recommended labels of a child; user labels are never copied.
pub fn labels(spec: &ValidatedSpec, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), APP_NAME.to_owned()),
        ("app.kubernetes.io/instance".to_owned(), spec.name.clone()),
        (
            "app.kubernetes.io/component".to_owned(),
            component.to_owned(),
        ),
        (
            "app.kubernetes.io/part-of".to_owned(),
            "vexfs-semantic".to_owned(),
        ),
        (
            "app.kubernetes.io/managed-by".to_owned(),
            MANAGER.to_owned(),
        ),
    ])
}

/// Labels selecting the engine pods.
pub fn selector_labels(spec: &ValidatedSpec) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), APP_NAME.to_owned()),
        ("app.kubernetes.io/instance".to_owned(), spec.name.clone()),
        (
            "app.kubernetes.io/component".to_owned(),
            "engine".to_owned(),
        ),
    ])
}

/// Metadata of a child: name, namespace, labels and the controller owner reference.
pub fn child_meta(spec: &ValidatedSpec, name: String, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(spec.namespace.clone()),
        labels: Some(labels(spec, component)),
        owner_references: Some(vec![spec.owner.clone()]),
        ..ObjectMeta::default()
    }
}
