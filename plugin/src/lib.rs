//! `kubectl vexfs`: a kubectl plugin for VexFS Semantic. The pure parts (trees, manifests,
//! phases) are here and unit-tested; `commands` talks to the API server.

pub mod cli;
pub mod commands;
pub mod credentials;
pub mod kinds;
pub mod manifests;
pub mod tree;

/// Any failure of a plugin command.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The API server refused or failed a request.
    #[error("{action}: {source}")]
    Kube {
        /// What was attempted.
        action: String,
        /// Underlying error.
        source: kube::Error,
    },
    /// An object does not exist.
    #[error("{kind} {namespace}/{name} not found")]
    NotFound {
        /// Kind.
        kind: &'static str,
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// The request makes no sense for the objects as they are.
    #[error("{0}")]
    Invalid(String),
    /// A backup finished `Failed`, or a wait ran out of time.
    #[error("{0}")]
    Failed(String),
    /// Reading a local file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
}

/// Wraps a kube error with what was being done.
pub fn kube_err(action: impl Into<String>) -> impl FnOnce(kube::Error) -> PluginError {
    let action = action.into();
    move |source| PluginError::Kube { action, source }
}
