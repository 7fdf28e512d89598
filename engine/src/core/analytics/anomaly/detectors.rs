//! The live anomaly detectors over the event stream: robust per-type baselines of latency and
//! size, an isolation forest on per-event features, and series detectors on per-second rates.
//! Each emits [`Finding`]s only when its tail probability is at most the reporting level.

use super::event_forest::{EventForest, EventForestSettings, ForestHit};
use super::robust::{Deviation, RobustBaseline, mads_for_tail};
use super::series::{SeriesConfig, SeriesDetector, SeriesScore};
use crate::core::analytics::records::{Contribution, Detector, Finding};
use crate::event::{Event, EventCategory, EventType};

/// Orders of magnitude past the reporting level a rate anomaly can reach (severity 0.8 at the
/// default sensitivity).
const RATE_MAX_DECADES: f64 = 4.0;

/// Settings of [`Detectors`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorSettings {
    /// Run the isolation forest.
    pub forest: bool,
    /// Run the robust baselines and the rate detectors.
    pub statistical: bool,
    /// Forest training window.
    pub window_size: usize,
    /// Samples before the first training.
    pub min_samples: usize,
    /// Forest contamination.
    pub contamination: f64,
    /// Rate-series score needed to report.
    pub series_threshold: f64,
    /// Tail probability at or below which a detection is reported.
    pub report_tail: f64,
}

/// All live detectors.
#[derive(Debug, Clone)]
pub struct Detectors {
    settings: DetectorSettings,
    forest: EventForest,
    latency: Vec<RobustBaseline>,
    size: Vec<RobustBaseline>,
    total_rate: SeriesDetector,
    category_rate: Vec<SeriesDetector>,
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
            latency: vec![RobustBaseline::default(); EventType::COUNT],
            size: vec![RobustBaseline::default(); EventType::COUNT],
            total_rate: series(),
            category_rate: (0..EventCategory::ALL.len()).map(|_| series()).collect(),
        }
    }

    /// Checks one event, appending what it found to `out`.
    pub fn observe(&mut self, event: &Event, out: &mut Vec<Finding>) {
        let t = event.event_type.index();
        if self.settings.statistical {
            let measures = [
                (Detector::Latency, event.latency_ns, &mut self.latency[t]),
                (Detector::Size, event.size_bytes, &mut self.size[t]),
            ];
            for (detector, value, baseline) in measures {
                if value == 0 {
                    continue;
                }
                let value = value as f64;
                if let Some(d) = baseline.deviation(value)
                    && d.tail <= self.settings.report_tail
                {
                    out.push(measure_finding(
                        detector,
                        event,
                        &d,
                        self.settings.report_tail,
                    ));
                }
                baseline.learn(value);
            }
        }
        if self.settings.forest
            && let Some(hit) = self.forest.observe(event)
            && hit.tail <= self.settings.report_tail
        {
            out.push(forest_finding(event, &hit));
        }
    }

    /// Checks one completed second of per-type counts, appending what it found to `out`.
    pub fn observe_second(&mut self, second: i64, counts: &[u32], out: &mut Vec<Finding>) {
        if !self.settings.statistical {
            return;
        }
        let ts = second.saturating_mul(1_000_000_000);
        let total: u32 = counts.iter().sum();
        let s = self.total_rate.update(f64::from(total));
        self.rate_finding(ts, "rate:total", f64::from(total), s, out);
        let mut per_category = [0u32; 7];
        for (t, &c) in EventType::ALL.iter().zip(counts) {
            per_category[t.category().index()] += c;
        }
        for (i, &c) in per_category.iter().enumerate() {
            let s = self.category_rate[i].update(f64::from(c));
            let name = format!("rate:{}", EventCategory::ALL[i].name());
            self.rate_finding(ts, &name, f64::from(c), s, out);
        }
    }

    /// A rate score past the series threshold is reported; its tail is the reporting level at
    /// the threshold and ten times rarer per unit of score beyond it (a unit is one range width),
    /// for at most [`RATE_MAX_DECADES`] units: range widths mean little while a series has barely
    /// varied, so a rate alone never reaches the top of the scale.
    fn rate_finding(
        &self,
        ts: i64,
        name: &str,
        value: f64,
        s: SeriesScore,
        out: &mut Vec<Finding>,
    ) {
        let threshold = self.settings.series_threshold;
        if s.score < threshold {
            return;
        }
        let decades = (s.score - threshold).min(RATE_MAX_DECADES);
        let tail = self.settings.report_tail * 10f64.powf(-decades);
        out.push(Finding {
            detector: Detector::Rate,
            subject: name.to_owned(),
            event_type: None,
            event_id: None,
            event_time_ns: ts,
            tail_probability: tail,
            score: s.score,
            threshold,
            contributions: vec![Contribution {
                feature: "eventsPerSecond".into(),
                value,
                baseline: s.expected,
                deviation: value - s.expected,
                unit: "events/s".into(),
            }],
            explanation: explain_rate(name, value, &s),
        });
    }

    /// The per-event isolation-forest detector.
    pub fn forest(&self) -> &EventForest {
        &self.forest
    }
}

