//! Next-event prediction: a variable-order Markov model blending contexts of order 0..=4,
//! with a running backtest (each observation is predicted before it is learned). Its maps hash
//! with aHash: every event updates five contexts, and SipHash made that the model's main cost.

use ahash::HashMap;
use serde::Serialize;
use smallvec::SmallVec;

/// Longest context the model uses.
pub const MAX_ORDER: usize = 4;

type Context = (u8, [u32; MAX_ORDER]);

/// Items a context's follower list holds inline, in its table slot, before it moves to the heap.
const INLINE_FOLLOWERS: usize = 3;

/// Counts of the items that followed one context, in first-seen order. Most contexts are
/// followed by one to three items, so a short list scanned in place beats hashing the item, and
/// kept inline it is read from the table slot the context lookup already loaded.
#[derive(Debug, Clone, Default)]
struct Followers {
    total: u32,
    counts: SmallVec<[(u32, u32); INLINE_FOLLOWERS]>,
}

impl Followers {
    fn add(&mut self, item: u32) {
        self.total += 1;
        match self.counts.iter_mut().find(|(i, _)| *i == item) {
            Some((_, count)) => *count += 1,
            None => self.counts.push((item, 1)),
        }
    }

    fn count(&self, item: u32) -> u32 {
        self.counts
            .iter()
            .find_map(|&(i, count)| (i == item).then_some(count))
            .unwrap_or(0)
    }
}

/// Running top-1 accuracy of predictions made before learning each observation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Backtest {
    /// Predictions checked.
    pub predictions: u64,
    /// Predictions whose top-1 item was the observed one.
    pub hits: u64,
}

impl Backtest {
    /// Hit rate in [0, 1] (0 before any prediction).
    pub fn accuracy(&self) -> f64 {
        if self.predictions == 0 {
            0.0
        } else {
            self.hits as f64 / self.predictions as f64
        }
    }
}

/// Variable-order Markov model over item ids with a bounded number of contexts.
#[derive(Debug, Clone)]
pub struct NextEventModel {
    order: usize,
    max_contexts: usize,
    contexts: HashMap<Context, Followers>,
    backtest: Backtest,
}

fn key(history: &[u32]) -> Context {
    let mut k = [u32::MAX; MAX_ORDER];
    k[..history.len()].copy_from_slice(history);
    (history.len() as u8, k)
}

impl NextEventModel {
    /// A model using contexts up to `order` (≤ [`MAX_ORDER`]) and at most `max_contexts` of them.
    pub fn new(order: usize, max_contexts: usize) -> NextEventModel {
        NextEventModel {
            order: order.min(MAX_ORDER),
            max_contexts,
            contexts: HashMap::default(),
            backtest: Backtest::default(),
        }
    }

    /// Learns that `item` followed `history` (the items before it, oldest first).
    pub fn learn(&mut self, history: &[u32], item: u32) {
        for k in 0..=self.order.min(history.len()) {
            let ctx = key(&history[history.len() - k..]);
            if let Some(f) = self.contexts.get_mut(&ctx) {
                f.add(item);
            } else if self.contexts.len() < self.max_contexts {
                self.contexts.entry(ctx).or_default().add(item);
            }
        }
    }

    /// Learns every transition of a whole sequence.
    pub fn learn_sequence(&mut self, seq: &[u32]) {
        for i in 0..seq.len() {
            self.learn(&seq[..i], seq[i]);
        }
    }

    /// Predicts `item` from `history`, records the outcome in the backtest, then learns it.
    pub fn observe(&mut self, history: &[u32], item: u32) {
        if let Some((predicted, _)) = self.predict(history) {
            self.backtest.predictions += 1;
            self.backtest.hits += u64::from(predicted == item);
        }
        self.learn(history, item);
    }

