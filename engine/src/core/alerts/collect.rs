//! Filling [`AlertInputs`] from the core's reports: window statistics and the profiler.

use super::inputs::AlertInputs;
use crate::core::profiler::ProfileReport;
use crate::core::stats::Percentiles;
use crate::core::windows_report::StatsReport;
use crate::event::EventType;

/// The time window rates and latencies are read from.
pub const RATE_WINDOW: &str = "1m";

const NS_PER_MS: f64 = 1_000_000.0;

fn ms(p: &Percentiles, pick: fn(&Percentiles) -> u64) -> Option<f64> {
    (p.count > 0).then(|| pick(p) as f64 / NS_PER_MS)
}

impl AlertInputs {
    /// Sets rates and latency percentiles from the one-minute window (the count window when
    /// there is no such window).
    pub fn with_stats(mut self, stats: &StatsReport) -> Self {
        let window = stats.time_windows.iter().find(|w| w.window == RATE_WINDOW);
        let (events, rate, breakdown, latency) = match window {
            Some(w) => (w.events, w.rate_per_sec, &w.breakdown, &w.latency_ns),
            None => {
                let c = &stats.count_window;
                (c.events, c.rate_per_sec, &c.breakdown, &c.latency_ns)
            }
        };
        let per_event = if events > 0 {
            rate / events as f64
        } else {
            0.0
        };
        self.event_rate = Some(rate);
        self.type_rates = breakdown
            .by_type
            .iter()
            .map(|(name, &count)| ((*name).to_owned(), count as f64 * per_event))
            .collect();
        let errors = breakdown
            .by_type
            .get(EventType::ObservabilityErrorReported.name())
            .copied()
            .unwrap_or(0);
        self.error_rate = Some(errors as f64 * per_event);
        self.latency_p95_ms = ms(latency, |p| p.p95);
        self.latency_p99_ms = ms(latency, |p| p.p99);
        self
    }

    /// Sets stage p95s, memory and CPU from the profiler.
    pub fn with_profile(mut self, profile: &ProfileReport) -> Self {
        self.stage_p95_ms = profile
            .stages
            .iter()
            .filter_map(|s| Some((s.stage.name().to_owned(), ms(&s.duration_ns, |p| p.p95)?)))
            .collect();
        if let Some(last) = profile.history.last() {
            self.cpu_percent = Some(last.cpu_percent);
            self.memory_bytes = Some(last.rss_bytes as f64);
        }
        self
    }
}
