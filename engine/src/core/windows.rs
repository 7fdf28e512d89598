//! Sliding windows: the last N events (count window) and 1 m / 5 m / 1 h time windows.

use super::stats::{Histogram, Percentiles};
use super::windows_parts::{CountParts, StatsParts, TOP_K, TimeParts};
use super::windows_report::{Breakdown, CountWindowReport, StatsReport, TimeWindowReport, top_k};
use crate::event::{Event, EventType, Sym};
use ahash::HashMap;
use std::collections::VecDeque;

/// Buckets per time window.
const BUCKETS: usize = 60;

pub use super::windows_report::TIME_WINDOWS;

struct Entry {
    event_type: EventType,
    timestamp_ns: i64,
    latency_ns: u64,
    size_bytes: u64,
    source: Sym,
    path: Option<Sym>,
}

/// The last `capacity` events with incremental counts, histograms and top-k maps.
struct CountWindow {
    capacity: usize,
    entries: VecDeque<Entry>,
    by_type: [u64; EventType::COUNT],
    latency: Histogram,
    size: Histogram,
    sources: HashMap<Sym, u32>,
    paths: HashMap<Sym, u32>,
}

fn bump(map: &mut HashMap<Sym, u32>, key: &Sym) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.clone(), 1);
        }
    }
}

