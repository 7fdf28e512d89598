//! Change of normal behaviour: when most recent sessions are judged anomalous, the sessions
//! themselves have changed (a new workload, a new release), not a few of them gone wrong.
//!
//! Sessions judged anomalous are not learned, so without this a model trained on one workload
//! would flag every session of the next one forever. When at least [`SHIFT_SHARE`] of the last
//! [`SHIFT_WINDOW`] scored sessions were anomalous, the guard hands back the anomalous sessions of
//! that window to be learned. Anomalies that stay a minority (an attack among normal traffic)
//! are never learned.

use std::collections::VecDeque;

/// Scored sessions the share is measured over.
pub const SHIFT_WINDOW: usize = 100;
/// Share of anomalous sessions in the window that means normal behaviour changed.
pub const SHIFT_SHARE: f64 = 0.8;

/// The recent verdicts and the anomalous sessions among them.
#[derive(Debug, Clone, Default)]
pub struct ShiftGuard {
    verdicts: VecDeque<bool>,
    anomalous: VecDeque<Vec<u32>>,
}

impl ShiftGuard {
    /// Notes a scored session; returns the sessions to learn when normal behaviour changed.
    pub fn note(&mut self, anomalous: bool, items: &[u32]) -> Option<Vec<Vec<u32>>> {
        self.verdicts.push_back(anomalous);
        if anomalous {
            self.anomalous.push_back(items.to_vec());
        }
        if self.verdicts.len() > SHIFT_WINDOW && self.verdicts.pop_front() == Some(true) {
            self.anomalous.pop_front();
        }
        let flagged = self.anomalous.len();
        if self.verdicts.len() == SHIFT_WINDOW
            && flagged as f64 >= SHIFT_SHARE * SHIFT_WINDOW as f64
        {
            self.verdicts.clear();
            return Some(self.anomalous.drain(..).collect());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minority_of_anomalies_is_never_handed_back_but_a_new_workload_is() {
        let mut g = ShiftGuard::default();
        for i in 0..1000 {
            assert!(
                g.note(i % 2 == 0, &[1, 2]).is_none(),
                "half anomalous at {i}"
            );
        }
        let mut learned = None;
        for i in 0..SHIFT_WINDOW {
            learned = learned.or(g.note(true, &[i as u32]));
        }
        let learned = learned.expect("a shift");
        assert!(learned.len() >= 80, "{}", learned.len());
        assert!(g.note(true, &[9]).is_none(), "the window starts over");
    }
}
