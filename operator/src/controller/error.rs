//! The error of a reconcile: every step's own error, wrapped, with a short label for metrics.

use super::build::BuildError;
use super::{apply, credentials, fetch, plan, tls};

/// A transient reconcile failure; retried with per-object backoff.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// Reading from the cluster failed.
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    /// A built child did not serialise.
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    /// Applying or deleting a child failed.
    #[error(transparent)]
    Apply(#[from] apply::ApplyError),
    /// Issuing or storing the operator's certificates failed.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// Creating a generated credentials Secret failed.
    #[error(transparent)]
    Credentials(#[from] credentials::CredentialsError),
    /// Building a child failed (`engine.toml`, the embedded alert rules).
    #[error(transparent)]
    Render(#[from] BuildError),
    /// Writing the status failed.
    #[error("patching status: {0}")]
    Status(#[source] kube::Error),
}

impl ReconcileError {
    /// Short label for the errors-by-reason metric.
    pub fn metric_reason(&self) -> &'static str {
        match self {
            Self::Fetch(_) => "fetch",
            Self::Plan(_) => "plan",
            Self::Apply(_) => "apply",
            Self::Render(_) => "render",
            Self::Credentials(_) => "credentials",
            Self::Tls(_) => "tls",
            Self::Status(_) => "status",
        }
    }
}
