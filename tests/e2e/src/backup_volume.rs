//! A backup target volume for a test: a PersistentVolume reserved for one claim and the claim,
//! bound by the control plane's volume binder so backup Job pods can be scheduled. kwok runs no
//! real pods, so nothing is ever written to it; the PersistentVolume is deleted on drop.

use serde_json::json;

use crate::kubectl::KubectlError;
use crate::{Kubectl, wait};

/// A bound claim named [`BackupVolume::claim`] in the test namespace.
#[derive(Debug)]
pub struct BackupVolume {
    kubectl: Kubectl,
    volume: String,
    claim: String,
}

impl BackupVolume {
    /// Creates the PersistentVolume (named after `namespace`) and the claim `claim` in
    /// `namespace`, and waits until the claim is bound.
    pub fn create(kubectl: &Kubectl, namespace: &str, claim: &str) -> Result<Self, crate::Error> {
        let volume = format!("{namespace}-{claim}");
        let manifests = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "PersistentVolume",
             "metadata": {"name": volume},
             "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                      "storageClassName": "", "persistentVolumeReclaimPolicy": "Retain",
                      "hostPath": {"path": format!("/var/lib/vexfs-e2e/{volume}")},
                      "claimRef": {"namespace": namespace, "name": claim}}},
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": {"name": claim, "namespace": namespace},
             "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "",
                      "volumeName": volume, "resources": {"requests": {"storage": "1Gi"}}}}
        ]});
        kubectl.run_with_input(&["apply", "-f", "-"], &manifests.to_string())?;
        let this = Self {
            kubectl: kubectl.clone(),
            volume,
            claim: claim.to_owned(),
        };
        wait::until(
            "the backup claim to be bound",
            std::time::Duration::from_secs(30),
            || {
                let pvc = kubectl
                    .get("persistentvolumeclaims", claim, namespace)
                    .map_err(|e| e.to_string())?;
                let phase = pvc.as_ref().and_then(|p| p.pointer("/status/phase"));
                if phase == Some(&json!("Bound")) {
                    Ok(())
                } else {
                    Err(format!("claim phase {phase:?}"))
                }
            },
        )?;
        Ok(this)
    }

    /// The claim's name, for `spec.backup.target.volume.claimName`.
    pub fn claim(&self) -> &str {
        &self.claim
    }

    fn delete(&self) -> Result<String, KubectlError> {
        let target = format!("persistentvolume/{}", self.volume);
        self.kubectl
            .run(&["delete", &target, "--ignore-not-found", "--wait=false"])
    }
}

impl Drop for BackupVolume {
    fn drop(&mut self) {
        // Best effort: a failed cleanup must not hide the test's own result.
        let _ = self.delete();
    }
}
