//! The performance profiler: per-stage timing histograms, process samples, history and bottlenecks.
//!
//! Pure: callers pass measured durations, process counters (read from /proc at the edge) and `now`.

use super::stats::{Histogram, Percentiles};
use serde::Serialize;
use std::collections::VecDeque;

/// A pipeline stage that is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    /// Body decoding.
    Decode,
    /// Semantic validation.
    Validate,
    /// Write-ahead log append (including fsync).
    Log,
    /// Windows and statistics.
    Windows,
    /// Pattern, anomaly and forecast analytics.
    Analytics,
    /// Alert rule evaluation.
    Alerts,
    /// Serving queries.
    Query,
}

impl Stage {
    /// Every stage.
    pub const ALL: [Stage; 7] = [
        Stage::Decode,
        Stage::Validate,
        Stage::Log,
        Stage::Windows,
        Stage::Analytics,
        Stage::Alerts,
        Stage::Query,
    ];

    /// Lower-case name (a metric label).
    pub const fn name(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Validate => "validate",
            Stage::Log => "log",
            Stage::Windows => "windows",
            Stage::Analytics => "analytics",
            Stage::Alerts => "alerts",
            Stage::Query => "query",
        }
    }
}

/// Cumulative process counters, read from /proc and the memory cgroup by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessCounters {
    /// User + system CPU time consumed (seconds).
    pub cpu_seconds: f64,
    /// Resident set size (bytes).
    pub rss_bytes: u64,
    /// Bytes read from storage.
    pub read_bytes: u64,
    /// Bytes written to storage.
    pub write_bytes: u64,
    /// Bytes received on all network interfaces.
    pub net_rx_bytes: u64,
    /// Bytes sent on all network interfaces.
    pub net_tx_bytes: u64,
    /// Threads.
    pub threads: u64,
    /// The memory cgroup's usage (v2 `memory.current`, v1 `memory.usage_in_bytes`), when available.
    pub cgroup_memory_bytes: Option<u64>,
    /// The memory cgroup's limit (v2 `memory.max`, v1 `memory.limit_in_bytes`), when limited.
    pub cgroup_memory_limit: Option<u64>,
}

/// One history sample, computed from two consecutive counter readings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSample {
    /// Sample time (ns since epoch).
    pub at_ns: i64,
    /// CPU use over the interval (100 = one full core).
    pub cpu_percent: f64,
    /// Resident memory.
    pub rss_bytes: u64,
    /// Storage read rate.
    pub read_bytes_per_sec: f64,
    /// Storage write rate.
    pub write_bytes_per_sec: f64,
    /// Network receive rate.
    pub net_rx_bytes_per_sec: f64,
    /// Network send rate.
    pub net_tx_bytes_per_sec: f64,
    /// Events processed per second over the interval.
    pub events_per_sec: f64,
    /// p95 per stage over the interval (ns), stages with samples only.
    pub stage_p95_ns: Vec<(Stage, u64)>,
}

/// A stage whose p95 exceeded the configured threshold in the last interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bottleneck {
    /// The slow stage.
    pub stage: Stage,
    /// Its p95 over the last interval (ms).
    pub p95_ms: f64,
    /// The configured threshold (ms).
    pub threshold_ms: f64,
}

/// Timing of one stage since start.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageReport {
    /// The stage.
    pub stage: Stage,
    /// Per-call duration percentiles (ns).
    pub duration_ns: Percentiles,
    /// Events that went through the stage.
    pub events: u64,
    /// Mean time per event (ns).
    pub mean_ns_per_event: f64,
}

/// Everything `GET /api/v1/profile` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileReport {
    /// Per-stage timings since start.
    pub stages: Vec<StageReport>,
    /// Latest process counters.
    pub process: ProcessCounters,
    /// Bottlenecks found at the latest sample.
    pub bottlenecks: Vec<Bottleneck>,
    /// Recent samples, oldest first.
    pub history: Vec<ProfileSample>,
}

/// Profiler settings (from `[profiler]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProfilerSettings {
    /// History length.
    pub max_history: usize,
    /// Stage p95 above this is a bottleneck (ms).
    pub bottleneck_threshold_ms: f64,
    /// Whether bottleneck detection runs.
    pub detect_bottlenecks: bool,
}

#[derive(Default)]
struct StageTimes {
    total: Histogram,
    interval: Histogram,
    events: u64,
    total_ns: u128,
}

/// The profiler state.
pub struct Profiler {
    settings: ProfilerSettings,
    stages: Vec<StageTimes>,
    history: VecDeque<ProfileSample>,
    last: Option<(i64, ProcessCounters, u64)>,
    events: u64,
    bottlenecks: Vec<Bottleneck>,
}

impl Profiler {
    /// A profiler with `settings`.
    pub fn new(settings: ProfilerSettings) -> Self {
        Profiler {
            stages: Stage::ALL.iter().map(|_| StageTimes::default()).collect(),
            history: VecDeque::with_capacity(settings.max_history.min(4096)),
            settings,
            last: None,
            events: 0,
            bottlenecks: Vec::new(),
        }
    }

    /// Records one call of `stage` taking `duration_ns` for `events` events.
    pub fn record(&mut self, stage: Stage, duration_ns: u64, events: u64) {
        let s = &mut self.stages[stage as usize];
        s.total.record(duration_ns);
        s.interval.record(duration_ns);
        s.events += events;
        s.total_ns += u128::from(duration_ns);
        if stage == Stage::Windows {
            self.events += events;
        }
    }

