//! Helpers for process-level tests: run the real `vexfs-engine` binary on a free loopback port.

#![allow(dead_code)]

pub mod auth;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The engine binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_vexfs-engine");

/// A running engine process.
pub struct Engine {
    /// The child process.
    pub child: Child,
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Engine {
    /// Starts the engine on `data_dir` and waits until `/readyz` answers 200.
    pub async fn start(data_dir: &Path) -> Engine {
        Engine::spawn(data_dir, None).await
    }

    /// Like [`Engine::start`], with the TOML configuration file `config`.
    pub async fn start_with_config(data_dir: &Path, config: &Path) -> Engine {
        Engine::spawn(data_dir, Some(config)).await
    }

    async fn spawn(data_dir: &Path, config: Option<&Path>) -> Engine {
        let port = free_port();
        let log = std::fs::File::create(data_dir.with_extension(format!("{port}.log"))).unwrap();
        let config_args = config.into_iter().flat_map(|c| [Path::new("--config"), c]);
        let child = Command::new(BIN)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data_dir)
            .args(config_args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("engine binary starts");
        let engine = Engine {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        engine.wait_ready().await;
        engine
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("engine at {} never became ready", self.url);
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Stops the process gracefully (SIGTERM) and waits for it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().expect("reaped");
        assert!(status.success(), "graceful shutdown exits 0, got {status}");
    }

    /// GET a JSON document.
    pub async fn get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{}", self.url, path))
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    /// Every retained event, following the cursor.
    pub async fn all_events(&self, filter: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<u64> = None;
        loop {
            let c = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
            let page = self
                .get(&format!("/api/v1/events?limit=10000{filter}{c}"))
                .await;
            out.extend(page["events"].as_array().cloned().unwrap_or_default());
            match page["nextCursor"].as_u64() {
                Some(next) => cursor = Some(next),
                None => return out,
            }
        }
    }
}

/// Kills the process when a test ends (or panics) without stopping it.
impl Drop for Engine {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs the binary with `args` and returns its output.
pub fn run_cli(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("binary runs")
}

/// A temp dir path inside `root`.
pub fn sub(root: &Path, name: &str) -> PathBuf {
    root.join(name)
}
