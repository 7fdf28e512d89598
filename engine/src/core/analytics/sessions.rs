//! Session keying and bounding: events grouped per transaction, session, agent or source, each
//! session spanning at most the temporal window, completed sessions kept in a bounded sliding window.

use crate::event::Event;
use crate::event::Sym;
use std::collections::{HashMap, VecDeque};

/// Which event field keys a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKey {
    /// Transaction id, else session id, else agent id, else source.
    Auto,
    /// Transaction id only (events without one are not sessionised).
    Transaction,
    /// Session id only.
    Session,
    /// Agent id only.
    Agent,
    /// Source only.
    Source,
}

/// Errors of this module.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SessionError {
    /// The configured key is not one of the known names.
    #[error("session_key {0:?} is not one of auto, transaction, session, agent, source")]
    UnknownKey(String),
}

impl SessionKey {
    /// Parses the `session_key` configuration value.
    pub fn parse(s: &str) -> Result<SessionKey, SessionError> {
        match s {
            "auto" => Ok(SessionKey::Auto),
            "transaction" => Ok(SessionKey::Transaction),
            "session" => Ok(SessionKey::Session),
            "agent" => Ok(SessionKey::Agent),
            "source" => Ok(SessionKey::Source),
            other => Err(SessionError::UnknownKey(other.to_string())),
        }
    }

    /// The key of `event` under this policy.
    pub fn of<'e>(&self, event: &'e Event) -> Option<&'e Sym> {
        let c = &event.context;
        match self {
            SessionKey::Auto => c
                .transaction_id
                .as_ref()
                .or(c.session_id.as_ref())
                .or(c.agent_id.as_ref())
                .or(Some(&event.source)),
            SessionKey::Transaction => c.transaction_id.as_ref(),
            SessionKey::Session => c.session_id.as_ref(),
            SessionKey::Agent => c.agent_id.as_ref(),
            SessionKey::Source => Some(&event.source),
        }
    }
}

/// A session in progress (or just closed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenSession {
    /// Item ids in arrival order (capped).
    pub items: Vec<u32>,
    /// For each item after the first, the probability the caller gave it before it was appended.
    pub probabilities: Vec<f64>,
    /// Timestamp of the first event.
    pub first_ns: i64,
    /// Timestamp of the last event.
    pub last_ns: i64,
}

/// Limits of the tracker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionLimits {
    /// Longest span of one session.
    pub window_ns: i64,
    /// Completed sessions retained for mining.
    pub retained: usize,
    /// Items kept per session.
    pub max_items: usize,
    /// Sessions open at once; the stalest is closed beyond this.
    pub max_open: usize,
}

/// Tracks open sessions and the sliding window of completed ones.
#[derive(Debug, Clone)]
pub struct SessionTracker {
    key: SessionKey,
    limits: SessionLimits,
    open: HashMap<Sym, OpenSession>,
    completed: VecDeque<Vec<u32>>,
    generation: u64,
}

impl SessionTracker {
    /// A tracker with the given policy.
    pub fn new(key: SessionKey, limits: SessionLimits) -> SessionTracker {
        SessionTracker {
            key,
            limits,
            open: HashMap::new(),
            completed: VecDeque::new(),
            generation: 0,
        }
    }

    /// Appends `item` to the event's session, first asking `probability` how likely it is after the
    /// session's items so far; returns those items (its history) and any session of the same key that
    /// this event closed because its window had elapsed.
    pub fn observe(
        &mut self,
        event: &Event,
        item: u32,
        probability: impl FnOnce(&[u32]) -> f64,
    ) -> Option<(&[u32], Option<OpenSession>)> {
        let key = self.key.of(event)?;
        let ts = event.timestamp_ns;
        let mut closed = None;
        if let Some(s) = self.open.get(key)
            && ts - s.first_ns > self.limits.window_ns
        {
            closed = self.open.remove(key);
        }
        if !self.open.contains_key(key) && self.open.len() >= self.limits.max_open {
            self.evict_stalest();
        }
        if let Some(s) = &closed {
            self.complete(s.items.clone());
        }
        let session = self.open.entry(key.clone()).or_insert_with(|| OpenSession {
            first_ns: ts,
            ..Default::default()
        });
        session.last_ns = ts;
        if session.items.len() < self.limits.max_items {
            if !session.items.is_empty() {
                session.probabilities.push(probability(&session.items));
            }
            session.items.push(item);
        }
        let n = session.items.len();
        Some((&session.items[..n - 1], closed))
    }

