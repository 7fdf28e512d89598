//! Helpers for the clustered-mode tests: a 3-node NATS JetStream cluster on loopback from the
//! `nats-server` binary named by `VEXFS_NATS_SERVER` (built by `tests/nats/build.sh`), and
//! engine replicas in clustered mode. Every process is killed by PID when its handle drops.

#![allow(dead_code)]

pub mod events;
pub mod queries;

// Each test binary uses a subset of the helpers.
#[allow(unused_imports)]
pub use events::{event, ndjson, owned_count, partition_of, post, wait_totals};

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The engine binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_vexfs-engine");

/// Partitions of the test stream.
pub const PARTITIONS: u32 = 8;

/// The `nats-server` binary. Panics (the test fails) when `VEXFS_NATS_SERVER` is unset or
/// names no executable: `make test-cluster` builds it and sets the variable.
pub fn nats_server_binary() -> PathBuf {
    let path = std::env::var_os("VEXFS_NATS_SERVER")
        .map(PathBuf::from)
        .expect(
            "VEXFS_NATS_SERVER is not set: run `make test-cluster`, which builds nats-server \
         (tests/nats/build.sh) and passes its path",
        );
    assert!(
        path.is_file(),
        "VEXFS_NATS_SERVER={} is not a file",
        path.display()
    );
    path
}

/// A free loopback port.
pub fn free_port() -> u16 {
    free_ports(1)[0]
}

/// `n` distinct free loopback ports: all held at once while they are chosen (so the kernel
/// cannot hand out one twice), then released.
pub fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().expect("bound").port())
        .collect()
}

