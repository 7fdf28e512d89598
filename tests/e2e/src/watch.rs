//! Recording every change a `kubectl get --watch` stream reports, for assertions over the
//! whole history (no stale Ready, no resourceVersion movement) rather than sampled polls.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use serde_json::Value;

/// The watch process could not be started.
#[derive(Debug, thiserror::Error)]
#[error("starting `kubectl get --watch`: {0}")]
pub struct WatchError(#[from] std::io::Error);

/// A running `kubectl get --watch -o json` whose objects are collected in order.
#[derive(Debug)]
pub struct Recorder {
    child: Child,
    seen: Arc<Mutex<Vec<Value>>>,
    reader: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Watches `target` (e.g. `vxs/NAME` or `configmap`) in `namespace`. With `changes_only`,
    /// the current state is not reported, only later changes.
    pub fn start(
        kubectl: &Path,
        kubeconfig: &Path,
        namespace: &str,
        target: &str,
        changes_only: bool,
    ) -> Result<Self, WatchError> {
        let mut args: Vec<OsString> = ["--kubeconfig".into(), kubeconfig.into()].into();
        args.extend(["get", target, "-n", namespace, "-o", "json", "--watch"].map(OsString::from));
        if changes_only {
            args.push("--watch-only".into());
        }
        let mut child = Command::new(kubectl)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout pipe"))?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let reader = std::thread::spawn(move || {
            for value in serde_json::Deserializer::from_reader(stdout).into_iter::<Value>() {
                let Ok(value) = value else { break };
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(value);
            }
        });
        Ok(Self {
            child,
            seen,
            reader: Some(reader),
        })
    }

    /// Waits up to `timeout` until the watch has reported something (its current state, unless
    /// started with `changes_only`), so that a change made next cannot happen while kubectl is
    /// still starting; `false` when nothing came.
    pub fn wait_started(&self, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if !self
                .seen
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
            {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    }

    /// Everything reported so far, in order.
    pub fn snapshot(&self) -> Vec<Value> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops the watch and returns everything it reported, in order.
    pub fn finish(mut self) -> Vec<Value> {
        self.stop();
        self.snapshot()
    }

    fn stop(&mut self) {
        // Best effort: the watch may already have ended on its own.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop();
    }
}