fn measure_finding(detector: Detector, event: &Event, d: &Deviation, report: f64) -> Finding {
    let feature = match detector {
        Detector::Size => "sizeBytes",
        _ => "latencyNs",
    };
    let name = event.event_type.name();
    Finding {
        detector,
        subject: event.id.to_string(),
        event_type: Some(name),
        event_id: Some(event.id),
        event_time_ns: event.timestamp_ns,
        tail_probability: d.tail,
        score: d.mads,
        threshold: mads_for_tail(report),
        contributions: vec![Contribution {
            feature: feature.into(),
            value: d.value,
            baseline: d.median,
            deviation: d.ratio,
            unit: "x median".into(),
        }],
        explanation: format!(
            "event {} ({name}): {feature} {:.0} is {} the {name} median {:.0} ({:.1} MADs on a log scale)",
            event.id,
            d.value,
            times(d.ratio),
            d.median,
            d.mads
        ),
    }
}

fn times(ratio: f64) -> String {
    if ratio >= 1.0 {
        format!("{ratio:.1}x")
    } else {
        format!("1/{:.1} of", 1.0 / ratio)
    }
}

fn forest_finding(event: &Event, hit: &ForestHit) -> Finding {
    let name = event.event_type.name();
    let features = [("latencyNs", 0), ("sizeBytes", 1)];
    Finding {
        detector: Detector::Forest,
        subject: event.id.to_string(),
        event_type: Some(name),
        event_id: Some(event.id),
        event_time_ns: event.timestamp_ns,
        tail_probability: hit.tail,
        score: hit.score,
        threshold: hit.threshold,
        contributions: features
            .iter()
            .map(|&(feature, i)| Contribution {
                feature: feature.into(),
                value: hit.values[i],
                baseline: hit.medians[i],
                deviation: (hit.values[i] + 1.0) / (hit.medians[i] + 1.0),
                unit: "x median".into(),
            })
            .collect(),
        explanation: format!(
            "event {} ({name}) isolated: score {:.3} > {:.3} with latencyNs {:.0} ({} the window median) and sizeBytes {:.0} ({} the window median)",
            event.id,
            hit.score,
            hit.threshold,
            hit.values[0],
            times((hit.values[0] + 1.0) / (hit.medians[0] + 1.0)),
            hit.values[1],
            times((hit.values[1] + 1.0) / (hit.medians[1] + 1.0)),
        ),
    }
}

fn explain_rate(name: &str, value: f64, s: &SeriesScore) -> String {
    let mut parts = vec![format!(
        "{name} at {value:.0} events/s against a baseline of {:.1}",
        s.expected
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