    /// Closes sessions whose window has elapsed at `now_ns`; returns them.
    pub fn expire(&mut self, now_ns: i64) -> Vec<OpenSession> {
        let window = self.limits.window_ns;
        let expired: Vec<Sym> = self
            .open
            .iter()
            .filter(|(_, s)| now_ns - s.first_ns > window)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out = Vec::with_capacity(expired.len());
        for k in expired {
            if let Some(s) = self.open.remove(&k) {
                self.complete(s.items.clone());
                out.push(s);
            }
        }
        out
    }

    fn evict_stalest(&mut self) {
        if let Some(k) = self
            .open
            .iter()
            .min_by_key(|(_, s)| s.last_ns)
            .map(|(k, _)| k.clone())
            && let Some(s) = self.open.remove(&k)
        {
            self.complete(s.items);
        }
    }

    fn complete(&mut self, items: Vec<u32>) {
        self.completed.push_back(items);
        while self.completed.len() > self.limits.retained {
            self.completed.pop_front();
        }
        self.generation += 1;
    }

    /// Completed sessions in the sliding window, oldest first.
    pub fn completed(&self) -> &VecDeque<Vec<u32>> {
        &self.completed
    }

    /// Changes whenever the completed window changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Number of open sessions.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventType;

    const SEC: i64 = 1_000_000_000;

    fn limits() -> SessionLimits {
        SessionLimits {
            window_ns: 10 * SEC,
            retained: 3,
            max_items: 100,
            max_open: 10,
        }
    }

    fn event(ts: i64, source: &str, tx: Option<&str>) -> Event {
        let mut e = Event::new(EventType::FilesystemWrite, ts, source);
        e.context.transaction_id = tx.map(Into::into);
        e
    }

    #[test]
    fn auto_prefers_transaction_over_source() {
        let mut t = SessionTracker::new(SessionKey::Auto, limits());
        t.observe(&event(0, "a", Some("tx1")), 1, |_| 1.0);
        t.observe(&event(1, "a", None), 2, |_| 1.0);
        let (history, _) = t
            .observe(&event(2, "b", Some("tx1")), 3, |h| h.len() as f64)
            .expect("keyed");
        assert_eq!(history, &[1]);
        assert_eq!(t.open_count(), 2);
    }

    #[test]
    fn window_bounds_sessions() {
        let mut t = SessionTracker::new(SessionKey::Source, limits());
        t.observe(&event(0, "a", None), 1, |_| 1.0);
        t.observe(&event(5 * SEC, "a", None), 2, |_| 0.5);
        let (history, closed) = t
            .observe(&event(11 * SEC, "a", None), 3, |_| 1.0)
            .expect("keyed");
        assert!(history.is_empty());
        let closed = closed.expect("closed");
        assert_eq!(
            (closed.items, closed.probabilities),
            (vec![1, 2], vec![0.5])
        );
        assert_eq!(t.expire(30 * SEC)[0].items, vec![3]);
        assert_eq!(t.completed().len(), 2);
    }

    #[test]
    fn transaction_key_skips_events_without_one_and_window_is_bounded() {
        let mut t = SessionTracker::new(SessionKey::Transaction, limits());
        assert!(t.observe(&event(0, "a", None), 1, |_| 1.0).is_none());
        for i in 0..5 {
            t.observe(&event(i * 20 * SEC, "a", Some("tx")), i as u32, |_| 1.0);
        }
        assert_eq!(t.completed().len(), 3);
        assert_eq!(
            SessionKey::parse("bogus"),
            Err(SessionError::UnknownKey("bogus".into()))
        );
    }
}
