//! Sequence-level anomalies: sessions whose event sequence is unlikely under the learned model.

use super::statistical::Ewma;

/// How surprising one session was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionSurprise {
    /// Mean surprisal per transition (natural log units).
    pub mean_surprisal: f64,
    /// Z-score of that mean against past sessions.
    pub z: f64,
    /// Index of the least likely transition's target item in the session.
    pub worst_index: usize,
    /// Its probability.
    pub worst_probability: f64,
}

/// Scores completed sessions against the running distribution of session surprisal.
#[derive(Debug, Clone)]
pub struct SequenceScorer {
    baseline: Ewma,
    min_sessions: u64,
}

impl SequenceScorer {
    /// A scorer that starts judging after `min_sessions` sessions.
    pub fn new(min_sessions: u64) -> SequenceScorer {
        SequenceScorer {
            baseline: Ewma::new(0.01),
            min_sessions,
        }
    }

    /// Scores a session from the probabilities its transitions had when they happened (before the
    /// model learned them), then adds it to the baseline. `None` for sessions without transitions.
    pub fn score(&mut self, probabilities: &[f64]) -> Option<SessionSurprise> {
        if probabilities.is_empty() {
            return None;
        }
        let (mut total, mut worst_index, mut worst_probability) = (0.0, 1, 1.0);
        for (i, &p) in probabilities.iter().enumerate() {
            total -= p.max(1e-9).ln();
            if p < worst_probability {
                worst_probability = p;
                worst_index = i + 1;
            }
        }
        let mean_surprisal = total / probabilities.len() as f64;
        let z = if self.baseline.count() >= self.min_sessions {
            self.baseline.z(mean_surprisal, 1e-3)
        } else {
            0.0
        };
        self.baseline.update(mean_surprisal);
        Some(SessionSurprise {
            mean_surprisal,
            z,
            worst_index,
            worst_probability,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::analytics::next_event::NextEventModel;

    fn probabilities(model: &NextEventModel, session: &[u32]) -> Vec<f64> {
        (1..session.len())
            .map(|i| model.probability(&session[..i], session[i]))
            .collect()
    }

    #[test]
    fn an_unusual_session_stands_out() {
        let mut model = NextEventModel::new(2, 10_000);
        let mut scorer = SequenceScorer::new(20);
        for _ in 0..200 {
            let normal = [1, 2, 3, 4, 1, 2, 3, 4];
            model.learn_sequence(&normal);
            let s = scorer
                .score(&probabilities(&model, &normal))
                .expect("scored");
            assert!(s.z < 3.0, "normal session z {}", s.z);
        }
        let odd = [1, 4, 2, 9, 3, 1, 1, 9];
        let s = scorer.score(&probabilities(&model, &odd)).expect("scored");
        assert!(s.z > 3.0, "odd session z {}", s.z);
        assert!(s.worst_probability < 0.01);
        assert!(scorer.score(&[]).is_none());
    }
}
