//! One throwaway namespace per test, deleted (without waiting) when the guard drops.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::Kubectl;
use crate::kubectl::KubectlError;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A namespace created for one test.
#[derive(Debug)]
pub struct TestNamespace {
    name: String,
    kubectl: Kubectl,
}

impl TestNamespace {
    /// Creates a namespace named after `prefix`, this process and a counter.
    pub fn create(kubectl: &Kubectl, prefix: &str) -> Result<Self, KubectlError> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}-{}-{n}", std::process::id());
        kubectl.run(&["create", "namespace", &name])?;
        Ok(Self {
            name,
            kubectl: kubectl.clone(),
        })
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
