//! PrefixSpan: frequent sequential patterns (non-contiguous subsequences) by pseudo-projection,
//! plus the sequence rules `prefix → next item` derived from them.

use serde::Serialize;
use std::collections::HashMap;

/// Mining parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MineParams {
    /// Minimum number of sequences containing a pattern.
    pub min_support: usize,
    /// Shortest pattern reported.
    pub min_len: usize,
    /// Longest pattern reported (and explored).
    pub max_len: usize,
    /// Stop after this many patterns (bounds work on dense live data; `usize::MAX` for all).
    pub limit: usize,
}

/// A frequent pattern with its support (number of sequences containing it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pattern {
    /// Items in order.
    pub items: Vec<u32>,
    /// Number of sequences that contain the items as a subsequence.
    pub support: usize,
}

/// Mines every pattern with `support >= min_support` and `min_len <= len <= max_len`.
///
/// Support counts each sequence once; the result set equals the classic PrefixSpan output. The
/// items are renumbered densely (in their order, so the search visits patterns in the same order)
/// and each depth of the search reuses one slot per item instead of hashing every occurrence.
pub fn mine(db: &[Vec<u32>], params: MineParams) -> Vec<Pattern> {
    let mut out = Vec::new();
    if params.max_len == 0 || params.min_support == 0 {
        return out;
    }
    let mut alphabet: Vec<u32> = db.iter().flatten().copied().collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    let dense: Vec<Vec<u32>> = db
        .iter()
        .map(|seq| {
            seq.iter()
                .map(|item| alphabet.binary_search(item).unwrap_or_default() as u32)
                .collect()
        })
        .collect();
    let start: Vec<(u32, u32)> = (0..dense.len() as u32).map(|s| (s, 0)).collect();
    let mut search = Search {
        db: &dense,
        params,
        levels: (0..params.max_len)
            .map(|_| vec![Vec::new(); alphabet.len()])
            .collect(),
        prefix: Vec::with_capacity(params.max_len),
        out: &mut out,
    };
    search.grow(&start);
    for pattern in &mut out {
        for item in &mut pattern.items {
            *item = alphabet[*item as usize];
        }
    }
    out
}

/// What [`mine_complete`] found: every pattern up to `complete_len`, and whether longer ones were cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounded {
    /// Every frequent pattern of length `min_len..=complete_len`.
    pub patterns: Vec<Pattern>,
    /// The longest length for which the set is complete.
    pub complete_len: usize,
    /// True when patterns longer than `complete_len` (up to `max_len`) exist but were left out.
    pub truncated: bool,
}

/// Mines length by length (1, 2, ... `max_len`) and keeps the longest length whose full pattern set fits
/// in `params.limit`, so a cut never leaves an arbitrary subset: what is reported is complete up to
/// `complete_len`, and rules derived from it have every prefix they need.
pub fn mine_complete(db: &[Vec<u32>], params: MineParams) -> Bounded {
    let mut best = Bounded {
        patterns: Vec::new(),
        complete_len: 0,
        truncated: false,
    };
    for len in 1..=params.max_len {
        let mined = mine(
            db,
            MineParams {
                max_len: len,
                ..params
            },
        );
        if mined.len() >= params.limit {
            best.truncated = true;
            break;
        }
        let grew = mined.len() > best.patterns.len();
        best = Bounded {
            patterns: mined,
            complete_len: len,
            truncated: false,
        };
        if !grew && len >= params.min_len {
            break; // nothing frequent of this length, so nothing longer either
        }
    }
    best
}

/// The state of one [`mine`] run over a densely numbered database.
struct Search<'a> {
    db: &'a [Vec<u32>],
    params: MineParams,
    /// Per depth, one projection slot per item (emptied after each use, capacity kept).
    levels: Vec<Vec<Vec<(u32, u32)>>>,
    prefix: Vec<u32>,
    out: &'a mut Vec<Pattern>,
}

impl Search<'_> {
    /// Extends the prefix by every frequent item of its projected database `proj` (sequence,
    /// next position), in item order.
    fn grow(&mut self, proj: &[(u32, u32)]) {
        let p = self.params;
        let depth = self.prefix.len();
        let mut touched: Vec<u32> = Vec::new();
        {
            let slots = &mut self.levels[depth];
            for &(seq, pos) in proj {
                let items = &self.db[seq as usize];
                for (offset, &item) in items[pos as usize..].iter().enumerate() {
                    let slot = &mut slots[item as usize];
                    match slot.last() {
                        Some(&(s, _)) if s == seq => {}
                        last => {
                            if last.is_none() {
                                touched.push(item);
                            }
                            slot.push((seq, pos + offset as u32 + 1));
                        }
                    }
                }
            }
        }
        touched.sort_unstable();
        let mut frequent: Vec<(u32, Vec<(u32, u32)>)> = Vec::new();
        for item in touched {
            let slot = &mut self.levels[depth][item as usize];
            if slot.len() >= p.min_support {
                frequent.push((item, std::mem::take(slot)));
            } else {
                slot.clear();
            }
        }
        for (item, matches) in frequent {
            if self.out.len() >= p.limit {
                return;
            }
            self.prefix.push(item);
            if self.prefix.len() >= p.min_len {
                self.out.push(Pattern {
                    items: self.prefix.clone(),
                    support: matches.len(),
                });
            }
            if self.prefix.len() < p.max_len {
                self.grow(&matches);
            }
            self.prefix.pop();
        }
    }
}

