//! The operator turns `minimal.yaml` into owned, labelled children whose pods kwok makes Ready,
//! reports Ready for the current generation only, and follows spec changes.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use vexfs_e2e::{Result, Scenario, Stack, ensure, object, wait};

const READY: Duration = Duration::from_secs(120);
const CONFIG_HASH: &str = "vexfs.io/config-hash";

fn kinds(children: &[Value]) -> BTreeSet<String> {
    children
        .iter()
        .filter_map(|c| c["kind"].as_str().map(str::to_owned))
        .collect()
}

fn has_engine_children(children: &[Value]) -> bool {
    ["ConfigMap", "StatefulSet", "Service", "ServiceAccount"]
        .iter()
        .all(|k| kinds(children).contains(*k))
}

fn config_hash(statefulset: &Value) -> String {
    statefulset
        .pointer("/spec/template/metadata/annotations")
        .and_then(|a| a[CONFIG_HASH].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn pod_uids(stack: &Stack) -> Result<BTreeSet<String>> {
    Ok(stack
        .pods()?
        .iter()
        .map(|p| object::uid(p).to_owned())
        .collect())
}

fn all_pods_ready(pods: &[Value]) -> bool {
    !pods.is_empty()
        && pods
            .iter()
            .all(|p| object::condition(p, "Ready").is_some_and(|c| c.status == "True"))
}

#[test]
fn minimal_sample_becomes_ready_with_owned_labelled_children() -> Result<()> {
    let s = Scenario::new("reconcile")?;
    let _operator = s.start_operator("0")?;
    let stack = Stack::apply_sample(&s.cluster, s.ns(), "minimal.yaml")?;
    let children = stack.wait_children("the engine's children", READY, has_engine_children)?;
    let owner = object::uid(&stack.get()?).to_owned();
    for child in &children {
        let what = object::describe(child);
        ensure(object::controlled_by(child, &owner), || {
            format!("{what} lacks a controller owner reference")
        })?;
        for (key, want) in [
            ("app.kubernetes.io/managed-by", "vexfs-operator"),
            ("app.kubernetes.io/instance", stack.name()),
        ] {
            ensure(object::label(child, key) == Some(want), || {
                format!("{what}: label {key} is not {want}")
            })?;
        }
        ensure(
            object::label(child, "app.kubernetes.io/name").is_some(),
            || format!("{what}: no name label"),
        )?;
    }
    let ready = stack.wait_ready(READY)?;
    ensure(all_pods_ready(&stack.pods()?), || {
        "engine pods are not all Ready".into()
    })?;

    let kubectl = s.cluster.kubectl();
    kubectl.run(&[
        "wait",
        "--for=condition=Ready",
        &stack.target(),
        "-n",
        s.ns(),
        "--timeout=30s",
    ])?;
    let (status, message) = s.cluster.kstatus(&ready.to_string())?;
    ensure(status == "Current", || {
        format!("kstatus says {status} {message}")
    })?;
    let table = kubectl.run(&["get", "vxs", stack.name(), "-n", s.ns()])?;
    let header = table.lines().next().unwrap_or_default();
    for column in ["NAME", "READY", "REASON", "ENGINE", "LAST BACKUP", "AGE"] {
        ensure(header.contains(column), || {
            format!("column {column} missing from:\n{table}")
        })?;
    }
    Ok(())
}

#[test]
fn spec_change_rolls_pods_and_never_reports_a_stale_ready() -> Result<()> {
    let s = Scenario::new("spec-change")?;
    let _operator = s.start_operator("0")?;
    let stack = Stack::apply_sample(&s.cluster, s.ns(), "minimal.yaml")?;
    let before = stack.wait_ready(READY)?;
    let config_before = stack.children_of("configmaps")?;
    let hash_before = config_hash(
        stack
            .children_of("statefulsets")?
            .first()
            .unwrap_or(&Value::Null),
    );
    ensure(!hash_before.is_empty(), || {
        format!("the StatefulSet pod template has no {CONFIG_HASH}")
    })?;
    wait::until("engine pods Ready", READY, || {
        if all_pods_ready(&stack.pods().map_err(|e| e.to_string())?) {
            Ok(())
        } else {
            Err("pods not Ready".into())
        }
    })?;
    let uids_before = pod_uids(&stack)?;

    let history = s.cluster.watch(s.ns(), &stack.target(), false)?;
    stack.patch_spec(json!({"analytics": {"slidingWindowSize": 20000}}))?;
    let after = stack.wait_ready(READY)?;
    let seen = history.finish();
    ensure(seen.len() > 2, || {
        format!("the watch saw only {} versions", seen.len())
    })?;
    let stale = object::stale_ready_writes(&seen);
    ensure(stale.is_empty(), || {
        format!("status writes claiming Ready for a stale generation: {stale:?}")
    })?;
    ensure(
        object::observed_generation(&after) > object::observed_generation(&before),
        || "observedGeneration did not follow".into(),
    )?;

    ensure(stack.children_of("configmaps")? != config_before, || {
        "the ConfigMap did not change".into()
    })?;
    let hash_after = config_hash(
        stack
            .children_of("statefulsets")?
            .first()
            .unwrap_or(&Value::Null),
    );
    ensure(hash_after != hash_before, || {
        "the config hash in the pod template did not change".into()
    })?;
    wait::until("pods replaced and Ready", READY, || {
        let pods = stack.pods().map_err(|e| e.to_string())?;
        let uids: BTreeSet<String> = pods.iter().map(|p| object::uid(p).to_owned()).collect();
        if all_pods_ready(&pods) && uids.is_disjoint(&uids_before) {
            Ok(())
        } else {
            Err(format!("pods {uids:?}, before {uids_before:?}"))
        }
    })?;
    Ok(())
}

#[test]
fn scaling_down_removes_the_disruption_budget() -> Result<()> {
    let s = Scenario::new("pdb")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    ensure(
        stack.children_of("poddisruptionbudgets")?.is_empty(),
        || "one replica must not get a PDB".into(),
    )?;
    stack.patch_spec(json!({"engine": {"replicas": 2}}))?;
    stack.wait_children("a PodDisruptionBudget", READY, |c| {
        kinds(c).contains("PodDisruptionBudget")
    })?;
    stack.wait_ready(READY)?;
    stack.patch_spec(json!({"engine": {"replicas": 1}}))?;
    stack.wait_children("the PodDisruptionBudget removed", READY, |c| {
        has_engine_children(c) && !kinds(c).contains("PodDisruptionBudget")
    })?;
    stack.wait_ready(READY)?;
    Ok(())
}
