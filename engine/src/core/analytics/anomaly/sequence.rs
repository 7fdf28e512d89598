//! Session verdicts: a closed session's steps scored against a model of the sessions judged
//! normal before it.
//!
//! The model counts which item followed each context of up to [`ORDER`] items (a session starts
//! with a start token and ends with an end token) and blends the orders with Witten-Bell
//! smoothing, so a context seen often and always followed by the same item gives any other item
//! a tiny probability, while a context seen twice gives little evidence either way. A session is
//! anomalous when one of its steps, the end included, is less likely than the reporting level
//! (the flag names that step: an unexpected event, or one missing before the end), or when its
//! event counts are off-profile (see [`super::profile`]). Sessions judged anomalous are not
//! learned, so an attack repeated many times keeps being flagged.

use ahash::HashMap;

/// Longest context, in items.
pub const ORDER: usize = 2;
/// The token before a session's first item.
pub const START: u32 = u32::MAX - 1;
/// The token after a session's last item.
pub const END: u32 = u32::MAX;

type Context = (u8, [u32; ORDER]);

fn context(history: &[u32]) -> Context {
    let mut k = [0; ORDER];
    k[..history.len()].copy_from_slice(history);
    (history.len() as u8, k)
}

/// Counts of what followed one context.
#[derive(Debug, Clone, Default)]
struct Followers {
    total: u32,
    counts: Vec<(u32, u32)>,
}

impl Followers {
    fn count(&self, item: u32) -> u32 {
        self.counts
            .iter()
            .find(|(i, _)| *i == item)
            .map_or(0, |(_, c)| *c)
    }

    fn add(&mut self, item: u32) {
        self.total = self.total.saturating_add(1);
        match self.counts.iter_mut().find(|(i, _)| *i == item) {
            Some((_, c)) => *c = c.saturating_add(1),
            None => self.counts.push((item, 1)),
        }
    }
}

/// One scored step: the item (or [`END`]) that followed, and its probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepScore {
    /// The previous item ([`START`] for the first step).
    pub from: u32,
    /// The item that followed ([`END`] for the end of the session).
    pub to: u32,
    /// Its probability under the model.
    pub probability: f64,
}

/// A session's scores: one per item plus the end.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionScore {
    /// Steps in order; the last is the end of the session.
    pub steps: Vec<StepScore>,
    /// Index of the least likely step.
    pub worst: usize,
    /// Mean surprisal per step, in nats.
    pub mean_surprisal: f64,
}

impl SessionScore {
    /// The least likely step.
    pub fn worst_step(&self) -> StepScore {
        self.steps[self.worst]
    }
}

/// Variable-order model of sessions judged normal; memory is bounded by the item alphabet.
#[derive(Debug, Clone)]
pub struct SessionModel {
    alphabet: usize,
    contexts: HashMap<Context, Followers>,
    sessions: u64,
}

impl SessionModel {
    /// A model over `alphabet` items (the end token is counted on top).
    pub fn new(alphabet: usize) -> SessionModel {
        SessionModel {
            alphabet: alphabet + 1,
            contexts: HashMap::default(),
            sessions: 0,
        }
    }

    /// Sessions learned so far.
    pub fn sessions(&self) -> u64 {
        self.sessions
    }

    /// Probability that `next` follows `history` (which starts with [`START`]).
    pub fn probability(&self, history: &[u32], next: u32) -> f64 {
        let mut p = 1.0 / self.alphabet as f64;
        for k in 0..=ORDER.min(history.len()) {
            let Some(f) = self.contexts.get(&context(&history[history.len() - k..])) else {
                continue;
            };
            let (n, d) = (f64::from(f.total), f.counts.len() as f64);
            let seen = n / (n + d);
            p = seen * f64::from(f.count(next)) / n + (1.0 - seen) * p;
        }
        p
    }

    /// The most likely item after `history`, with its probability (among items seen after the
    /// longest known context).
    pub fn most_likely(&self, history: &[u32]) -> Option<(u32, f64)> {
        let candidates = (0..=ORDER.min(history.len()))
            .rev()
            .find_map(|k| self.contexts.get(&context(&history[history.len() - k..])))?;
        candidates
            .counts
            .iter()
            .map(|&(item, _)| (item, self.probability(history, item)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn tokens(items: &[u32]) -> Vec<u32> {
        let mut seq = Vec::with_capacity(items.len() + 2);
        seq.push(START);
        seq.extend_from_slice(items);
        seq.push(END);
        seq
    }

    /// Scores every step of `items` (and the end) without learning them.
    pub fn score(&self, items: &[u32]) -> SessionScore {
        let seq = Self::tokens(items);
        let mut steps = Vec::with_capacity(seq.len() - 1);
        for i in 1..seq.len() {
            let history = &seq[i.saturating_sub(ORDER)..i];
            steps.push(StepScore {
                from: seq[i - 1],
                to: seq[i],
                probability: self.probability(history, seq[i]),
            });
        }
        let worst = steps
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.probability.total_cmp(&b.1.probability))
            .map_or(0, |(i, _)| i);
        let surprisal: f64 = steps.iter().map(|s| -s.probability.ln()).sum();
        SessionScore {
            mean_surprisal: surprisal / steps.len() as f64,
            worst,
            steps,
        }
    }

    /// Learns a session.
    pub fn learn(&mut self, items: &[u32]) {
        let seq = Self::tokens(items);
        for i in 1..seq.len() {
            for k in 0..=ORDER.min(i) {
                self.contexts
                    .entry(context(&seq[i - k..i]))
                    .or_default()
                    .add(seq[i]);
            }
        }
        self.sessions += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dominant_path_is_likely_and_a_missing_step_is_not() {
        let mut m = SessionModel::new(60);
        for i in 0..500 {
            m.learn(&[1, 2, 3]);
            if i % 5 == 0 {
                m.learn(&[(i % 50) as u32 + 10, (i % 7) as u32 + 10, 5]);
            }
        }
        let normal = m.score(&[1, 2, 3]);
        assert!(normal.worst_step().probability > 0.5, "{normal:?}");
        let skipped = m.score(&[1, 3]);
        let worst = skipped.worst_step();
        assert_eq!((worst.from, worst.to), (1, 3));
        assert!(worst.probability < 1e-4, "{skipped:?}");
        let truncated = m.score(&[1, 2]);
        assert_eq!(truncated.worst_step().to, END);
        assert!(truncated.worst_step().probability < 1e-4, "{truncated:?}");
        assert_eq!(m.most_likely(&[START, 1, 2]).map(|(i, _)| i), Some(3));
        assert!(truncated.mean_surprisal > normal.mean_surprisal);
    }

    #[test]
    fn thin_evidence_is_not_damning_and_probabilities_sum_to_one() {
        let mut m = SessionModel::new(20);
        m.learn(&[4, 5]);
        m.learn(&[4, 6]);
        assert!(m.score(&[4, 7]).worst_step().probability > 1e-3);
        let history = [START, 4];
        let total: f64 = (0..20)
            .chain([END])
            .map(|i| m.probability(&history, i))
            .sum();
        assert!((total - 1.0).abs() < 1e-9, "total {total}");
        assert_eq!(m.sessions(), 2);
    }
}
