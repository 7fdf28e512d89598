//! `kubectl vexfs` against the local control plane, run as kubectl runs a plugin: the
//! `kubectl-vexfs` binary with the cluster's kubeconfig. kwok completes backup Job pods with a
//! summary (`cluster/stages/backup-complete.yaml`), so a backup succeeds without a real engine.
//! kwok runs no real containers, so the service proxy and pod logs cannot answer with data
//! here; those two tests check that the requests reach the API server on the right paths and
//! that failures are reported by name.

use std::path::PathBuf;
use std::time::Duration;

use vexfs_e2e::backup_volume::BackupVolume;
use vexfs_e2e::command::{self, Output};
use vexfs_e2e::{Cluster, Result, Scenario, Stack, backups, ensure, object};

const READY: Duration = Duration::from_secs(120);

fn plugin(cluster: &Cluster) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| cluster.repo_path("target"), PathBuf::from);
    target.join("debug/kubectl-vexfs")
}

/// Runs `kubectl-vexfs ARGS -n NS` with the cluster's kubeconfig.
fn vexfs(s: &Scenario, args: &[&str]) -> Result<Output> {
    let binary = plugin(&s.cluster);
    ensure(binary.exists(), || {
        format!(
            "{} not found: build it with `cargo build -p kubectl-vexfs`",
            binary.display()
        )
    })?;
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-n", s.ns()]);
    let env = [("KUBECONFIG", s.cluster.kubeconfig().as_os_str().to_owned())];
    Ok(command::run(&binary, &command::args(all), &env, None)?)
}

#[test]
fn status_shows_conditions_and_the_children_tree() -> Result<()> {
    let s = Scenario::new("plugin-status")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    let out = vexfs(&s, &["status", stack.name()])?.checked()?;
    let page = out.stdout;
    for expected in [
        "Conditions:",
        "Ready",
        "Available",
        "VexfsSemantic/minimal\n",
        "StatefulSet/minimal  1/1 ready",
        "Pod/minimal-0  Running, ready",
        "Service/minimal",
        "ConfigMap/",
    ] {
        ensure(page.contains(expected), || {
            format!("`{expected}` missing from:\n{page}")
        })?;
    }
    let missing = vexfs(&s, &["status", "nope"])?;
    ensure(
        !missing.success
            && missing
                .stderr
                .contains(&format!("VexfsSemantic {}/nope not found", s.ns())),
        || format!("status of a missing resource: {missing:?}"),
    )
}

#[test]
fn backup_waits_for_success_and_restore_starts_a_new_stack_from_it() -> Result<()> {
    let s = Scenario::new("plugin-backup")?;
    let volume = BackupVolume::create(&s.cluster.kubectl(), s.ns(), "backups")?;
    let _operator = s.start_operator("0")?;
    let manifest = backups::semantic("vx", volume.claim(), &serde_json::json!({}));
    let stack = Stack::apply_manifest(&s.cluster, s.ns(), &manifest)?;
    stack.wait_ready(READY)?;

    let out = vexfs(&s, &["backup", "vx", "--timeout-seconds", "120"])?.checked()?;
    let line = out.stdout.trim().to_owned();
    ensure(
        line.starts_with("vexfsbackup/vx-manual-") && line.contains(" succeeded: pvc://backups/"),
        || format!("backup printed: {line}"),
    )?;
    let backup = line
        .trim_start_matches("vexfsbackup/")
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();

    let out = vexfs(&s, &["restore", &backup, "--to", "vx-restored"])?.checked()?;
    ensure(
        out.stdout.contains("vexfssemantic/vx-restored created"),
        || format!("restore printed: {}", out.stdout),
    )?;
    let restored = s.cluster.kubectl().json(&[
        "get",
        "vexfssemantics.vexfs.io",
        "vx-restored",
        "-n",
        s.ns(),
        "-o",
        "json",
    ])?;
    ensure(
        restored
            .pointer("/spec/restore/backupName")
            .and_then(|v| v.as_str())
            == Some(&backup),
        || format!("restored spec: {}", restored["spec"]),
    )?;
    ensure(
        restored
            .pointer("/spec/backup/target/volume/claimName")
            .and_then(|v| v.as_str())
            == Some("backups"),
        || "the restored stack lost the source's backup target".into(),
    )?;
    let again = vexfs(&s, &["restore", &backup, "--to", "vx-restored"])?;
    ensure(
        !again.success && again.stderr.contains("already exists"),
        || format!("a second restore into the same name: {again:?}"),
    )?;
    ensure(object::name(&restored) == "vx-restored", || {
        "wrong object".into()
    })
}

#[test]
fn analytics_and_logs_go_through_the_api_server() -> Result<()> {
    let s = Scenario::new("plugin-proxy")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    let stats = vexfs(&s, &["analytics", stack.name(), "stats"])?;
    let path = format!(
        "/api/v1/namespaces/{}/services/minimal:http/proxy/api/v1/stats",
        s.ns()
    );
    ensure(!stats.success && stats.stderr.contains(&path), || {
        format!("kwok runs no engine, so the proxied GET {path} must fail and say so: {stats:?}")
    })?;
    let logs = vexfs(&s, &["logs", stack.name(), "--tail", "5"])?;
    ensure(
        !logs.success && logs.stderr.contains("reading the logs of pod minimal-0"),
        || format!("kwok serves no container logs, so logs must fail naming the pod: {logs:?}"),
    )?;
    let none = vexfs(&s, &["analytics", "nope", "stats"])?;
    ensure(
        !none.success && none.stderr.contains("nope not found"),
        || format!("analytics of a missing resource: {none:?}"),
    )
}
