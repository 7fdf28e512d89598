//! Watch mappers: which `VexfsSemantic` to reconcile when a `VexfsBackup` or a backup Job changes.

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
}
