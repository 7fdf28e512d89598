//! The windows' statistics as mergeable parts: counts, histograms and keyed counts instead of
//! rates, percentiles and top lists. Replicas of a cluster each send theirs
//! (`GET /api/v1/stats?scope=local`); [`StatsParts::merge`] adds them up (counts summed,
//! histograms bucket by bucket, keyed counts key by key) and [`StatsParts::report`] derives the
//! same report one engine derives from its own windows.

use super::stats::{Histogram, SparseError, SparseHistogram};
use super::windows_report::{
    Breakdown, CountWindowReport, StatsReport, TIME_WINDOWS, TimeWindowReport, TopEntry,
};
use crate::event::EventType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many top paths and sources a report lists.
pub const TOP_K: usize = 10;

/// Why parts cannot be merged or reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartsError {
    /// A histogram names a bucket this build does not have.
    #[error(transparent)]
    Histogram(#[from] SparseError),
    /// Per-type counts of another length than this build's type table.
    #[error("per-type counts have {got} entries, this build knows {want} event types")]
    TypeCount {
        /// Entries received.
        got: usize,
        /// Event types of this build.
        want: usize,
    },
    /// The time windows differ (in number, label or span).
    #[error("time window `{0}` is not one this build reports")]
    Window(String),
    /// Nothing to merge.
    #[error("no parts to merge")]
    Empty,
}

/// The count window (the last `capacity` events) as parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountParts {
    /// Configured size (per replica; merged: the sum).
    pub capacity: usize,
    /// Events per type, indexed by `EventType::index()`.
    pub by_type: Vec<u64>,
    /// Operation latencies (ns).
    pub latency: SparseHistogram,
    /// Operation sizes (bytes).
    pub size: SparseHistogram,
    /// Timestamp of the window's first event.
    pub first_ns: Option<i64>,
    /// Timestamp of the window's last event.
    pub last_ns: Option<i64>,
    /// Events per path.
    pub paths: BTreeMap<String, u64>,
    /// Events per source.
    pub sources: BTreeMap<String, u64>,
}

/// One time window ending at the report's time, as parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeParts {
    /// `1m`, `5m` or `1h`.
    pub window: String,
    /// Events per type, indexed by `EventType::index()`.
    pub by_type: Vec<u64>,
    /// Operation latencies (ns).
    pub latency: SparseHistogram,
    /// Operation sizes (bytes).
    pub size: SparseHistogram,
}

/// Everything `GET /api/v1/stats` reports, as parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsParts {
    /// Events observed since start.
    pub total_events: u64,
    /// The count window.
    pub count_window: CountParts,
    /// The time windows, in [`TIME_WINDOWS`] order.
    pub time_windows: Vec<TimeParts>,
}

fn type_counts(v: &[u64]) -> Result<[u64; EventType::COUNT], PartsError> {
    v.try_into().map_err(|_| PartsError::TypeCount {
        got: v.len(),
        want: EventType::COUNT,
    })
}

fn add_counts(into: &mut [u64], from: &[u64]) -> Result<(), PartsError> {
    type_counts(from)?;
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
    Ok(())
}

fn merge_histograms(
    a: &SparseHistogram,
    b: &SparseHistogram,
) -> Result<SparseHistogram, PartsError> {
    let mut h = Histogram::from_sparse(a)?;
    h.merge(&Histogram::from_sparse(b)?);
    Ok(h.to_sparse())
}

fn add_keyed(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, n) in from {
        *into.entry(k.clone()).or_default() += n;
    }
}

