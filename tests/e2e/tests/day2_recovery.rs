//! Health-driven recovery on the real control plane: an engine kept crash-looping is first
//! left alone for the failure threshold, then recovered in ladder order (delete the pod, then
//! restart the rollout); repeated failures open the circuit breaker, the half-open probe fails
//! and recovery gives up (`Stalled`); a new `resetToken` resets the breaker and the ladder;
//! once the fault is gone the circuit closes and the stack is Ready again.

use std::time::Duration;

use serde_json::{Value, json};
use vexfs_e2e::events::{self, first_reasons};
use vexfs_e2e::fault::{PodFault, engine_selector, is_crash_looping};
use vexfs_e2e::object::{self, Condition};
use vexfs_e2e::{Result, Scenario, Stack, ensure, wait};

const READY: Duration = Duration::from_secs(120);
/// Threshold (2 checks × 2 s) + two recovery timeouts (6 s) + breaker timeout (6 s) + a
/// probe timeout (6 s), with ample room for a loaded machine.
const LADDER: Duration = Duration::from_secs(90);
/// Less than the failure threshold (interval 2 s × 2 checks): no action may happen sooner.
const BELOW_THRESHOLD: Duration = Duration::from_secs(2);

fn manifest(name: &str) -> Value {
    json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
        "metadata": {"name": name},
        "spec": {"recovery": {
            "healthCheckIntervalSeconds": 2, "failureThresholdChecks": 2,
            "recoveryTimeoutSeconds": 6,
            "circuitBreaker": {"failureThreshold": 2, "timeoutSeconds": 6}
        }}
    })
}

/// Waits until condition `type_` of the stack satisfies `accept`; returns it.
fn wait_condition(
    stack: &Stack,
    type_: &str,
    timeout: Duration,
    accept: impl Fn(&Condition) -> bool,
) -> Result<Condition> {
    let what = format!("condition {type_} on {}", stack.target());
    Ok(wait::until(&what, timeout, || {
        let current = stack.get().map_err(|e| e.to_string())?;
        match object::condition(&current, type_) {
            Some(c) if accept(&c) => Ok(c),
            other => Err(format!(
                "{type_}: {other:?}; recovery: {}",
                current.pointer("/status/recovery").unwrap_or(&Value::Null)
            )),
        }
    })?)
}

fn is(status: &'static str, reason: &'static str) -> impl Fn(&Condition) -> bool {
    move |c| c.status == status && c.reason == reason
}

/// Recovery Event reasons about the stack, each at its first occurrence.
fn reasons(s: &Scenario, stack: &Stack) -> Result<Vec<String>> {
    let list = events::list(&s.cluster.kubectl(), s.ns(), stack.name())?;
    Ok(first_reasons(&list)
        .into_iter()
        .filter(|r| r.starts_with("Recovery") || r.starts_with("Circuit") || *r == "Recovered")
        .map(str::to_owned)
        .collect())
}

/// True when `wanted` occur in `seen` in this order (other reasons may come between).
fn in_order(seen: &[String], wanted: &[&str]) -> bool {
    let mut rest = seen.iter();
    wanted
        .iter()
        .all(|w| rest.by_ref().any(|reason| reason == w))
}

/// Waits until one engine pod reports the injected crash loop; returns its uid.
fn wait_crash_looping(s: &Scenario, stack: &Stack) -> Result<String> {
    let selector = engine_selector(stack.name());
    Ok(wait::until("an engine pod to crash-loop", READY, || {
        let pods = s
            .cluster
            .kubectl()
            .list("pods", s.ns(), &selector)
            .map_err(|e| e.to_string())?;
        pods.iter()
            .find(|p| is_crash_looping(p))
            .map(|p| object::uid(p).to_owned())
            .ok_or_else(|| format!("{} pods, none crash-looping yet", pods.len()))
    })?)
}

/// Before the failure threshold has passed, the crash-looping pod is left alone.
fn ensure_no_action_below_threshold(s: &Scenario, stack: &Stack, uid: &str) -> Result<()> {
    std::thread::sleep(BELOW_THRESHOLD);
    let pods = s
        .cluster
        .kubectl()
        .list("pods", s.ns(), &engine_selector(stack.name()))?;
    ensure(pods.iter().any(|p| object::uid(p) == uid), || {
        "the crash-looping pod was replaced before the failure threshold".into()
    })?;
    let seen = reasons(s, stack)?;
    ensure(!seen.iter().any(|r| r == "RecoveryDeletePod"), || {
        format!("recovery acted before the failure threshold: {seen:?}")
    })
}

fn not_stalled(object: &Value) -> bool {
    object::condition(object, "Stalled").is_none_or(|c| c.status != "True")
}

/// Waits until the stack's object satisfies `accept`; returns it.
fn wait_object(stack: &Stack, what: &str, accept: impl Fn(&Value) -> bool) -> Result<Value> {
    Ok(wait::until(what, LADDER, || {
        let current = stack.get().map_err(|e| e.to_string())?;
        if accept(&current) {
            return Ok(current);
        }
        Err(format!(
            "status: {}",
            current.pointer("/status").unwrap_or(&Value::Null)
        ))
    })?)
}

