//! Shared test helpers: loading samples, comparing with committed snapshots, and reconciling
//! against an in-memory API.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod fake_api;
pub mod reconcile;

use vexfs_operator::crd::VexfsSemantic;

/// Repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Reads a sample from `config/samples/`, adding the namespace, uid and generation the API server would set.
pub fn load_sample(file: &str) -> VexfsSemantic {
    let text = std::fs::read_to_string(repo_root().join("config/samples").join(file))
        .expect("sample readable");
    let mut cr: VexfsSemantic = serde_yaml::from_str(&text).expect("sample parses");
    cr.metadata.namespace = Some("vexfs".to_owned());
    cr.metadata.uid = Some("7d3c9b1e-0000-4000-8000-000000000001".to_owned());
    cr.metadata.generation = Some(1);
    cr
}

/// The clustered sample with the autoscaled sample's NATS TLS (client certificate included) and
/// the full sample's backups.
pub fn clustered_with_tls_and_backups() -> VexfsSemantic {
    let mut cr = load_sample("clustered.yaml");
    let tls = load_sample("autoscaled.yaml")
        .spec
        .cluster
        .and_then(|c| c.nats)
        .and_then(|n| n.tls);
    if let Some(nats) = cr.spec.cluster.as_mut().and_then(|c| c.nats.as_mut()) {
        nats.tls = tls;
    }
    cr.spec.backup = load_sample("full.yaml").spec.backup;
    cr
}

/// First-line `# expect: MESSAGE` of an invalid sample.
pub fn expected_message(file: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join("config/samples").join(file))
        .expect("sample readable");
    let first = text.lines().next().unwrap_or_default();
    first
        .strip_prefix("# expect: ")
        .expect("invalid sample starts with `# expect: `")
        .trim()
        .to_owned()
}

/// Sample files whose names start with `prefix`, sorted.
pub fn samples(prefix: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo_root().join("config/samples"))
        .expect("samples dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(prefix) && name.ends_with(".yaml"))
        .collect();
    files.sort();
    files
}

/// Compares `actual` with the committed file at `path`; `UPDATE_SNAPSHOTS=1` rewrites it instead.
pub fn assert_snapshot(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    pretty_assertions::assert_eq!(expected, actual, "snapshot {} differs", path.display());
}
