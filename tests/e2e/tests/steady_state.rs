//! A Ready stack with nothing changing stays still: no child's resourceVersion moves, the
//! status is not rewritten, and re-applying the sample under a GitOps field manager is a no-op.

use std::thread::sleep;
use std::time::Duration;

use vexfs_e2e::stack::RESOURCE;
use vexfs_e2e::watch::Recorder;
use vexfs_e2e::{Result, Scenario, Stack, ensure, object};

const READY: Duration = Duration::from_secs(120);
/// Time the operator gets to settle after Ready (pods reporting in, last status write).
const SETTLE: Duration = Duration::from_secs(5);
/// The quiet period the issue asks for.
const STEADY: Duration = Duration::from_secs(30);
const WATCHED: [&str; 5] = [
    RESOURCE,
    "configmaps",
    "statefulsets",
    "services",
    "serviceaccounts",
];
const GITOPS_MANAGER: &str = "argocd-controller";

fn record_changes(s: &Scenario) -> Result<Vec<Recorder>> {
    WATCHED
        .iter()
        .map(|kind| Ok(s.cluster.watch(s.ns(), kind, true)?))
        .collect()
}

fn changes(recorders: Vec<Recorder>) -> Vec<String> {
    recorders
        .into_iter()
        .flat_map(Recorder::finish)
        .map(|o| {
            format!(
                "{} @ {}",
                object::describe(&o),
                object::resource_version(&o)
            )
        })
        .collect()
}

#[test]
fn nothing_moves_for_thirty_seconds_when_nothing_changes() -> Result<()> {
    let s = Scenario::new("steady")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    sleep(SETTLE);
    stack.wait_ready(READY)?;
    let recorders = record_changes(&s)?;
    sleep(STEADY);
    let moved = changes(recorders);
    ensure(moved.is_empty(), || {
        format!(
            "objects changed while nothing was asked for (hot loop?):\n{}",
            moved.join("\n")
        )
    })
}

#[test]
fn gitops_server_side_apply_of_the_same_sample_changes_nothing() -> Result<()> {
    let s = Scenario::new("drift")?;
    let _operator = s.start_operator("0")?;
    let stack =
        Stack::server_side_apply_sample(&s.cluster, s.ns(), "minimal.yaml", GITOPS_MANAGER)?;
    let before = stack.wait_ready(READY)?;
    sleep(SETTLE);
    let recorders = record_changes(&s)?;
    Stack::server_side_apply_sample(&s.cluster, s.ns(), "minimal.yaml", GITOPS_MANAGER)?;
    let sample = s.cluster.repo_path("config/samples/minimal.yaml");
    let manager = format!("--field-manager={GITOPS_MANAGER}");
    let diff = s.cluster.kubectl().try_run(
        &[
            "diff",
            "--server-side",
            &manager,
            "-n",
            s.ns(),
            "-f",
            &sample.to_string_lossy(),
        ],
        None,
    )?;
    ensure(diff.code == Some(0), || {
        format!(
            "kubectl diff reports drift:\n{}{}",
            diff.stdout, diff.stderr
        )
    })?;
    sleep(SETTLE);
    let moved = changes(recorders);
    ensure(moved.is_empty(), || {
        format!(
            "objects changed after re-applying the same sample:\n{}",
            moved.join("\n")
        )
    })?;
    let after = stack.get()?;
    ensure(
        object::generation(&after) == object::generation(&before),
        || "re-applying bumped the generation".into(),
    )?;
    Ok(())
}