/// The fault persists: delete the pod, then restart the rollout, then the circuit opens.
fn ensure_ladder_opens_the_circuit(s: &Scenario, stack: &Stack) -> Result<Value> {
    let open = wait_condition(
        stack,
        "RecoveryCircuitOpen",
        LADDER,
        is("True", "CircuitOpen"),
    )?;
    let seen = reasons(s, stack)?;
    let ladder = [
        "RecoveryDeletePod",
        "RecoveryFailed",
        "RecoveryRolloutRestart",
        "CircuitOpened",
    ];
    ensure(in_order(&seen, &ladder), || {
        format!("expected {ladder:?} in order, saw {seen:?}")
    })?;
    ensure(open.message.contains("2 failed actions"), || {
        format!("circuit message: {}", open.message)
    })?;
    let current = stack.get()?;
    let recovery = current
        .pointer("/status/recovery")
        .cloned()
        .unwrap_or_default();
    ensure(recovery["circuit"] == "Open", || {
        format!("status.recovery: {recovery}")
    })?;
    ensure(recovery["lastAction"]["action"] == "RolloutRestart", || {
        format!("status.recovery.lastAction: {}", recovery["lastAction"])
    })?;
    Ok(recovery)
}

/// The half-open probe fails too: recovery gives up with `Stalled=True`.
fn ensure_failed_probe_gives_up(s: &Scenario, stack: &Stack) -> Result<()> {
    let stalled = wait_condition(stack, "Stalled", LADDER, is("True", "RecoveryExhausted"))?;
    let seen = reasons(s, stack)?;
    ensure(
        in_order(
            &seen,
            &["CircuitOpened", "CircuitHalfOpen", "RecoveryGaveUp"],
        ),
        || format!("expected a failed half-open probe, saw {seen:?}"),
    )?;
    ensure(!stalled.message.is_empty(), || {
        "Stalled has no message".into()
    })
}

/// A new reset token closes the circuit and clears `Stalled`; with the fault still there the
/// ladder starts over and opens the circuit again, later than the first time.
fn ensure_reset_token_restarts_recovery(stack: &Stack, first: &Value) -> Result<()> {
    stack.patch_spec(json!({"recovery": {"resetToken": "after-incident-1"}}))?;
    let reset = wait_object(stack, "the breaker reset by the new token", |o| {
        o.pointer("/status/recovery/resetToken") == Some(&json!("after-incident-1"))
            && not_stalled(o)
    })?;
    let circuit = object::condition(&reset, "RecoveryCircuitOpen");
    ensure(
        circuit.as_ref().is_some_and(|c| c.reason != "CircuitOpen"),
        || format!("circuit after the reset: {circuit:?}"),
    )?;
    let reopened = wait_object(stack, "the circuit to open again", |o| {
        let opened = o.pointer("/status/recovery/openedAt");
        opened.is_some() && opened != first.get("openedAt")
    })?;
    let recovery = &reopened["status"]["recovery"];
    ensure(recovery["circuit"] == "Open", || {
        format!("status.recovery after the second ladder: {recovery}")
    })
}

#[test]
fn crash_loop_is_recovered_in_ladder_order_then_the_circuit_opens_resets_and_closes() -> Result<()>
{
    let s = Scenario::new("recovery")?;
    let _operator = s.start_operator("0")?;
    let stack = Stack::apply_manifest(&s.cluster, s.ns(), &manifest("crashloop"))?;
    stack.wait_ready(READY)?;
    let mut fault = PodFault::inject(&s.cluster.kubectl(), s.ns(), stack.name());
    let uid = wait_crash_looping(&s, &stack)?;
    ensure_no_action_below_threshold(&s, &stack, &uid)?;
    let first = ensure_ladder_opens_the_circuit(&s, &stack)?;
    ensure_failed_probe_gives_up(&s, &stack)?;
    ensure(
        reasons(&s, &stack)?.iter().all(|r| r != "RecoveryReset"),
        || "reset before any token change".into(),
    )?;
    ensure_reset_token_restarts_recovery(&stack, &first)?;
    ensure(
        reasons(&s, &stack)?.iter().any(|r| r == "RecoveryReset"),
        || "no RecoveryReset Event".into(),
    )?;

    fault.clear()?;
    wait_condition(
        &stack,
        "RecoveryCircuitOpen",
        LADDER,
        is("False", "CircuitClosed"),
    )?;
    let ready = stack.wait_ready(READY)?;
    ensure(not_stalled(&ready), || {
        "still Stalled after the fault was cleared".into()
    })?;
    let seen = reasons(&s, &stack)?;
    ensure(
        seen.iter()
            .any(|r| r == "Recovered" || r == "RecoverySucceeded"),
        || format!("no recovery Event after the fault was cleared: {seen:?}"),
    )?;
    let healthy = ready.pointer("/status/recovery/healthy");
    ensure(healthy == Some(&json!(true)), || {
        format!("status.recovery.healthy is {healthy:?}")
    })
}

/// Longest time from an engine pod crash-looping to `status.recovery.healthy: false` when health
/// checks are an hour apart: only a pod watch event can deliver it this fast.
const NOTICED: Duration = Duration::from_secs(15);

#[test]
fn a_crash_loop_is_noticed_from_pod_events_not_at_the_next_check() -> Result<()> {
    let s = Scenario::new("recovery-events")?;
    let _operator = s.start_operator("0")?;
    let mut slow = manifest("slowcheck");
    slow["spec"]["recovery"]["healthCheckIntervalSeconds"] = json!(3600);
    let stack = Stack::apply_manifest(&s.cluster, s.ns(), &slow)?;
    stack.wait_ready(READY)?;
    let _fault = PodFault::inject(&s.cluster.kubectl(), s.ns(), stack.name());
    wait_crash_looping(&s, &stack)?;
    wait::until("status.recovery.healthy to turn false", NOTICED, || {
        let current = stack.get().map_err(|e| e.to_string())?;
        match current.pointer("/status/recovery/healthy") {
            Some(Value::Bool(false)) => Ok(()),
            other => Err(format!("status.recovery.healthy is {other:?}")),
        }
    })?;
    Ok(())
}
