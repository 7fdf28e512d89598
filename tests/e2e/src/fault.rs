//! Engine faults for recovery tests: a background injector keeps every engine pod of a stack in
//! `CrashLoopBackOff` (phase `Running`, `Ready=False`) through status patches, including the
//! pods its StatefulSet recreates, until the fault is cleared.
//!
//! kwok has no stage for a running-but-unready pod, and its chaos label would not survive a
//! pod's recreation, so the injector patches the status the way a kubelet would report it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use serde_json::{Value, json};

use crate::kubectl::KubectlError;
use crate::stack::INSTANCE_LABEL;
use crate::{Kubectl, object, wait};

/// Label selector of a stack's engine pods (backup Job pods share the instance label).
pub fn engine_selector(stack: &str) -> String {
    format!("{INSTANCE_LABEL}={stack},app.kubernetes.io/component=engine")
}

/// Status patch making a pod crash-loop: every container waiting in `CrashLoopBackOff`.
pub fn crash_loop_patch(pod: &Value) -> Value {
    let containers: Vec<Value> = container_names(pod)
        .map(|name| {
            json!({"name": name, "ready": false, "started": false, "restartCount": 3,
                   "state": {"running": null, "terminated": null,
                             "waiting": {"reason": "CrashLoopBackOff",
                                         "message": "back-off restarting failed container"}}})
        })
        .collect();
    status_patch(pod, "False", containers)
}

/// Status patch making a pod healthy again: every container running and ready.
pub fn healthy_patch(pod: &Value) -> Value {
    let containers: Vec<Value> = container_names(pod)
        .map(|name| {
            json!({"name": name, "ready": true, "started": true, "restartCount": 3,
                   "state": {"waiting": null, "terminated": null, "running": {}}})
        })
        .collect();
    status_patch(pod, "True", containers)
}

/// True when `pod` reports `Ready=False` with a crash-looping container.
pub fn is_crash_looping(pod: &Value) -> bool {
    let waiting = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .is_some_and(|statuses| {
            statuses
                .iter()
                .any(|s| s.pointer("/state/waiting/reason") == Some(&json!("CrashLoopBackOff")))
        });
    waiting && object::condition(pod, "Ready").is_some_and(|c| c.status == "False")
}

fn container_names(pod: &Value) -> impl Iterator<Item = &str> {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
}

fn status_patch(pod: &Value, ready: &str, containers: Vec<Value>) -> Value {
    let phase = pod
        .pointer("/status/phase")
        .cloned()
        .unwrap_or(json!("Running"));
    json!({"status": {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": ready}, {"type": "ContainersReady", "status": ready}],
        "containerStatuses": containers,
    }})
}

/// A crash loop injected into a stack's engine pods; cleared (pods healthy again) on
/// [`PodFault::clear`] or when dropped.
#[derive(Debug)]
pub struct PodFault {
    kubectl: Kubectl,
    namespace: String,
    selector: String,
    active: Arc<AtomicBool>,
    injector: Option<JoinHandle<()>>,
}

impl PodFault {
    /// Starts keeping the engine pods of `stack` in `namespace` crash-looping.
    pub fn inject(kubectl: &Kubectl, namespace: &str, stack: &str) -> Self {
        let active = Arc::new(AtomicBool::new(true));
        let selector = engine_selector(stack);
        let injector = {
            let (kubectl, namespace, selector) =
                (kubectl.clone(), namespace.to_owned(), selector.clone());
            let active = active.clone();
            std::thread::spawn(move || {
                while active.load(Ordering::SeqCst) {
                    // A failed round (a pod deleted mid-patch) is retried on the next one.
                    let _ = patch_running_pods(&kubectl, &namespace, &selector, |pod| {
                        (!is_crash_looping(pod)).then(|| crash_loop_patch(pod))
                    });
                    std::thread::sleep(wait::POLL_INTERVAL / 2);
                }
            })
        };
        Self {
            kubectl: kubectl.clone(),
            namespace: namespace.to_owned(),
            selector,
            active,
            injector: Some(injector),
        }
    }

    /// Stops injecting and reports every engine pod healthy again.
    pub fn clear(&mut self) -> Result<(), KubectlError> {
        self.active.store(false, Ordering::SeqCst);
        if let Some(injector) = self.injector.take() {
            let _ = injector.join();
        }
        patch_running_pods(&self.kubectl, &self.namespace, &self.selector, |pod| {
            is_crash_looping(pod).then(|| healthy_patch(pod))
        })
    }
}

impl Drop for PodFault {
    fn drop(&mut self) {
        // Best effort: the namespace is deleted after the test anyway.
        let _ = self.clear();
    }
}

/// Applies `patch_for` to every running, not terminating pod matching `selector`.
fn patch_running_pods(
    kubectl: &Kubectl,
    namespace: &str,
    selector: &str,
    patch_for: impl Fn(&Value) -> Option<Value>,
) -> Result<(), KubectlError> {
    for pod in kubectl.list("pods", namespace, selector)? {
        let running = pod.pointer("/status/phase") == Some(&json!("Running"));
        let terminating = pod.pointer("/metadata/deletionTimestamp").is_some();
        if let Some(patch) = patch_for(&pod).filter(|_| running && !terminating) {
            let target = format!("pod/{}", object::name(&pod));
            let patch = patch.to_string();
            kubectl.run(&[
                "patch",
                &target,
                "-n",
                namespace,
                "--subresource=status",
                "--type=strategic",
                "-p",
                &patch,
            ])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(ready: &str, waiting: Option<&str>) -> Value {
        let state = match waiting {
            Some(reason) => json!({"waiting": {"reason": reason}}),
            None => json!({"running": {}}),
        };
        json!({
            "metadata": {"name": "vx-0"},
            "spec": {"containers": [{"name": "engine"}, {"name": "sidecar"}]},
            "status": {"phase": "Running",
                       "conditions": [{"type": "Ready", "status": ready}],
                       "containerStatuses": [{"name": "engine", "state": state}]}
        })
    }

    #[test]
    fn crash_loop_patch_covers_every_container_and_readiness() {
        let patch = crash_loop_patch(&pod("True", None));
        let statuses = patch["status"]["containerStatuses"].as_array().unwrap();
        assert_eq!(statuses.len(), 2);
        assert_eq!(
            statuses[1]["state"]["waiting"]["reason"],
            "CrashLoopBackOff"
        );
        assert_eq!(patch["status"]["conditions"][0]["status"], "False");
        assert_eq!(patch["status"]["phase"], "Running");
    }

    #[test]
    fn crash_looping_needs_both_unready_and_a_waiting_container() {
        assert!(is_crash_looping(&pod("False", Some("CrashLoopBackOff"))));
        assert!(!is_crash_looping(&pod("True", Some("CrashLoopBackOff"))));
        assert!(!is_crash_looping(&pod("False", None)));
        assert!(!is_crash_looping(&pod("False", Some("ContainerCreating"))));
    }

    #[test]
    fn healthy_patch_reports_ready_running_containers() {
        let patch = healthy_patch(&pod("False", Some("CrashLoopBackOff")));
        assert_eq!(patch["status"]["conditions"][0]["status"], "True");
        let statuses = patch["status"]["containerStatuses"].as_array().unwrap();
        assert!(statuses.iter().all(|s| s["ready"] == true));
        assert!(statuses.iter().all(|s| s["state"]["running"].is_object()));
    }

    #[test]
    fn selector_picks_engine_pods_of_the_stack() {
        assert_eq!(
            engine_selector("vx"),
            "app.kubernetes.io/instance=vx,app.kubernetes.io/component=engine"
        );
    }
}
