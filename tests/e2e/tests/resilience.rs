//! The operator survives being killed mid-reconcile without creating duplicates, an operator
//! started after its resources exist reconciles them, and with two replicas only the holder of
//! the leader Lease writes.

use std::time::Duration;

use serde_json::{Value, json};
use vexfs_e2e::{Kubectl, Result, Scenario, Stack, ensure, object, wait};

const READY: Duration = Duration::from_secs(120);
/// Upper bound for a dead leader's Lease to expire and be taken over.
const TAKEOVER: Duration = Duration::from_secs(90);

fn lease_holder(kubectl: &Kubectl, namespace: &str) -> Result<Option<String>> {
    let leases = kubectl.list("leases", namespace, "")?;
    Ok(leases.iter().find_map(|l| {
        l.pointer("/spec/holderIdentity")?
            .as_str()
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
    }))
}

fn wait_holder(kubectl: &Kubectl, namespace: &str, not: Option<&str>) -> Result<String> {
    Ok(wait::until(
        "a leader Lease holder",
        TAKEOVER,
        || match lease_holder(kubectl, namespace) {
            Ok(Some(h)) if Some(h.as_str()) != not => Ok(h),
            Ok(h) => Err(format!("holder {h:?}")),
            Err(e) => Err(e.to_string()),
        },
    )?)
}

fn count(stack: &Stack, kind: &str) -> Result<usize> {
    Ok(stack.children_of(kind)?.len())
}

#[test]
fn an_operator_started_after_the_resource_exists_reconciles_it() -> Result<()> {
    let s = Scenario::new("late")?;
    let stack = Stack::apply_sample(&s.cluster, s.ns(), "minimal.yaml")?;
    let _operator = s.start_operator("late")?;
    stack.wait_ready(READY)?;
    // The first reconcile must not be the only one: a later spec change is rolled out too.
    stack.patch_spec(json!({"analytics": {"slidingWindowSize": 40000}}))?;
    stack.wait_ready(READY)?;
    Ok(())
}

#[test]
fn killed_mid_reconcile_converges_without_duplicates() -> Result<()> {
    let s = Scenario::new("crash")?;
    let first = s.start_operator("first")?;
    let stack = Stack::apply_sample(&s.cluster, s.ns(), "minimal.yaml")?;
    stack.wait_children("the first child", READY, |c: &[Value]| !c.is_empty())?;
    first.kill()?;
    let _second = s.start_operator("second")?;
    stack.wait_ready(READY)?;
    for kind in ["statefulsets", "configmaps", "serviceaccounts"] {
        let n = count(&stack, kind)?;
        ensure(n == 1, || {
            format!("{n} {kind} after a restart, expected exactly 1")
        })?;
    }
    wait::until("exactly one engine pod", READY, || {
        let pods = stack.pods().map_err(|e| e.to_string())?;
        if pods.len() == 1 {
            Ok(())
        } else {
            Err(format!("{} pods", pods.len()))
        }
    })?;
    Ok(())
}

#[test]
fn only_the_lease_holder_writes() -> Result<()> {
    let s = Scenario::new("leader")?;
    let kubectl = s.cluster.kubectl();
    let leader = s.start_operator("a")?;
    let first_holder = wait_holder(&kubectl, s.ns(), None)?;
    let _follower = s.start_standby_operator("b")?;
    let stack = Stack::apply_sample(&s.cluster, s.ns(), "minimal.yaml")?;
    let ready = stack.wait_ready(READY)?;
    ensure(
        lease_holder(&kubectl, s.ns())?.as_deref() == Some(first_holder.as_str()),
        || "the Lease changed hands while the leader was alive".into(),
    )?;

    leader.kill()?;
    stack.patch_spec(json!({"analytics": {"slidingWindowSize": 40000}}))?;
    let old = object::observed_generation(&ready);
    wait::until("the follower to take over the Lease", TAKEOVER, || {
        let before = lease_holder(&kubectl, s.ns()).map_err(|e| e.to_string())?;
        let observed = object::observed_generation(&stack.get().map_err(|e| e.to_string())?);
        let after = lease_holder(&kubectl, s.ns()).map_err(|e| e.to_string())?;
        let dead_leader_holds = before.as_deref() == Some(first_holder.as_str()) && before == after;
        if dead_leader_holds && observed != old {
            return Ok(Err(format!("status written (observedGeneration {observed:?}) while the dead leader still held the Lease")));
        }
        if dead_leader_holds { Err("dead leader still holds the Lease".into()) } else { Ok(Ok(())) }
    })?
    .map_err(vexfs_e2e::Error::Expectation)?;
    ensure(
        wait_holder(&kubectl, s.ns(), Some(&first_holder)).is_ok(),
        || "no new Lease holder".into(),
    )?;
    stack.wait_ready(READY)?;
    Ok(())
}
