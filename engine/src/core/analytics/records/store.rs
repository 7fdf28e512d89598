//! The bounded, queryable set of anomaly records.
//!
//! Records get increasing ids in detection order and are kept until there are more than
//! `max_records` or they are older than `max_age_ns` (by the wall clock they were recorded at).
//! A finding whose detector, subject and event time match a kept record is dropped: that is how a
//! restart, which replays the log through the detectors, avoids recording the same anomaly twice.
//! New records also wait in an outbox until the server persists, streams and counts them.

use super::query::{AnomalyPage, AnomalyQuery};
use super::{AnomalyRecord, Detector, Finding, Fingerprint, RecordId, RecordKind};
use std::collections::{BTreeMap, HashSet, VecDeque};

/// Retention limits of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// Records kept at most.
    pub max_records: usize,
    /// Oldest record kept, by its recording time.
    pub max_age_ns: i64,
}

/// Kept records, an id counter, replay de-duplication and the outbox.
#[derive(Debug, Clone)]
pub struct AnomalyStore {
    limits: StoreLimits,
    records: VecDeque<AnomalyRecord>,
    fingerprints: HashSet<Fingerprint>,
    next_id: u64,
    outbox: Vec<AnomalyRecord>,
}

impl AnomalyStore {
    /// An empty store.
    pub fn new(limits: StoreLimits) -> AnomalyStore {
        AnomalyStore {
            limits,
            records: VecDeque::new(),
            fingerprints: HashSet::new(),
            next_id: 1,
            outbox: Vec::new(),
        }
    }

    /// Loads persisted records (any order); ids continue after the largest.
    pub fn restore(&mut self, mut records: Vec<AnomalyRecord>) {
        records.sort_by_key(|r| r.id);
        for r in records {
            if self.records.back().is_some_and(|last| last.id >= r.id) {
                continue;
            }
            self.next_id = self.next_id.max(r.id.0 + 1);
            self.fingerprints.insert(r.fingerprint());
            self.records.push_back(r);
        }
        self.trim();
    }

    /// Numbers and keeps `finding` made at `now_ns`, unless the same detection is already kept.
    pub fn record(&mut self, finding: Finding, now_ns: i64) -> Option<&AnomalyRecord> {
        let key = (
            finding.detector,
            finding.subject.clone(),
            finding.event_time_ns,
        );
        if self.fingerprints.contains(&key) {
            return None;
        }
        let record = AnomalyRecord::new(RecordId(self.next_id), finding, now_ns);
        self.next_id += 1;
        self.fingerprints.insert(key);
        self.outbox.push(record.clone());
        self.records.push_back(record);
        self.trim();
        self.records.back()
    }

    /// Drops records older than the age limit at `now_ns`; returns how many.
    pub fn expire(&mut self, now_ns: i64) -> usize {
        let before = self.records.len();
        while self
            .records
            .front()
            .is_some_and(|r| now_ns.saturating_sub(r.recorded_at_ns) > self.limits.max_age_ns)
        {
            self.pop_oldest();
        }
        before - self.records.len()
    }

    fn trim(&mut self) {
        while self.records.len() > self.limits.max_records {
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some(r) = self.records.pop_front() {
            self.fingerprints.remove(&r.fingerprint());
        }
    }

    /// Records made since the last call, oldest first, for persistence, streaming and metrics.
    pub fn take_outbox(&mut self) -> Vec<AnomalyRecord> {
        std::mem::take(&mut self.outbox)
    }

    /// Kept records, oldest first.
    pub fn records(&self) -> impl DoubleEndedIterator<Item = &AnomalyRecord> {
        self.records.iter()
    }

    /// Number of kept records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The id the next record gets.
    pub fn next_id(&self) -> RecordId {
        RecordId(self.next_id)
    }

    /// Kept records per kind and per detector.
    pub fn totals(&self) -> (BTreeMap<RecordKind, u64>, BTreeMap<Detector, u64>) {
        let mut kinds = BTreeMap::new();
        let mut detectors = BTreeMap::new();
        for r in &self.records {
            *kinds.entry(r.kind).or_insert(0) += 1;
            *detectors.entry(r.detector).or_insert(0) += 1;
        }
        (kinds, detectors)
    }

    /// One page of records matching `q`.
    pub fn query(&self, q: &AnomalyQuery) -> AnomalyPage {
        q.run(self.records.iter())
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
