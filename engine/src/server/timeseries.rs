//! Event-time series over retained events, for the dashboard's charts: counts per category and
//! per type, and latency percentiles per type, in equal buckets between two event times. Pure:
//! the handler in `timeseries_api` hands it the events and the range.

use crate::event::{Event, EventCategory, EventType};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The bucket grid: `buckets` equal steps of `bucket_ns` from `start_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// First bucket's start, ns since the epoch (inclusive).
    pub start_ns: i64,
    /// Bucket width, ns (at least 1).
    pub bucket_ns: i64,
    /// Number of buckets (at least 1).
    pub buckets: usize,
}

impl Grid {
    /// The grid covering `[since, until)` in at most `max_points` buckets. Buckets of a second
    /// or more take the next width of 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6,
    /// 12 h or whole days, and start on a multiple of it.
    pub fn covering(since_ns: i64, until_ns: i64, max_points: usize) -> Grid {
        const SEC: i64 = 1_000_000_000;
        let span = until_ns.saturating_sub(since_ns).max(1);
        if max_points <= 1 {
            return Grid {
                start_ns: since_ns,
                bucket_ns: span,
                buckets: 1,
            };
        }
        // One bucket of slack for aligning the start down.
        let mut bucket_ns = ceil_div(span, max_points as i64 - 1).max(1);
        if bucket_ns >= SEC {
            let secs = ceil_div(bucket_ns, SEC);
            let nice = NICE_SECONDS.iter().copied().find(|&n| n >= secs);
            bucket_ns = nice.unwrap_or_else(|| ceil_div(secs, 86_400) * 86_400) * SEC;
        }
        let start_ns = since_ns - since_ns.rem_euclid(bucket_ns);
        let buckets = ceil_div(until_ns - start_ns, bucket_ns);
        Grid {
            start_ns,
            bucket_ns,
            buckets: buckets.clamp(1, max_points as i64) as usize,
        }
    }

    /// The bucket `t` falls in, if any.
    pub fn index(&self, t: i64) -> Option<usize> {
        if t < self.start_ns {
            return None;
        }
        let i = ((t - self.start_ns) / self.bucket_ns) as usize;
        (i < self.buckets).then_some(i)
    }
}

/// The range `[since, until)` a query covers: the given bounds, else the retained extent
/// `first..=last` (just past the newest event; from the oldest), else a one-nanosecond range.
pub fn range(
    since: Option<i64>,
    until: Option<i64>,
    first: Option<i64>,
    last: Option<i64>,
) -> (i64, i64) {
    let until_ns = until.unwrap_or_else(|| last.map_or(1, |t| t + 1));
    let since_ns = since
        .unwrap_or_else(|| first.unwrap_or(until_ns - 1))
        .min(until_ns - 1);
    (since_ns, until_ns)
}

/// Bucket widths a reader can count with, in seconds; wider ones are whole days.
const NICE_SECONDS: [i64; 18] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200,
    86_400,
];

/// `a / b` rounded up, for positive `a` and `b` (`i64::div_ceil` is unstable).
fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}

/// Latency percentiles of one type per bucket; `None` where the bucket has no latency sample.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LatencySeries {
    /// Median, ns.
    pub p50: Vec<Option<u64>>,
    /// 95th percentile, ns.
    pub p95: Vec<Option<u64>>,
    /// 99th percentile, ns.
    pub p99: Vec<Option<u64>>,
    /// Samples over the whole range.
    pub samples: u64,
}

/// The series of one range.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    /// First bucket's start, ns.
    pub start_ns: i64,
    /// Bucket width, ns.
    pub bucket_ns: i64,
    /// Bucket start times, ns.
    pub times_ns: Vec<i64>,
    /// Events per bucket.
    pub total: Vec<u64>,
    /// Events per bucket and category (categories with at least one event).
    pub by_category: BTreeMap<&'static str, Vec<u64>>,
    /// Events per bucket and type (types with at least one event).
    pub by_type: BTreeMap<&'static str, Vec<u64>>,
    /// Latency percentiles per type (types with at least one latency sample).
    pub latency_by_type: BTreeMap<&'static str, LatencySeries>,
    /// Events in the range.
    pub events: u64,
}

/// Nearest-rank quantile of sorted, non-empty `values`.
fn quantile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Buckets `events` on `grid` by event time. Events outside the grid are skipped.
pub fn bucket<'a>(grid: Grid, events: impl IntoIterator<Item = &'a Event>) -> Series {
    let n = grid.buckets;
    let mut total = vec![0u64; n];
    let mut by_category = vec![Vec::new(); EventCategory::ALL.len()];
    let mut by_type: Vec<Vec<u64>> = vec![Vec::new(); EventType::ALL.len()];
    let mut latencies: HashMap<(usize, usize), Vec<u64>> = HashMap::new();
    let mut count = 0u64;
    for event in events {
        let Some(i) = grid.index(event.timestamp_ns) else {
            continue;
        };
        count += 1;
        total[i] += 1;
        let t = event.event_type;
        let c = &mut by_category[t.category().index()];
        if c.is_empty() {
            c.resize(n, 0);
        }
        c[i] += 1;
        let row = &mut by_type[t.index()];
        if row.is_empty() {
            row.resize(n, 0);
        }
        row[i] += 1;
        if event.latency_ns > 0 {
            latencies
                .entry((t.index(), i))
                .or_default()
                .push(event.latency_ns);
        }
    }
    Series {
        start_ns: grid.start_ns,
        bucket_ns: grid.bucket_ns,
        times_ns: (0..n)
            .map(|i| grid.start_ns + i as i64 * grid.bucket_ns)
            .collect(),
        total,
        by_category: named(by_category, |i| EventCategory::ALL[i].name()),
        by_type: named(by_type, |i| EventType::ALL[i].name()),
        latency_by_type: latency_series(latencies, n),
        events: count,
    }
}

fn named(rows: Vec<Vec<u64>>, name: fn(usize) -> &'static str) -> BTreeMap<&'static str, Vec<u64>> {
    rows.into_iter()
        .enumerate()
        .filter(|(_, row)| !row.is_empty())
        .map(|(i, row)| (name(i), row))
        .collect()
}

fn latency_series(
    latencies: HashMap<(usize, usize), Vec<u64>>,
    n: usize,
) -> BTreeMap<&'static str, LatencySeries> {
    let mut out: BTreeMap<&'static str, LatencySeries> = BTreeMap::new();
    for ((t, i), mut values) in latencies {
        values.sort_unstable();
        let series = out
            .entry(EventType::ALL[t].name())
            .or_insert_with(|| LatencySeries {
                p50: vec![None; n],
                p95: vec![None; n],
                p99: vec![None; n],
                samples: 0,
            });
        series.p50[i] = Some(quantile(&values, 0.50));
        series.p95[i] = Some(quantile(&values, 0.95));
        series.p99[i] = Some(quantile(&values, 0.99));
        series.samples += values.len() as u64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    fn event(t: EventType, at_s: i64, latency_ns: u64) -> Event {
        let mut e = Event::new(t, at_s * SEC, "test");
        e.latency_ns = latency_ns;
        e
    }

    #[test]
    fn grid_uses_whole_seconds_and_respects_the_point_limit() {
        let g = Grid::covering(10 * SEC + 300, 3_610 * SEC, 60);
        assert_eq!(g.bucket_ns, 120 * SEC, "61 s rounds up to 2 min");
        assert!(g.start_ns <= 10 * SEC + 300);
        assert!(g.buckets <= 60, "{g:?}");
        assert!(g.start_ns + g.buckets as i64 * g.bucket_ns >= 3_610 * SEC);
        let hour = Grid::covering(0, 3_600 * SEC, 360);
        assert_eq!((hour.bucket_ns, hour.buckets), (15 * SEC, 240));
        let tiny = Grid::covering(0, 10, 1_000);
        assert_eq!((tiny.bucket_ns, tiny.buckets), (1, 10));
    }

    #[test]
    fn counts_land_in_their_buckets_by_category_and_type() {
        let events = [
            event(EventType::FilesystemWrite, 0, 0),
            event(EventType::FilesystemWrite, 1, 0),
            event(EventType::FilesystemRead, 12, 0),
            event(EventType::AgentQuery, 25, 0),
            event(EventType::AgentQuery, 99, 0),
        ];
        let s = bucket(Grid::covering(0, 30 * SEC, 4), &events);
        assert_eq!(s.bucket_ns, 10 * SEC);
        assert_eq!(s.total, vec![2, 1, 1]);
        assert_eq!(s.events, 4, "the event at 99 s is outside the range");
        assert_eq!(s.by_category["Filesystem"], vec![2, 1, 0]);
        assert_eq!(s.by_category["Agent"], vec![0, 0, 1]);
        assert_eq!(s.by_type["FilesystemWrite"], vec![2, 0, 0]);
        assert!(!s.by_type.contains_key("GraphNodeCreate"));
        assert_eq!(s.times_ns, vec![0, 10 * SEC, 20 * SEC]);
    }

    #[test]
    fn latency_percentiles_skip_events_without_latency() {
        let mut events: Vec<Event> = (1..=100)
            .map(|i| event(EventType::FilesystemRead, 0, i * 1_000))
            .collect();
        events.push(event(EventType::FilesystemRead, 15, 0));
        let s = bucket(Grid::covering(0, 20 * SEC, 3), &events);
        let l = &s.latency_by_type["FilesystemRead"];
        assert_eq!(l.p50, vec![Some(50_000), None]);
        assert_eq!(l.p95, vec![Some(95_000), None]);
        assert_eq!(l.p99, vec![Some(99_000), None]);
        assert_eq!(l.samples, 100);
        assert_eq!(s.total, vec![100, 1]);
    }
}
