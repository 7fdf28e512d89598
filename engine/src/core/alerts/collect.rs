//! Filling [`AlertInputs`] from the core's reports: window statistics and the profiler.

use super::inputs::{AlertInputs, InputNeeds};
use crate::core::analytics::Analytics;
use crate::core::analytics::records::AnomalyRecord;
use crate::core::profiler::ProfileReport;
use crate::core::stats::Percentiles;
use crate::core::windows_report::StatsReport;
use crate::event::EventType;

/// The time window rates and latencies are read from.
pub const RATE_WINDOW: &str = "1m";

const NS_PER_MS: f64 = 1_000_000.0;
const MINUTE_NS: i64 = 60 * 1_000_000_000;

fn ms(p: &Percentiles, pick: fn(&Percentiles) -> u64) -> Option<f64> {
    (p.count > 0).then(|| pick(p) as f64 / NS_PER_MS)
}

impl AlertInputs {
    /// Sets rates and latency percentiles from the one-minute window (the count window when
    /// there is no such window).
    pub fn with_stats(mut self, stats: &StatsReport) -> Self {
        let window = stats.time_windows.iter().find(|w| w.window == RATE_WINDOW);
        let (events, rate, breakdown, latency) = if let Some(w) = window {
            (w.events, w.rate_per_sec, &w.breakdown, &w.latency_ns)
        } else {
            let c = &stats.count_window;
            (c.events, c.rate_per_sec, &c.breakdown, &c.latency_ns)
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

impl AlertInputs {
    /// Sets the analytics inputs the rules need: anomaly score and count of the last minute,
    /// frequent patterns, and the peak upper bound of the event-rate forecast.
    pub fn with_analytics(mut self, analytics: &Analytics, needs: InputNeeds, now_ns: i64) -> Self {
        if needs.anomalies {
            let recent: Vec<&AnomalyRecord> = analytics
                .records()
                .rev()
                .take_while(|a| now_ns.saturating_sub(a.recorded_at_ns) < MINUTE_NS)
                .collect();
            let relative = |a: &&AnomalyRecord| {
                if a.threshold > 0.0 {
                    a.score / a.threshold
                } else {
                    a.score
                }
            };
            self.anomaly_score = Some(recent.iter().map(relative).fold(0.0, f64::max));
            self.anomaly_count = Some(recent.len() as f64);
        }
        if needs.patterns {
            let report = analytics.patterns();
            let set = report
                .patterns
                .iter()
                .map(|p| p.types.iter().map(|t| (*t).to_owned()).collect())
                .collect();
            self.patterns = Some(set);
        }
        if needs.forecast {
            let peak = analytics
                .predictions()
                .rate_forecast
                .and_then(|fit| fit.forecast.iter().map(|p| p.upper).reduce(f64::max));
            self.forecast_peak_rate = peak;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::profiler::{ProcessCounters, Profiler, ProfilerSettings, Stage};
    use crate::core::windows::Windows;
    use crate::event::Event;

    const SEC: i64 = 1_000_000_000;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= b.abs() * 0.05 + 1e-9)
    }

    #[test]
    fn rates_and_latency_come_from_the_minute_window() {
        let now = 1_000_000 * SEC;
        let mut windows = Windows::new(1_000);
        for i in 0..120 {
            let kind = if i % 4 == 0 {
                EventType::ObservabilityErrorReported
            } else {
                EventType::FilesystemWrite
            };
            let event = Event::new(kind, now - i * SEC / 4, "n").with_measures(2_000_000, 10);
            windows.observe(&event);
        }
        let inputs = AlertInputs::default().with_stats(&windows.stats(now));
        let rate = inputs.event_rate.expect("a rate");
        assert!(rate > 0.0);
        assert!(close(inputs.error_rate, rate / 4.0), "{inputs:?}");
        assert!(close(
            inputs.type_rates.get("FilesystemWrite").copied(),
            rate * 0.75
        ));
        assert!(close(inputs.latency_p95_ms, 2.0) && close(inputs.latency_p99_ms, 2.0));
    }

    #[test]
    fn empty_windows_give_zero_rates_and_no_latency() {
        let inputs = AlertInputs::default().with_stats(&Windows::new(10).stats(SEC));
        assert_eq!(
            (inputs.event_rate, inputs.error_rate),
            (Some(0.0), Some(0.0))
        );
        assert_eq!((inputs.latency_p95_ms, inputs.latency_p99_ms), (None, None));
    }

    #[test]
    fn stage_memory_and_cpu_come_from_the_profiler() {
        let mut profiler = Profiler::new(ProfilerSettings {
            max_history: 10,
            bottleneck_threshold_ms: 100.0,
            detect_bottlenecks: true,
        });
        for _ in 0..10 {
            profiler.record(Stage::Log, 3_000_000, 1);
        }
        let counters = |cpu_seconds, rss_bytes| ProcessCounters {
            cpu_seconds,
            rss_bytes,
            ..ProcessCounters::default()
        };
        profiler.sample(0, counters(1.0, 1_000));
        profiler.sample(2 * SEC, counters(2.0, 4_096));
        let inputs = AlertInputs::default().with_profile(&profiler.report());
        assert!(
            close(inputs.stage_p95_ms.get("log").copied(), 3.0),
            "{inputs:?}"
        );
        assert!(
            !inputs.stage_p95_ms.contains_key("decode"),
            "stages without samples are absent"
        );
        assert_eq!(inputs.memory_bytes, Some(4_096.0));
        assert!(
            close(inputs.cpu_percent, 50.0),
            "1 CPU second over 2 s: {inputs:?}"
        );
    }
}
