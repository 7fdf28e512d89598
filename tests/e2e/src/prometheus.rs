//! A real Prometheus on loopback (built by `monitoring/tools/build.sh`) that scrapes static
//! targets every second and loads the repository's alert rules, and `promcheck`, which runs
//! every rule and dashboard expression against it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::Cluster;
use crate::command::{self, CommandError};
use crate::process::{Background, ProcessError, free_addr, io};

/// Environment variable naming the directory with prometheus, promtool and promcheck.
pub const PROM_BIN_VAR: &str = "VEXFS_PROM_BIN";
/// The alert rules, relative to the repository.
pub const RULES: &str = "monitoring/rules/vexfs.rules.yaml";
/// The Grafana dashboards, relative to the repository.
pub const DASHBOARDS: &str = "monitoring/grafana";

/// One static scrape target.
#[derive(Debug, Clone)]
pub struct ScrapeTarget {
    /// The `job` label.
    pub job: String,
    /// `host:port`.
    pub addr: String,
    /// Extra target labels (`namespace`, `pod`...), as a ServiceMonitor would add.
    pub labels: BTreeMap<String, String>,
}

/// A running Prometheus.
#[derive(Debug)]
pub struct PrometheusProcess {
    process: Background,
    addr: String,
    bin_dir: PathBuf,
}

fn bin_dir() -> Result<PathBuf, ProcessError> {
    let dir = std::env::var_os(PROM_BIN_VAR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| ProcessError::Missing {
            what: "Prometheus tools ($VEXFS_PROM_BIN)",
            path: PathBuf::from("$VEXFS_PROM_BIN"),
            hint: "tests/e2e/run.sh sets it; or export VEXFS_PROM_BIN=\"$(monitoring/tools/build.sh | tail -n1)\"",
        })?;
    for tool in ["prometheus", "promcheck"] {
        if !dir.join(tool).exists() {
            return Err(ProcessError::Missing {
                what: "Prometheus tool",
                path: dir.join(tool),
                hint: "build it with monitoring/tools/build.sh",
            });
        }
    }
    Ok(dir)
}

impl PrometheusProcess {
    /// Starts Prometheus scraping `targets` every second with the repository's rules loaded and
    /// waits until it is ready. Its data and log live under `target/e2e-logs/<name>/`.
    pub fn start(
        cluster: &Cluster,
        name: &str,
        targets: &[ScrapeTarget],
    ) -> Result<Self, ProcessError> {
        let bin_dir = bin_dir()?;
        let dir = cluster.repo_path("target/e2e-logs").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(io("creating Prometheus's directory"))?;
        let scrape_configs: Vec<Value> = targets
            .iter()
            .map(|t| {
                json!({"job_name": t.job, "static_configs": [{"targets": [t.addr], "labels": t.labels}]})
            })
            .collect();
        let config = json!({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [cluster.repo_path(RULES)],
            "scrape_configs": scrape_configs,
        });
        let config_file = dir.join("prometheus.yml");
        // JSON is YAML: Prometheus reads it as is.
        std::fs::write(&config_file, config.to_string())
            .map_err(io("writing Prometheus's config"))?;
        let addr = free_addr()?;
        let mut command = Command::new(bin_dir.join("prometheus"));
        command
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn");
        let mut process = Background::spawn(name, command, &dir.join("prometheus.log"))?;
        process.wait_until(Duration::from_secs(60), || {
            crate::http::ok(&addr, "/-/ready")
        })?;
        Ok(Self {
            process,
            addr,
            bin_dir,
        })
    }

    /// `127.0.0.1:PORT` of its API.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Samples an instant query returns now (0 on any error).
    pub fn samples(&self, query: &str) -> usize {
        samples(&self.addr, query)
    }

    /// Waits until every query in `queries` returns samples; on timeout the error lists the
    /// queries still without data.
    pub fn wait_for(&mut self, queries: &[&str], timeout: Duration) -> Result<(), ProcessError> {
        let addr = self.addr.clone();
        let waited = self
            .process
            .wait_until(timeout, || queries.iter().all(|q| samples(&addr, q) > 0));
        match waited {
            Err(ProcessError::NotReady { name, timeout, .. }) => {
                let missing: Vec<&str> = queries
                    .iter()
                    .copied()
                    .filter(|q| samples(&addr, q) == 0)
                    .collect();
                Err(ProcessError::NotReady {
                    name,
                    timeout,
                    log_tail: format!("queries without data: {missing:?}"),
                })
            }
            other => other,
        }
    }

    /// Runs promcheck on the rules and dashboards (every query must return data); returns its
    /// report, or fails with it.
    pub fn check(&self, cluster: &Cluster) -> Result<String, CommandError> {
        let out = command::run(
            &self.bin_dir.join("promcheck"),
            &command::args([
                format!("-url=http://{}", self.addr),
                format!("-rules={}", cluster.repo_path(RULES).display()),
                format!("-dashboards={}", cluster.repo_path(DASHBOARDS).display()),
                "-rate-interval=30s".to_owned(),
            ]),
            &[],
            None,
        )?;
        if out.success {
            return Ok(out.stdout);
        }
        Err(CommandError::Failed {
            command: out.command,
            code: out.code,
            stderr: format!("{}{}", out.stdout, out.stderr),
        })
    }
}

fn samples(addr: &str, query: &str) -> usize {
    let path = format!("/api/v1/query?query={}", encode(query));
    crate::http::get(addr, &path)
        .ok()
        .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
        .and_then(|v| {
            v.pointer("/data/result")
                .and_then(Value::as_array)
                .map(Vec::len)
        })
        .unwrap_or(0)
}

/// Percent-encodes a query string value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
