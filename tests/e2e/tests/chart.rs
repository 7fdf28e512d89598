//! The Helm chart lints cleanly and its rendered manifests pass server-side validation.

use vexfs_e2e::{Cluster, Result, TestNamespace, crds, ensure};

const CHART: &str = "charts/vexfs-operator";

#[test]
fn chart_passes_helm_lint() -> Result<()> {
    let cluster = Cluster::from_env()?;
    let chart = cluster.repo_path(CHART);
    let out = cluster.helm(&["lint", "--strict", &chart.to_string_lossy()])?;
    ensure(out.stdout.contains("0 chart(s) failed"), || {
        format!("helm lint:\n{}", out.stdout)
    })
}

#[test]
fn rendered_chart_is_accepted_by_server_side_dry_run() -> Result<()> {
    let cluster = Cluster::from_env()?;
    crds::install(&cluster)?;
    let kubectl = cluster.kubectl();
    let ns = TestNamespace::create(&kubectl, "chart")?;
    let chart = cluster.repo_path(CHART);
    let rendered = cluster.helm(&[
        "template",
        "vexfs",
        &chart.to_string_lossy(),
        "--namespace",
        ns.name(),
    ])?;
    ensure(rendered.stdout.contains("kind: Deployment"), || {
        "the chart renders no Deployment".into()
    })?;
    let applied = kubectl.run_with_input(
        &["apply", "--dry-run=server", "-n", ns.name(), "-f", "-"],
        &rendered.stdout,
    )?;
    ensure(applied.contains("deployment.apps/"), || {
        format!("server-side dry run printed:\n{applied}")
    })
}
