//! Serializable window reports returned by `GET /api/v1/stats`.

use super::stats::Percentiles;
use crate::event::{EventType, Sym};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Time windows reported by `Windows::stats`: (label, span in seconds).
pub const TIME_WINDOWS: [(&str, i64); 3] = [("1m", 60), ("5m", 300), ("1h", 3600)];

/// Counts per event type and per category (zero entries omitted).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Breakdown {
    /// Type name → count.
    pub by_type: BTreeMap<&'static str, u64>,
    /// Category name → count.
    pub by_category: BTreeMap<&'static str, u64>,
}

impl Breakdown {
    /// Builds a breakdown from counts indexed by `EventType::index()`.
    pub fn from_counts(counts: &[u64; EventType::COUNT]) -> Self {
        let mut out = Breakdown::default();
        for (t, n) in EventType::ALL.iter().zip(counts) {
            if *n > 0 {
                out.by_type.insert(t.name(), *n);
                *out.by_category.entry(t.category().name()).or_default() += n;
            }
        }
        out
    }
}

/// One entry of a top-k list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopEntry {
    /// The path or source.
    pub key: String,
    /// Occurrences in the window.
    pub count: u64,
}

/// The `k` most frequent keys, most frequent first, ties by key.
pub fn top_k<S: std::hash::BuildHasher>(map: &HashMap<Sym, u32, S>, k: usize) -> Vec<TopEntry> {
    let mut all: Vec<(&Sym, u32)> = map.iter().map(|(s, n)| (s, *n)).collect();
    all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    all.into_iter()
        .take(k)
        .map(|(s, n)| TopEntry {
            key: s.to_string(),
            count: u64::from(n),
        })
        .collect()
}

/// Statistics over the last `slidingWindowSize` events.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountWindowReport {
    /// Configured size.
    pub capacity: usize,
    /// Events currently in the window.
    pub events: u64,
    /// Events per second between the window's first and last timestamps.
    pub rate_per_sec: f64,
    /// Counts per type and category.
    #[serde(flatten)]
    pub breakdown: Breakdown,
    /// Operation latency percentiles (ns).
    pub latency_ns: Percentiles,
    /// Operation size percentiles (bytes).
    pub size_bytes: Percentiles,
    /// Most frequent paths.
    pub top_paths: Vec<TopEntry>,
    /// Most frequent sources.
    pub top_sources: Vec<TopEntry>,
}

/// Statistics over a time window ending now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeWindowReport {
    /// `1m`, `5m` or `1h`.
    pub window: &'static str,
    /// Events in the window.
    pub events: u64,
    /// Events per second over the window's span.
    pub rate_per_sec: f64,
    /// Counts per type and category.
    #[serde(flatten)]
    pub breakdown: Breakdown,
    /// Operation latency percentiles (ns).
    pub latency_ns: Percentiles,
    /// Operation size percentiles (bytes).
    pub size_bytes: Percentiles,
}

/// Everything `GET /api/v1/stats` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsReport {
    /// Events observed since the engine started (including replayed ones).
    pub total_events: u64,
    /// The count window.
    pub count_window: CountWindowReport,
    /// The 1 m, 5 m and 1 h windows.
    pub time_windows: Vec<TimeWindowReport>,
}
