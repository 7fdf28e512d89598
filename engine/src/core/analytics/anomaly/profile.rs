//! Session count profiles: how many times each event type occurs in a session judged normal.
//!
//! A session is off-profile when an established type (one present in at least `established`
//! learned sessions) occurs a number of times that no learned session had: an extra event
//! (four deletions where sessions always had three) or a missing one (no commit where every
//! session had one). Being unseen among `n` sessions has a tail probability of at most
//! `1 / (n + 1)`, which is the severity such a finding gets.

use ahash::HashMap;

/// Occurrence counts of one event type across learned sessions.
#[derive(Debug, Clone, Default)]
struct TypeCounts {
    /// Sessions in which the type occurred at least once.
    present: u64,
    /// Sessions per occurrence count (counts of 1 and more).
    by_count: HashMap<u32, u64>,
}

/// An off-profile count.
#[derive(Debug, Clone, PartialEq)]
pub struct CountAnomaly {
    /// The event type.
    pub item: u32,
    /// Its count in the session.
    pub count: u32,
    /// The most common count in learned sessions.
    pub usual: u32,
    /// Learned sessions, none of which had `count`.
    pub sessions: u64,
}

impl CountAnomaly {
    /// Tail probability of a count unseen among the learned sessions.
    pub fn tail(&self) -> f64 {
        1.0 / (self.sessions as f64 + 1.0)
    }

    /// Whether the type occurred more often than usual (an extra event) rather than less.
    pub fn extra(&self) -> bool {
        self.count > self.usual
    }
}

/// Per-type occurrence counts of learned sessions; memory is bounded by the alphabet and the
/// session length cap.
#[derive(Debug, Clone, Default)]
pub struct CountProfile {
    types: HashMap<u32, TypeCounts>,
    sessions: u64,
}

fn tally(items: &[u32]) -> HashMap<u32, u32> {
    let mut counts = HashMap::default();
    for &i in items {
        *counts.entry(i).or_insert(0) += 1;
    }
    counts
}

impl CountProfile {
    /// Learns a session's counts.
    pub fn learn(&mut self, items: &[u32]) {
        for (item, count) in tally(items) {
            let t = self.types.entry(item).or_default();
            t.present += 1;
            *t.by_count.entry(count).or_insert(0) += 1;
        }
        self.sessions += 1;
    }

    fn sessions_with(&self, t: &TypeCounts, count: u32) -> u64 {
        if count == 0 {
            self.sessions - t.present
        } else {
            t.by_count.get(&count).copied().unwrap_or(0)
        }
    }

    /// The first established type whose count in `items` no learned session had (types in
    /// ascending id order, so the answer is deterministic).
    pub fn check(&self, items: &[u32], established: u64) -> Option<CountAnomaly> {
        let counts = tally(items);
        let mut candidates: Vec<(&u32, &TypeCounts)> = self
            .types
            .iter()
            .filter(|(_, t)| t.present >= established.max(1))
            .collect();
        candidates.sort_by_key(|(item, _)| **item);
        candidates.into_iter().find_map(|(&item, t)| {
            let count = counts.get(&item).copied().unwrap_or(0);
            (self.sessions_with(t, count) == 0).then(|| {
                let absent = (0, self.sessions - t.present);
                let usual = t
                    .by_count
                    .iter()
                    .map(|(&c, &n)| (c, n))
                    .chain([absent])
                    .max_by_key(|&(c, n)| (n, std::cmp::Reverse(c)))
                    .map_or(0, |(c, _)| c);
                CountAnomaly {
                    item,
                    count,
                    usual,
                    sessions: self.sessions,
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_and_missing_events_of_established_types_are_found() {
        let mut p = CountProfile::default();
        for i in 0..100 {
            p.learn(&[5, 5, 5, 9, 23, 23, 23]);
            if i % 10 == 0 {
                p.learn(&[5, 5, 5, 9, 7]);
            }
        }
        assert_eq!(p.check(&[5, 5, 5, 9, 23, 23, 23], 50), None);
        let extra = p.check(&[5, 5, 5, 9, 23, 23, 23, 23], 50).expect("extra");
        assert_eq!((extra.item, extra.count, extra.usual), (23, 4, 3));
        assert!(extra.extra());
        assert!((extra.tail() - 1.0 / 111.0).abs() < 1e-12);
        let missing = p.check(&[5, 5, 5, 23, 23, 23], 50).expect("missing");
        assert_eq!((missing.item, missing.count, missing.usual), (9, 0, 1));
        assert!(!missing.extra());
        assert_eq!(
            p.check(&[5, 5, 5, 9, 7, 7], 50),
            None,
            "type 7 is not established"
        );
    }
}
