//! Apply: turn built children into a plan of server-side applies and deletions, then execute it.
//!
//! Planning is pure: a child is applied only when the live object does not already contain every
//! field we set, and an unwanted child is deleted only when it exists. A steady object plans nothing.

use kube::Client;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams,
};
use serde_json::Value;

use super::build::{Children, MANAGER, monitoring_resource};
use super::fetch::LiveChildren;

/// Failure to apply or delete a child.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A child did not serialise to JSON.
    #[error("serialising {kind} {name}: {source}")]
    Serialize {
        /// Child kind.
        kind: String,
        /// Child name.
        name: String,
        /// Underlying error.
        source: serde_json::Error,
    },
    /// The API server refused a change.
    #[error("{action} {kind} {name}: {source}")]
    Api {
        /// `apply` or `delete`.
        action: &'static str,
        /// Child kind.
        kind: String,
        /// Child name.
        name: String,
        /// Underlying error.
        source: Box<kube::Error>,
    },
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

fn core(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("", "v1", kind))
}

fn slot<T: serde::Serialize>(
    resource: ApiResource,
    name: &str,
    object: Option<&T>,
) -> Result<ChildSlot, ApplyError> {
    let desired = object
        .map(serde_json::to_value)
        .transpose()
        .map_err(|source| ApplyError::Serialize {
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
pub fn slots(children: &Children) -> Result<Vec<ChildSlot>, ApplyError> {
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
        slot(
            ApiResource::from_gvk(&GroupVersionKind::gvk("apps", "v1", "StatefulSet")),
            &base,
            Some(&children.statefulset),
        )?,
        slot(
            ApiResource::from_gvk(&GroupVersionKind::gvk(
                "policy",
                "v1",
                "PodDisruptionBudget",
            )),
            &base,
            children.pod_disruption_budget.as_ref(),
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

/// Executes `changes` in order in `namespace`, recording the API server's answers in `live`.
pub async fn execute(
    client: &Client,
    namespace: &str,
    changes: &[Change],
    live: &mut LiveChildren,
) -> Result<(), ApplyError> {
    for change in changes {
        match change {
            Change::Apply(slot) => {
                let api: Api<DynamicObject> =
                    Api::namespaced_with(client.clone(), namespace, &slot.resource);
                let params = PatchParams::apply(MANAGER).force();
                let body = slot.desired.as_ref().unwrap_or(&Value::Null);
                let applied = api
                    .patch(&slot.name, &params, &Patch::Apply(body))
                    .await
                    .map_err(|source| api_error("apply", slot, source))?;
                if let Ok(value) = serde_json::to_value(applied) {
                    live.insert(&slot.resource.kind, &slot.name, value);
                }
                tracing::info!(kind = %slot.resource.kind, name = %slot.name, namespace, "applied child");
            }
            Change::Delete(slot) => {
                let api: Api<DynamicObject> =
                    Api::namespaced_with(client.clone(), namespace, &slot.resource);
                live.remove(&slot.resource.kind, &slot.name);
                match api.delete(&slot.name, &DeleteParams::background()).await {
                    Ok(_) => {
                        tracing::info!(kind = %slot.resource.kind, name = %slot.name, namespace, "deleted child")
                    }
                    Err(kube::Error::Api(status)) if status.code == 404 => {}
                    Err(source) => return Err(api_error("delete", slot, source)),
                }
            }
        }
    }
    Ok(())
}

fn api_error(action: &'static str, slot: &ChildSlot, source: kube::Error) -> ApplyError {
    ApplyError::Api {
        action,
        kind: slot.resource.kind.clone(),
        name: slot.name.clone(),
        source: Box::new(source),
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
