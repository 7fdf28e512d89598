//! Every closed session's verdict, kept in a bounded log for `GET /api/v1/sessions`.

use super::records::RecordId;
use serde::Serialize;
use std::collections::VecDeque;

/// Sessions per page unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page.
pub const MAX_LIMIT: usize = 1000;

/// What the session model said about a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every step was likely enough.
    Normal,
    /// A step (or the end) was less likely than the reporting level.
    Anomalous,
    /// Closed before the model had learned `min_samples` sessions.
    Unscored,
}

impl Verdict {
    /// Parses an API name.
    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "normal" => Some(Verdict::Normal),
            "anomalous" => Some(Verdict::Anomalous),
            "unscored" => Some(Verdict::Unscored),
            _ => None,
        }
    }
}

/// The least likely step of a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    /// Step index: 0 is the first event, the last index is the end of the session.
    pub index: usize,
    /// Previous event type, or `(start)`.
    pub from: &'static str,
    /// Event type that followed, or `(end)`.
    pub to: &'static str,
    /// Its probability under the model.
    pub probability: f64,
}

/// An event type occurring a number of times no learned session had.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountView {
    /// The event type.
    pub event_type: &'static str,
    /// Its count in this session.
    pub count: u32,
    /// The most common count in learned sessions.
    pub usual: u32,
    /// Learned sessions, none with this count.
    pub sessions: u64,
}

/// One step of a session with its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Step index.
    pub index: usize,
    /// Event type, or `(end)`.
    pub event_type: &'static str,
    /// The event's id (none for the end).
    pub event_id: Option<u64>,
    /// Probability under the model.
    pub probability: f64,
    /// `-ln(probability)`, in nats.
    pub surprisal: f64,
}

/// A closed session and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionVerdict {
    /// The session key.
    pub key: String,
    /// Events in the session (as kept, at most the per-session cap).
    pub events: usize,
    /// Event time of the first event.
    pub start_ns: i64,
    /// Event time of the first event, RFC 3339.
    pub start: String,
    /// Event time of the last event.
    pub end_ns: i64,
    /// Event time of the last event, RFC 3339.
    pub end: String,
    /// Wall-clock time the session was closed.
    pub closed_at_ns: i64,
    /// Wall-clock time the session was closed, RFC 3339.
    pub closed_at: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Severity in [0, 1] of the least likely step (0 when unscored).
    pub severity: f64,
    /// Mean surprisal per step, in nats (0 when unscored).
    pub mean_surprisal: f64,
    /// The least likely step (none when unscored).
    pub least_likely_step: Option<StepView>,
    /// The anomaly record of an anomalous session.
    pub anomaly_id: Option<RecordId>,
    /// An extra or missing event, when the session's counts are off-profile.
    pub count_anomaly: Option<CountView>,
    /// Each step's item (or the end token) and probability, compactly (see [`SessionVerdict::steps`]).
    #[serde(skip)]
    pub step_scores: Vec<(u32, f32)>,
    /// Ids of the session's events, in order (served by `GET /api/v1/sessions/{key}` only).
    #[serde(skip)]
    pub event_ids: Vec<u64>,
}

impl SessionVerdict {
    /// Every step with its event, probability and surprisal (empty when unscored).
    pub fn steps(&self) -> Vec<Step> {
        self.step_scores
            .iter()
            .enumerate()
            .map(|(i, &(item, p))| Step {
                index: i,
                event_type: super::name(item),
                event_id: self.event_ids.get(i).copied(),
                probability: f64::from(p),
                surprisal: -f64::from(p.max(f32::MIN_POSITIVE)).ln(),
            })
            .collect()
    }
}

/// Result order of a session query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionSort {
    /// Most recently closed first.
    #[default]
    Time,
    /// Highest severity first.
    Severity,
}

/// Filters and page of a session query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionQuery {
    /// Only this verdict (`None` = all).
    pub verdict: Option<Verdict>,
    /// Order.
    pub sort: SessionSort,
    /// Skip this many matching sessions (the cursor).
    pub offset: usize,
    /// Page size (1..=[`MAX_LIMIT`]).
    pub limit: usize,
}

/// Verdict counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct VerdictTotals {
    /// Normal sessions kept.
    pub normal: usize,
    /// Anomalous sessions kept.
    pub anomalous: usize,
    /// Unscored sessions kept.
    pub unscored: usize,
}

