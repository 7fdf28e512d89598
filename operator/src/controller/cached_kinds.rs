//! What the caches keep of each kind (see [`Compacting`]): children whole but for their managed
//! fields, pods without their spec and the status fields nothing reads, Secrets without values.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use serde_json::{Map, Value};

use super::compact::Compacting;

impl Compacting for StatefulSet {}
impl Compacting for ConfigMap {}
impl Compacting for Service {}
impl Compacting for ServiceAccount {}
impl Compacting for PodDisruptionBudget {}
impl Compacting for NetworkPolicy {}
impl Compacting for HorizontalPodAutoscaler {}

/// Status fields of a pod nothing reads: health, recovery and restores read its phase, conditions
/// and each container's name, readiness, restart count and states.
const UNREAD_POD_STATUS: [&str; 5] = ["hostIP", "hostIPs", "podIP", "podIPs", "qosClass"];

/// Fields of a container status nothing reads, removed.
const UNREAD_CONTAINER_STATUS: [&str; 6] = [
    "containerID",
    "resources",
    "allocatedResources",
    "allocatedResourcesStatus",
    "volumeMounts",
    "user",
];

/// Fields of a container status nothing reads that the API requires, blanked.
const BLANKED_CONTAINER_STATUS: [&str; 2] = ["image", "imageID"];

impl Compacting for Pod {
    // Engine and Job pods are looked up by their labels.
    const TYPED_LABELS: bool = true;

    fn prune(body: &mut Map<String, Value>) {
        body.remove("spec");
        let Some(Value::Object(status)) = body.get_mut("status") else {
            return;
        };
        for key in UNREAD_POD_STATUS {
            status.remove(key);
        }
        for list in [
            "containerStatuses",
            "initContainerStatuses",
            "ephemeralContainerStatuses",
        ] {
            let Some(Value::Array(containers)) = status.get_mut(list) else {
                continue;
            };
            for container in containers.iter_mut().filter_map(Value::as_object_mut) {
                for key in UNREAD_CONTAINER_STATUS {
                    container.remove(key);
                }
                for key in BLANKED_CONTAINER_STATUS {
                    if let Some(value) = container.get_mut(key) {
                        *value = Value::from("");
                    }
                }
            }
        }
    }
}

impl Compacting for Secret {
    /// Only which keys a Secret holds matters (a referenced key may be missing); values are
    /// blanked so that no credential stays in the operator's memory longer than a request.
    fn prune(body: &mut Map<String, Value>) {
        body.remove("stringData");
        if let Some(Value::Object(data)) = body.get_mut("data") {
            for value in data.values_mut() {
                *value = Value::from("");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::ByteString;
    use serde_json::json;

    use super::super::compact::Compact;
    use super::*;

    #[test]
    fn secrets_keep_their_keys_and_annotations_but_not_their_values() {
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "ns",
                         "annotations": {"vexfs.io/renew-after": "2026-01-01T00:00:00Z"},
                         "managedFields": [{"manager": "kubectl"}]},
            "data": {"password": "aHVudGVyMg=="}, "stringData": {"token": "t"}
        });
        let compact: Compact<Secret> = serde_json::from_value(secret).expect("reads");
        assert_eq!(compact.metadata.name.as_deref(), Some("s"));
        let typed = compact.to_typed().expect("typed");
        let data = typed.data.expect("keys kept");
        assert_eq!(data["password"], ByteString(Vec::new()));
        assert_eq!(typed.string_data, None);
        assert_eq!(typed.metadata.managed_fields, None);
        let annotations = typed.metadata.annotations.expect("annotations kept");
        assert_eq!(annotations["vexfs.io/renew-after"], "2026-01-01T00:00:00Z");
    }

    #[test]
    fn pods_keep_what_health_and_restores_read_and_nothing_else() {
        let pod = json!({
            "metadata": {"name": "vx-0", "namespace": "ns",
                         "labels": {"app.kubernetes.io/instance": "vx"},
                         "deletionTimestamp": "2026-11-01T00:00:00Z"},
            "spec": {"containers": [{"name": "engine", "image": "e:1"}]},
            "status": {
                "phase": "Running", "podIP": "10.0.0.1", "hostIP": "10.1.0.1", "qosClass": "Burstable",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "engine", "ready": false, "restartCount": 4,
                    "image": "e:1", "imageID": "sha256:abc", "containerID": "containerd://x",
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1, "message": "boom"}}}],
                "initContainerStatuses": [{"name": "restore", "ready": true, "restartCount": 0,
                    "image": "e:1", "imageID": "", "state": {"terminated": {"exitCode": 0, "message": "done"}}}]
            }
        });
        let full: Pod = serde_json::from_value(pod.clone()).expect("pod");
        let compact: Compact<Pod> = serde_json::from_value(pod).expect("compact");
        assert_eq!(
            compact.metadata.labels.as_ref().expect("labels typed")["app.kubernetes.io/instance"],
            "vx"
        );
        let kept = compact.to_typed().expect("typed");
        assert_eq!(
            crate::recovery::signals::pod_health(&kept),
            crate::recovery::signals::pod_health(&full)
        );
        assert!(kept.spec.is_none());
        assert!(kept.metadata.deletion_timestamp.is_some());
        let status = kept.status.expect("status kept");
        assert_eq!(status.pod_ip, None);
        assert_eq!(status.qos_class, None);
        let engine = &status.container_statuses.expect("containers")[0];
        assert_eq!((engine.restart_count, engine.image.as_str()), (4, ""));
        assert!(engine.last_state.is_some() && engine.container_id.is_none());
        let restore = &status.init_container_statuses.expect("init containers")[0];
        let message = restore.state.as_ref().and_then(|s| s.terminated.as_ref());
        assert_eq!(message.and_then(|t| t.message.as_deref()), Some("done"));
    }

    #[test]
    fn children_keep_labels_and_owners_in_their_text() {
        let account = json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "vx", "namespace": "ns", "uid": "u-1", "resourceVersion": "7",
                         "labels": {"app.kubernetes.io/instance": "vx"},
                         "ownerReferences": [{"apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
                                              "name": "vx", "uid": "u-0", "controller": true}]},
            "automountServiceAccountToken": false
        });
        let compact: Compact<ServiceAccount> =
            serde_json::from_value(account.clone()).expect("reads");
        assert_eq!(compact.metadata.labels, None);
        assert_eq!(compact.metadata.uid, None);
        assert_eq!(compact.metadata.resource_version.as_deref(), Some("7"));
        assert_eq!(compact.metadata.owner_references, None);
        assert_eq!(compact.owner_references().expect("owners").len(), 1);
        assert_eq!(compact.to_value().expect("json"), account);
    }
}
