//! Backup fixtures and accessors: a `VexfsSemantic` with a volume-backed schedule, on-demand
//! `VexfsBackup`s, and reading records, their phases and the backup Jobs.

use serde_json::{Value, json};

use crate::Kubectl;
use crate::kubectl::KubectlError;

/// Resource name of backup records for kubectl.
pub const RESOURCE: &str = "vexfsbackups.vexfs.io";
/// Label the operator puts on scheduled records (`vexfs.io/trigger=scheduled`).
pub const TRIGGER_LABEL: &str = "vexfs.io/trigger";
/// Label naming the `VexfsSemantic` on records, Jobs and their pods.
pub const SEMANTIC_LABEL: &str = "vexfs.io/semantic";
/// Every minute: the densest standard cron schedule.
pub const EVERY_MINUTE: &str = "* * * * *";

/// A `VexfsSemantic` named `name` backing up to the claim `claim` with the extra `backup`
/// settings (merged over a volume target).
pub fn semantic(name: &str, claim: &str, backup: &Value) -> Value {
    let mut spec = json!({"target": {"volume": {"claimName": claim}}});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), backup.as_object()) {
        spec.extend(extra.clone());
    }
    json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
        "metadata": {"name": name},
        "spec": {"backup": spec}
    })
}

/// An on-demand `VexfsBackup` named `name` of the `VexfsSemantic` named `semantic`.
pub fn on_demand(name: &str, semantic: &str, deletion_policy: &str) -> Value {
    json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsBackup",
        "metadata": {"name": name},
        "spec": {"semanticRef": semantic, "deletionPolicy": deletion_policy}
    })
}

/// Every `VexfsBackup` in `namespace` that refers to `semantic`, oldest first.
pub fn records(
    kubectl: &Kubectl,
    namespace: &str,
    semantic: &str,
) -> Result<Vec<Value>, KubectlError> {
    let mut all: Vec<Value> = kubectl
        .list(RESOURCE, namespace, "")?
        .into_iter()
        .filter(|r| r.pointer("/spec/semanticRef") == Some(&json!(semantic)))
        .collect();
    all.sort_by_key(|r| created(r).to_owned());
    Ok(all)
}

/// The scheduled records among `records`.
pub fn scheduled(records: &[Value]) -> Vec<&Value> {
    records
        .iter()
        .filter(|r| crate::object::label(r, TRIGGER_LABEL) == Some("scheduled"))
        .collect()
}

/// `status.phase` of a record (`Pending`, `Running`, `Succeeded`, `Failed`).
pub fn phase(record: &Value) -> Option<&str> {
    record.pointer("/status/phase")?.as_str()
}

/// `status.location` the operator reports for a volume backup named `name` on `claim`.
pub fn volume_location(claim: &str, name: &str) -> String {
    format!("pvc://{claim}/{name}.tar.gz")
}

/// Jobs in `namespace` of `semantic` with component `component` (`backup`, `backup-cleanup`).
pub fn jobs(
    kubectl: &Kubectl,
    namespace: &str,
    semantic: &str,
    component: &str,
) -> Result<Vec<Value>, KubectlError> {
    let selector = format!("{SEMANTIC_LABEL}={semantic},app.kubernetes.io/component={component}");
    kubectl.list("jobs", namespace, &selector)
}

fn created(record: &Value) -> &str {
    record
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semantic_merges_settings_over_the_volume_target() {
        let vx = semantic(
            "vx",
            "backups",
            &json!({"schedule": EVERY_MINUTE, "suspend": true}),
        );
        let backup = &vx["spec"]["backup"];
        assert_eq!(backup["target"]["volume"]["claimName"], "backups");
        assert_eq!(backup["schedule"], EVERY_MINUTE);
        assert_eq!(backup["suspend"], true);
    }

    #[test]
    fn scheduled_records_are_told_apart_by_their_trigger_label() {
        let records = [
            json!({"metadata": {"name": "a", "labels": {TRIGGER_LABEL: "scheduled"}}}),
            json!({"metadata": {"name": "b"}, "status": {"phase": "Failed"}}),
        ];
        let found: Vec<&str> = scheduled(&records)
            .into_iter()
            .map(crate::object::name)
            .collect();
        assert_eq!(found, ["a"]);
        assert_eq!(phase(&records[1]), Some("Failed"));
        assert_eq!(phase(&records[0]), None);
    }

    #[test]
    fn volume_locations_name_the_claim_and_archive() {
        assert_eq!(volume_location("b", "vx-1"), "pvc://b/vx-1.tar.gz");
    }
}
