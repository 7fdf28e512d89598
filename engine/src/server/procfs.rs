//! Reads process counters from /proc and cgroup v2 (the profiler's I/O edge). Missing files
//! (other platforms, restricted containers) leave the corresponding counters at zero.

use crate::core::profiler::ProcessCounters;
use std::fs;

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
    c.cgroup_memory_bytes = read_u64("/sys/fs/cgroup/memory.current");
    c.cgroup_memory_limit = read_u64("/sys/fs/cgroup/memory.max");
    c
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
    fn live_counters_are_plausible() {
        let c = read_counters();
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(c.rss_bytes > 0);
            assert!(c.threads >= 1);
        }
    }
}
