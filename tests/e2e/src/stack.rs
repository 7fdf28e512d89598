//! One `VexfsSemantic` under test: applying a sample, reading it and its children, waiting
//! until it is Ready for its current generation.

use std::time::Duration;

use serde_json::Value;

use crate::{Cluster, Error, Kubectl, Result, object, samples, wait};

/// Resource name of the custom resource for kubectl.
pub const RESOURCE: &str = "vexfssemantics.vexfs.io";
/// Kinds the operator creates for a stack (listed together in one kubectl call).
pub const CHILD_KINDS: &str =
    "configmaps,statefulsets,services,serviceaccounts,poddisruptionbudgets,networkpolicies";
/// Label every child carries, valued with the stack's name.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// A `VexfsSemantic` in a test namespace.
#[derive(Debug, Clone)]
pub struct Stack {
    kubectl: Kubectl,
    namespace: String,
    name: String,
}

impl Stack {
    /// Applies `config/samples/<sample>` into `namespace` and returns a handle on it.
    pub fn apply_sample(cluster: &Cluster, namespace: &str, sample: &str) -> Result<Self> {
        let path = cluster.repo_path(&format!("config/samples/{sample}"));
        let doc = samples::read_yaml(&path)?;
        let name = object::name(&doc).to_owned();
        let kubectl = cluster.kubectl();
        kubectl.apply_file(&path, namespace)?;
        Ok(Self {
            kubectl,
            namespace: namespace.to_owned(),
            name,
        })
    }

    /// Creates or updates `config/samples/<sample>` in `namespace` by server-side apply under
    /// `field_manager`, as a GitOps tool in server-side mode does.
    pub fn server_side_apply_sample(
        cluster: &Cluster,
        namespace: &str,
        sample: &str,
        field_manager: &str,
    ) -> Result<Self> {
        let path = cluster.repo_path(&format!("config/samples/{sample}"));
        let doc = samples::read_yaml(&path)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Expectation(format!("reading {sample}: {e}")))?;
        let kubectl = cluster.kubectl();
        kubectl.server_side_apply(&text, namespace, field_manager)?;
        Ok(Self {
            kubectl,
            namespace: namespace.to_owned(),
            name: object::name(&doc).to_owned(),
        })
    }

    /// Creates or updates the `VexfsSemantic` in `manifest` (a JSON object) in `namespace`.
    pub fn apply_manifest(cluster: &Cluster, namespace: &str, manifest: &Value) -> Result<Self> {
        let kubectl = cluster.kubectl();
        kubectl.run_with_input(
            &["apply", "-n", namespace, "-f", "-"],
            &manifest.to_string(),
        )?;
        Ok(Self {
            kubectl,
            namespace: namespace.to_owned(),
            name: object::name(manifest).to_owned(),
        })
    }

    /// The resource's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `vxs/NAME`, the kubectl target of the resource.
    pub fn target(&self) -> String {
        format!("{RESOURCE}/{}", self.name)
    }

    /// The resource as the API server returns it now.
    pub fn get(&self) -> Result<Value> {
        self.kubectl
            .get(RESOURCE, &self.name, &self.namespace)?
            .ok_or_else(|| Error::Expectation(format!("{} is gone", self.target())))
    }

    /// True while the resource exists.
    pub fn exists(&self) -> Result<bool> {
        Ok(self
            .kubectl
            .get(RESOURCE, &self.name, &self.namespace)?
            .is_some())
    }

    /// Every child of [`CHILD_KINDS`] labelled with this stack's instance name.
    pub fn children(&self) -> Result<Vec<Value>> {
        Ok(self
            .kubectl
            .list(CHILD_KINDS, &self.namespace, &self.selector())?)
    }

    /// The children of one `kind` (plural, e.g. `configmaps`).
    pub fn children_of(&self, kind: &str) -> Result<Vec<Value>> {
        Ok(self.kubectl.list(kind, &self.namespace, &self.selector())?)
    }

    /// The engine pods of this stack.
    pub fn pods(&self) -> Result<Vec<Value>> {
        Ok(self
            .kubectl
            .list("pods", &self.namespace, &self.selector())?)
    }

    /// Merge-patches the resource's spec with `spec_patch` (a JSON object).
    pub fn patch_spec(&self, spec_patch: Value) -> Result<()> {
        let patch = serde_json::json!({ "spec": spec_patch });
        self.kubectl
            .merge_patch(RESOURCE, &self.name, &self.namespace, &patch)?;
        Ok(())
    }

    /// Deletes the resource without waiting for garbage collection.
    pub fn delete(&self) -> Result<()> {
        self.kubectl
            .delete_nowait(RESOURCE, &self.name, &self.namespace)?;
        Ok(())
    }

    /// Waits until `Ready=True` is reported for the current generation; returns the object.
    pub fn wait_ready(&self, timeout: Duration) -> Result<Value> {
        let what = format!("{} Ready for its current generation", self.target());
        Ok(wait::until(&what, timeout, || {
            let current = self.get().map_err(|e| e.to_string())?;
            if object::ready_for_current_generation(&current) {
                return Ok(current);
            }
            Err(format!(
                "generation {:?}, observed {:?}, Ready {:?}",
                object::generation(&current),
                object::observed_generation(&current),
                object::condition(&current, "Ready")
            ))
        })?)
    }

    /// Waits until `probe` accepts the stack's children; returns them.
    pub fn wait_children(
        &self,
        what: &str,
        timeout: Duration,
        probe: impl Fn(&[Value]) -> bool,
    ) -> Result<Vec<Value>> {
        Ok(wait::until(what, timeout, || {
            let children = self.children().map_err(|e| e.to_string())?;
            if probe(&children) {
                return Ok(children);
            }
            Err(format!(
                "children: {:?}",
                children.iter().map(object::describe).collect::<Vec<_>>()
            ))
        })?)
    }

    fn selector(&self) -> String {
        format!("{INSTANCE_LABEL}={}", self.name)
    }
}
