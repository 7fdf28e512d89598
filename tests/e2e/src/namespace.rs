//! One throwaway namespace per test, deleted (without waiting) when the guard drops.
//!
//! Every test namespace enforces the Pod Security `restricted` profile, so the API server's
//! admission refuses any pod the operator's StatefulSets and Jobs (or a chart's Deployment) would
//! create that does not meet it: the whole suite doubles as a check of every pod template.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::Kubectl;
use crate::kubectl::KubectlError;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The Pod Security labels of every test namespace: enforce `restricted`, and warn with it so a
/// workload object whose pods would be refused is flagged when it is written.
pub const POD_SECURITY_LABELS: [&str; 2] = [
    "pod-security.kubernetes.io/enforce=restricted",
    "pod-security.kubernetes.io/warn=restricted",
];

/// A namespace created for one test.
#[derive(Debug)]
pub struct TestNamespace {
    name: String,
    kubectl: Kubectl,
}

impl TestNamespace {
    /// Creates a namespace named after `prefix`, this process and a counter, enforcing the
    /// Pod Security `restricted` profile ([`POD_SECURITY_LABELS`]).
    pub fn create(kubectl: &Kubectl, prefix: &str) -> Result<Self, KubectlError> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}-{}-{n}", std::process::id());
        kubectl.run(&["create", "namespace", &name])?;
        // The guard exists before labelling, so a failed label still deletes the namespace.
        let namespace = Self {
            name,
            kubectl: kubectl.clone(),
        };
        let mut label = vec!["label", "namespace", namespace.name.as_str()];
        label.extend(POD_SECURITY_LABELS);
        kubectl.run(&label)?;
        Ok(namespace)
    }

    /// The namespace name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        // Best effort: a failed cleanup must not hide the test's own result.
        let _ = self
            .kubectl
            .run(&["delete", "namespace", &self.name, "--wait=false"]);
    }
}
