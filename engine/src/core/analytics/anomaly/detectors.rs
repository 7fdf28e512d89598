//! The live anomaly detectors over the event stream: an isolation forest on per-event features,
//! statistical series detectors on latencies, sizes and per-second rates, and session surprisal.

use super::event_forest::{EventForest, EventForestSettings};
use super::series::{SeriesConfig, SeriesDetector, SeriesScore};
use crate::event::{Event, EventCategory, EventType};
use serde::Serialize;
use std::collections::VecDeque;

/// Anomalies kept for queries.
const LOG_CAPACITY: usize = 1000;

/// What kind of observation was anomalous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AnomalyKind {
    /// One event's feature vector, by the isolation forest.
    Event,
    /// One event's latency against its type's history.
    Latency,
    /// One event's size against its type's history.
    Size,
    /// A second's event rate (total or per category).
    Rate,
    /// A completed session's event sequence.
    Sequence,
}

/// One detected anomaly with its score and explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Anomaly {
    /// Kind of detection.
    pub kind: AnomalyKind,
    /// Event time (or the second's start) in ns since the epoch.
    pub timestamp_ns: i64,
    /// The event's id, for per-event anomalies.
    pub event_id: Option<u64>,
    /// Event type or category concerned, if any.
    pub subject: Option<String>,
    /// Detector score.
    pub score: f64,
    /// Threshold the score exceeded.
    pub threshold: f64,
    /// Which features, how far off.
    pub explanation: String,
}

/// Settings of [`Detectors`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorSettings {
    /// Run the isolation forest.
    pub forest: bool,
    /// Run the statistical series detectors.
    pub statistical: bool,
    /// Forest training window.
    pub window_size: usize,
    /// Samples before the first training.
    pub min_samples: usize,
    /// Forest contamination.
    pub contamination: f64,
    /// Series score needed to report.
    pub series_threshold: f64,
}

/// All live detectors plus the bounded anomaly log.
#[derive(Debug, Clone)]
pub struct Detectors {
    settings: DetectorSettings,
    forest: EventForest,
    latency: Vec<SeriesDetector>,
    size: Vec<SeriesDetector>,
    total_rate: SeriesDetector,
    category_rate: Vec<SeriesDetector>,
    log: VecDeque<Anomaly>,
    detected: u64,
}

fn series() -> SeriesDetector {
    SeriesDetector::new(SeriesConfig::default())
}

impl Detectors {
    /// Fresh detectors.
    pub fn new(settings: DetectorSettings) -> Detectors {
        Detectors {
            settings,
            forest: EventForest::new(EventForestSettings {
                window_size: settings.window_size,
                min_samples: settings.min_samples,
                contamination: settings.contamination,
            }),
            latency: (0..EventType::COUNT).map(|_| series()).collect(),
            size: (0..EventType::COUNT).map(|_| series()).collect(),
            total_rate: series(),
            category_rate: (0..EventCategory::ALL.len()).map(|_| series()).collect(),
            log: VecDeque::with_capacity(LOG_CAPACITY),
            detected: 0,
        }
    }

    /// Checks one event.
    pub fn observe(&mut self, event: &Event) {
        let t = event.event_type.index();
        if self.settings.statistical {
            if event.latency_ns > 0 {
                let s = self.latency[t].update(event.latency_ns as f64);
                self.series_anomaly(AnomalyKind::Latency, event, s, "latencyNs");
            }
            if event.size_bytes > 0 {
                let s = self.size[t].update(event.size_bytes as f64);
                self.series_anomaly(AnomalyKind::Size, event, s, "sizeBytes");
            }
        }
        if self.settings.forest {
            self.forest_observe(event);
        }
    }

    fn series_anomaly(&mut self, kind: AnomalyKind, event: &Event, s: SeriesScore, field: &str) {
        if s.score < self.settings.series_threshold {
            return;
        }
        let explanation = explain_series(field, &s);
        self.record(Anomaly {
            kind,
            timestamp_ns: event.timestamp_ns,
            event_id: Some(event.id),
            subject: Some(event.event_type.name().to_string()),
            score: s.score,
            threshold: self.settings.series_threshold,
            explanation,
        });
    }

    fn forest_observe(&mut self, event: &Event) {
        if let Some(hit) = self.forest.observe(event) {
            self.record(Anomaly {
                kind: AnomalyKind::Event,
                timestamp_ns: event.timestamp_ns,
                event_id: Some(event.id),
                subject: Some(event.event_type.name().to_string()),
                score: hit.score,
                threshold: hit.threshold,
                explanation: hit.explanation,
            });
        }
    }

    /// Checks one completed second of per-type counts.
    pub fn observe_second(&mut self, second: i64, counts: &[u32]) {
        if !self.settings.statistical {
            return;
        }
        let ts = second.saturating_mul(1_000_000_000);
        let total: u32 = counts.iter().sum();
        let s = self.total_rate.update(f64::from(total));
        self.rate_anomaly(ts, "all".to_string(), s);
        let mut per_category = [0u32; 7];
        for (t, &c) in EventType::ALL.iter().zip(counts) {
            per_category[t.category().index()] += c;
        }
        for (i, &c) in per_category.iter().enumerate() {
            let s = self.category_rate[i].update(f64::from(c));
            self.rate_anomaly(ts, EventCategory::ALL[i].name().to_string(), s);
        }
    }

    fn rate_anomaly(&mut self, ts: i64, subject: String, s: SeriesScore) {
        if s.score >= self.settings.series_threshold {
            self.record(Anomaly {
                kind: AnomalyKind::Rate,
                timestamp_ns: ts,
                event_id: None,
                subject: Some(subject),
                score: s.score,
                threshold: self.settings.series_threshold,
                explanation: explain_series("events/s", &s),
            });
        }
    }

    /// Records an anomaly in the bounded log.
    pub fn record(&mut self, anomaly: Anomaly) {
        self.detected += 1;
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(anomaly);
    }

    /// Recent anomalies, oldest first.
    pub fn recent(&self) -> &VecDeque<Anomaly> {
        &self.log
    }

    /// Anomalies detected since start.
    pub fn detected(&self) -> u64 {
        self.detected
    }

    /// The per-event isolation-forest detector.
    pub fn forest(&self) -> &EventForest {
        &self.forest
    }
}

fn explain_series(field: &str, s: &SeriesScore) -> String {
    let mut parts = vec![format!(
        "{field} {:.1} sd from baseline {:.1}",
        s.z, s.expected
    )];
    if s.range_excess > 0.0 {
        parts.push(format!(
            "outside the observed range by {:.0}% of its width",
            s.range_excess * 100.0
        ));
    }
    if s.novelty > 0.0 {
        parts.push(format!(
            "{:.0}% of its recent value context never seen before",
            s.novelty * 100.0
        ));
    }
    parts.join("; ")
}
