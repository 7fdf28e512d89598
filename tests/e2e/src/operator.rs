//! The operator as a real process against the started cluster; the guard kills it on drop.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Cluster;
use crate::cluster::KUBECONFIG_VAR;

/// Environment variable overriding the operator binary path.
pub const OPERATOR_BIN_VAR: &str = "VEXFS_OPERATOR_BIN";

/// The operator process could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The binary has not been built.
    #[error(
        "operator binary not found at {0}: build it first with `cargo build -p vexfs-operator`"
    )]
    NotBuilt(PathBuf),
    /// The process exited on its own.
    #[error("operator exited ({status}); last log lines:\n{log_tail}")]
    Exited {
        /// Its exit status.
        status: String,
        /// The end of its log.
        log_tail: String,
    },
    /// `/readyz` did not answer 200 in time.
    #[error(
        "operator not ready on http://{addr}/readyz after {timeout:?}; last log lines:\n{log_tail}"
    )]
    NotReady {
        /// The metrics address.
        addr: String,
        /// How long was waited.
        timeout: Duration,
        /// The end of its log.
        log_tail: String,
    },
    /// Spawning, signalling or logging failed.
    #[error("operator process {action}: {source}")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// Underlying error.
        source: std::io::Error,
    },
}

/// A running `vexfs-operator` process, killed when dropped.
#[derive(Debug)]
pub struct OperatorProcess {
    child: Child,
    log: PathBuf,
}

impl OperatorProcess {
    /// Starts the operator with `args`, `KUBECONFIG` pointing at `cluster`; output goes to
    /// `target/e2e-logs/<name>.log`.
    pub fn start(cluster: &Cluster, name: &str, args: &[&str]) -> Result<Self, OperatorError> {
        let binary = binary_path(cluster);
        if !binary.exists() {
            return Err(OperatorError::NotBuilt(binary));
        }
        let io = |action| move |source| OperatorError::Io { action, source };
        let log_dir = cluster.repo_path("target/e2e-logs");
        std::fs::create_dir_all(&log_dir).map_err(io("creating the log directory"))?;
        let log = log_dir.join(format!("{name}.log"));
        let out = File::create(&log).map_err(io("creating its log"))?;
        let err = out.try_clone().map_err(io("opening its log"))?;
        let child = Command::new(&binary)
            .args(args)
            .env(KUBECONFIG_VAR, cluster.kubeconfig())
            .env("NO_COLOR", "1")
            .env("RUST_BACKTRACE", "0")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(io("spawning"))?;
        Ok(Self { child, log })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything the operator logged so far (for failure messages).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last lines of the operator's log.
    pub fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Fails with [`OperatorError::Exited`] if the process has exited.
    pub fn ensure_running(&mut self) -> Result<(), OperatorError> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(OperatorError::Exited {
                status: status.to_string(),
                log_tail: self.log_tail(),
            }),
            Err(source) => Err(OperatorError::Io {
                action: "checking",
                source,
            }),
        }
    }

    /// Waits until `GET http://<addr>/readyz` answers 200 (caches synced), failing fast if the
    /// process exits first.
    pub fn wait_ready(&mut self, addr: &str, timeout: Duration) -> Result<(), OperatorError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.ensure_running()?;
            if readyz_ok(addr) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(OperatorError::NotReady {
                    addr: addr.to_owned(),
                    timeout,
                    log_tail: self.log_tail(),
                });
            }
            std::thread::sleep(crate::wait::POLL_INTERVAL);
        }
    }

    /// Kills the process abruptly (SIGKILL) and reaps it.
    pub fn kill(mut self) -> Result<(), OperatorError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), OperatorError> {
        if self.is_running() {
            self.child.kill().map_err(|source| OperatorError::Io {
                action: "killing",
                source,
            })?;
        }
        self.child.wait().map_err(|source| OperatorError::Io {
            action: "reaping",
            source,
        })?;
        Ok(())
    }
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        // Best effort: the process must not outlive the test, and drop cannot report errors.
        let _ = self.stop();
    }
}

/// True when `GET /readyz` on `addr` answers with status 200.
fn readyz_ok(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let request = format!("GET /readyz HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    let mut response = String::new();
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && response.split_whitespace().nth(1) == Some("200")
}

/// `$VEXFS_OPERATOR_BIN`, else `vexfs-operator` in the Cargo target directory's debug profile.
pub fn binary_path(cluster: &Cluster) -> PathBuf {
    if let Some(path) = std::env::var_os(OPERATOR_BIN_VAR).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| cluster.repo_path("target"), PathBuf::from);
    target.join("debug/vexfs-operator")
}
