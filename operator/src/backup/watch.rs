//! Watch mappers: which `VexfsSemantic` to reconcile when a `VexfsBackup` or a backup or
//! restore Job changes.

use std::sync::Arc;

use k8s_openapi::api::batch::v1::Job;
use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;

use super::job::SEMANTIC_LABEL;
use crate::crd::{VexfsBackup, VexfsSemantic};

/// The resource a `VexfsBackup` (scheduled or on demand) belongs to.
pub fn semantic_of_backup(backup: VexfsBackup) -> Option<ObjectRef<VexfsSemantic>> {
    let namespace = backup.namespace()?;
    Some(ObjectRef::new(&backup.spec.semantic_ref).within(&namespace))
}

/// The resources a `VexfsBackup` concerns: the one it belongs to, and every resource of its
/// namespace (among `semantics`) bootstrapping from it with `spec.restore`, which waits for it to
/// succeed.
pub fn semantics_of_backup(
    semantics: &[Arc<VexfsSemantic>],
    backup: VexfsBackup,
) -> Vec<ObjectRef<VexfsSemantic>> {
    let namespace = backup.namespace();
    let name = backup.name_any();
    let restoring = semantics
        .iter()
        .filter(|cr| cr.namespace() == namespace)
        .filter(|cr| {
            cr.spec
                .restore
                .as_ref()
                .is_some_and(|r| r.backup_name == name)
        })
        .map(|cr| ObjectRef::from_obj(cr.as_ref()))
        .collect::<Vec<_>>();
    semantic_of_backup(backup)
        .into_iter()
        .chain(restoring)
        .collect()
}

/// The resource a backup or cleanup Job belongs to, from its `vexfs.io/semantic` label.
pub fn semantic_of_job(job: Job) -> Option<ObjectRef<VexfsSemantic>> {
    let namespace = job.namespace()?;
    let name = job.labels().get(SEMANTIC_LABEL)?.clone();
    Some(ObjectRef::new(&name).within(&namespace))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn backups_and_jobs_map_to_their_semantic() {
        let backup: VexfsBackup = serde_json::from_value(json!({
            "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsBackup",
            "metadata": {"name": "manual-1", "namespace": "analytics"},
            "spec": {"semanticRef": "vx"}
        }))
        .expect("fixture");
        let expected = ObjectRef::<VexfsSemantic>::new("vx").within("analytics");
        assert_eq!(semantic_of_backup(backup), Some(expected.clone()));
        let job: Job = serde_json::from_value(json!({
            "metadata": {"name": "manual-1", "namespace": "analytics", "labels": {SEMANTIC_LABEL: "vx"}}
        }))
        .expect("fixture");
        assert_eq!(semantic_of_job(job), Some(expected));
        assert_eq!(semantic_of_job(Job::default()), None);
    }

    #[test]
    fn a_backup_also_wakes_the_resources_restoring_from_it() {
        let semantic = |name: &str, namespace: &str, restore: &str| -> Arc<VexfsSemantic> {
            Arc::new(
                serde_json::from_value(json!({
                    "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
                    "metadata": {"name": name, "namespace": namespace},
                    "spec": {"restore": {"backupName": restore}}
                }))
                .expect("fixture"),
            )
        };
        let semantics = [
            semantic("restored", "analytics", "nightly-1"),
            semantic("other", "analytics", "nightly-2"),
            semantic("elsewhere", "team", "nightly-1"),
        ];
        let backup: VexfsBackup = serde_json::from_value(json!({
            "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsBackup",
            "metadata": {"name": "nightly-1", "namespace": "analytics"},
            "spec": {"semanticRef": "vx"}
        }))
        .expect("fixture");
        let woken: Vec<String> = semantics_of_backup(&semantics, backup)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(woken, ["vx", "restored"]);
    }
}
