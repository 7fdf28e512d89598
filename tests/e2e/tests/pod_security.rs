//! Pod Security `restricted` is enforced by the real API server's admission in every test
//! namespace (see `TestNamespace`), and the pods of the operator's S3 shapes, which no other test
//! starts, are admitted there: the backup Job with its upload container and the engine restoring
//! from S3 with its download init containers. The other shapes (the plain engine, volume backups,
//! cleanups and volume restores) are created by the reconcile, backup and plugin tests in the same
//! kind of namespace, so a template that broke the profile would fail them at pod creation.

use std::time::Duration;

use serde_json::{Value, json};
use vexfs_e2e::{Result, Scenario, Stack, backups, ensure, wait};

const READY: Duration = Duration::from_secs(120);

/// A pod that breaks `restricted` (no security context at all), for a server-side dry run.
fn unhardened_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "unhardened"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}
    })
}

/// The smallest pod that meets `restricted`.
fn hardened_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "hardened"},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "runAsUser": 65532,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "busybox", "securityContext": {
                "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
        }
    })
}

#[test]
fn test_namespaces_refuse_pods_that_break_the_restricted_profile() -> Result<()> {
    let s = Scenario::new("psa")?;
    let kubectl = s.cluster.kubectl();
    let dry_run = |pod: &Value| {
        kubectl.try_run(
            &["create", "--dry-run=server", "-n", s.ns(), "-f", "-"],
            Some(&pod.to_string()),
        )
    };
    let refused = dry_run(&unhardened_pod())?;
    ensure(
        !refused.success && refused.stderr.contains("violates PodSecurity \"restricted"),
        || format!("an unhardened pod was not refused: {refused:?}"),
    )?;
    let admitted = dry_run(&hardened_pod())?;
    ensure(admitted.success, || {
        format!("a pod meeting restricted was refused: {admitted:?}")
    })
}

fn s3_stack(name: &str, restore_from: Option<&str>) -> Value {
    let mut spec = json!({"backup": {"target": {"s3": {
        "bucket": "vexfs-backups", "endpoint": "http://127.0.0.1:9",
        "credentialsSecretRef": {"name": "s3"}
    }}}});
    if let Some(backup) = restore_from {
        spec["restore"] = json!({"backupName": backup});
    }
    json!({"apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
           "metadata": {"name": name}, "spec": spec})
}

/// Pods in the scenario's namespace matching `selector`.
fn pods(s: &Scenario, selector: &str) -> Result<Vec<Value>> {
    Ok(s.cluster.kubectl().list("pods", s.ns(), selector)?)
}

fn container_names(pod: &Value, field: &str) -> Vec<String> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn s3_backup_and_s3_restore_pods_are_admitted_under_restricted() -> Result<()> {
    let s = Scenario::new("psa-s3")?;
    let kubectl = s.cluster.kubectl();
    let _operator = s.start_operator("0")?;
    let stack = Stack::apply_manifest(&s.cluster, s.ns(), &s3_stack("vx", None))?;
    stack.wait_ready(READY)?;

    let record = backups::on_demand("vx-now", "vx", "Retain");
    kubectl.run_with_input(&["apply", "-n", s.ns(), "-f", "-"], &record.to_string())?;
    let backup_pods = wait::until("the S3 backup Job's pod", READY, || {
        let found = pods(&s, "vexfs.io/backup=vx-now").map_err(|e| e.to_string())?;
        match found.first() {
            Some(pod) => Ok(pod.clone()),
            None => Err("no pod yet: the Job controller may have been refused".to_owned()),
        }
    })?;
    let containers = container_names(&backup_pods, "containers");
    let inits = container_names(&backup_pods, "initContainers");
    ensure(containers.len() + inits.len() >= 2, || {
        format!("the S3 backup pod has an upload step besides the backup: {inits:?} {containers:?}")
    })?;

    // A finished S3 backup of another stack, to restore from.
    let source = backups::on_demand("old", "gone", "Retain");
    kubectl.run_with_input(&["apply", "-n", s.ns(), "-f", "-"], &source.to_string())?;
    let status = json!({"status": {"phase": "Succeeded",
                                   "location": "s3://vexfs-backups/old.tar.gz"}});
    kubectl.run(&[
        "patch",
        backups::RESOURCE,
        "old",
        "-n",
        s.ns(),
        "--subresource=status",
        "--type=merge",
        "-p",
        &status.to_string(),
    ])?;
    Stack::apply_manifest(&s.cluster, s.ns(), &s3_stack("vx-restored", Some("old")))?;
    let restoring = wait::until("the restoring engine pod", READY, || {
        let found = pods(
            &s,
            "app.kubernetes.io/instance=vx-restored,app.kubernetes.io/component=engine",
        )
        .map_err(|e| e.to_string())?;
        found
            .into_iter()
            .next()
            .ok_or_else(|| "no pod yet: the StatefulSet controller may have been refused".into())
    })?;
    let inits = container_names(&restoring, "initContainers");
    ensure(inits.len() >= 2, || {
        format!("the engine restoring from S3 has download and restore init containers: {inits:?}")
    })?;
    let events = kubectl.run(&["get", "events", "-n", s.ns()])?;
    ensure(!events.contains("violates PodSecurity"), || {
        format!("refusals recorded:\n{events}")
    })
}