/// One page of sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionPage {
    /// Sessions of this page.
    pub sessions: Vec<SessionVerdict>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
    /// Sessions matching the filter.
    pub total: usize,
    /// Kept sessions per verdict.
    pub totals: VerdictTotals,
}

/// The bounded log of verdicts, oldest first.
#[derive(Debug, Clone, Default)]
pub struct SessionLog {
    capacity: usize,
    verdicts: VecDeque<SessionVerdict>,
    closed: u64,
}

impl SessionLog {
    /// Keeps the latest `capacity` verdicts.
    pub fn new(capacity: usize) -> SessionLog {
        SessionLog {
            capacity: capacity.max(1),
            verdicts: VecDeque::new(),
            closed: 0,
        }
    }

    /// Adds a verdict, dropping the oldest beyond the capacity.
    pub fn push(&mut self, verdict: SessionVerdict) {
        self.closed += 1;
        self.verdicts.push_back(verdict);
        if self.verdicts.len() > self.capacity {
            self.verdicts.pop_front();
        }
    }

    /// Sessions closed since start (kept or not).
    pub fn closed(&self) -> u64 {
        self.closed
    }

    /// The most recent verdict of `key`.
    pub fn get(&self, key: &str) -> Option<&SessionVerdict> {
        self.verdicts.iter().rev().find(|v| v.key == key)
    }

    /// Kept verdicts per kind.
    pub fn totals(&self) -> VerdictTotals {
        let mut t = VerdictTotals::default();
        for v in &self.verdicts {
            match v.verdict {
                Verdict::Normal => t.normal += 1,
                Verdict::Anomalous => t.anomalous += 1,
                Verdict::Unscored => t.unscored += 1,
            }
        }
        t
    }

    /// One page of verdicts matching `q`.
    pub fn query(&self, q: &SessionQuery) -> SessionPage {
        let mut hits: Vec<&SessionVerdict> = self
            .verdicts
            .iter()
            .rev()
            .filter(|v| q.verdict.is_none_or(|w| v.verdict == w))
            .collect();
        if q.sort == SessionSort::Severity {
            hits.sort_by(|a, b| b.severity.total_cmp(&a.severity));
        }
        let limit = q.limit.clamp(1, MAX_LIMIT);
        let sessions: Vec<SessionVerdict> = hits
            .iter()
            .skip(q.offset)
            .take(limit)
            .map(|v| (*v).clone())
            .collect();
        let end = q.offset + sessions.len();
        SessionPage {
            next_cursor: (end < hits.len()).then(|| end.to_string()),
            total: hits.len(),
            totals: self.totals(),
            sessions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(key: &str, verdict: Verdict, severity: f64) -> SessionVerdict {
        SessionVerdict {
            key: key.into(),
            events: 3,
            start_ns: 0,
            start: String::new(),
            end_ns: 1,
            end: String::new(),
            closed_at_ns: 2,
            closed_at: String::new(),
            verdict,
            severity,
            mean_surprisal: 0.0,
            least_likely_step: None,
            anomaly_id: None,
            count_anomaly: None,
            step_scores: Vec::new(),
            event_ids: Vec::new(),
        }
    }

    #[test]
    fn bounded_filtered_sorted_and_paged() {
        let mut log = SessionLog::new(4);
        log.push(verdict("a", Verdict::Unscored, 0.0));
        log.push(verdict("b", Verdict::Normal, 0.1));
        log.push(verdict("c", Verdict::Anomalous, 0.9));
        log.push(verdict("d", Verdict::Anomalous, 0.5));
        log.push(verdict("b", Verdict::Normal, 0.2));
        assert_eq!(log.closed(), 5);
        assert_eq!(log.get("b").map(|v| v.severity), Some(0.2));
        assert!(log.get("a").is_none(), "dropped beyond the capacity");
        let q = SessionQuery {
            sort: SessionSort::Severity,
            limit: 2,
            ..Default::default()
        };
        let page = log.query(&q);
        let keys: Vec<&str> = page.sessions.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(keys, ["c", "d"]);
        assert_eq!(page.next_cursor.as_deref(), Some("2"));
        assert_eq!(
            page.totals,
            VerdictTotals {
                normal: 2,
                anomalous: 2,
                unscored: 0
            }
        );
        let normal = log.query(&SessionQuery {
            verdict: Some(Verdict::Normal),
            limit: 10,
            ..Default::default()
        });
        assert_eq!(normal.total, 2);
        assert_eq!(normal.next_cursor, None);
        assert_eq!(Verdict::parse("unscored"), Some(Verdict::Unscored));
    }
}