    /// Blended probability that `item` follows `history` (floored so its log stays finite).
    pub fn probability(&self, history: &[u32], item: u32) -> f64 {
        let mut p = 0.0;
        let weight_sum = self.for_each_context(history, |weight, f| {
            p += weight * f64::from(f.count(item)) / f64::from(f.total);
        });
        if weight_sum > 0.0 {
            (p / weight_sum).max(1e-6)
        } else {
            1e-6
        }
    }

    /// The running backtest.
    pub fn backtest(&self) -> Backtest {
        self.backtest
    }

    /// Most likely next item after `history` with its blended probability, if anything was learned.
    pub fn predict(&self, history: &[u32]) -> Option<(u32, f64)> {
        let (scores, total) = self.blend(history);
        scores
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(item, s)| (item, s / total))
    }

    /// Candidates ranked by blended probability, best first.
    pub fn ranked(&self, history: &[u32]) -> Vec<(u32, f64)> {
        let (scores, total) = self.blend(history);
        let mut ranked: Vec<(u32, f64)> = scores.into_iter().map(|(i, s)| (i, s / total)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// Weighted follower counts of every matching context (see [`Self::for_each_context`]).
    /// Scores are kept in a short list in first-seen order: each item's score adds the
    /// contexts' shares in the same order whatever the list's order, and callers rank by score
    /// with the item as the tie-break.
    fn blend(&self, history: &[u32]) -> (Vec<(u32, f64)>, f64) {
        let mut scores: Vec<(u32, f64)> = Vec::new();
        let weight_sum = self.for_each_context(history, |weight, f| {
            for &(item, count) in &f.counts {
                let share = weight * f64::from(count) / f64::from(f.total);
                match scores.iter_mut().find(|(i, _)| *i == item) {
                    Some((_, score)) => *score += share,
                    None => scores.push((item, share)),
                }
            }
        });
        (scores, weight_sum.max(f64::MIN_POSITIVE))
    }

    /// Calls `visit` with the weight and followers of every matching context of order ≥ 1
    /// (longer and better-supported contexts weigh more), or of order 0 only when no longer
    /// context matches; returns the sum of the weights.
    fn for_each_context(&self, history: &[u32], mut visit: impl FnMut(f64, &Followers)) -> f64 {
        let mut weight_sum = 0.0;
        for k in (0..=self.order.min(history.len())).rev() {
            if k == 0 && weight_sum > 0.0 {
                break;
            }
            let Some(f) = self.contexts.get(&key(&history[history.len() - k..])) else {
                continue;
            };
            let weight = ((k + 1) * (k + 1)) as f64 * (1.0 - 1.0 / (1.0 + f64::from(f.total)));
            weight_sum += weight;
            visit(weight, f);
        }
        weight_sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_deterministic_cycle() {
        let mut m = NextEventModel::new(2, 1000);
        let seq: Vec<u32> = (0..300).map(|i| [1, 2, 3, 4][i % 4]).collect();
        m.learn_sequence(&seq);
        assert_eq!(m.predict(&[1, 2]).map(|p| p.0), Some(3));
        assert_eq!(m.predict(&[4]).map(|p| p.0), Some(1));
    }

    #[test]
    fn longer_context_disambiguates() {
        let mut m = NextEventModel::new(2, 1000);
        for _ in 0..20 {
            m.learn_sequence(&[7, 1, 2]);
            m.learn_sequence(&[8, 1, 3]);
            m.learn_sequence(&[9, 1, 3]);
        }
        assert_eq!(m.predict(&[1]).map(|p| p.0), Some(3));
        assert_eq!(m.predict(&[7, 1]).map(|p| p.0), Some(2));
    }

    #[test]
    fn backtest_counts_hits() {
        let mut m = NextEventModel::new(1, 1000);
        let seq: Vec<u32> = (0..100).map(|i| (i % 2) as u32).collect();
        for i in 1..seq.len() {
            m.observe(&seq[i.saturating_sub(1)..i], seq[i]);
        }
        let b = m.backtest();
        assert!(b.predictions >= 98 && b.accuracy() > 0.95, "{b:?}");
    }
}
