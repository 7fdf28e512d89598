//! The started local control plane: where its kubeconfig and tools are, and where the
//! repository (samples, CRDs, chart, operator binary) lives.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::Kubectl;
use crate::command::{self, CommandError, Output};

/// Environment variable naming the admin kubeconfig of the started cluster.
pub const KUBECONFIG_VAR: &str = "KUBECONFIG";
/// Environment variable naming the directory with kubectl, helm and kstatus.
pub const BIN_VAR: &str = "VEXFS_E2E_BIN";

/// The control plane is not available to the suite.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A required environment variable is unset.
    #[error(
        "{var} is not set. The e2e suite needs the local control plane: run \
         `eval \"$(tests/e2e/cluster/up.sh)\"` first (`make test` does this), then rerun."
    )]
    MissingVar {
        /// The variable name.
        var: &'static str,
    },
    /// A path named by the environment does not exist.
    #[error("{what} not found at {path}: {hint}")]
    MissingPath {
        /// What was looked for.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// How to fix it.
        hint: &'static str,
    },
}

/// Handle on the started cluster and the tools built for it.
#[derive(Debug, Clone)]
pub struct Cluster {
    kubeconfig: PathBuf,
    bin_dir: PathBuf,
    repo_root: PathBuf,
}

impl Cluster {
    /// Locates the cluster from `KUBECONFIG` and `VEXFS_E2E_BIN`; fails with a clear message
    /// when they are missing, so the suite never passes without a cluster.
    pub fn from_env() -> Result<Self, ClusterError> {
        let var = |var| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .ok_or(ClusterError::MissingVar { var })
        };
        let kubeconfig = PathBuf::from(var(KUBECONFIG_VAR)?);
        let bin_dir = PathBuf::from(var(BIN_VAR)?);
        let hint = "start the control plane with tests/e2e/cluster/up.sh";
        must_exist("kubeconfig", &kubeconfig, hint)?;
        for tool in ["kubectl", "helm", "kstatus"] {
            must_exist("tool", &bin_dir.join(tool), hint)?;
        }
        let repo_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        Ok(Self {
            kubeconfig,
            bin_dir,
            repo_root,
        })
    }

    /// The admin kubeconfig path.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Root of the repository (samples, CRDs, chart).
    pub fn repo_root(&self) -> &Path {
        &self.repo_root
    }

    /// A path below the repository root.
    pub fn repo_path(&self, relative: &str) -> PathBuf {
        self.repo_root.join(relative)
    }

    /// Starts recording a `kubectl get --watch` of `target` in `namespace`.
    pub fn watch(
        &self,
        namespace: &str,
        target: &str,
        changes_only: bool,
    ) -> Result<crate::watch::Recorder, crate::watch::WatchError> {
        crate::watch::Recorder::start(
            &self.bin_dir.join("kubectl"),
            &self.kubeconfig,
            namespace,
            target,
            changes_only,
        )
    }

    /// A kubectl runner bound to this cluster.
    pub fn kubectl(&self) -> Kubectl {
        Kubectl::new(self.bin_dir.join("kubectl"), self.kubeconfig.clone())
    }

    /// Runs `helm` against this cluster; `Ok` only when it exits successfully.
    pub fn helm(&self, args: &[&str]) -> Result<Output, CommandError> {
        let env = [(KUBECONFIG_VAR, OsString::from(&self.kubeconfig))];
        command::run(&self.bin_dir.join("helm"), &command::args(args), &env, None)?.checked()
    }

    /// Computes the kstatus of one object given as JSON; returns the status word
    /// (`Current`, `InProgress`, `Failed`, ...) and the checker's message.
    pub fn kstatus(&self, object_json: &str) -> Result<(String, String), CommandError> {
        let out =
            command::run(&self.bin_dir.join("kstatus"), &[], &[], Some(object_json))?.checked()?;
        let line = out.stdout.trim();
        let (status, message) = line.split_once(' ').unwrap_or((line, ""));
        Ok((status.to_owned(), message.to_owned()))
    }
}

fn must_exist(what: &'static str, path: &Path, hint: &'static str) -> Result<(), ClusterError> {
    if path.exists() {
        return Ok(());
    }
    Err(ClusterError::MissingPath {
        what,
        path: path.to_path_buf(),
        hint,
    })
}
