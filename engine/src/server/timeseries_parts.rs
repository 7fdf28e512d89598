//! The event-time series (`timeseries`) as parts that add up across replicas: counts per bucket
//! and type, and latency histograms per bucket and type instead of percentiles. Replicas send
//! theirs for one grid (`GET /api/v1/timeseries?scope=local`); [`SeriesParts::merge`] adds them
//! and [`SeriesParts::series`] reports them. Counts are exact; the percentiles are read from the
//! merged histograms: the same nearest-rank sample one engine reports, as the midpoint of its
//! histogram bucket, so within half a bucket (at most 1/16) of the exact value.

use super::timeseries::{Grid, LatencySeries, Series};
use crate::core::stats::{Histogram, SparseError, SparseHistogram};
use crate::event::{Event, EventType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why parts cannot be merged or reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesPartsError {
    /// The parts were made on different grids.
    #[error("the replicas bucketed on different grids")]
    Grid,
    /// An event type this build does not know.
    #[error("unknown event type `{0}`")]
    Type(String),
    /// A histogram names a bucket this build does not have.
    #[error(transparent)]
    Histogram(#[from] SparseError),
    /// Nothing to merge.
    #[error("no parts to merge")]
    Empty,
}

/// One range's buckets as parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesParts {
    /// First bucket's start, ns.
    pub start_ns: i64,
    /// Bucket width, ns.
    pub bucket_ns: i64,
    /// Number of buckets.
    pub buckets: usize,
    /// Events per bucket and type name (types with at least one event).
    pub by_type: BTreeMap<String, Vec<u64>>,
    /// Latency histograms per type name and bucket (types with at least one latency sample).
    pub latency: BTreeMap<String, Vec<SparseHistogram>>,
}

impl SeriesParts {
    /// Buckets `events` on `grid` by event time; events outside the grid are skipped.
    pub fn of<'a>(grid: Grid, events: impl IntoIterator<Item = &'a Event>) -> SeriesParts {
        let n = grid.buckets;
        let mut by_type: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut latency: BTreeMap<String, Vec<Histogram>> = BTreeMap::new();
        for event in events {
            let Some(i) = grid.index(event.timestamp_ns) else {
                continue;
            };
            let name = event.event_type.name();
            by_type.entry(name.to_owned()).or_insert_with(|| vec![0; n])[i] += 1;
            if event.latency_ns > 0 {
                latency
                    .entry(name.to_owned())
                    .or_insert_with(|| vec![Histogram::new(); n])[i]
                    .record(event.latency_ns);
            }
        }
        SeriesParts {
            start_ns: grid.start_ns,
            bucket_ns: grid.bucket_ns,
            buckets: n,
            by_type,
            latency: latency
                .into_iter()
                .map(|(t, hs)| (t, hs.iter().map(Histogram::to_sparse).collect()))
                .collect(),
        }
    }

    /// The sum of `parts`, all made on one grid.
    pub fn merge(parts: &[SeriesParts]) -> Result<SeriesParts, SeriesPartsError> {
        let (first, rest) = parts.split_first().ok_or(SeriesPartsError::Empty)?;
        let mut sum = first.clone();
        for p in rest {
            if (p.start_ns, p.bucket_ns, p.buckets) != (sum.start_ns, sum.bucket_ns, sum.buckets) {
                return Err(SeriesPartsError::Grid);
            }
            for (t, counts) in &p.by_type {
                let row = sum.by_type.entry(t.clone()).or_default();
                row.resize(row.len().max(counts.len()), 0);
                for (a, b) in row.iter_mut().zip(counts) {
                    *a += b;
                }
            }
            for (t, hs) in &p.latency {
                let row = sum.latency.entry(t.clone()).or_default();
                row.resize(row.len().max(hs.len()), SparseHistogram::default());
                for (a, b) in row.iter_mut().zip(hs) {
                    let mut h = Histogram::from_sparse(a)?;
                    h.merge(&Histogram::from_sparse(b)?);
                    *a = h.to_sparse();
                }
            }
        }
        Ok(sum)
    }

    /// The series these parts describe.
    pub fn series(&self) -> Result<Series, SeriesPartsError> {
        let buckets = self.buckets;
        let too_long = self.by_type.values().any(|r| r.len() > buckets)
            || self.latency.values().any(|r| r.len() > buckets);
        if too_long {
            return Err(SeriesPartsError::Grid);
        }
        let type_of = |name: &str| {
            EventType::parse(name).ok_or_else(|| SeriesPartsError::Type(name.to_owned()))
        };
        let mut total = vec![0u64; buckets];
        let mut by_category: BTreeMap<&'static str, Vec<u64>> = BTreeMap::new();
        let mut by_type = BTreeMap::new();
        for (name, counts) in &self.by_type {
            let t = type_of(name)?;
            let mut row = counts.clone();
            row.resize(buckets, 0);
            let category: &mut Vec<u64> = by_category
                .entry(t.category().name())
                .or_insert_with(|| vec![0; buckets]);
            for ((sum, c), n) in total.iter_mut().zip(category.iter_mut()).zip(&row) {
                *sum += n;
                *c += n;
            }
            by_type.insert(t.name(), row);
        }
        let mut latency_by_type = BTreeMap::new();
        for (name, hs) in &self.latency {
            let t = type_of(name)?;
            let mut series = LatencySeries {
                p50: vec![None; buckets],
                p95: vec![None; buckets],
                p99: vec![None; buckets],
                samples: 0,
            };
            for (i, sparse) in hs.iter().enumerate() {
                let h = Histogram::from_sparse(sparse)?;
                if h.count() > 0 {
                    series.p50[i] = Some(h.quantile(0.50));
                    series.p95[i] = Some(h.quantile(0.95));
                    series.p99[i] = Some(h.quantile(0.99));
                    series.samples += h.count();
                }
            }
            latency_by_type.insert(t.name(), series);
        }
        Ok(Series {
            start_ns: self.start_ns,
            bucket_ns: self.bucket_ns,
            times_ns: (0..buckets)
                .map(|i| self.start_ns + i as i64 * self.bucket_ns)
                .collect(),
            events: total.iter().sum(),
            total,
            by_category,
            by_type,
            latency_by_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::timeseries::bucket;
    use super::*;

    const SEC: i64 = 1_000_000_000;

    fn events(n: i64, offset: u64) -> Vec<Event> {
        (0..n)
            .map(|i| {
                let mut e = Event::new(EventType::ALL[(i % 5) as usize * 7], i * SEC / 3, "n");
                e.latency_ns = if i % 4 == 0 {
                    0
                } else {
                    1_000 + offset + (i as u64 * 97) % 10_000
                };
                e
            })
            .collect()
    }

    #[test]
    fn merged_parts_count_exactly_and_percentiles_stay_within_half_a_bucket() {
        let (a, b) = (events(300, 0), events(200, 5_000));
        let grid = Grid::covering(0, 100 * SEC, 12);
        let merged = SeriesParts::merge(&[SeriesParts::of(grid, &a), SeriesParts::of(grid, &b)])
            .expect("merge")
            .series()
            .expect("series");
        let whole = bucket(grid, a.iter().chain(&b));
        assert_eq!(
            (
                &merged.total,
                &merged.by_type,
                &merged.by_category,
                merged.events
            ),
            (
                &whole.total,
                &whole.by_type,
                &whole.by_category,
                whole.events
            )
        );
        assert_eq!(merged.times_ns, whole.times_ns);
        for (t, exact) in &whole.latency_by_type {
            let got = &merged.latency_by_type[t];
            assert_eq!(got.samples, exact.samples, "{t}");
            for (g, e) in got
                .p50
                .iter()
                .chain(&got.p99)
                .zip(exact.p50.iter().chain(&exact.p99))
            {
                match (g, e) {
                    (Some(g), Some(e)) => {
                        assert!(
                            (*g as f64 - *e as f64).abs() / (*e as f64) <= 1.0 / 16.0,
                            "{t}: {g} vs {e}"
                        );
                    }
                    (g, e) => assert_eq!(g, e, "{t}"),
                }
            }
        }
    }

    #[test]
    fn parts_of_different_grids_are_refused() {
        let e = events(10, 0);
        let a = SeriesParts::of(Grid::covering(0, 10 * SEC, 5), &e);
        let b = SeriesParts::of(Grid::covering(0, 20 * SEC, 5), &e);
        assert_eq!(SeriesParts::merge(&[a, b]), Err(SeriesPartsError::Grid));
    }
}
