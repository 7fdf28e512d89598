//! Harness for the end-to-end suite: the local control plane started by
//! `tests/e2e/cluster/up.sh`, the `kubectl`/`helm`/`kstatus` tools it built, the operator as
//! a real process, per-test namespaces and bounded waits.
//!
//! The suite talks to the API server only through the real command-line tools, so what it
//! checks is exactly what a user or a GitOps tool sees.

pub mod backup_volume;
pub mod backups;
pub mod cluster;
pub mod command;
pub mod crds;
pub mod engine;
pub mod events;
pub mod fault;
pub mod http;
pub mod kubectl;
pub mod namespace;
pub mod object;
pub mod operator;
pub mod process;
pub mod prometheus;
pub mod samples;
pub mod scenario;
pub mod stack;
pub mod wait;
pub mod watch;

pub use cluster::Cluster;
pub use kubectl::Kubectl;
pub use namespace::TestNamespace;
pub use operator::OperatorProcess;
pub use scenario::Scenario;
pub use stack::Stack;

/// Any failure of the harness or of a checked expectation.
#[derive(thiserror::Error)]
pub enum Error {
    /// The control plane or a binary could not be located.
    #[error(transparent)]
    Cluster(#[from] cluster::ClusterError),
    /// An external command failed.
    #[error(transparent)]
    Command(#[from] command::CommandError),
    /// A command printed something that is not the expected JSON or YAML.
    #[error(transparent)]
    Kubectl(#[from] kubectl::KubectlError),
    /// The operator process could not be started.
    #[error(transparent)]
    Operator(#[from] operator::OperatorError),
    /// A sample file could not be read.
    #[error(transparent)]
    Samples(#[from] samples::SamplesError),
    /// A background process (engine, Prometheus) failed.
    #[error(transparent)]
    Process(#[from] process::ProcessError),
    /// An HTTP request to a loopback server failed.
    #[error(transparent)]
    Http(#[from] http::HttpError),
    /// A watch could not be started.
    #[error(transparent)]
    Watch(#[from] watch::WatchError),
    /// A bounded wait ran out of time.
    #[error(transparent)]
    Wait(#[from] wait::WaitError),
    /// An expectation about the cluster state did not hold.
    #[error("expectation failed: {0}")]
    Expectation(String),
}

/// Tests return `Result`, and the test runner prints a failed test's error with `Debug`: show
/// the readable message and its causes instead of the enum structure.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            write!(f, "\n  caused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// Result type of the harness and of the tests.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Fails with [`Error::Expectation`] carrying `message` unless `condition` holds.
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<()> {
    if condition {
        Ok(())
    } else {
        Err(Error::Expectation(message()))
    }
}