/// The `k` most frequent keys, most frequent first, ties by key (as `windows_report::top_k`).
fn top(map: &BTreeMap<String, u64>, k: usize) -> Vec<TopEntry> {
    let mut all: Vec<(&String, u64)> = map.iter().map(|(s, n)| (s, *n)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    all.into_iter()
        .take(k)
        .map(|(s, n)| TopEntry {
            key: s.clone(),
            count: n,
        })
        .collect()
}

fn time_label(window: &str) -> Result<(&'static str, i64), PartsError> {
    TIME_WINDOWS
        .iter()
        .find(|(label, _)| *label == window)
        .copied()
        .ok_or_else(|| PartsError::Window(window.to_owned()))
}

impl CountParts {
    fn add(&mut self, other: &CountParts) -> Result<(), PartsError> {
        self.capacity += other.capacity;
        add_counts(&mut self.by_type, &other.by_type)?;
        self.latency = merge_histograms(&self.latency, &other.latency)?;
        self.size = merge_histograms(&self.size, &other.size)?;
        self.first_ns = match (self.first_ns, other.first_ns) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_ns = self.last_ns.max(other.last_ns);
        add_keyed(&mut self.paths, &other.paths);
        add_keyed(&mut self.sources, &other.sources);
        Ok(())
    }

    fn report(&self) -> Result<CountWindowReport, PartsError> {
        let by_type = type_counts(&self.by_type)?;
        let events: u64 = by_type.iter().sum();
        let span_ns = match (self.first_ns, self.last_ns) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        };
        Ok(CountWindowReport {
            capacity: self.capacity,
            events,
            rate_per_sec: if span_ns > 0 {
                events as f64 * 1e9 / span_ns as f64
            } else {
                0.0
            },
            breakdown: Breakdown::from_counts(&by_type),
            latency_ns: Histogram::from_sparse(&self.latency)?.percentiles(),
            size_bytes: Histogram::from_sparse(&self.size)?.percentiles(),
            top_paths: top(&self.paths, TOP_K),
            top_sources: top(&self.sources, TOP_K),
        })
    }
}

impl TimeParts {
    fn add(&mut self, other: &TimeParts) -> Result<(), PartsError> {
        if self.window != other.window {
            return Err(PartsError::Window(other.window.clone()));
        }
        add_counts(&mut self.by_type, &other.by_type)?;
        self.latency = merge_histograms(&self.latency, &other.latency)?;
        self.size = merge_histograms(&self.size, &other.size)?;
        Ok(())
    }

    fn report(&self) -> Result<TimeWindowReport, PartsError> {
        let (label, span_secs) = time_label(&self.window)?;
        let by_type = type_counts(&self.by_type)?;
        let events: u64 = by_type.iter().sum();
        Ok(TimeWindowReport {
            window: label,
            events,
            rate_per_sec: events as f64 * 1e9 / (span_secs * 1_000_000_000) as f64,
            breakdown: Breakdown::from_counts(&by_type),
            latency_ns: Histogram::from_sparse(&self.latency)?.percentiles(),
            size_bytes: Histogram::from_sparse(&self.size)?.percentiles(),
        })
    }
}

impl StatsParts {
    /// The sum of `parts`: counts added, histograms merged bucket by bucket, the count windows'
    /// spans joined.
    pub fn merge(parts: &[StatsParts]) -> Result<StatsParts, PartsError> {
        let (first, rest) = parts.split_first().ok_or(PartsError::Empty)?;
        let mut sum = first.clone();
        for p in rest {
            sum.total_events += p.total_events;
            sum.count_window.add(&p.count_window)?;
            if p.time_windows.len() != sum.time_windows.len() {
                return Err(PartsError::Window(format!(
                    "{} windows instead of {}",
                    p.time_windows.len(),
                    sum.time_windows.len()
                )));
            }
            for (a, b) in sum.time_windows.iter_mut().zip(&p.time_windows) {
                a.add(b)?;
            }
        }
        Ok(sum)
    }

    /// The report these parts describe.
    pub fn report(&self) -> Result<StatsReport, PartsError> {
        Ok(StatsReport {
            total_events: self.total_events,
            count_window: self.count_window.report()?,
            time_windows: self
                .time_windows
                .iter()
                .map(TimeParts::report)
                .collect::<Result<_, _>>()?,
        })
    }
}

#[cfg(test)]
#[path = "windows_parts_tests.rs"]
mod tests;
