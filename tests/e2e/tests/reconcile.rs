//! The operator turns `minimal.yaml` into owned, labelled children whose pods kwok makes Ready,
//! reports Ready for the current generation only, and follows spec changes.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use vexfs_e2e::{Result, Scenario, Stack, ensure, object, samples, wait};

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
    ensure(history.wait_started(READY), || {
        "the watch reported nothing".to_owned()
    })?;
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

/// What an earlier version, which accepted several standalone replicas, left for `replicas: 2`.
fn older_disruption_budget(stack: &Stack) -> Result<Value> {
    let owner = stack.get()?;
    let labels = json!({
        "app.kubernetes.io/component": "engine",
        "app.kubernetes.io/instance": stack.name(),
        "app.kubernetes.io/managed-by": "vexfs-operator",
        "app.kubernetes.io/name": "vexfs-engine",
        "app.kubernetes.io/part-of": "vexfs-semantic",
    });
    Ok(json!({
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {
            "name": stack.name(),
            "labels": labels,
            "ownerReferences": [{
                "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic", "controller": true,
                "name": stack.name(), "uid": object::uid(&owner),
            }],
        },
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {
            "app.kubernetes.io/component": "engine",
            "app.kubernetes.io/instance": stack.name(),
            "app.kubernetes.io/name": "vexfs-engine",
        }}},
    }))
}

#[test]
fn several_replicas_are_refused_and_an_older_disruption_budget_is_removed() -> Result<()> {
    let s = Scenario::new("replicas")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    let generation = object::generation(&stack.get()?);
    let sample = s
        .cluster
        .repo_path("config/samples/invalid-engine-replicas.yaml");
    let expected = std::fs::read_to_string(&sample)
        .ok()
        .and_then(|text| samples::expected_message(&text))
        .ok_or_else(|| format!("{} has no `# expect:` line", sample.display()))
        .map_err(vexfs_e2e::Error::Expectation)?;
    let kubectl = s.cluster.kubectl();
    let patch = json!({"spec": {"engine": {"replicas": 2}}}).to_string();
    let target = stack.target();
    let out = kubectl.try_run(
        &["patch", &target, "-n", s.ns(), "--type=merge", "-p", &patch],
        None,
    )?;
    ensure(!out.success && out.stderr.contains(&expected), || {
        format!(
            "replicas 2: expected a refusal with {expected:?}, got:\n{}",
            out.stderr
        )
    })?;
    ensure(object::generation(&stack.get()?) == generation, || {
        "the refused patch changed the generation".into()
    })?;

    let pdb = older_disruption_budget(&stack)?.to_string();
    kubectl.run_with_input(&["apply", "-n", s.ns(), "-f", "-"], &pdb)?;
    stack.wait_children("the older PodDisruptionBudget removed", READY, |c| {
        has_engine_children(c) && !kinds(c).contains("PodDisruptionBudget")
    })?;
    stack.wait_ready(READY)?;
    Ok(())
}
