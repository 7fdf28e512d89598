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
/// Support counts each sequence once; the result set equals the classic PrefixSpan output.
pub fn mine(db: &[Vec<u32>], params: MineParams) -> Vec<Pattern> {
    let mut out = Vec::new();
    if params.max_len == 0 || params.min_support == 0 {
        return out;
    }
    let start: Vec<(u32, u32)> = (0..db.len() as u32).map(|s| (s, 0)).collect();
    let mut prefix = Vec::with_capacity(params.max_len);
    grow(db, &start, &mut prefix, params, &mut out);
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

/// Extends `prefix` by every frequent item of its projected database `proj` (seq, next position).
fn grow(
    db: &[Vec<u32>],
    proj: &[(u32, u32)],
    prefix: &mut Vec<u32>,
    p: MineParams,
    out: &mut Vec<Pattern>,
) {
    let mut next: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
    for &(seq, pos) in proj {
        let items = &db[seq as usize];
        for (offset, &item) in items[pos as usize..].iter().enumerate() {
            let entry = next.entry(item).or_default();
            if entry.last().is_none_or(|&(s, _)| s != seq) {
                entry.push((seq, pos + offset as u32 + 1));
            }
        }
    }
    let mut frequent: Vec<(u32, Vec<(u32, u32)>)> = next
        .into_iter()
        .filter(|(_, m)| m.len() >= p.min_support)
        .collect();
    frequent.sort_unstable_by_key(|(item, _)| *item);
    for (item, matches) in frequent {
        if out.len() >= p.limit {
            return;
        }
        prefix.push(item);
        if prefix.len() >= p.min_len {
            out.push(Pattern {
                items: prefix.clone(),
                support: matches.len(),
            });
        }
        if prefix.len() < p.max_len {
            grow(db, &matches, prefix, p, out);
        }
        prefix.pop();
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
}
