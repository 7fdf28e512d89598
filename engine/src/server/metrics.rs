//! Prometheus metrics of the engine (registry shared with the analytics and alerting modules).

use crate::core::profiler::{ProcessCounters, Stage};
use prometheus::{
    CounterVec, Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter,
    IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use thiserror::Error;

/// Metric registration failures.
#[derive(Debug, Error)]
pub enum MetricsError {
    /// The prometheus crate refused a metric.
    #[error("metric registration failed: {0}")]
    Register(#[from] prometheus::Error),
}

/// All engine metrics.
pub struct Metrics {
    /// The registry `/metrics` renders; other modules may register into it.
    pub registry: Registry,
    /// Events accepted and logged.
    pub events_ingested: IntCounter,
    /// Events skipped because their idempotency key was seen.
    pub events_duplicate: IntCounter,
    /// Ingest requests by outcome.
    pub ingest_requests: IntCounterVec,
    /// Events per accepted request.
    pub batch_events: Histogram,
    /// Per-stage durations.
    pub stage_seconds: HistogramVec,
    /// Bytes appended to the log.
    pub wal_bytes: IntCounter,
    /// Group commits.
    pub wal_commits: IntCounter,
    /// Events retained in memory.
    pub events_retained: IntGauge,
    /// 1 once replay finished.
    pub ready: IntGauge,
    /// Process counters from the profiler.
    pub process: GaugeVec,
    /// 1 for stages currently flagged as bottlenecks.
    pub bottleneck: GaugeVec,
    /// Connected stream clients.
    pub stream_clients: Gauge,
    /// Acknowledged events not yet applied to the analytics hooks.
    pub analytics_lag_events: IntGauge,
    /// Anomaly records made, by kind and detector.
    pub anomalies_total: IntCounterVec,
    /// Events processed per stage (the profiler's count, published each sample).
    pub stage_events: IntCounterVec,
    /// Time spent per stage (the profiler's total, published each sample).
    pub stage_busy_seconds: CounterVec,
    /// The configured per-event processing latency target.
    pub latency_target_seconds: Gauge,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Result<Metrics, MetricsError> {
        let registry = Registry::new();
        let stage_buckets = prometheus::exponential_buckets(1e-6, 4.0, 12)?;
        let m = Metrics {
            events_ingested: IntCounter::new(
                "vexfs_events_ingested_total",
                "Events accepted and logged",
            )?,
            events_duplicate: IntCounter::new(
                "vexfs_events_duplicate_total",
                "Events skipped because their idempotency key was already stored",
            )?,
            ingest_requests: IntCounterVec::new(
                Opts::new("vexfs_ingest_requests_total", "Ingest requests by outcome"),
                &["outcome"],
            )?,
            batch_events: Histogram::with_opts(
                HistogramOpts::new(
                    "vexfs_ingest_batch_events",
                    "Events per accepted ingest request",
                )
                .buckets(prometheus::exponential_buckets(1.0, 4.0, 10)?),
            )?,
            stage_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "vexfs_stage_duration_seconds",
                    "Time per pipeline stage call",
                )
                .buckets(stage_buckets),
                &["stage"],
            )?,
            wal_bytes: IntCounter::new(
                "vexfs_wal_bytes_written_total",
                "Bytes appended to the log",
            )?,
            wal_commits: IntCounter::new("vexfs_wal_commits_total", "Group commits of the log")?,
            events_retained: IntGauge::new("vexfs_events_retained", "Events retained in memory")?,
            ready: IntGauge::new("vexfs_ready", "1 once log replay has finished")?,
            process: GaugeVec::new(
                Opts::new(
                    "vexfs_process",
                    "Process counters (cpu_seconds, rss_bytes, io and network bytes)",
                ),
                &["counter"],
            )?,
            bottleneck: GaugeVec::new(
                Opts::new(
                    "vexfs_profiler_bottleneck",
                    "1 when the stage's p95 exceeds the threshold",
                ),
                &["stage"],
            )?,
            stream_clients: Gauge::new("vexfs_stream_clients", "Connected /api/v1/stream clients")?,
            analytics_lag_events: IntGauge::new(
                "vexfs_analytics_lag_events",
                "Acknowledged events queued for, but not yet applied to, the analytics",
            )?,
            anomalies_total: IntCounterVec::new(
                Opts::new(
                    "vexfs_anomalies_total",
                    "Anomaly records made, by kind (event, series, session) and detector",
                ),
                &["kind", "detector"],
            )?,
            stage_events: IntCounterVec::new(
                Opts::new(
                    "vexfs_stage_events_total",
                    "Events processed per pipeline stage (alerts and query stages count none)",
                ),
                &["stage"],
            )?,
            stage_busy_seconds: CounterVec::new(
                Opts::new(
                    "vexfs_stage_busy_seconds_total",
                    "Time spent per pipeline stage; divided by vexfs_stage_events_total, the time per event",
                ),
                &["stage"],
            )?,
            latency_target_seconds: Gauge::new(
                "vexfs_processing_latency_target_seconds",
                "Configured per-event processing latency target ([analytics] processing_latency_target_ns)",
            )?,
            registry,
        };
        m.register_all()?;
        Ok(m)
    }

    fn register_all(&self) -> Result<(), MetricsError> {
        let r = &self.registry;
        r.register(Box::new(self.events_ingested.clone()))?;
        r.register(Box::new(self.events_duplicate.clone()))?;
        r.register(Box::new(self.ingest_requests.clone()))?;
        r.register(Box::new(self.batch_events.clone()))?;
        r.register(Box::new(self.stage_seconds.clone()))?;
        r.register(Box::new(self.wal_bytes.clone()))?;
        r.register(Box::new(self.wal_commits.clone()))?;
        r.register(Box::new(self.events_retained.clone()))?;
        r.register(Box::new(self.ready.clone()))?;
        r.register(Box::new(self.process.clone()))?;
        r.register(Box::new(self.bottleneck.clone()))?;
        r.register(Box::new(self.stream_clients.clone()))?;
        r.register(Box::new(self.analytics_lag_events.clone()))?;
        r.register(Box::new(self.anomalies_total.clone()))?;
        r.register(Box::new(self.stage_events.clone()))?;
        r.register(Box::new(self.stage_busy_seconds.clone()))?;
        r.register(Box::new(self.latency_target_seconds.clone()))?;
        Ok(())
    }

    /// Records one stage call.
    pub fn stage(&self, stage: Stage, nanos: u64) {
        self.stage_seconds
            .with_label_values(&[stage.name()])
            .observe(nanos as f64 / 1e9);
    }

    /// Publishes a process sample and the current bottlenecks.
    pub fn publish_process(&self, c: &ProcessCounters, bottlenecks: &[Stage]) {
        let set = |name: &str, v: f64| self.process.with_label_values(&[name]).set(v);
        set("cpu_seconds", c.cpu_seconds);
        set("rss_bytes", c.rss_bytes as f64);
        set("read_bytes", c.read_bytes as f64);
        set("write_bytes", c.write_bytes as f64);
        set("net_rx_bytes", c.net_rx_bytes as f64);
        set("net_tx_bytes", c.net_tx_bytes as f64);
        set("threads", c.threads as f64);
        if let Some(v) = c.cgroup_memory_bytes {
            set("cgroup_memory_bytes", v as f64);
        }
        if let Some(v) = c.cgroup_memory_limit {
            set("cgroup_memory_limit_bytes", v as f64);
        }
        for stage in Stage::ALL {
            let flagged = if bottlenecks.contains(&stage) {
                1.0
            } else {
                0.0
            };
            self.bottleneck
                .with_label_values(&[stage.name()])
                .set(flagged);
        }
    }

    /// Publishes the profiler's per-stage totals (events, time in ns) as counters. Every stage
    /// is published, so each series exists from the first sample on.
    pub fn publish_stage_totals(&self, totals: &[(Stage, u64, u128)]) {
        for (stage, events, total_ns) in totals {
            let counter = self.stage_events.with_label_values(&[stage.name()]);
            counter.inc_by(events.saturating_sub(counter.get()));
            let busy = self.stage_busy_seconds.with_label_values(&[stage.name()]);
            let seconds = *total_ns as f64 / 1e9;
            if seconds > busy.get() {
                busy.inc_by(seconds - busy.get());
            }
        }
    }

    /// Renders the registry in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::profiler::ProcessCounters;

    #[test]
    fn stage_totals_become_monotonic_counters() {
        let m = Metrics::new().unwrap();
        m.publish_stage_totals(&[(Stage::Windows, 10, 2_000), (Stage::Alerts, 0, 500)]);
        m.publish_stage_totals(&[(Stage::Windows, 30, 5_000), (Stage::Alerts, 0, 500)]);
        let windows = m.stage_events.with_label_values(&["windows"]).get();
        assert_eq!(windows, 30);
        let busy = m.stage_busy_seconds.with_label_values(&["windows"]).get();
        assert!((busy - 5e-6).abs() < 1e-12, "{busy}");
        let text = m.render();
        assert!(
            text.contains(r#"vexfs_stage_events_total{stage="alerts"} 0"#),
            "{text}"
        );
    }

    #[test]
    fn memory_limit_is_published_only_when_limited() {
        let m = Metrics::new().unwrap();
        let unlimited = ProcessCounters {
            cgroup_memory_bytes: Some(100),
            ..ProcessCounters::default()
        };
        m.publish_process(&unlimited, &[]);
        assert!(!m.render().contains("cgroup_memory_limit_bytes"));
        let limited = ProcessCounters {
            cgroup_memory_limit: Some(1 << 30),
            ..unlimited
        };
        m.publish_process(&limited, &[]);
        assert!(
            m.render()
                .contains(r#"vexfs_process{counter="cgroup_memory_limit_bytes"} 1073741824"#)
        );
    }
}
