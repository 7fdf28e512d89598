//! Anomaly records: what every detector reports, in one shape a user can query, rank and trust.
//!
//! A detector emits a [`Finding`]: its subject, event time, raw score and threshold, the tail
//! probability it estimates for the observation, and the contributions that explain it. The
//! [`store::AnomalyStore`] numbers findings into [`AnomalyRecord`]s with stable ids and keeps them
//! within count and age limits. Severity is computed the same way for every detector (see
//! [`severity`]), so a latency spike and an unlikely session can be ranked together.

pub mod query;
pub mod severity;
pub mod store;

use crate::event::timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What was anomalous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// One event.
    Event,
    /// One second of a rate series.
    Series,
    /// One closed session.
    Session,
}

impl RecordKind {
    /// Every kind, in display order.
    pub const ALL: [RecordKind; 3] = [RecordKind::Event, RecordKind::Series, RecordKind::Session];

    /// The lowercase name used in the API.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Event => "event",
            RecordKind::Series => "series",
            RecordKind::Session => "session",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// Which detector reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detector {
    /// An event's latency against its type's robust baseline.
    Latency,
    /// An event's size against its type's robust baseline.
    Size,
    /// The isolation forest on per-event features.
    Forest,
    /// A per-second event rate (total or per category).
    Rate,
    /// A session's event sequence against the session model.
    Sequence,
}

impl Detector {
    /// Every detector, in display order.
    pub const ALL: [Detector; 5] = [
        Detector::Latency,
        Detector::Size,
        Detector::Forest,
        Detector::Rate,
        Detector::Sequence,
    ];

    /// The lowercase name used in the API and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Detector::Latency => "latency",
            Detector::Size => "size",
            Detector::Forest => "forest",
            Detector::Rate => "rate",
            Detector::Sequence => "sequence",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<Detector> {
        Detector::ALL.into_iter().find(|d| d.name() == s)
    }

    /// The kind of subject this detector judges.
    pub fn kind(self) -> RecordKind {
        match self {
            Detector::Latency | Detector::Size | Detector::Forest => RecordKind::Event,
            Detector::Rate => RecordKind::Series,
            Detector::Sequence => RecordKind::Session,
        }
    }
}

/// One feature's share of an anomaly: its value, what was expected, and how far off it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contribution {
    /// Feature name (`latencyNs`, `sizeBytes`, `eventsPerSecond`, a session step, ...).
    pub feature: String,
    /// Observed value.
    pub value: f64,
    /// Expected value (median, baseline mean, most likely alternative, ...).
    pub baseline: f64,
    /// How far off, in `unit`.
    pub deviation: f64,
    /// Unit of `deviation` (`x median`, `MADs`, `nats`, ...).
    pub unit: String,
}

/// A detection before the store numbers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The detector.
    pub detector: Detector,
    /// Event id, series name or session key.
    pub subject: String,
    /// Event type, for event anomalies.
    pub event_type: Option<&'static str>,
    /// Event id, for event anomalies.
    pub event_id: Option<u64>,
    /// Event time (ns since the epoch): the event's, the second's start, or the session's last event.
    pub event_time_ns: i64,
    /// The detector's estimate of how often normal data is at least this extreme.
    pub tail_probability: f64,
    /// Raw detector score.
    pub score: f64,
    /// Raw threshold of the detector.
    pub threshold: f64,
    /// Structured explanation.
    pub contributions: Vec<Contribution>,
    /// One-sentence explanation.
    pub explanation: String,
}

impl Finding {
    /// The finding's severity in [0, 1].
    pub fn severity(&self) -> f64 {
        severity::from_tail(self.tail_probability)
    }
}

/// A stable record id, shown as `a-000000123`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub u64);

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a-{:09}", self.0)
    }
}

impl RecordId {
    /// Parses `a-000000123`.
    pub fn parse(s: &str) -> Option<RecordId> {
        s.strip_prefix("a-")?.parse().ok().map(RecordId)
    }
}

impl Serialize for RecordId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RecordId::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a record id a-<n>")))
    }
}

/// A numbered, kept anomaly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyRecord {
    /// Stable id, increasing in detection order.
    pub id: RecordId,
    /// What was anomalous.
    pub kind: RecordKind,
    /// Which detector said so.
    pub detector: Detector,
    /// Event id, series name or session key.
    pub subject: String,
    /// Event type, for event anomalies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// Event id, for event anomalies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u64>,
    /// Event time in ns since the epoch.
    pub event_time_ns: i64,
    /// Event time, RFC 3339.
    pub event_time: String,
    /// Wall-clock time the record was made, ns since the epoch (ages and alert windows use it).
    pub recorded_at_ns: i64,
    /// Wall-clock time the record was made, RFC 3339.
    #[serde(default)]
    pub recorded_at: String,
    /// Severity in [0, 1], comparable across detectors.
    pub severity: f64,
    /// Raw detector score.
    pub score: f64,
    /// Raw detector threshold.
    pub threshold: f64,
    /// Structured explanation.
    pub contributions: Vec<Contribution>,
    /// One-sentence explanation.
    pub explanation: String,
}

impl AnomalyRecord {
    /// Numbers `finding` as record `id`, made at `now_ns`.
    pub fn new(id: RecordId, finding: Finding, now_ns: i64) -> AnomalyRecord {
        AnomalyRecord {
            id,
            kind: finding.detector.kind(),
            detector: finding.detector,
            severity: finding.severity(),
            subject: finding.subject,
            event_type: finding.event_type.map(str::to_owned),
            event_id: finding.event_id,
            event_time_ns: finding.event_time_ns,
            event_time: timestamp::format(finding.event_time_ns),
            recorded_at_ns: now_ns,
            recorded_at: timestamp::format(now_ns),
            score: finding.score,
            threshold: finding.threshold,
            contributions: finding.contributions,
            explanation: finding.explanation,
        }
    }

    /// What identifies the same detection when a replay finds it again.
    pub fn fingerprint(&self) -> Fingerprint {
        (self.detector, self.subject.clone(), self.event_time_ns)
    }
}

/// Detector, subject and event time: equal for a detection found again on replay.
pub type Fingerprint = (Detector, String, i64);
