//! Session verdicts: each closed session, in closing order, is scored against the session model
//! before the model learns it; it is learned when judged normal or only mildly anomalous.
//!
//! A clustered replica judges every session of the stream, so its model learns exactly what one
//! engine's would, but keeps the verdict and the anomaly record only of a session it owns: the
//! owner answers for it, and the cluster's answers are the single engine's.

use super::anomaly::profile::CountAnomaly;
use super::anomaly::sequence::{END, SessionScore, StepScore};
use super::records::{Contribution, Detector, Finding, severity};
use super::sessions::OpenSession;
use super::verdicts::{CountView, SessionVerdict, StepView, Verdict};
use super::{Analytics, name};
use crate::event::timestamp;

/// Severity from which an anomalous session is never learned. Milder ones are learned, so a rare
/// but normal path stops being flagged once seen; chosen on the HDFS split in BENCHMARKS.md.
const QUARANTINE_SEVERITY: f64 = 0.7;

impl Analytics {
    /// Judges the sessions the tracker closed since the last call.
    pub(super) fn judge_closed(&mut self, now_ns: i64) {
        for session in self.sessions.take_closed() {
            if self.cfg.anomalies.is_some() {
                self.judge(&session, now_ns);
            }
        }
    }

    fn judge(&mut self, session: &OpenSession, now_ns: i64) {
        let established = self.cfg.min_samples as u64;
        if self.session_model.sessions() < self.cfg.min_sessions as u64 {
            self.learn_session(&session.items);
            if session.owned {
                self.verdicts.push(unscored(session, now_ns));
            }
            return;
        }
        let score = self.session_model.score(&session.items);
        let worst = score.worst_step();
        let unlikely_step = worst.probability <= self.cfg.report_tail();
        let count = self.profile.check(&session.items, established);
        let anomalous = unlikely_step || count.is_some();
        if let Some(sessions) = self.shift.note(anomalous, &session.items) {
            tracing::info!(
                sessions = sessions.len(),
                "most recent sessions were anomalous: learning them as the new normal"
            );
            for items in &sessions {
                self.learn_session(items);
            }
        }
        let mild = count.is_none() && severity::from_tail(worst.probability) < QUARANTINE_SEVERITY;
        // Another replica's session is judged for the model's sake only: no verdict, no record.
        if session.owned {
            let mut verdict = unscored(session, now_ns);
            verdict.verdict = if anomalous {
                Verdict::Anomalous
            } else {
                Verdict::Normal
            };
            let count_tail = count.as_ref().map_or(1.0, CountAnomaly::tail);
            verdict.severity = severity::from_tail(worst.probability.min(count_tail));
            verdict.count_anomaly = count.as_ref().map(|c| CountView {
                event_type: name(c.item),
                count: c.count,
                usual: c.usual,
                sessions: c.sessions,
            });
            verdict.mean_surprisal = score.mean_surprisal;
            verdict.least_likely_step = Some(StepView {
                index: score.worst,
                from: name(worst.from),
                to: name(worst.to),
                probability: worst.probability,
            });
            verdict.step_scores = score
                .steps
                .iter()
                .map(|s| (s.to, s.probability as f32))
                .collect();
            if anomalous {
                let finding = match count {
                    Some(c) if !unlikely_step => self.count_finding(session, &c),
                    _ => self.session_finding(session, &score),
                };
                verdict.anomaly_id = self.store.record(finding, now_ns).map(|r| r.id);
            }
            self.verdicts.push(verdict);
        }
        if !anomalous || mild {
            self.learn_session(&session.items);
        }
    }

    fn learn_session(&mut self, items: &[u32]) {
        self.session_model.learn(items);
        self.profile.learn(items);
    }

    fn count_finding(&self, session: &OpenSession, c: &CountAnomaly) -> Finding {
        let key = &session.key;
        let what = if c.extra() { "an extra" } else { "a missing" };
        let established = self.cfg.min_samples as f64 + 1.0;
        Finding {
            detector: Detector::Sequence,
            subject: key.to_string(),
            event_type: None,
            event_id: None,
            event_time_ns: session.last_ns,
            tail_probability: c.tail(),
            score: (c.sessions as f64 + 1.0).ln(),
            threshold: established.ln(),
            contributions: vec![Contribution {
                feature: format!("count of {}", name(c.item)),
                value: f64::from(c.count),
                baseline: f64::from(c.usual),
                deviation: f64::from(c.count) - f64::from(c.usual),
                unit: "events".into(),
            }],
            explanation: format!(
                "session {key} has {what} {} event: {} of them, where none of the {} learned sessions had {} and most had {}",
                name(c.item),
                c.count,
                c.sessions,
                c.count,
                c.usual
            ),
        }
    }

    fn session_finding(&self, session: &OpenSession, score: &SessionScore) -> Finding {
        let worst = score.worst_step();
        let mut history = vec![super::anomaly::sequence::START];
        history.extend_from_slice(&session.items[..score.worst]);
        let expected = self.session_model.most_likely(&history);
        let (expected_name, expected_p) =
            expected.map_or(("nothing learned", 0.0), |(i, p)| (name(i), p));
        let key = &session.key;
        let step = describe(score.worst, worst);
        let explanation = if worst.to == END {
            format!(
                "session {key} ended after {} ({} events) with p={:.2e}: an event is missing, {expected_name} was expected next (p={expected_p:.2})",
                name(worst.from),
                session.items.len(),
                worst.probability
            )
        } else {
            format!(
                "session {key}: {step} is unexpected (p={:.2e}); {expected_name} was expected there (p={expected_p:.2})",
                worst.probability
            )
        };
        let threshold = -self.cfg.report_tail().ln();
        Finding {
            detector: Detector::Sequence,
            subject: key.to_string(),
            event_type: None,
            event_id: None,
            event_time_ns: session.last_ns,
            tail_probability: worst.probability,
            score: -worst.probability.ln(),
            threshold,
            contributions: vec![Contribution {
                feature: step,
                value: worst.probability,
                baseline: expected_p,
                deviation: -worst.probability.ln(),
                unit: "nats".into(),
            }],
            explanation,
        }
    }
}

fn describe(index: usize, step: StepScore) -> String {
    format!("step {index} {} -> {}", name(step.from), name(step.to))
}

/// The verdict of `session` closed at `now_ns`, before (or without) scoring.
fn unscored(session: &OpenSession, now_ns: i64) -> SessionVerdict {
    SessionVerdict {
        key: session.key.to_string(),
        events: session.items.len(),
        start_ns: session.first_ns,
        start: timestamp::format(session.first_ns),
        end_ns: session.last_ns,
        end: timestamp::format(session.last_ns),
        closed_at_ns: now_ns,
        closed_at: timestamp::format(now_ns),
        verdict: Verdict::Unscored,
        severity: 0.0,
        mean_surprisal: 0.0,
        least_likely_step: None,
        anomaly_id: None,
        count_anomaly: None,
        step_scores: Vec::new(),
        event_ids: session.event_ids.clone(),
    }
}
