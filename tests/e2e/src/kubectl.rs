//! A `kubectl` runner bound to one kubeconfig, with JSON-returning helpers.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::command::{self, CommandError, Output};

/// A kubectl invocation failed or printed something unexpected.
#[derive(Debug, thiserror::Error)]
pub enum KubectlError {
    /// kubectl could not run or exited unsuccessfully.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// kubectl printed output that is not the JSON that was asked for.
    #[error("parsing the JSON output of `{command}`: {source}")]
    Json {
        /// The command line.
        command: String,
        /// Underlying error.
        source: serde_json::Error,
    },
}

/// Runs kubectl against one cluster.
#[derive(Debug, Clone)]
pub struct Kubectl {
    binary: PathBuf,
    kubeconfig: PathBuf,
}

impl Kubectl {
    /// A runner for `binary` using `kubeconfig`.
    pub fn new(binary: PathBuf, kubeconfig: PathBuf) -> Self {
        Self { binary, kubeconfig }
    }

    /// Runs kubectl with `args`, feeding `stdin`; returns the output whatever the exit status.
    pub fn try_run(&self, args: &[&str], stdin: Option<&str>) -> Result<Output, CommandError> {
        let mut all = command::args(["--kubeconfig".into(), OsString::from(&self.kubeconfig)]);
        all.extend(args.iter().map(OsString::from));
        command::run(&self.binary, &all, &[], stdin)
    }

    /// Runs kubectl with `args`; fails unless it exits successfully. Returns stdout.
    pub fn run(&self, args: &[&str]) -> Result<String, KubectlError> {
        Ok(self.try_run(args, None)?.checked()?.stdout)
    }

    /// Runs kubectl with `args` and `stdin`; fails unless it exits successfully. Returns stdout.
    pub fn run_with_input(&self, args: &[&str], stdin: &str) -> Result<String, KubectlError> {
        Ok(self.try_run(args, Some(stdin))?.checked()?.stdout)
    }

    /// Runs kubectl with `args` plus `-o json` and parses the result.
    pub fn json(&self, args: &[&str]) -> Result<Value, KubectlError> {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.try_run(&all, None)?.checked()?;
        serde_json::from_str(&out.stdout).map_err(|source| KubectlError::Json {
            command: out.command,
            source,
        })
    }

    /// The object `kind/name` in `namespace`, or `None` when it does not exist.
    pub fn get(
        &self,
        kind: &str,
        name: &str,
        namespace: &str,
    ) -> Result<Option<Value>, KubectlError> {
        let target = format!("{kind}/{name}");
        let out = self.try_run(
            &[
                "get",
                &target,
                "-n",
                namespace,
                "-o",
                "json",
                "--ignore-not-found",
            ],
            None,
        )?;
        let out = out.checked()?;
        if out.stdout.trim().is_empty() {
            return Ok(None);
        }
        let value = serde_json::from_str(&out.stdout).map_err(|source| KubectlError::Json {
            command: out.command,
            source,
        })?;
        Ok(Some(value))
    }

    /// Every object of `kind` in `namespace` matching the label `selector` (may be empty).
    pub fn list(
        &self,
        kind: &str,
        namespace: &str,
        selector: &str,
    ) -> Result<Vec<Value>, KubectlError> {
        let mut args = vec!["get", kind, "-n", namespace];
        if !selector.is_empty() {
            args.extend(["-l", selector]);
        }
        let list = self.json(&args)?;
        Ok(list["items"].as_array().cloned().unwrap_or_default())
    }

    /// Client-side `kubectl apply -f FILE` into `namespace`.
    pub fn apply_file(&self, file: &Path, namespace: &str) -> Result<String, KubectlError> {
        let file = file.to_string_lossy();
        self.run(&["apply", "-n", namespace, "-f", &file])
    }

    /// Server-side apply of `manifest` into `namespace` under `field_manager`.
    pub fn server_side_apply(
        &self,
        manifest: &str,
        namespace: &str,
        field_manager: &str,
    ) -> Result<String, KubectlError> {
        let manager = format!("--field-manager={field_manager}");
        self.run_with_input(
            &[
                "apply",
                "--server-side",
                &manager,
                "-n",
                namespace,
                "-f",
                "-",
            ],
            manifest,
        )
    }

    /// Merge-patches `kind/name` in `namespace` with the JSON `patch`.
    pub fn merge_patch(
        &self,
        kind: &str,
        name: &str,
        namespace: &str,
        patch: &Value,
    ) -> Result<String, KubectlError> {
        let target = format!("{kind}/{name}");
        let patch = patch.to_string();
        self.run(&[
            "patch",
            &target,
            "-n",
            namespace,
            "--type=merge",
            "-p",
            &patch,
        ])
    }

    /// Deletes `kind/name` in `namespace` without waiting for finalization.
    pub fn delete_nowait(
        &self,
        kind: &str,
        name: &str,
        namespace: &str,
    ) -> Result<String, KubectlError> {
        let target = format!("{kind}/{name}");
        self.run(&[
            "delete",
            &target,
            "-n",
            namespace,
            "--ignore-not-found",
            "--wait=false",
        ])
    }
}
