//! Health signals read from engine Pods (pure conversion to [`PodHealth`]).

use k8s_openapi::api::core::v1::Pod;

use super::assess::PodHealth;

/// The health-relevant facts of one Pod.
pub fn pod_health(pod: &Pod) -> PodHealth {
    let status = pod.status.as_ref();
    let containers = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    let ready = status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    let crash_looping = containers.iter().any(|c| {
        c.state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.as_deref())
            == Some("CrashLoopBackOff")
    });
    PodHealth {
        name: pod.metadata.name.clone().unwrap_or_default(),
        ready,
        restart_count: containers.iter().map(|c| c.restart_count).sum(),
        crash_looping,
        terminating: pod.metadata.deletion_timestamp.is_some(),
        starting: status.and_then(|s| s.phase.as_deref()) == Some("Pending"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_readiness_restarts_crash_loops_and_deletion() {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "vx-0", "deletionTimestamp": "2026-11-27T10:00:00Z"},
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [
                    {"name": "engine", "ready": false, "restartCount": 4, "image": "e", "imageID": "",
                     "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
                    {"name": "sidecar", "ready": true, "restartCount": 1, "image": "s", "imageID": "", "state": {"running": {}}}
                ]
            }
        }))
        .expect("pod fixture");
        let health = pod_health(&pod);
        assert_eq!(
            health,
            PodHealth {
                name: "vx-0".to_owned(),
                ready: false,
                restart_count: 5,
                crash_looping: true,
                terminating: true,
                starting: false
            }
        );
        let ready: Pod = serde_json::from_value(json!({
            "metadata": {"name": "vx-1"},
            "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "True"}]}
        }))
        .expect("pod fixture");
        assert!(pod_health(&ready).ready && !pod_health(&ready).crash_looping);
        assert!(pod_health(&ready).starting);
    }
}
