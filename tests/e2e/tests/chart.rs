//! The Helm chart lints cleanly, its rendered manifests pass server-side validation, and its RBAC
//! keeps the operator to the release namespace unless `rbac.clusterWide` is set.

use vexfs_e2e::{Cluster, Kubectl, Result, TestNamespace, crds, ensure};

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

/// The operator flags the chart renders for the images of its children.
fn image_flags(rendered: &str) -> Vec<&str> {
    rendered
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("-image="))
        .collect()
}

#[test]
fn child_images_default_to_the_published_ones_and_can_be_overridden() -> Result<()> {
    let cluster = Cluster::from_env()?;
    let chart = cluster.repo_path(CHART).to_string_lossy().into_owned();
    let defaults = cluster.helm(&["template", "vexfs", &chart])?;
    let expected = [
        "- --engine-image=ghcr.io/vexfs/vexfs-engine:0.1.0",
        "- --aws-cli-image=docker.io/amazon/aws-cli:2.22.35",
        "- --shell-image=docker.io/library/busybox:1.37",
    ];
    ensure(image_flags(&defaults.stdout) == expected, || {
        format!("default image flags: {:?}", image_flags(&defaults.stdout))
    })?;
    let mirrored = cluster.helm(&[
        "template",
        "vexfs",
        &chart,
        "--set",
        "childImages.engine=mirror.local/vexfs-engine:0.1.0",
        "--set",
        "childImages.awsCli=mirror.local/aws-cli:2",
        "--set",
        "childImages.shell=mirror.local/busybox:1",
    ])?;
    let expected = [
        "- --engine-image=mirror.local/vexfs-engine:0.1.0",
        "- --aws-cli-image=mirror.local/aws-cli:2",
        "- --shell-image=mirror.local/busybox:1",
    ];
    ensure(image_flags(&mirrored.stdout) == expected, || {
        format!(
            "overridden image flags: {:?}",
            image_flags(&mirrored.stdout)
        )
    })
}

/// Renders the chart into a fresh namespace named from `prefix` with the `--set` values `sets`,
/// hands the manifests to `check`, then requires a server-side dry run to accept them.
fn render_check_and_dry_run(
    prefix: &str,
    sets: &[&str],
    check: impl FnOnce(&str) -> Result<()>,
) -> Result<()> {
    let cluster = Cluster::from_env()?;
    crds::install(&cluster)?;
    let kubectl = cluster.kubectl();
    let ns = TestNamespace::create(&kubectl, prefix)?;
    let chart = cluster.repo_path(CHART).to_string_lossy().into_owned();
    let mut args = vec![
        "template",
        "vexfs",
        chart.as_str(),
        "--namespace",
        ns.name(),
    ];
    for set in sets {
        args.extend(["--set", set]);
    }
    let rendered = cluster.helm(&args)?;
    check(&rendered.stdout)?;
    let applied = kubectl.run_with_input(
        &["apply", "--dry-run=server", "-n", ns.name(), "-f", "-"],
        &rendered.stdout,
    )?;
    ensure(applied.contains("deployment.apps/"), || {
        format!("server-side dry run printed:\n{applied}")
    })
}

#[test]
fn rendered_chart_is_accepted_by_server_side_dry_run() -> Result<()> {
    render_check_and_dry_run("chart", &[], |rendered| {
        ensure(rendered.contains("kind: Deployment"), || {
            "the chart renders no Deployment".into()
        })
    })
}

/// Whether the operator's service account of release `release` in `home` may `verb` `resource`
/// in `namespace`, as the API server's authorizer answers.
fn operator_may(
    kubectl: &Kubectl,
    (release, home): (&str, &str),
    verb: &str,
    resource: &str,
    namespace: &str,
) -> Result<bool> {
    let subject = format!("system:serviceaccount:{home}:{release}-vexfs-operator");
    let answer = kubectl.try_run(
        &[
            "auth", "can-i", verb, resource, "-n", namespace, "--as", &subject,
        ],
        None,
    )?;
    Ok(answer.success)
}

/// The `--namespaces` flag of the installed release's Deployment, if any.
fn namespaces_flag(kubectl: &Kubectl, release: &str, home: &str) -> Result<Option<String>> {
    let deployment = kubectl.json(&[
        "get",
        "deployment",
        &format!("{release}-vexfs-operator"),
        "-n",
        home,
        "-o",
        "json",
    ])?;
    Ok(deployment
        .pointer("/spec/template/spec/containers/0/args")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .find_map(|arg| arg.strip_prefix("--namespaces="))
        .map(str::to_owned))
}

#[test]
fn rbac_is_namespaced_by_default_and_cluster_wide_on_request() -> Result<()> {
    let cluster = Cluster::from_env()?;
    crds::install(&cluster)?;
    let kubectl = cluster.kubectl();
    let home = TestNamespace::create(&kubectl, "chart-rbac")?;
    let other = TestNamespace::create(&kubectl, "chart-rbac-other")?;
    let chart = cluster.repo_path(CHART).to_string_lossy().into_owned();
    let release = "rbac-check";
    let operator = (release, home.name());
    cluster.helm(&["install", release, &chart, "--namespace", home.name()])?;

    ensure(
        namespaces_flag(&kubectl, release, home.name())?.as_deref() == Some(home.name()),
        || "by default the operator watches only the release namespace".into(),
    )?;
    for (verb, resource) in [
        ("watch", "vexfssemantics.vexfs.io"),
        ("patch", "statefulsets.apps"),
        ("create", "networkpolicies.networking.k8s.io"),
        ("delete", "poddisruptionbudgets.policy"),
        ("watch", "horizontalpodautoscalers.autoscaling"),
    ] {
        ensure(
            operator_may(&kubectl, operator, verb, resource, home.name())?,
            || format!("the namespaced operator may not {verb} {resource} in its namespace"),
        )?;
    }
    ensure(
        !operator_may(
            &kubectl,
            operator,
            "create",
            "networkpolicies.networking.k8s.io",
            other.name(),
        )?,
        || "the namespaced operator may write in another namespace".into(),
    )?;

    cluster.helm(&[
        "upgrade",
        release,
        &chart,
        "--namespace",
        home.name(),
        "--set",
        "rbac.clusterWide=true",
    ])?;
    ensure(
        namespaces_flag(&kubectl, release, home.name())?.is_none(),
        || "with rbac.clusterWide the operator watches every namespace".into(),
    )?;
    ensure(
        operator_may(
            &kubectl,
            operator,
            "create",
            "networkpolicies.networking.k8s.io",
            other.name(),
        )?,
        || "the cluster-wide operator may not write in another namespace".into(),
    )?;
    cluster.helm(&["uninstall", release, "--namespace", home.name()])?;
    Ok(())
}

#[test]
fn metrics_over_https_mount_the_secret_probe_https_and_pass_a_server_side_dry_run() -> Result<()> {
    let sets = ["metrics.tlsSecretName=operator-tls"];
    render_check_and_dry_run("chart-tls", &sets, |rendered| {
        for wanted in [
            "--metrics-tls-cert=/etc/vexfs-operator/tls/tls.crt",
            "--metrics-tls-key=/etc/vexfs-operator/tls/tls.key",
            "scheme: HTTPS",
            "secretName: operator-tls",
            "fsGroup: 65532",
        ] {
            ensure(rendered.contains(wanted), || {
                format!("the rendered chart lacks {wanted:?}")
            })?;
        }
        Ok(())
    })
}
