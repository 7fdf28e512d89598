//! Plan: the child slots of one resource and the changes that bring the live children to them.
//!
//! Planning is pure: a child is applied only when the live object does not already contain every
//! field we set, and an unwanted child is deleted only when it exists. A steady object plans nothing.

use std::collections::HashMap;

use kube::api::{ApiResource, GroupVersionKind};
use serde_json::Value;

use super::build::{
    Children, certificate_resource, config_map_name, headless_service_name, monitoring_resource,
};
use super::status::EngineObservation;
use crate::spec::ValidatedSpec;

/// A built child that did not serialise to JSON.
#[derive(Debug, thiserror::Error)]
#[error("serialising {kind} {name}: {source}")]
pub struct PlanError {
    /// Child kind.
    pub kind: String,
    /// Child name.
    pub name: String,
    /// Underlying error.
    #[source]
    pub source: serde_json::Error,
}

/// Live children keyed by kind and name, as JSON.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveChildren(HashMap<(String, String), Value>);

impl LiveChildren {
    /// The live object of `kind` named `name`.
    pub fn get(&self, kind: &str, name: &str) -> Option<&Value> {
        self.0.get(&(kind.to_owned(), name.to_owned()))
    }

    /// Records a live object.
    pub fn insert(&mut self, kind: &str, name: &str, object: Value) {
        self.0.insert((kind.to_owned(), name.to_owned()), object);
    }

    /// Forgets a live object (after deleting it).
    pub fn remove(&mut self, kind: &str, name: &str) {
        self.0.remove(&(kind.to_owned(), name.to_owned()));
    }

    /// `spec.replicas` of the engine StatefulSet named `name` (what an autoscaler set).
    pub fn engine_replicas(&self, name: &str) -> Option<i32> {
        let sts = self.get("StatefulSet", name)?;
        sts.pointer("/spec/replicas")?.as_i64().map(|n| n as i32)
    }

    /// What the engine StatefulSet named `name` reports.
    pub fn engine(&self, name: &str) -> EngineObservation {
        let Some(sts) = self.get("StatefulSet", name) else {
            return EngineObservation::default();
        };
        let int = |field: &str| sts.pointer(field).and_then(Value::as_i64).unwrap_or(0) as i32;
        let generation = sts.pointer("/metadata/generation").and_then(Value::as_i64);
        let observed = sts
            .pointer("/status/observedGeneration")
            .and_then(Value::as_i64);
        EngineObservation {
            exists: true,
            ready_replicas: int("/status/readyReplicas"),
            updated_replicas: int("/status/updatedReplicas"),
            observed_current: generation.is_some() && observed >= generation,
        }
    }
}

/// One child slot: its type, name and wanted body (`None` = must not exist).
#[derive(Clone, Debug, PartialEq)]
pub struct ChildSlot {
    /// API type of the child.
    pub resource: ApiResource,
    /// Child name.
    pub name: String,
    /// Desired object, or `None` when the child must be absent.
    pub desired: Option<Value>,
}

/// A change to make.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Server-side apply of the full desired object.
    Apply(ChildSlot),
    /// Deletion of an unwanted child.
    Delete(ChildSlot),
}

/// The type and name of every child `spec` can have, wanted or not, in apply order.
pub fn child_ids(spec: &ValidatedSpec) -> Vec<(ApiResource, String)> {
    vec![
        (core("ServiceAccount"), spec.name.clone()),
        (core("ConfigMap"), config_map_name(spec)),
        (core("Service"), headless_service_name(spec)),
        (core("Service"), spec.name.clone()),
        (statefulset_resource(), spec.name.clone()),
        (pdb_resource(), spec.name.clone()),
        (network_policy_resource(), spec.name.clone()),
        (monitoring_resource("ServiceMonitor"), spec.name.clone()),
        (monitoring_resource("PrometheusRule"), spec.name.clone()),
        (certificate_resource(), spec.name.clone()),
        (autoscaler_resource(), spec.name.clone()),
    ]
}

