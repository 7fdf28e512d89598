//! Per-second event counts per type in a bounded ring, the input of correlations, rate anomalies and forecasts.

use std::collections::VecDeque;

/// Number of distinct item ids counted (event types).
pub const TYPES: usize = crate::event::EventType::COUNT;

/// A ring of per-second count rows, newest last.
#[derive(Debug, Clone)]
pub struct RateRing {
    capacity: usize,
    /// Second (Unix) of the newest row.
    newest: Option<i64>,
    rows: VecDeque<[u32; TYPES]>,
}

impl RateRing {
    /// Keeps the last `capacity` seconds.
    pub fn new(capacity: usize) -> RateRing {
        RateRing {
            capacity: capacity.max(2),
            newest: None,
            rows: VecDeque::new(),
        }
    }

    /// Counts one event of type `item` at `ts_ns`; returns the seconds completed by advancing.
    pub fn add(&mut self, item: usize, ts_ns: i64) -> Vec<(i64, [u32; TYPES])> {
        let sec = ts_ns.div_euclid(1_000_000_000);
        let closed = self.advance_to(sec);
        let newest = self.newest.unwrap_or(sec);
        let back = (newest - sec) as usize;
        if back < self.rows.len() && item < TYPES {
            let idx = self.rows.len() - 1 - back;
            self.rows[idx][item] += 1;
        }
        closed
    }

    /// Moves the newest second forward to `sec`, returning the rows that became complete.
    pub fn advance_to(&mut self, sec: i64) -> Vec<(i64, [u32; TYPES])> {
        let Some(newest) = self.newest else {
            self.newest = Some(sec);
            self.rows.push_back([0; TYPES]);
            return Vec::new();
        };
        if sec <= newest {
            return Vec::new();
        }
        let gap = (sec - newest).min(self.capacity as i64);
        let mut closed = Vec::new();
        if let Some(row) = self.rows.back() {
            closed.push((newest, *row));
        }
        for i in 1..gap {
            closed.push((newest + i, [0; TYPES]));
        }
        for _ in 0..gap {
            self.rows.push_back([0; TYPES]);
        }
        while self.rows.len() > self.capacity {
            self.rows.pop_front();
        }
        self.newest = Some(sec);
        closed
    }

    /// The newest second (still filling), once any event was counted.
    pub fn newest(&self) -> Option<i64> {
        self.newest
    }

    /// Series of events per completed second summed over the types `pick` selects.
    pub fn series_where(&self, pick: impl Fn(usize) -> bool) -> Vec<f64> {
        self.completed_rows()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|(t, _)| pick(*t))
                    .map(|(_, &c)| f64::from(c))
                    .sum()
            })
            .collect()
    }

    /// Completed seconds (all but the newest, which is still filling).
    pub fn completed(&self) -> usize {
        self.rows.len().saturating_sub(1)
    }

    /// Series of total events per completed second, oldest first.
    pub fn total_series(&self) -> Vec<f64> {
        self.completed_rows()
            .map(|r| r.iter().map(|&c| f64::from(c)).sum())
            .collect()
    }

    /// Series of one type's events per completed second.
    pub fn type_series(&self, item: usize) -> Vec<f64> {
        self.completed_rows()
            .map(|r| f64::from(r[item.min(TYPES - 1)]))
            .collect()
    }

    /// Events per type over the completed seconds.
    pub fn type_totals(&self) -> [u64; TYPES] {
        let mut totals = [0u64; TYPES];
        for r in self.completed_rows() {
            for (t, &c) in totals.iter_mut().zip(r.iter()) {
                *t += u64::from(c);
            }
        }
        totals
    }

    fn completed_rows(&self) -> impl Iterator<Item = &[u32; TYPES]> {
        self.rows.iter().take(self.completed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    #[test]
    fn buckets_by_second_and_fills_gaps() {
        let mut r = RateRing::new(10);
        r.add(0, 100 * SEC);
        r.add(0, 100 * SEC + 5);
        r.add(1, 100 * SEC + 7);
        let closed = r.add(1, 103 * SEC);
        assert_eq!(closed.len(), 3);
        assert_eq!(r.total_series(), vec![3.0, 0.0, 0.0]);
        assert_eq!(r.type_series(1), vec![1.0, 0.0, 0.0]);
        r.add(2, 102 * SEC); // late but inside the ring
        assert_eq!(r.type_series(2), vec![0.0, 0.0, 1.0]);
    }

    #[test]
    fn capacity_bounds_memory() {
        let mut r = RateRing::new(5);
        for s in 0..100 {
            r.add(0, s * SEC);
        }
        assert_eq!(r.completed(), 4);
        assert_eq!(r.type_totals()[0], 4);
    }
}
