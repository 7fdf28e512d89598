//! Sequential patterns across replicas that each hold a share of the sessions, exactly as one
//! engine would mine them from all sessions (the two-phase "SON" scheme).
//!
//! Sessions are partitioned, so a pattern's support is the sum of its supports in the shares.
//! A pattern frequent overall (support ≥ `S ≥ ratio · N`) is, by pigeonhole, locally frequent at
//! `ratio · nᵢ` in at least one share of `nᵢ` sessions. So:
//!
//! 1. every replica mines its sessions at [`local_threshold`] and returns the patterns
//!    ([`Candidates`]);
//! 2. every replica counts the exact support of the union of the candidates ([`supports`]);
//! 3. the sums are filtered at the global threshold and cut length by length as
//!    `prefixspan::mine_complete` cuts ([`select`]), so the report built from them
//!    ([`super::pattern_report::build`]) is the single engine's.

use super::prefixspan::{Bounded, MineParams, Pattern, mine_complete};
use serde::{Deserialize, Serialize};

/// The support a pattern needs among `sessions` sessions: `ratio` of them, at least 2.
pub fn global_min_support(ratio: f64, sessions: usize) -> usize {
    ((ratio * sessions as f64).ceil() as usize).max(2)
}

/// The support a share of `sessions` sessions mines its candidates at: `⌊ratio · n⌋`, at least 1.
/// Rounding down keeps every pattern whose local support reaches `ratio · n` (a lower threshold
/// only adds candidates, which phase 2 then counts).
pub fn local_threshold(ratio: f64, sessions: usize) -> usize {
    ((ratio * sessions as f64).floor() as usize).max(1)
}

/// What one replica mined at its local threshold (phase 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidates {
    /// Completed sessions mined.
    pub sessions: usize,
    /// The session window's generation (changes whenever a session completes).
    pub generation: u64,
    /// Candidates are complete up to this length (the longest pattern length when not cut).
    pub complete_len: usize,
    /// The locally frequent patterns (items).
    pub patterns: Vec<Vec<u32>>,
}

/// One replica's exact supports of the candidates (phase 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Supports {
    /// Completed sessions counted.
    pub sessions: usize,
    /// Sessions still open.
    pub open_sessions: usize,
    /// The session window's generation.
    pub generation: u64,
    /// Support of each candidate, in the order asked.
    pub supports: Vec<usize>,
}

/// Phase 1 on one share: its patterns at [`local_threshold`], mined length by length within
/// `limit` (so a cut leaves whole lengths), patterns of length up to `max_len`.
pub fn candidates(
    db: &[Vec<u32>],
    ratio: f64,
    max_len: usize,
    limit: usize,
    generation: u64,
) -> Candidates {
    let bounded = mine_complete(
        db,
        MineParams {
            min_support: local_threshold(ratio, db.len()),
            min_len: 1,
            max_len,
            limit,
        },
    );
    Candidates {
        sessions: db.len(),
        generation,
        complete_len: if bounded.truncated {
            bounded.complete_len
        } else {
            max_len
        },
        patterns: bounded.patterns.into_iter().map(|p| p.items).collect(),
    }
}

/// The candidates of every replica, each once, ascending, none longer than every replica's
/// complete length; with that length.
pub fn union(all: &[Candidates]) -> (Vec<Vec<u32>>, usize) {
    let complete = all.iter().map(|c| c.complete_len).min().unwrap_or(0);
    let mut patterns: Vec<Vec<u32>> = all
        .iter()
        .flat_map(|c| c.patterns.iter())
        .filter(|p| p.len() <= complete)
        .cloned()
        .collect();
    patterns.sort_unstable();
    patterns.dedup();
    (patterns, complete)
}

/// Phase 2 on one share: the number of sequences of `db` containing each pattern as a
/// subsequence. Walks the patterns in prefix order, projecting each on its prefix's projection.
pub fn supports(db: &[Vec<u32>], patterns: &[Vec<u32>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..patterns.len()).collect();
    order.sort_by(|&a, &b| patterns[a].cmp(&patterns[b]));
    let root: Vec<(u32, u32)> = (0..db.len() as u32).map(|s| (s, 0)).collect();
    // stack[k]: the item at position k of the current path and the projection after it.
    let mut stack: Vec<(u32, Vec<(u32, u32)>)> = Vec::new();
    let mut out = vec![0; patterns.len()];
    for index in order {
        let pattern = &patterns[index];
        let kept = stack
            .iter()
            .zip(pattern)
            .take_while(|((item, _), p)| item == *p)
            .count();
        stack.truncate(kept);
        while stack.len() < pattern.len() {
            let item = pattern[stack.len()];
            let from = stack.last().map_or(&root, |(_, p)| p);
            let next = project(db, from, item);
            stack.push((item, next));
        }
        out[index] = stack.last().map_or(db.len(), |(_, p)| p.len());
    }
    out
}

/// The sequences of `proj` in which `item` occurs at or after their position, each with the
/// position after its first such occurrence.
fn project(db: &[Vec<u32>], proj: &[(u32, u32)], item: u32) -> Vec<(u32, u32)> {
    proj.iter()
        .filter_map(|&(seq, pos)| {
            let rest = &db[seq as usize][pos as usize..];
            rest.iter()
                .position(|&i| i == item)
                .map(|offset| (seq, pos + offset as u32 + 1))
        })
        .collect()
}

/// Phase 3: the patterns among `candidates` (ascending, complete up to `complete_len`) whose
/// summed support reaches `min_support`, cut as `mine_complete` cuts with `limit` and `max_len`:
/// the longest length whose whole pattern set stays below `limit`, stopping at the first
/// length with nothing new. A length beyond `complete_len` cannot be decided from the candidates;
/// the result then stops before it and says `truncated`.
pub fn select(
    candidates: &[Vec<u32>],
    support: &[usize],
    complete_len: usize,
    min_support: usize,
    max_len: usize,
    limit: usize,
) -> Bounded {
    let frequent: Vec<Pattern> = candidates
        .iter()
        .zip(support)
        .filter(|(_, s)| **s >= min_support)
        .map(|(items, s)| Pattern {
            items: items.clone(),
            support: *s,
        })
        .collect();
    let mut best = Bounded {
        patterns: Vec::new(),
        complete_len: 0,
        truncated: false,
    };
    for len in 1..=max_len {
        if len > complete_len {
            best.truncated = true;
            break;
        }
        let upto = frequent.iter().filter(|p| p.items.len() <= len).count();
        if upto >= limit {
            best.truncated = true;
            break;
        }
        let grew = upto > best.patterns.len();
        best = Bounded {
            patterns: frequent
                .iter()
                .filter(|p| p.items.len() <= len)
                .cloned()
                .collect(),
            complete_len: len,
            truncated: false,
        };
        if !grew {
            break;
        }
    }
    best
}

#[cfg(test)]
#[path = "pattern_merge_tests.rs"]
mod tests;