fn kill(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// One NATS server of the cluster.
struct NatsNode {
    config: PathBuf,
    log: PathBuf,
    client_port: u16,
    monitor_port: u16,
    child: Option<Child>,
}

/// A JetStream cluster of three servers on loopback.
pub struct NatsCluster {
    nodes: Vec<NatsNode>,
}

impl NatsCluster {
    /// Starts three servers under `root` and waits until JetStream is healthy on each.
    pub async fn start(root: &Path) -> NatsCluster {
        let bin = nats_server_binary();
        let ports: Vec<(u16, u16, u16)> = free_ports(9)
            .chunks(3)
            .map(|p| (p[0], p[1], p[2]))
            .collect();
        let routes: Vec<String> = ports
            .iter()
            .map(|(_, route, _)| format!("\"nats-route://127.0.0.1:{route}\""))
            .collect();
        let mut nodes = Vec::new();
        for (i, (client, route, monitor)) in ports.iter().enumerate() {
            let dir = root.join(format!("nats-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let config = dir.join("nats.conf");
            std::fs::write(
                &config,
                format!(
                    "server_name: n{i}\nlisten: \"127.0.0.1:{client}\"\nhttp: \"127.0.0.1:{monitor}\"\n\
                     jetstream {{ store_dir: \"{}\", max_memory_store: 64MB, max_file_store: 2GB }}\n\
                     cluster {{ name: vexfs-test, listen: \"127.0.0.1:{route}\", routes: [{}] }}\n",
                    dir.join("js").display(),
                    routes.join(", ")
                ),
            )
            .unwrap();
            nodes.push(NatsNode {
                config,
                log: dir.join("nats.log"),
                client_port: *client,
                monitor_port: *monitor,
                child: None,
            });
        }
        let mut cluster = NatsCluster { nodes };
        for i in 0..3 {
            cluster.spawn(i, &bin);
        }
        for i in 0..3 {
            cluster.wait_healthy(i).await;
        }
        cluster
    }

    fn spawn(&mut self, i: usize, bin: &Path) {
        let node = &mut self.nodes[i];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .unwrap();
        node.child = Some(
            Command::new(bin)
                .arg("-c")
                .arg(&node.config)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("nats-server starts"),
        );
    }

    async fn wait_healthy(&self, i: usize) {
        let url = format!("http://127.0.0.1:{}/healthz", self.nodes[i].monitor_port);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::get(&url).await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The log is in a temporary directory removed while this panic unwinds: quote its end.
        let log = std::fs::read_to_string(&self.nodes[i].log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        panic!(
            "nats server {i} never became healthy; the end of {}:\n{}",
            self.nodes[i].log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }

    /// Every client URL, comma-separated (the engines' `cluster.nats_url`).
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.client_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// SIGKILLs server `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(child) = self.nodes[i].child.as_mut() {
            kill(child);
        }
    }

    /// Starts server `i` again with its store and waits until it is healthy.
    pub async fn restart(&mut self, i: usize) {
        self.spawn(i, &nats_server_binary());
        self.wait_healthy(i).await;
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(child) = node.child.as_mut() {
                kill(child);
            }
        }
    }
}

/// One engine replica in clustered mode.
pub struct Replica {
    /// Base URL.
    pub url: String,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Its log file (stderr).
    pub log: PathBuf,
    config: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Replica {
    /// Starts replica `ordinal` of `replicas` on `data_dir` against `nats_url`, and waits until
    /// it is ready (its owned partitions caught up).
    pub async fn start(root: &Path, nats_url: &str, replicas: u32, ordinal: u32) -> Replica {
        let config = replica_config(nats_url, replicas, ordinal, &[], "");
        Replica::start_named(root, &format!("engine-{ordinal}"), &config, free_port()).await
    }

    /// Starts an engine named `name` (data directory and log under `root`) with the TOML
    /// `config` on `port`, and waits until it is ready.
    pub async fn start_named(root: &Path, name: &str, config: &str, port: u16) -> Replica {
        let data_dir = root.join(name);
        std::fs::create_dir_all(&data_dir).unwrap();
        let config_path = root.join(format!("{name}-{port}.toml"));
        std::fs::write(&config_path, config).unwrap();
        let mut replica = Replica {
            url: format!("http://127.0.0.1:{port}"),
            log: root.join(format!("{name}.log")),
            data_dir,
            config: config_path,
            port,
            child: None,
        };
        replica.spawn();
        replica.wait_ready().await;
        replica
    }

    /// The process id of the running engine.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        self.child = Some(
            Command::new(BIN)
                .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
                .arg("--data-dir")
                .arg(&self.data_dir)
                .arg("--config")
                .arg(&self.config)
                .env("RUST_LOG", "info")
                .env("PRODUCTION_LOG_LEVEL", "info")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("engine binary starts"),
        );
    }

    /// Waits until `/readyz` answers 200 (at most 120 s).
    pub async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::get(format!("{}/readyz", self.url)).await
                && r.status().is_success()
            {
                return;
            }
            if let Some(status) = self.exited() {
                panic!(
                    "replica {} exited with {status}: {}",
                    self.url,
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "replica {} never became ready: {}",
            self.url,
            self.log_text()
        );
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// The replica's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILLs the process.
    pub fn kill(&mut self) {
        if let Some(child) = self.child.as_mut() {
            kill(child);
        }
    }

    /// Stops the process with SIGTERM and asserts a clean exit.
    pub fn stop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let status = child.wait().expect("reaped");
            assert!(status.success(), "graceful shutdown exits 0, got {status}");
        }
    }

    /// Starts the process again on the same data directory and waits until it is ready.
    pub async fn restart(&mut self) {
        self.spawn();
        self.wait_ready().await;
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

    /// This replica's own `totalEvents` (`/api/v1/stats?scope=local`).
    pub async fn total(&self) -> u64 {
        self.get("/api/v1/stats?scope=local").await["parts"]["totalEvents"]
            .as_u64()
            .expect("parts.totalEvents")
    }
}

/// The TOML of replica `ordinal` of `replicas` (sessions keyed by session id), with `peers`
/// (base URLs by ordinal; empty: none); `extra` follows `session_key` in `[pattern_discovery]`:
/// more keys of that section, then any other sections. Peers get 30 s to answer (the default is
/// 5 s): counting the pattern candidates of the 200,000-event stream (phase 2) takes seconds in a
/// debug build on a loaded machine.
pub fn replica_config(
    nats_url: &str,
    replicas: u32,
    ordinal: u32,
    peers: &[String],
    extra: &str,
) -> String {
    let peers: Vec<String> = peers.iter().map(|p| format!("\"{p}\"")).collect();
    format!(
        "[cluster]\nmode = \"nats\"\nnats_url = \"{nats_url}\"\npartitions = {PARTITIONS}\n\
         stream_replicas = 3\nreplicas = {replicas}\nordinal = {ordinal}\npeers = [{}]\n\
         peer_timeout_ms = 30000\n\n[pattern_discovery]\nsession_key = \"session\"\n{extra}",
        peers.join(", ")
    )
}

/// Starts `replicas` replicas that know each other (`[cluster] peers`), each with the `extra`
/// TOML of [`replica_config`], and waits until all are ready.
pub async fn start_cluster(
    root: &Path,
    nats_url: &str,
    replicas: u32,
    extra: &str,
) -> Vec<Replica> {
    let ports = free_ports(replicas as usize);
    let peers: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut out = Vec::new();
    for (ordinal, port) in (0..replicas).zip(&ports) {
        let config = replica_config(nats_url, replicas, ordinal, &peers, extra);
        out.push(Replica::start_named(root, &format!("engine-{ordinal}"), &config, *port).await);
    }
    out
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}
