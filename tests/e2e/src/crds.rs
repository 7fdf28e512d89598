//! Installing the project's generated CRDs (`crds/*.yaml`) and waiting until they serve.

use std::time::Duration;

use crate::{Cluster, Error, Result, ensure, samples, wait};

/// Field manager used for installing CRDs.
pub const FIELD_MANAGER: &str = "vexfs-e2e";

/// How long the API server may take to establish a CRD.
pub const ESTABLISH_TIMEOUT: Duration = Duration::from_secs(30);

/// Server-side applies every CRD in `crds/` (idempotent, safe to call from each test) and waits
/// until each is `Established`. Returns the CRD names.
pub fn install(cluster: &Cluster) -> Result<Vec<String>> {
    let files = samples::load_all(&cluster.repo_path("crds"))?;
    ensure(!files.is_empty(), || {
        "crds/ holds no CRD YAML (run `make generate`)".into()
    })?;
    let kubectl = cluster.kubectl();
    let mut names = Vec::new();
    for file in &files {
        let doc: serde_json::Value = serde_yaml::from_str(&file.text)
            .map_err(|e| Error::Expectation(format!("{} is not YAML: {e}", file.file_name())))?;
        let name = crate::object::name(&doc).to_owned();
        let path = file.path.to_string_lossy();
        let manager = format!("--field-manager={FIELD_MANAGER}");
        kubectl.run(&[
            "apply",
            "--server-side",
            "--force-conflicts",
            &manager,
            "-f",
            &path,
        ])?;
        names.push(name);
    }
    for name in &names {
        wait::until(
            &format!("CRD {name} Established"),
            ESTABLISH_TIMEOUT,
            || {
                let crd = kubectl
                    .get("crd", name, "default")
                    .map_err(|e| e.to_string())?;
                let established = crd
                    .as_ref()
                    .and_then(|c| crate::object::condition(c, "Established"));
                match established {
                    Some(c) if c.status == "True" => Ok(()),
                    other => Err(format!("Established condition: {other:?}")),
                }
            },
        )?;
    }
    Ok(names)
}
