//! Log-linear histograms for latency and size percentiles (±4.5% relative error, O(1) updates).

use serde::{Deserialize, Serialize};

/// Sub-buckets per power of two (8 gives bucket edges 2^(1/8) ≈ 9% apart).
const SUB_BITS: u32 = 3;
const SUB: usize = 1 << SUB_BITS;
/// Values below this are counted exactly, one bucket each.
const LINEAR: u64 = SUB as u64;
/// Number of buckets: covers the whole `u64` range.
const BUCKETS: usize = SUB + (64 - SUB_BITS as usize) * SUB;

/// A fixed-size histogram of `u64` values supporting removal (for count windows) and merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Box<[u32]>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// Percentile summary of a histogram.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Percentiles {
    /// Number of samples.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest value held: exact while the largest sample is in, within the bucket precision after it
    /// was removed, 0 when empty.
    pub max: u64,
}

/// A histogram as its non-empty buckets: what a replica sends for a merge across replicas
/// (`GET /api/v1/stats?scope=local`), adding up bucket by bucket exactly as [`Histogram::merge`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SparseHistogram {
    /// `(bucket, count)` of every non-empty bucket, ascending by bucket.
    pub buckets: Vec<(u32, u32)>,
    /// Largest value held (see [`Percentiles::max`]).
    pub max: u64,
}

/// A sparse histogram that no histogram of this build could have produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("histogram bucket {bucket} is out of range (this build has {BUCKETS} buckets)")]
pub struct SparseError {
    /// The offending bucket.
    pub bucket: u32,
}

fn bucket_of(value: u64) -> usize {
    if value < LINEAR {
        return value as usize;
    }
    let exp = value.ilog2();
    let sub = ((value >> (exp - SUB_BITS)) as usize) & (SUB - 1);
    SUB + (exp - SUB_BITS) as usize * SUB + sub
}

/// The midpoint of a bucket: the value reported for samples in it.
fn value_of(bucket: usize) -> u64 {
    if bucket < SUB {
        return bucket as u64;
    }
    let exp = (bucket - SUB) / SUB + SUB_BITS as usize;
    let sub = ((bucket - SUB) % SUB) as u64;
    let low = (1u64 << exp) + (sub << (exp - SUB_BITS as usize));
    let width = 1u64 << (exp - SUB_BITS as usize);
    low + width / 2
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
            max: 0,
        }
    }

    /// Records one sample.
    #[inline]
    pub fn record(&mut self, value: u64) {
        self.counts[bucket_of(value)] += 1;
        self.total += 1;
        self.max = self.max.max(value);
    }

    /// Removes one sample previously recorded.
    #[inline]
    pub fn remove(&mut self, value: u64) {
        let bucket = bucket_of(value);
        let slot = &mut self.counts[bucket];
        if *slot > 0 {
            *slot -= 1;
            self.total -= 1;
            if *slot == 0 && bucket == bucket_of(self.max) {
                // The largest sample left: fall back to the highest bucket still holding one.
                self.max = self
                    .counts
                    .iter()
                    .rposition(|&c| c > 0)
                    .map_or(0, |b| value_of(b).min(self.max));
            }
        }
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += *b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// The non-empty buckets and the maximum.
    pub fn to_sparse(&self) -> SparseHistogram {
        SparseHistogram {
            buckets: self
                .counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(b, c)| (b as u32, *c))
                .collect(),
            max: self.max,
        }
    }

    /// The histogram `sparse` describes.
    pub fn from_sparse(sparse: &SparseHistogram) -> Result<Histogram, SparseError> {
        let mut h = Histogram::new();
        for &(bucket, count) in &sparse.buckets {
            let slot = h
                .counts
                .get_mut(bucket as usize)
                .ok_or(SparseError { bucket })?;
            *slot += count;
            h.total += u64::from(count);
        }
        h.max = sparse.max;
        Ok(h)
    }

    /// Forgets every sample.
    pub fn clear(&mut self) {
        self.counts.fill(0);
        self.total = 0;
        self.max = 0;
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value at quantile `q` (0..=1), 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += u64::from(*count);
            if seen >= rank {
                return value_of(bucket).min(self.max);
            }
        }
        self.max
    }

    /// p50/p90/p95/p99/max in one pass-friendly summary.
    pub fn percentiles(&self) -> Percentiles {
        Percentiles {
            count: self.total,
            p50: self.quantile(0.50),
            p90: self.quantile(0.90),
            p95: self.quantile(0.95),
            p99: self.quantile(0.99),
            max: self.max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_cover_u64() {
        let mut last = 0;
        for v in (0..20_000u64).chain([u64::MAX / 2, u64::MAX]) {
            let b = bucket_of(v);
            assert!(b >= last && b < BUCKETS, "{v} -> {b}");
            last = b;
        }
    }

    #[test]
    fn quantiles_are_within_five_percent() {
        let mut h = Histogram::new();
        for v in 1..=100_000u64 {
            h.record(v);
        }
        for (q, exact) in [(0.5, 50_000.0), (0.95, 95_000.0), (0.99, 99_000.0)] {
            let got = h.quantile(q) as f64;
            assert!((got - exact).abs() / exact < 0.05, "q{q}: {got}");
        }
        assert_eq!(h.percentiles().max, 100_000);
    }

    #[test]
    fn removal_and_merge_keep_counts_exact() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        a.record(3);
        a.record(1_000);
        b.record(7);
        a.merge(&b);
        assert_eq!(a.count(), 3);
        a.remove(1_000);
        assert_eq!(a.count(), 2);
        assert_eq!(a.quantile(1.0), 7);
        a.clear();
        assert_eq!(a.quantile(0.5), 0);
    }

    #[test]
    fn sparse_form_round_trips_and_merges_like_the_histograms() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        for v in [0, 5, 900, 900, 1 << 40] {
            a.record(v);
        }
        for v in [7, 901, 123_456] {
            b.record(v);
        }
        let back = Histogram::from_sparse(&a.to_sparse()).expect("valid");
        assert_eq!(back, a);
        let mut merged = Histogram::from_sparse(&a.to_sparse()).expect("valid");
        merged.merge(&Histogram::from_sparse(&b.to_sparse()).expect("valid"));
        a.merge(&b);
        assert_eq!(merged.percentiles(), a.percentiles());
        let bad = SparseHistogram {
            buckets: vec![(BUCKETS as u32, 1)],
            max: 1,
        };
        assert_eq!(
            Histogram::from_sparse(&bad),
            Err(SparseError {
                bucket: BUCKETS as u32
            })
        );
    }

    #[test]
    fn max_follows_removal_of_the_largest_sample() {
        let mut h = Histogram::new();
        for v in [100, 5_000, 67_108_864] {
            h.record(v);
        }
        assert_eq!(h.percentiles().max, 67_108_864);
        h.remove(67_108_864);
        let max = h.percentiles().max;
        assert!(
            (max as f64 - 5_000.0).abs() / 5_000.0 < 0.05,
            "max {max} after removing the largest"
        );
        h.remove(100);
        h.remove(5_000);
        assert_eq!(
            h.percentiles(),
            Histogram::new().percentiles(),
            "empty again"
        );
    }
}