/// A rule "after `antecedent`, `consequent` follows" with its confidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// The pattern's prefix.
    pub antecedent: Vec<u32>,
    /// The item that follows.
    pub consequent: u32,
    /// Sequences containing antecedent then consequent.
    pub support: usize,
    /// `support(antecedent + consequent) / support(antecedent)`.
    pub confidence: f64,
}

/// Rules from mined patterns (length ≥ 2) whose confidence is at least `min_confidence`.
///
/// `patterns` must contain every frequent prefix (true for [`mine`] output with `min_len == 1`).
pub fn rules(patterns: &[Pattern], min_confidence: f64) -> Vec<Rule> {
    let support: HashMap<&[u32], usize> = patterns
        .iter()
        .map(|p| (p.items.as_slice(), p.support))
        .collect();
    let mut out: Vec<Rule> = patterns
        .iter()
        .filter(|p| p.items.len() >= 2)
        .filter_map(|p| {
            let (last, head) = p.items.split_last()?;
            let base = *support.get(head)?;
            let confidence = p.support as f64 / base as f64;
            (confidence >= min_confidence).then(|| Rule {
                antecedent: head.to_vec(),
                consequent: *last,
                support: p.support,
                confidence,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.support.cmp(&a.support))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Vec<Vec<u32>> {
        vec![vec![1, 2, 3], vec![1, 3, 2], vec![2, 1, 3, 3], vec![4]]
    }

    /// Mines [`db`] with the given support, length bounds and limit.
    fn mine_db(min_support: usize, min_len: usize, max_len: usize, limit: usize) -> Vec<Pattern> {
        let params = MineParams {
            min_support,
            min_len,
            max_len,
            limit,
        };
        mine(&db(), params)
    }

    fn as_set(ps: &[Pattern]) -> Vec<(Vec<u32>, usize)> {
        let mut v: Vec<_> = ps.iter().map(|p| (p.items.clone(), p.support)).collect();
        v.sort();
        v
    }

    #[test]
    fn known_pattern_set() {
        let got = mine_db(2, 1, 3, usize::MAX);
        let want = vec![
            (vec![1], 3),
            (vec![1, 2], 2),
            (vec![1, 3], 3),
            (vec![2], 3),
            (vec![2, 3], 2),
            (vec![3], 3),
        ];
        assert_eq!(as_set(&got), want);
    }

    #[test]
    fn length_bounds_are_respected() {
        let got = mine_db(1, 2, 2, usize::MAX);
        assert!(got.iter().all(|p| p.items.len() == 2));
        assert!(got.iter().any(|p| p.items == [3, 3] && p.support == 1));
    }

    #[test]
    fn bounded_mining_keeps_whole_lengths_instead_of_a_partial_subset() {
        // 30 identical sequences of 8 distinct items: 2^8 - 1 = 255 frequent patterns, 8 of length 1,
        // 8 + 28 = 36 up to length 2, 36 + 56 = 92 up to length 3, 92 + 70 = 162 up to length 4.
        let db = vec![(0..8).collect::<Vec<u32>>(); 30];
        let params = MineParams {
            min_support: 2,
            min_len: 1,
            max_len: 8,
            limit: 100,
        };
        let bounded = mine_complete(&db, params);
        assert_eq!(bounded.complete_len, 3);
        assert!(bounded.truncated);
        assert_eq!(bounded.patterns.len(), 92);
        assert!(
            bounded
                .patterns
                .iter()
                .all(|p| p.support == 30 && p.items.len() <= 3)
        );
        let all = mine_complete(
            &db,
            MineParams {
                limit: usize::MAX,
                ..params
            },
        );
        assert_eq!(
            (all.patterns.len(), all.complete_len, all.truncated),
            (255, 8, false)
        );
    }

    #[test]
    fn limit_bounds_output() {
        let got = mine_db(1, 1, 3, 4);
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn rules_have_confidence() {
        let pats = mine_db(2, 1, 3, usize::MAX);
        let r = rules(&pats, 0.9);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].antecedent.as_slice(), r[0].consequent),
            (&[1u32][..], 3)
        );
        assert!((r[0].confidence - 1.0).abs() < 1e-12);
    }

    /// Whether `pattern` is a subsequence of `seq`.
    fn contains(seq: &[u32], pattern: &[u32]) -> bool {
        let mut at = 0;
        for item in seq {
            if at < pattern.len() && *item == pattern[at] {
                at += 1;
            }
        }
        at == pattern.len()
    }

    #[test]
    fn matches_brute_force_on_random_sequences_with_sparse_item_ids() {
        let alphabet = [7, 1_000, 42, 3_000_000, 5];
        let mut x: u64 = 9;
        let mut next = move || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) as usize
        };
        let db: Vec<Vec<u32>> = (0..60)
            .map(|_| (0..next() % 9).map(|_| alphabet[next() % 5]).collect())
            .collect();
        let mut want = Vec::new();
        let mut level: Vec<Vec<u32>> = vec![Vec::new()];
        for _ in 0..3 {
            level = level
                .iter()
                .flat_map(|p| alphabet.iter().map(move |a| [p.as_slice(), &[*a]].concat()))
                .collect();
            for p in &level {
                let support = db.iter().filter(|s| contains(s, p)).count();
                if support >= 6 {
                    want.push((p.clone(), support));
                }
            }
        }
        want.sort();
        let got = mine(
            &db,
            MineParams {
                min_support: 6,
                min_len: 1,
                max_len: 3,
                limit: usize::MAX,
            },
        );
        assert!(want.len() > 20, "{} patterns", want.len());
        assert_eq!(as_set(&got), want);
        let order: Vec<Vec<u32>> = got.iter().map(|p| p.items.clone()).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(
            order, sorted,
            "depth-first in item order, so a limit cuts the same way"
        );
    }
}
