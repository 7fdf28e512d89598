//! Health-driven recovery through the whole reconcile against an in-memory API. Recovery state lives
//! in `status.recovery`, so each step is set up by writing the persisted state a real run would have
//! reached (times in the past) instead of waiting.

mod support;

use std::sync::Arc;

use chrono::{Duration, Utc};
use http::Method;
use serde_json::{Value, json};
use support::fake_api::{Call, FakeApi};
use support::reconcile::Harness;
use support::reconcile::{context, pass, status_and_reason};

const CR: &str = "/apis/vexfs.io/v1alpha1/namespaces/vexfs/vexfssemantics/vx";
const POD: &str = "/api/v1/namespaces/vexfs/pods/vx-0";
const STS: &str = "/apis/apps/v1/namespaces/vexfs/statefulsets/vx";

fn ago(seconds: i64) -> String {
    (Utc::now() - Duration::seconds(seconds))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn resource(reset_token: Option<&str>, recovery_status: Value) -> Value {
    json!({
        "apiVersion": "vexfs.io/v1alpha1",
        "kind": "VexfsSemantic",
        "metadata": {"name": "vx", "namespace": "vexfs", "uid": "uid-vx", "generation": 1},
        "spec": {"recovery": {
            "enabled": true,
            "healthCheckIntervalSeconds": 10,
            "failureThresholdChecks": 3,
            "recoveryTimeoutSeconds": 60,
            "circuitBreaker": {"failureThreshold": 2, "timeoutSeconds": 120},
            "resetToken": reset_token
        }},
        "status": {"observedGeneration": 1, "conditions": [], "recovery": recovery_status}
    })
}

fn engine_pod(crash_looping: bool) -> Value {
    let state = if crash_looping {
        json!({"waiting": {"reason": "CrashLoopBackOff"}})
    } else {
        json!({"running": {}})
    };
    json!({
        "metadata": {"name": "vx-0", "namespace": "vexfs",
                     "labels": {"app.kubernetes.io/name": "vexfs-engine", "app.kubernetes.io/instance": "vx",
                                "app.kubernetes.io/component": "engine"}},
        "status": {"phase": "Running",
                   "conditions": [{"type": "Ready", "status": if crash_looping { "False" } else { "True" }}],
                   "containerStatuses": [{"name": "engine", "ready": !crash_looping, "restartCount": 3, "image": "e",
                                          "imageID": "", "state": state}]}
    })
}

fn setup(
    reset_token: Option<&str>,
    recovery_status: Value,
    crash_looping: bool,
) -> (FakeApi, Arc<Harness>) {
    let fake = FakeApi::default();
    fake.put(CR, resource(reset_token, recovery_status));
    fake.put(POD, engine_pod(crash_looping));
    let ctx = context(&fake);
    (fake, ctx)
}

fn recovery(fake: &FakeApi) -> Value {
    fake.get(CR).expect("stored")["status"]["recovery"].clone()
}

fn pod_deleted(calls: &[Call]) -> bool {
    calls
        .iter()
        .any(|c| c.method == Method::DELETE && c.uri.starts_with(POD))
}

fn restart_patch(calls: &[Call]) -> bool {
    calls.iter().any(|c| {
        c.method == Method::PATCH
            && c.uri.starts_with(STS)
            && c.uri.contains("vexfs-operator-recovery")
    })
}

#[tokio::test]
async fn a_transient_failure_is_only_observed() {
    let (fake, ctx) = setup(None, json!(null), true);
    let calls = pass(&fake, &ctx, CR).await;
    assert!(
        !calls.iter().any(|c| c.method == Method::DELETE),
        "no action on first sight"
    );
    assert_eq!(recovery(&fake)["phase"], "Degraded");
    assert_eq!(
        status_and_reason(&fake, CR, "RecoveryCircuitOpen"),
        ("False".to_owned(), "CircuitClosed".to_owned())
    );
}

#[tokio::test]
async fn a_persistent_crash_loop_deletes_the_pod_first() {
    let degraded = json!({"circuit": "Closed", "healthy": false, "healthSince": ago(600), "phase": "Degraded"});
    let (fake, ctx) = setup(None, degraded, true);
    let calls = pass(&fake, &ctx, CR).await;
    assert!(pod_deleted(&calls), "{calls:?}");
    assert!(
        calls
            .iter()
            .any(|c| c.method == Method::POST && c.uri.contains("/events")),
        "an Event per action"
    );
    let status = recovery(&fake);
    assert_eq!(
        (
            status["phase"].clone(),
            status["pendingAction"]["action"].clone()
        ),
        (json!("Recovering"), json!("DeletePod"))
    );
    assert_eq!(
        (
            status["lastAction"]["pod"].clone(),
            status["lastAction"]["reason"].clone()
        ),
        (json!("vx-0"), json!("CrashLoopBackOff"))
    );
}

#[tokio::test]
async fn a_failed_delete_escalates_to_a_rollout_restart() {
    let action = json!({"action": "DeletePod", "pod": "vx-0", "reason": "CrashLoopBackOff", "time": ago(120)});
    let pending = json!({"circuit": "Closed", "healthy": false, "healthSince": ago(600), "phase": "Recovering",
                         "pendingAction": action, "lastAction": action});
    let (fake, ctx) = setup(None, pending, true);
    let calls = pass(&fake, &ctx, CR).await;
    assert!(restart_patch(&calls), "{calls:?}");
    let sts = fake.get(STS).expect("stored");
    assert!(
        sts["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    let status = recovery(&fake);
    assert_eq!(
        (
            status["consecutiveFailures"].clone(),
            status["ladderRung"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(status["pendingAction"]["action"], "RolloutRestart");
}

#[tokio::test]
async fn repeated_failures_open_the_circuit_then_a_healthy_probe_closes_it() {
    let action =
        json!({"action": "RolloutRestart", "reason": "CrashLoopBackOff", "time": ago(120)});
    let pending = json!({"circuit": "Closed", "consecutiveFailures": 1, "ladderRung": 1, "healthy": false,
                         "healthSince": ago(600), "phase": "Recovering", "pendingAction": action, "lastAction": action});
    let (fake, ctx) = setup(None, pending, true);
    let calls = pass(&fake, &ctx, CR).await;
    assert!(!restart_patch(&calls), "an open circuit blocks actions");
    assert_eq!(
        status_and_reason(&fake, CR, "RecoveryCircuitOpen"),
        ("True".to_owned(), "CircuitOpen".to_owned())
    );
    let status = recovery(&fake);
    assert_eq!(
        (status["circuit"].clone(), status["phase"].clone()),
        (json!("Open"), json!("CircuitOpen"))
    );
    assert!(status["nextAttemptAfter"].is_string());

    // After the open timeout, one half-open probe runs.
    let mut cr = fake.get(CR).expect("stored");
    cr["status"]["recovery"]["openedAt"] = json!(ago(300));
    fake.put(CR, cr);
    // Time passed: an operator started now reads the edited status (a running one
    // would lead with the ladder state it remembers).
    let ctx = context(&fake);
    assert!(
        restart_patch(&pass(&fake, &ctx, CR).await),
        "the half-open probe restarts the engine"
    );
    assert_eq!(
        status_and_reason(&fake, CR, "RecoveryCircuitOpen"),
        ("True".to_owned(), "CircuitHalfOpen".to_owned())
    );

    // The engine is healthy again and stays so: the probe succeeded and the circuit closes.
    let mut cr = fake.get(CR).expect("stored");
    cr["status"]["recovery"]["healthy"] = json!(true);
    cr["status"]["recovery"]["healthSince"] = json!(ago(60));
    fake.put(CR, cr);
    // Time passed: an operator started now reads the edited status (a running one
    // would lead with the ladder state it remembers).
    let ctx = context(&fake);
    fake.put(POD, engine_pod(false));
    pass(&fake, &ctx, CR).await;
    assert_eq!(
        status_and_reason(&fake, CR, "RecoveryCircuitOpen"),
        ("False".to_owned(), "CircuitClosed".to_owned())
    );
    assert_eq!(recovery(&fake)["consecutiveFailures"], 0);
}

#[tokio::test]
async fn a_failed_probe_stalls_until_the_reset_token_changes() {
    let action =
        json!({"action": "RolloutRestart", "reason": "CrashLoopBackOff", "time": ago(120)});
    let probing = json!({"circuit": "HalfOpen", "consecutiveFailures": 2, "ladderRung": 2, "healthy": false,
                         "healthSince": ago(900), "phase": "Recovering", "openedAt": ago(300),
                         "pendingAction": action, "lastAction": action, "resetToken": "one"});
    let (fake, ctx) = setup(Some("one"), probing, true);
    pass(&fake, &ctx, CR).await;
    assert_eq!(
        status_and_reason(&fake, CR, "Stalled"),
        ("True".to_owned(), "RecoveryExhausted".to_owned())
    );
    assert_eq!(recovery(&fake)["phase"], "GaveUp");
    assert!(
        !restart_patch(&pass(&fake, &ctx, CR).await),
        "no action after giving up"
    );

    let mut cr = fake.get(CR).expect("stored");
    cr["spec"]["recovery"]["resetToken"] = json!("two");
    fake.put(CR, cr);
    let calls = pass(&fake, &ctx, CR).await;
    assert!(pod_deleted(&calls), "the ladder starts over");
    assert_eq!(recovery(&fake)["resetToken"], "two");
    assert_eq!(status_and_reason(&fake, CR, "Stalled").0, "False");
}
