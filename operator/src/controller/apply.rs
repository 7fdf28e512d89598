//! Apply: execute a plan's server-side applies and deletions, in order.

use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use super::plan::{Change, ChildSlot, LiveChildren};
use crate::spec::names::MANAGER;

/// Failure to apply or delete a child.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
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
                        tracing::info!(kind = %slot.resource.kind, name = %slot.name, namespace, "deleted child");
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
