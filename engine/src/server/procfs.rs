//! Reads process counters from /proc and the process's own memory cgroup, v2 or v1 (the
//! profiler's I/O edge). Missing files (other platforms, restricted containers) leave the
//! corresponding counters at zero or unset.

use crate::core::profiler::ProcessCounters;
use std::fs;
use std::path::Path;

/// Clock ticks per second used by /proc/self/stat on Linux.
const TICKS_PER_SEC: f64 = 100.0;

/// Reads the current counters.
pub fn read_counters() -> ProcessCounters {
    let mut c = ProcessCounters::default();
    if let Ok(stat) = fs::read_to_string("/proc/self/stat") {
        parse_stat(&stat, &mut c);
    }
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        c.rss_bytes = field_kb(&status, "VmRSS:").unwrap_or(0) * 1024;
    }
    if let Ok(io) = fs::read_to_string("/proc/self/io") {
        c.read_bytes = field(&io, "read_bytes:").unwrap_or(0);
        c.write_bytes = field(&io, "write_bytes:").unwrap_or(0);
    }
    if let Ok(dev) = fs::read_to_string("/proc/self/net/dev") {
        (c.net_rx_bytes, c.net_tx_bytes) = parse_net_dev(&dev);
    }
    let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    if let Some(files) = memory_cgroup_files(&own)
        .into_iter()
        .find(|f| Path::new(&f.usage).exists())
    {
        c.cgroup_memory_bytes = read_u64(&files.usage);
        c.cgroup_memory_limit = fs::read_to_string(&files.limit)
            .ok()
            .and_then(|text| memory_limit(&text));
    }
    c
}

/// Usage and limit files of one memory cgroup.
#[derive(Debug, PartialEq)]
struct MemoryFiles {
    usage: String,
    limit: String,
}

/// Candidate memory cgroup files for the process whose `/proc/self/cgroup` is `own`, best first:
/// its own cgroup v2 directory, the v2 mount root (a container with its own cgroup namespace
/// sees its cgroup there), then the same two for a v1 `memory` hierarchy.
fn memory_cgroup_files(own: &str) -> Vec<MemoryFiles> {
    let mut v2 = None;
    let mut v1 = None;
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if controllers.is_empty() {
            v2 = Some(path.trim_end_matches('/'));
        } else if controllers.split(',').any(|c| c == "memory") {
            v1 = Some(path.trim_end_matches('/'));
        }
    }
    let mut files = Vec::new();
    let mut push = |dir: String, usage: &str, limit: &str| {
        let candidate = MemoryFiles {
            usage: format!("{dir}/{usage}"),
            limit: format!("{dir}/{limit}"),
        };
        if !files.contains(&candidate) {
            files.push(candidate);
        }
    };
    if let Some(path) = v2 {
        push(
            format!("/sys/fs/cgroup{path}"),
            "memory.current",
            "memory.max",
        );
        push("/sys/fs/cgroup".into(), "memory.current", "memory.max");
    }
    if let Some(path) = v1 {
        let (usage, limit) = ("memory.usage_in_bytes", "memory.limit_in_bytes");
        push(format!("/sys/fs/cgroup/memory{path}"), usage, limit);
        push("/sys/fs/cgroup/memory".into(), usage, limit);
    }
    files
}

/// A memory limit file's value, `None` when unlimited: v2 writes `max`, v1 a page-rounded
/// `i64::MAX`.
fn memory_limit(text: &str) -> Option<u64> {
    const UNLIMITED_V1: u64 = 1 << 62;
    text.trim().parse().ok().filter(|&v| v < UNLIMITED_V1)
}

fn read_u64(path: &str) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn field_kb(text: &str, name: &str) -> Option<u64> {
    field(text, name)
}

/// Parses utime, stime and thread count from `/proc/self/stat`.
fn parse_stat(stat: &str, c: &mut ProcessCounters) {
    // Fields after the parenthesised command name; utime is field 14 overall (index 11 here).
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    c.cpu_seconds = (num(11) + num(12)) as f64 / TICKS_PER_SEC;
    c.threads = num(17);
}

/// Sums receive and transmit bytes over all interfaces except loopback.
fn parse_net_dev(dev: &str) -> (u64, u64) {
    let mut rx = 0;
    let mut tx = 0;
    for line in dev.lines().skip(2) {
        let Some((name, data)) = line.split_once(':') else {
            continue;
        };
        if name.trim() == "lo" {
            continue;
        }
        let nums: Vec<u64> = data
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        rx += nums.first().copied().unwrap_or(0);
        tx += nums.get(8).copied().unwrap_or(0);
    }
    (rx, tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_parsed_after_the_command_name() {
        let stat =
            "42 (vexfs (x) engine) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 1 2 3";
        let mut c = ProcessCounters::default();
        parse_stat(stat, &mut c);
        assert_eq!(c.cpu_seconds, 3.0);
        assert_eq!(c.threads, 7);
    }

    #[test]
    fn net_dev_skips_loopback() {
        let dev = "Inter-|   Receive\n face |bytes packets\n    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n  eth0: 500 5 0 0 0 0 0 0 700 7 0 0 0 0 0 0\n";
        assert_eq!(parse_net_dev(dev), (500, 700));
    }

    #[test]
    fn memory_cgroup_is_the_processes_own_then_the_root() {
        let files = memory_cgroup_files("0::/kubepods/pod1/abc\n");
        assert_eq!(
            files,
            [
                MemoryFiles {
                    usage: "/sys/fs/cgroup/kubepods/pod1/abc/memory.current".into(),
                    limit: "/sys/fs/cgroup/kubepods/pod1/abc/memory.max".into(),
                },
                MemoryFiles {
                    usage: "/sys/fs/cgroup/memory.current".into(),
                    limit: "/sys/fs/cgroup/memory.max".into(),
                },
            ]
        );
        let v1 = memory_cgroup_files("5:cpu,cpuacct:/x\n4:memory:/jobs/7\n0::/\n");
        assert_eq!(v1.len(), 3, "{v1:?}");
        assert_eq!(v1[0].usage, "/sys/fs/cgroup/memory.current");
        assert_eq!(
            v1[1].limit,
            "/sys/fs/cgroup/memory/jobs/7/memory.limit_in_bytes"
        );
        assert_eq!(v1[2].usage, "/sys/fs/cgroup/memory/memory.usage_in_bytes");
        assert!(memory_cgroup_files("garbage").is_empty());
    }

    #[test]
    fn unlimited_memory_has_no_limit() {
        assert_eq!(memory_limit("max\n"), None);
        assert_eq!(memory_limit("9223372036854771712\n"), None);
        assert_eq!(memory_limit("1073741824\n"), Some(1 << 30));
        assert_eq!(memory_limit(""), None);
    }

    #[test]
    fn live_counters_are_plausible() {
        let c = read_counters();
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(c.rss_bytes > 0);
            assert!(c.threads >= 1);
        }
    }
}