fn statefulset_resource() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("apps", "v1", "StatefulSet"))
}

fn autoscaler_resource() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
    ))
}

fn pdb_resource() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(
        "policy",
        "v1",
        "PodDisruptionBudget",
    ))
}

fn network_policy_resource() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
    ))
}

fn core(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("", "v1", kind))
}

fn slot<T: serde::Serialize>(
    resource: ApiResource,
    name: &str,
    object: Option<&T>,
) -> Result<ChildSlot, PlanError> {
    let desired = object
        .map(serde_json::to_value)
        .transpose()
        .map_err(|source| PlanError {
            kind: resource.kind.clone(),
            name: name.to_owned(),
            source,
        })?;
    Ok(ChildSlot {
        resource,
        name: name.to_owned(),
        desired,
    })
}

/// Every child slot of one resource, in apply order (config before the workload that mounts it).
pub fn slots(children: &Children) -> Result<Vec<ChildSlot>, PlanError> {
    let name = |meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
        meta.name.clone().unwrap_or_default()
    };
    let base = name(&children.statefulset.metadata);
    Ok(vec![
        slot(
            core("ServiceAccount"),
            &name(&children.service_account.metadata),
            Some(&children.service_account),
        )?,
        slot(
            core("ConfigMap"),
            &name(&children.config_map.metadata),
            Some(&children.config_map),
        )?,
        slot(
            core("Service"),
            &name(&children.headless_service.metadata),
            Some(&children.headless_service),
        )?,
        slot(
            core("Service"),
            &name(&children.client_service.metadata),
            Some(&children.client_service),
        )?,
        slot(statefulset_resource(), &base, Some(&children.statefulset))?,
        slot(
            pdb_resource(),
            &base,
            children.pod_disruption_budget.as_ref(),
        )?,
        slot(
            network_policy_resource(),
            &base,
            children.network_policy.as_ref(),
        )?,
        slot(
            monitoring_resource("ServiceMonitor"),
            &base,
            children.service_monitor.as_ref(),
        )?,
        slot(
            monitoring_resource("PrometheusRule"),
            &base,
            children.prometheus_rule.as_ref(),
        )?,
        slot(certificate_resource(), &base, children.certificate.as_ref())?,
        slot(autoscaler_resource(), &base, children.autoscaler.as_ref())?,
    ])
}

/// The changes that bring `live` to the slots' desired state (none while suspended).
pub fn plan(slots: Vec<ChildSlot>, live: &LiveChildren, suspended: bool) -> Vec<Change> {
    if suspended {
        return Vec::new();
    }
    slots
        .into_iter()
        .filter_map(|slot| {
            let current = live.get(&slot.resource.kind, &slot.name);
            match (&slot.desired, current) {
                (Some(desired), Some(current)) if contains(current, desired) => None,
                (Some(_), _) => Some(Change::Apply(slot)),
                (None, Some(_)) => Some(Change::Delete(slot)),
                (None, None) => None,
            }
        })
        .collect()
}

/// Whether `live` already holds every field of `desired` with the same value.
pub fn contains(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (Value::Object(live), Value::Object(desired)) => desired
            .iter()
            .all(|(key, value)| live.get(key).is_some_and(|l| contains(l, value))),
        (Value::Array(live), Value::Array(desired)) => {
            live.len() == desired.len() && live.iter().zip(desired).all(|(l, d)| contains(l, d))
        }
        (live, desired) => live == desired,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contains_ignores_server_added_fields() {
        let live = json!({"a": 1, "b": {"c": [ {"d": 2, "e": 3} ]}, "status": {}});
        assert!(contains(&live, &json!({"b": {"c": [{"d": 2}]}})));
        assert!(!contains(&live, &json!({"b": {"c": [{"d": 3}]}})));
        assert!(!contains(&live, &json!({"b": {"c": []}})));
        assert!(!contains(&live, &json!({"x": 1})));
    }
}