    /// Takes a sample from process counters at `now_ns`; returns the bottlenecks found.
    pub fn sample(&mut self, now_ns: i64, counters: ProcessCounters) -> &[Bottleneck] {
        let stage_p95_ns: Vec<(Stage, u64)> = Stage::ALL
            .iter()
            .zip(&self.stages)
            .filter(|(_, s)| s.interval.count() > 0)
            .map(|(stage, s)| (*stage, s.interval.quantile(0.95)))
            .collect();
        self.bottlenecks = self.find_bottlenecks(&stage_p95_ns);
        if let Some((at, prev, prev_events)) = self.last {
            let secs = (now_ns - at) as f64 / 1e9;
            if secs > 0.0 {
                let rate = |a: u64, b: u64| a.saturating_sub(b) as f64 / secs;
                self.history.push_back(ProfileSample {
                    at_ns: now_ns,
                    cpu_percent: (counters.cpu_seconds - prev.cpu_seconds).max(0.0) / secs * 100.0,
                    rss_bytes: counters.rss_bytes,
                    read_bytes_per_sec: rate(counters.read_bytes, prev.read_bytes),
                    write_bytes_per_sec: rate(counters.write_bytes, prev.write_bytes),
                    net_rx_bytes_per_sec: rate(counters.net_rx_bytes, prev.net_rx_bytes),
                    net_tx_bytes_per_sec: rate(counters.net_tx_bytes, prev.net_tx_bytes),
                    events_per_sec: rate(self.events, prev_events),
                    stage_p95_ns,
                });
                while self.history.len() > self.settings.max_history {
                    self.history.pop_front();
                }
            }
        }
        for s in &mut self.stages {
            s.interval.clear();
        }
        self.last = Some((now_ns, counters, self.events));
        &self.bottlenecks
    }

    fn find_bottlenecks(&self, p95s: &[(Stage, u64)]) -> Vec<Bottleneck> {
        if !self.settings.detect_bottlenecks {
            return Vec::new();
        }
        let threshold_ns = self.settings.bottleneck_threshold_ms * 1e6;
        p95s.iter()
            .filter(|(_, p95)| *p95 as f64 > threshold_ns)
            .map(|(stage, p95)| Bottleneck {
                stage: *stage,
                p95_ms: *p95 as f64 / 1e6,
                threshold_ms: self.settings.bottleneck_threshold_ms,
            })
            .collect()
    }

    /// Per stage since start: events processed and total time spent (ns), in [`Stage::ALL`]
    /// order. Cheap, unlike [`Profiler::report`].
    pub fn stage_totals(&self) -> Vec<(Stage, u64, u128)> {
        Stage::ALL
            .iter()
            .zip(&self.stages)
            .map(|(stage, s)| (*stage, s.events, s.total_ns))
            .collect()
    }

    /// Percentiles of one stage since start.
    pub fn stage(&self, stage: Stage) -> Percentiles {
        self.stages[stage as usize].total.percentiles()
    }

    /// The full report.
    pub fn report(&self) -> ProfileReport {
        ProfileReport {
            stages: Stage::ALL
                .iter()
                .zip(&self.stages)
                .map(|(stage, s)| StageReport {
                    stage: *stage,
                    duration_ns: s.total.percentiles(),
                    events: s.events,
                    mean_ns_per_event: if s.events > 0 {
                        s.total_ns as f64 / s.events as f64
                    } else {
                        0.0
                    },
                })
                .collect(),
            process: self.last.map(|(_, c, _)| c).unwrap_or_default(),
            bottlenecks: self.bottlenecks.clone(),
            history: self.history.iter().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ProfilerSettings {
        ProfilerSettings {
            max_history: 2,
            bottleneck_threshold_ms: 100.0,
            detect_bottlenecks: true,
        }
    }

    #[test]
    fn slow_stage_is_a_bottleneck_for_one_interval() {
        let mut p = Profiler::new(settings());
        for _ in 0..100 {
            p.record(Stage::Log, 150_000_000, 10);
            p.record(Stage::Decode, 1_000, 10);
        }
        let found = p.sample(1_000_000_000, ProcessCounters::default()).to_vec();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].stage, Stage::Log);
        assert!(found[0].p95_ms > 100.0);
        assert!(
            p.sample(2_000_000_000, ProcessCounters::default())
                .is_empty()
        );
    }

    #[test]
    fn history_rates_and_bound() {
        let mut p = Profiler::new(settings());
        let mut c = ProcessCounters::default();
        p.sample(0, c);
        for i in 1..=3 {
            c.cpu_seconds += 0.5;
            c.write_bytes += 1000;
            p.record(Stage::Windows, 10, 200);
            p.sample(i * 1_000_000_000, c);
        }
        let r = p.report();
        assert_eq!(r.history.len(), 2, "bounded by max_history");
        let last = r.history.last().unwrap();
        assert!((last.cpu_percent - 50.0).abs() < 1e-9);
        assert!((last.write_bytes_per_sec - 1000.0).abs() < 1e-9);
        assert!((last.events_per_sec - 200.0).abs() < 1e-9);
        let windows = r.stages.iter().find(|s| s.stage == Stage::Windows).unwrap();
        assert_eq!(windows.events, 600);
        assert!((windows.mean_ns_per_event - 30.0 / 600.0).abs() < 1e-9);
    }
}
