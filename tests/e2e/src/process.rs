//! A background process whose output goes to a log file under `target/e2e-logs/`, killed and
//! reaped when dropped.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A background process failed to start, exited early or never became ready.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The binary does not exist.
    #[error("{what} not found at {path}: {hint}")]
    Missing {
        /// What was looked for.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// How to get it.
        hint: &'static str,
    },
    /// The process exited on its own.
    #[error("{name} exited ({status}); last log lines:\n{log_tail}")]
    Exited {
        /// The process's name.
        name: String,
        /// Its exit status.
        status: String,
        /// The end of its log.
        log_tail: String,
    },
    /// The readiness check did not pass in time.
    #[error("{name} not ready after {timeout:?}; last log lines:\n{log_tail}")]
    NotReady {
        /// The process's name.
        name: String,
        /// How long was waited.
        timeout: Duration,
        /// The end of its log.
        log_tail: String,
    },
    /// Spawning, signalling or file handling failed.
    #[error("{action}: {source}")]
    Io {
        /// What was attempted.
        action: String,
        /// Underlying error.
        source: std::io::Error,
    },
}

/// Wraps an I/O error with what was being done.
pub fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> ProcessError {
    let action = action.into();
    move |source| ProcessError::Io { action, source }
}

/// A running background process.
#[derive(Debug)]
pub struct Background {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Background {
    /// Spawns `command` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Result<Self, ProcessError> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        }
        let out = File::create(log).map_err(io(format!("creating {}", log.display())))?;
        let err = out.try_clone().map_err(io("duplicating the log handle"))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(io(format!("starting {name}")))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines of its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Fails when the process has exited.
    pub fn ensure_running(&mut self) -> Result<(), ProcessError> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(ProcessError::Exited {
                name: self.name.clone(),
                status: status.to_string(),
                log_tail: self.log_tail(),
            }),
            Err(source) => Err(ProcessError::Io {
                action: format!("checking {}", self.name),
                source,
            }),
        }
    }

    /// Polls `ready` until it holds, failing fast when the process exits.
    pub fn wait_until(
        &mut self,
        timeout: Duration,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), ProcessError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.ensure_running()?;
            if ready() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ProcessError::NotReady {
                    name: self.name.clone(),
                    timeout,
                    log_tail: self.log_tail(),
                });
            }
            std::thread::sleep(crate::wait::POLL_INTERVAL);
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // Best effort: the process must not outlive the test, and drop cannot report errors.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback address (`127.0.0.1:PORT`).
pub fn free_addr() -> Result<String, ProcessError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port"))?;
    let addr = listener.local_addr().map_err(io("finding a free port"))?;
    Ok(addr.to_string())
}