fn drop_one(map: &mut HashMap<Sym, u32>, key: &Sym) {
    if let Some(n) = map.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl CountWindow {
    fn new(capacity: usize) -> Self {
        CountWindow {
            capacity: capacity.max(1),
            entries: VecDeque::with_capacity(capacity.clamp(1, 1 << 20)),
            by_type: [0; EventType::COUNT],
            latency: Histogram::new(),
            size: Histogram::new(),
            sources: HashMap::default(),
            paths: HashMap::default(),
        }
    }

    fn observe(&mut self, e: &Event) {
        if self.entries.len() == self.capacity
            && let Some(old) = self.entries.pop_front()
        {
            self.by_type[old.event_type.index()] -= 1;
            remove_measure(&mut self.latency, old.latency_ns);
            remove_measure(&mut self.size, old.size_bytes);
            drop_one(&mut self.sources, &old.source);
            if let Some(p) = &old.path {
                drop_one(&mut self.paths, p);
            }
        }
        self.by_type[e.event_type.index()] += 1;
        record_measure(&mut self.latency, e.latency_ns);
        record_measure(&mut self.size, e.size_bytes);
        bump(&mut self.sources, &e.source);
        let path = e.path().cloned();
        if let Some(p) = &path {
            bump(&mut self.paths, p);
        }
        self.entries.push_back(Entry {
            event_type: e.event_type,
            timestamp_ns: e.timestamp_ns,
            latency_ns: e.latency_ns,
            size_bytes: e.size_bytes,
            source: e.source.clone(),
            path,
        });
    }

    fn report(&self) -> CountWindowReport {
        let events = self.entries.len() as u64;
        let span_ns = match (self.entries.front(), self.entries.back()) {
            (Some(a), Some(b)) => b.timestamp_ns.saturating_sub(a.timestamp_ns),
            _ => 0,
        };
        let rate = if span_ns > 0 {
            events as f64 * 1e9 / span_ns as f64
        } else {
            0.0
        };
        CountWindowReport {
            capacity: self.capacity,
            events,
            rate_per_sec: rate,
            breakdown: Breakdown::from_counts(&self.by_type),
            latency_ns: self.latency.percentiles(),
            size_bytes: self.size.percentiles(),
            top_paths: top_k(&self.paths, TOP_K),
            top_sources: top_k(&self.sources, TOP_K),
        }
    }
}

impl CountWindow {
    fn parts(&self) -> CountParts {
        let keyed = |map: &HashMap<Sym, u32>| {
            map.iter()
                .map(|(k, n)| (k.to_string(), u64::from(*n)))
                .collect()
        };
        CountParts {
            capacity: self.capacity,
            by_type: self.by_type.to_vec(),
            latency: self.latency.to_sparse(),
            size: self.size.to_sparse(),
            first_ns: self.entries.front().map(|e| e.timestamp_ns),
            last_ns: self.entries.back().map(|e| e.timestamp_ns),
            paths: keyed(&self.paths),
            sources: keyed(&self.sources),
        }
    }
}

struct Bucket {
    index: i64,
    by_type: [u64; EventType::COUNT],
    latency: Histogram,
    size: Histogram,
}

/// A time window of `BUCKETS` rotating buckets, indexed by event timestamp.
struct TimeWindow {
    label: &'static str,
    span_ns: i64,
    width_ns: i64,
    buckets: Vec<Bucket>,
}

impl TimeWindow {
    fn new(label: &'static str, span_secs: i64) -> Self {
        let span_ns = span_secs * 1_000_000_000;
        let buckets = (0..BUCKETS)
            .map(|_| Bucket {
                index: i64::MIN,
                by_type: [0; EventType::COUNT],
                latency: Histogram::new(),
                size: Histogram::new(),
            })
            .collect();
        TimeWindow {
            label,
            span_ns,
            width_ns: span_ns / BUCKETS as i64,
            buckets,
        }
    }

    fn observe(&mut self, e: &Event) {
        let index = e.timestamp_ns.div_euclid(self.width_ns);
        let bucket = &mut self.buckets[index.rem_euclid(BUCKETS as i64) as usize];
        if bucket.index > index {
            return; // older than the window
        }
        if bucket.index < index {
            bucket.index = index;
            bucket.by_type = [0; EventType::COUNT];
            bucket.latency.clear();
            bucket.size.clear();
        }
        bucket.by_type[e.event_type.index()] += 1;
        record_measure(&mut bucket.latency, e.latency_ns);
        record_measure(&mut bucket.size, e.size_bytes);
    }

    /// Counts and histograms of the buckets inside the window ending at `now_ns`.
    fn collect(&self, now_ns: i64) -> ([u64; EventType::COUNT], Histogram, Histogram) {
        let newest = now_ns.div_euclid(self.width_ns);
        let oldest = newest - BUCKETS as i64 + 1;
        let mut by_type = [0u64; EventType::COUNT];
        let mut latency = Histogram::new();
        let mut size = Histogram::new();
        for b in self
            .buckets
            .iter()
            .filter(|b| (oldest..=newest).contains(&b.index))
        {
            for (sum, n) in by_type.iter_mut().zip(b.by_type) {
                *sum += n;
            }
            latency.merge(&b.latency);
            size.merge(&b.size);
        }
        (by_type, latency, size)
    }

    fn parts(&self, now_ns: i64) -> TimeParts {
        let (by_type, latency, size) = self.collect(now_ns);
        TimeParts {
            window: self.label.to_owned(),
            by_type: by_type.to_vec(),
            latency: latency.to_sparse(),
            size: size.to_sparse(),
        }
    }

    fn report(&self, now_ns: i64) -> TimeWindowReport {
        let (by_type, latency, size) = self.collect(now_ns);
        let events: u64 = by_type.iter().sum();
        TimeWindowReport {
            window: self.label,
            events,
            rate_per_sec: events as f64 * 1e9 / self.span_ns as f64,
            breakdown: Breakdown::from_counts(&by_type),
            latency_ns: latency.percentiles(),
            size_bytes: size.percentiles(),
        }
    }
}

/// All sliding windows of the engine. Pure: time comes from event timestamps and `now_ns`.
pub struct Windows {
    total: u64,
    count: CountWindow,
    time: Vec<TimeWindow>,
}

impl Windows {
    /// Windows with a count window of `sliding_window_size` events.
    pub fn new(sliding_window_size: usize) -> Self {
        Windows {
            total: 0,
            count: CountWindow::new(sliding_window_size),
            time: TIME_WINDOWS
                .iter()
                .map(|(label, secs)| TimeWindow::new(label, *secs))
                .collect(),
        }
    }

    /// Adds one event to every window.
    pub fn observe(&mut self, event: &Event) {
        self.total += 1;
        self.count.observe(event);
        for w in &mut self.time {
            w.observe(event);
        }
    }

    /// Events observed since start.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Latency percentiles over the count window.
    pub fn latency(&self) -> Percentiles {
        self.count.latency.percentiles()
    }

    /// The full statistics report as of `now_ns`.
    pub fn stats(&self, now_ns: i64) -> StatsReport {
        StatsReport {
            total_events: self.total,
            count_window: self.count.report(),
            time_windows: self.time.iter().map(|w| w.report(now_ns)).collect(),
        }
    }
}

impl Windows {
    /// The statistics as of `now_ns` in mergeable form (see `windows_parts`).
    pub fn parts(&self, now_ns: i64) -> StatsParts {
        StatsParts {
            total_events: self.total,
            count_window: self.count.parts(),
            time_windows: self.time.iter().map(|w| w.parts(now_ns)).collect(),
        }
    }
}

/// Records a latency or size; 0 means the event did not report one, so it stays out of the percentiles.
fn record_measure(histogram: &mut Histogram, value: u64) {
    if value > 0 {
        histogram.record(value);
    }
}

/// Undoes [`record_measure`] for an event leaving the count window.
fn remove_measure(histogram: &mut Histogram, value: u64) {
    if value > 0 {
        histogram.remove(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    fn ev(t: EventType, ts: i64, path: &str, latency: u64) -> Event {
        Event::new(t, ts, "node-a")
            .with_path(path)
            .with_measures(latency, 100)
    }

    #[test]
    fn count_window_keeps_only_the_last_n() {
        let mut w = Windows::new(3);
        for i in 0..5 {
            let t = if i < 2 {
                EventType::FilesystemRead
            } else {
                EventType::FilesystemWrite
            };
            w.observe(&ev(
                t,
                i * SEC,
                &format!("/p{}", i % 2),
                1000 * (i as u64 + 1),
            ));
        }
        let r = w.stats(5 * SEC).count_window;
        assert_eq!(r.events, 3);
        assert_eq!(r.breakdown.by_type.get("FilesystemWrite"), Some(&3));
        assert_eq!(r.breakdown.by_type.get("FilesystemRead"), None);
        assert_eq!(r.breakdown.by_category.get("Filesystem"), Some(&3));
        assert_eq!(r.latency_ns.count, 3);
        assert!(r.latency_ns.max >= 5000);
        assert_eq!(r.top_paths[0].key, "/p0");
        assert_eq!(r.top_paths[0].count, 2);
        assert!((r.rate_per_sec - 1.5).abs() < 1e-9, "3 events over 2 s");
        assert_eq!(w.total(), 5);
    }

    #[test]
    fn time_windows_forget_old_buckets() {
        let mut w = Windows::new(100);
        let base = 1_000_000 * SEC;
        w.observe(&ev(EventType::VectorSearch, base, "/a", 1));
        w.observe(&ev(EventType::VectorSearch, base + 120 * SEC, "/a", 1));
        w.observe(&ev(EventType::VectorSearch, base + 170 * SEC, "/a", 1));
        let r = w.stats(base + 179 * SEC);
        let by: HashMap<_, _> = r
            .time_windows
            .iter()
            .map(|t| (t.window, t.events))
            .collect();
        assert_eq!(by["1m"], 2);
        assert_eq!(by["5m"], 3);
        assert_eq!(by["1h"], 3);
        let later = w.stats(base + 3 * 3600 * SEC);
        assert!(later.time_windows.iter().all(|t| t.events == 0));
    }

    #[test]
    fn events_without_latency_or_size_stay_out_of_the_percentiles() {
        let mut w = Windows::new(2);
        let unmeasured = Event::new(EventType::SystemSync, SEC, "node-a");
        w.observe(&unmeasured);
        w.observe(&ev(EventType::FilesystemWrite, 2 * SEC, "/a", 4000));
        let r = w.stats(3 * SEC);
        assert_eq!(r.count_window.events, 2);
        assert_eq!(r.count_window.latency_ns.count, 1);
        assert_eq!(r.count_window.size_bytes.count, 1);
        assert_eq!(r.time_windows[0].latency_ns.count, 1);
        // The unmeasured event leaves the count window without disturbing the histograms.
        w.observe(&ev(EventType::FilesystemWrite, 3 * SEC, "/a", 5000));
        assert_eq!(w.stats(3 * SEC).count_window.latency_ns.count, 2);
    }
}
