//! Installing and upgrading the chart as docs/upgrade.md describes: `helm upgrade` leaves an
//! older CRD schema in place (Helm never updates `crds/`), and the documented server-side apply
//! of `charts/vexfs-operator/crds/` brings the new one. The installed release's NOTES work
//! without the git repository, the dashboards arrive as labelled ConfigMaps, and
//! `values.schema.json` refuses invalid values by name.
//!
//! The first test swaps a cluster-wide CRD, so it lives in its own test binary (binaries run
//! one after another).

use serde_json::Value;
use vexfs_e2e::{Cluster, Error, Result, TestNamespace, crds, ensure};

const CHART: &str = "charts/vexfs-operator";
const CRD: &str = "vexfssemantics.vexfs.io";
const CRD_FILE: &str = "charts/vexfs-operator/crds/vexfssemantics.vexfs.io.yaml";
/// A property of `spec` that the "previous release" did not have yet.
const NEW_FIELD: &str = "monitoring";

fn spec_properties(crd: &Value) -> Option<&serde_json::Map<String, Value>> {
    crd.pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties")
        .and_then(Value::as_object)
}

fn has_new_field(cluster: &Cluster) -> Result<bool> {
    let crd = cluster.kubectl().json(&["get", "crd", CRD, "-o", "json"])?;
    Ok(spec_properties(&crd).is_some_and(|p| p.contains_key(NEW_FIELD)))
}

#[test]
fn documented_crd_step_upgrades_the_schema_that_helm_upgrade_leaves_alone() -> Result<()> {
    let cluster = Cluster::from_env()?;
    crds::install(&cluster)?;
    let kubectl = cluster.kubectl();
    let ns = TestNamespace::create(&kubectl, "chart-upgrade")?;

    let text = std::fs::read_to_string(cluster.repo_path(CRD_FILE))
        .map_err(|e| Error::Expectation(format!("reading {CRD_FILE}: {e}")))?;
    let mut older: Value = serde_yaml::from_str(&text)
        .map_err(|e| Error::Expectation(format!("{CRD_FILE} is not YAML: {e}")))?;
    let removed = older
        .pointer_mut("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties")
        .and_then(Value::as_object_mut)
        .and_then(|p| p.remove(NEW_FIELD));
    ensure(removed.is_some(), || {
        format!("{CRD_FILE} has no spec.{NEW_FIELD} to remove")
    })?;
    // A full update (PUT) with the current resourceVersion drops the field whoever owned it.
    let current = kubectl.json(&["get", "crd", CRD, "-o", "json"])?;
    older["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"].clone();
    kubectl.run_with_input(&["replace", "-f", "-"], &older.to_string())?;
    ensure(!has_new_field(&cluster)?, || {
        "the older schema was not installed".into()
    })?;

    let chart = cluster.repo_path(CHART).to_string_lossy().into_owned();
    let watch = format!("watchNamespaces={{{}}}", ns.name());
    cluster.helm(&[
        "upgrade",
        "--install",
        "vexfs",
        &chart,
        "--namespace",
        ns.name(),
        "--set",
        &watch,
        "--set",
        "grafana.dashboards.enabled=true",
    ])?;
    ensure(!has_new_field(&cluster)?, || {
        "helm upgrade changed the CRD; docs/upgrade.md says it never does".into()
    })?;

    let crds_dir = cluster.repo_path("charts/vexfs-operator/crds");
    kubectl.run(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        &crds_dir.to_string_lossy(),
    ])?;
    ensure(has_new_field(&cluster)?, || {
        "the documented CRD step did not bring the new schema".into()
    })?;

    let notes = cluster
        .helm(&["get", "notes", "vexfs", "--namespace", ns.name()])?
        .stdout;
    ensure(
        notes.contains("wait vxs/demo --for=condition=Ready")
            && notes.contains(&format!("-n {}", ns.name()))
            && !notes.contains("config/samples"),
        || format!("NOTES of the installed release:\n{notes}"),
    )?;

    let maps = kubectl.json(&[
        "get",
        "configmaps",
        "-n",
        ns.name(),
        "-l",
        "grafana_dashboard=1",
        "-o",
        "json",
    ])?;
    let items = maps["items"].as_array().cloned().unwrap_or_default();
    ensure(items.len() == 4, || {
        format!("{} dashboard ConfigMaps, expected 4", items.len())
    })?;
    for item in &items {
        let data = item["data"].as_object().cloned().unwrap_or_default();
        for (key, json) in data {
            let dashboard: Value = serde_json::from_str(json.as_str().unwrap_or_default())
                .map_err(|e| Error::Expectation(format!("dashboard {key} is not JSON: {e}")))?;
            ensure(dashboard["uid"].is_string(), || {
                format!("dashboard {key} has no uid")
            })?;
        }
    }
    cluster.helm(&["uninstall", "vexfs", "--namespace", ns.name()])?;
    Ok(())
}

#[test]
fn values_schema_refuses_invalid_values_by_name() -> Result<()> {
    let cluster = Cluster::from_env()?;
    let chart = cluster.repo_path(CHART).to_string_lossy().into_owned();
    for (value, key) in [
        ("logFormat=xml", "logFormat"),
        ("metrics.port=0", "port"),
        ("replicas=-1", "replicas"),
        ("grafana.dashboards.enabled=yes", "enabled"),
        ("childImages.shell=", "shell"),
        ("rbac.clusterWide=yes", "clusterWide"),
    ] {
        let refused = cluster.helm(&["template", "vexfs", &chart, "--set", value]);
        match refused {
            Err(e) => {
                let message = e.to_string();
                ensure(
                    message.contains("values don't meet the specifications")
                        && message.contains(key),
                    || format!("--set {value} was refused without naming {key}:\n{message}"),
                )?;
            }
            Ok(_) => return Err(Error::Expectation(format!("--set {value} was accepted"))),
        }
    }
    cluster.helm(&[
        "template",
        "vexfs",
        &chart,
        "--set",
        "grafana.dashboards.enabled=true",
    ])?;
    Ok(())
}
