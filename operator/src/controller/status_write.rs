//! The status writes of a reconcile: the `status` subresource by server-side apply when it
//! changed, and a Warning Event when the object newly stalls.

use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::{Event, EventType, Recorder};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;

use super::{ReconcileError, object_key, status};
use crate::crd::{VexfsSemantic, VexfsSemanticStatus};
use crate::spec::conditions::{Stall, types};
use crate::spec::names::MANAGER;

/// Publishes a Warning Event when the object newly stalls (or stalls for a new reason), never on repeats.
pub async fn publish_stall_event(cr: &VexfsSemantic, stall: &Stall, recorder: &Recorder) {
    let already = cr
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == types::STALLED));
    if already.is_some_and(|c| c.status == "True" && c.reason == stall.reason) {
        return;
    }
    let event = Event {
        type_: EventType::Warning,
        reason: stall.reason.to_owned(),
        note: Some(stall.message.chars().take(1000).collect()),
        action: "Reconcile".to_owned(),
        secondary: None,
    };
    if let Err(error) = recorder.publish(&event, &cr.object_ref(&())).await {
        tracing::warn!(object = %object_key(cr), %error, "publishing stall event failed");
    }
}

/// Writes `status` by server-side apply when it differs from the object's current status.
pub async fn patch_status_if_changed(
    cr: &VexfsSemantic,
    status: VexfsSemanticStatus,
    client: &Client,
) -> Result<(), ReconcileError> {
    if cr.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let api: Api<VexfsSemantic> =
        Api::namespaced(client.clone(), &cr.namespace().unwrap_or_default());
    // Server-side apply of the whole status: fields this manager stops setting are removed.
    let patch = json!({
        "apiVersion": VexfsSemantic::api_version(&()),
        "kind": VexfsSemantic::kind(&()),
        "status": status,
    });
    api.patch_status(
        &cr.name_any(),
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(ReconcileError::Status)?;
    tracing::info!(object = %object_key(cr), ready = status::ready_state(Some(&status)), "status updated");
    Ok(())
}
