//! The generated CRDs install into a real API server, which then rejects every invalid sample
//! with the message the sample expects and accepts every valid sample.

use std::time::Duration;

use vexfs_e2e::{Cluster, Result, TestNamespace, crds, ensure, samples, wait};

/// The API server publishes a new CRD's OpenAPI schema shortly after it is established.
const OPENAPI_PUBLISHED: Duration = Duration::from_secs(30);

#[test]
fn crds_install_and_serve_the_short_name_and_category() -> Result<()> {
    let cluster = Cluster::from_env()?;
    let names = crds::install(&cluster)?;
    ensure(names.iter().any(|n| n == "vexfssemantics.vexfs.io"), || {
        format!("installed CRDs: {names:?}")
    })?;
    let kubectl = cluster.kubectl();
    let resources = kubectl.run(&["api-resources", "--api-group=vexfs.io", "-o", "wide"])?;
    ensure(resources.contains("vxs"), || {
        format!("short name vxs missing from:\n{resources}")
    })?;
    ensure(resources.contains("vexfs"), || {
        format!("category vexfs missing from:\n{resources}")
    })?;
    for (short, opening) in [
        ("vxs", "A VexFS Semantic analytics stack"),
        ("vxb", "One backup of a VexfsSemantic's event store"),
    ] {
        wait::until(
            &format!("kubectl explain {short}"),
            OPENAPI_PUBLISHED,
            || {
                let explained = kubectl
                    .run(&["explain", short])
                    .map_err(|e| e.to_string())?;
                if explained.contains(opening) && !explained.contains("Auto-generated") {
                    return Ok(());
                }
                Err(format!("kubectl explain {short} printed:\n{explained}"))
            },
        )?;
    }
    Ok(())
}

#[test]
fn every_invalid_sample_is_rejected_with_its_expected_message() -> Result<()> {
    let cluster = Cluster::from_env()?;
    crds::install(&cluster)?;
    let kubectl = cluster.kubectl();
    let ns = TestNamespace::create(&kubectl, "invalid")?;
    let all = samples::load_all(&cluster.repo_path("config/samples"))?;
    let invalid: Vec<_> = all.iter().filter(|s| s.is_invalid()).collect();
    ensure(!invalid.is_empty(), || {
        "config/samples holds no invalid-*.yaml".into()
    })?;
    let mut failures = Vec::new();
    for sample in invalid {
        let expected = sample.expected_message()?;
        let path = sample.path.to_string_lossy();
        let out = kubectl.try_run(
            &["create", "--dry-run=server", "-n", ns.name(), "-f", &path],
            None,
        )?;
        if out.success {
            failures.push(format!(
                "{}: accepted, expected rejection with {expected:?}",
                sample.file_name()
            ));
        } else if !out.stderr.contains(&expected) {
            failures.push(format!(
                "{}: expected {expected:?} in:\n{}",
                sample.file_name(),
                out.stderr.trim()
            ));
        }
    }
    ensure(failures.is_empty(), || failures.join("\n"))
}

#[test]
fn every_valid_sample_is_accepted() -> Result<()> {
    let cluster = Cluster::from_env()?;
    crds::install(&cluster)?;
    let kubectl = cluster.kubectl();
    let ns = TestNamespace::create(&kubectl, "valid")?;
    let all = samples::load_all(&cluster.repo_path("config/samples"))?;
    let valid: Vec<_> = all.iter().filter(|s| !s.is_invalid()).collect();
    ensure(
        valid.iter().any(|s| s.file_name() == "minimal.yaml"),
        || "config/samples/minimal.yaml is missing".into(),
    )?;
    let mut failures = Vec::new();
    for sample in valid {
        let path = sample.path.to_string_lossy();
        let out = kubectl.try_run(
            &["create", "--dry-run=server", "-n", ns.name(), "-f", &path],
            None,
        )?;
        if !out.success {
            failures.push(format!(
                "{}: rejected:\n{}",
                sample.file_name(),
                out.stderr.trim()
            ));
        }
    }
    ensure(failures.is_empty(), || failures.join("\n"))
}
