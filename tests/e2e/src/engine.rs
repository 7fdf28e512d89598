//! The engine (`vexfs-engine serve`) as a real process on loopback, optionally inside a memory
//! cgroup with a limit so that it reports `cgroup_memory_limit_bytes` as it does in a pod.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::Cluster;
use crate::process::{Background, ProcessError, free_addr, io};

/// How long replay and startup may take.
pub const ENGINE_READY: Duration = Duration::from_secs(60);

/// A running engine with its own data directory. Fields drop in order: the process is killed
/// and reaped before its cgroup is removed.
#[derive(Debug)]
pub struct EngineProcess {
    process: Background,
    /// Held for its `Drop`, which removes the cgroup.
    _cgroup: Option<MemoryCgroup>,
    addr: String,
}

impl EngineProcess {
    /// Starts `target/debug/vexfs-engine serve` with `config` (TOML) and a fresh data directory
    /// under `target/e2e-logs/<name>/`, moves it into a memory cgroup limited to
    /// `memory_limit` bytes when given, and waits for `/readyz`.
    pub fn start(
        cluster: &Cluster,
        name: &str,
        config: &str,
        memory_limit: Option<u64>,
    ) -> Result<Self, ProcessError> {
        let binary = engine_binary(cluster);
        if !binary.exists() {
            return Err(ProcessError::Missing {
                what: "engine binary",
                path: binary,
                hint: "build it first with `cargo build -p vexfs-engine`",
            });
        }
        let dir = cluster.repo_path("target/e2e-logs").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).map_err(io("creating the engine's directory"))?;
        let config_file = dir.join("engine.toml");
        std::fs::write(&config_file, config).map_err(io("writing the engine's config"))?;
        let addr = free_addr()?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .arg("--config")
            .arg(&config_file)
            .arg("--listen")
            .arg(&addr)
            .arg("--data-dir")
            .arg(dir.join("data"));
        let process = Background::spawn(name, command, &dir.join("engine.log"))?;
        let cgroup = memory_limit
            .map(|limit| MemoryCgroup::create(name, limit, process.pid()))
            .transpose()?;
        let mut engine = Self {
            process,
            _cgroup: cgroup,
            addr,
        };
        let addr = engine.addr.clone();
        engine
            .process
            .wait_until(ENGINE_READY, || crate::http::ok(&addr, "/readyz"))?;
        Ok(engine)
    }

    /// `127.0.0.1:PORT` of its API.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Fails when the engine has exited.
    pub fn ensure_running(&mut self) -> Result<(), ProcessError> {
        self.process.ensure_running()
    }
}

/// `target/debug/vexfs-engine` in the Cargo target directory.
pub fn engine_binary(cluster: &Cluster) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| cluster.repo_path("target"), PathBuf::from);
    target.join("debug/vexfs-engine")
}

/// A memory cgroup (v2, or v1's `memory` hierarchy) created under the test process's own.
#[derive(Debug)]
struct MemoryCgroup {
    dir: PathBuf,
}

impl MemoryCgroup {
    fn create(name: &str, limit: u64, pid: u32) -> Result<Self, ProcessError> {
        let own = std::fs::read_to_string("/proc/self/cgroup")
            .map_err(io("reading /proc/self/cgroup"))?;
        let (parent, limit_file) = own_memory_cgroup(&own).ok_or_else(|| ProcessError::Io {
            action: "finding the test's memory cgroup".into(),
            source: std::io::Error::other("no memory controller in /proc/self/cgroup"),
        })?;
        let dir = parent.join(format!("vexfs-e2e-{name}-{}", std::process::id()));
        let hint = "the engine's memory metrics need a memory cgroup with a limit; run the suite as root on a cgroup v1 or v2 host";
        let create = |action: String, result: std::io::Result<()>| {
            result.map_err(|source| ProcessError::Io {
                action: format!("{action} ({hint})"),
                source,
            })
        };
        create(
            format!("creating {}", dir.display()),
            std::fs::create_dir_all(&dir),
        )?;
        let cgroup = Self { dir };
        create(
            format!("limiting {}", cgroup.dir.display()),
            std::fs::write(cgroup.dir.join(limit_file), limit.to_string()),
        )?;
        create(
            format!("moving the engine into {}", cgroup.dir.display()),
            std::fs::write(cgroup.dir.join("cgroup.procs"), pid.to_string()),
        )?;
        Ok(cgroup)
    }
}

impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        // Best effort: an empty cgroup is removed with rmdir; drop cannot report errors.
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The directory of this process's memory cgroup and the name of its limit file.
fn own_memory_cgroup(proc_self_cgroup: &str) -> Option<(PathBuf, &'static str)> {
    let mut v2 = None;
    for line in proc_self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let path = path.trim_start_matches('/');
        if controllers.split(',').any(|c| c == "memory") {
            return Some((
                Path::new("/sys/fs/cgroup/memory").join(path),
                "memory.limit_in_bytes",
            ));
        }
        if controllers.is_empty() {
            v2 = Some((Path::new("/sys/fs/cgroup").join(path), "memory.max"));
        }
    }
    v2.filter(|(dir, _)| dir.join("memory.max").exists() || dir.join("cgroup.controllers").exists())
}
