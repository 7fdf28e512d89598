//! Session keying and bounding: events grouped per transaction, session, agent or source, each
//! session spanning at most the temporal window, completed sessions kept in a bounded sliding window.
//!
//! A clustered replica tracks every session of the stream (so its session model learns from all
//! of them, in the order one engine would) but owns only those of its partitions ([`Share`]): the
//! others are judged for the model's sake and then dropped, never kept for mining or counted as
//! open, and [`SessionTracker::observe`] gives no history for them.

use crate::core::partition::Share;
use crate::event::Event;
use crate::event::Sym;
use ahash::HashMap;
use std::collections::{BTreeSet, VecDeque};

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
    /// The session key.
    pub key: Sym,
    /// Item ids in arrival order (capped).
    pub items: Vec<u32>,
    /// The id of the event behind each item.
    pub event_ids: Vec<u64>,
    /// Event time of the first event.
    pub first_ns: i64,
    /// Event time of the last event.
    pub last_ns: i64,
    /// Whether the session is this replica's (always, unless the tracker has a [`Share`]).
    pub owned: bool,
}

/// Limits of the tracker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionLimits {
    /// Longest span of one session, in event time.
    pub window_ns: i64,
    /// Completed sessions retained for mining.
    pub retained: usize,
    /// Items kept per session.
    pub max_items: usize,
    /// Sessions open at once; the one that would close next is closed beyond this.
    pub max_open: usize,
}

/// Tracks open sessions on event time and the sliding window of completed ones.
///
/// A session closes once the event-time watermark (the latest event time seen minus the window)
/// passes its first event, or when [`SessionTracker::flush`] is called because the stream went
/// quiet. Sessions close in the order of their first event, so whatever the arrival pattern or
/// the wall clock, the same events close the same sessions in the same order.
#[derive(Debug, Clone)]
pub struct SessionTracker {
    key: SessionKey,
    limits: SessionLimits,
    open: HashMap<Sym, OpenSession>,
    deadlines: BTreeSet<(i64, Sym)>,
    latest_ns: i64,
    closed: Vec<OpenSession>,
    completed: VecDeque<Vec<u32>>,
    generation: u64,
    share: Option<Share>,
    open_owned: usize,
}

impl SessionTracker {
    /// A tracker with the given policy.
    pub fn new(key: SessionKey, limits: SessionLimits) -> SessionTracker {
        SessionTracker {
            key,
            limits,
            open: HashMap::default(),
            deadlines: BTreeSet::new(),
            latest_ns: i64::MIN,
            closed: Vec::new(),
            completed: VecDeque::new(),
            generation: 0,
            share: None,
            open_owned: 0,
        }
    }

    /// Owns only the sessions of `share` from now on (clustered mode; set before any event).
    pub fn set_share(&mut self, share: Share) {
        self.share = Some(share);
    }

    /// Advances the watermark to the event's time (closing what it passes), then appends `item`
    /// to the event's session. Returns the session's items before this one, or `None` when the
    /// event has no key under the policy or its session is not this replica's.
    pub fn observe(&mut self, event: &Event, item: u32) -> Option<&[u32]> {
        let ts = event.timestamp_ns;
        if ts > self.latest_ns {
            self.latest_ns = ts;
            self.close_before(ts.saturating_sub(self.limits.window_ns));
        }
        let key = self.key.of(event)?;
        if !self.open.contains_key(key) && self.open.len() >= self.limits.max_open {
            self.close_next();
        }
        let session = self.open.entry(key.clone()).or_insert_with(|| {
            self.deadlines.insert((ts, key.clone()));
            let owned = self.share.is_none_or(|share| share.owns_key(key));
            self.open_owned += usize::from(owned);
            OpenSession {
                key: key.clone(),
                first_ns: ts,
                last_ns: ts,
                owned,
                ..Default::default()
            }
        });
        session.last_ns = session.last_ns.max(ts);
        if session.items.len() < self.limits.max_items {
            session.items.push(item);
            session.event_ids.push(event.id);
        }
        let n = session.items.len();
        session.owned.then(|| &session.items[..n - 1])
    }

    /// Closes sessions whose first event is before `watermark_ns`.
    fn close_before(&mut self, watermark_ns: i64) {
        while self
            .deadlines
            .first()
            .is_some_and(|(first, _)| *first < watermark_ns)
        {
            self.close_next();
        }
    }

    fn close_next(&mut self) {
        if let Some((_, key)) = self.deadlines.pop_first()
            && let Some(s) = self.open.remove(&key)
        {
            if s.owned {
                self.open_owned -= 1;
                self.complete(s.items.clone());
            }
            self.closed.push(s);
        }
    }

    /// Closes every open session (the stream has been quiet for a while).
    pub fn flush(&mut self) {
        while !self.deadlines.is_empty() {
            self.close_next();
        }
    }

    /// Sessions closed since the last call, in closing order.
    pub fn take_closed(&mut self) -> Vec<OpenSession> {
        std::mem::take(&mut self.closed)
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

    /// Number of open sessions this replica owns.
    pub fn open_count(&self) -> usize {
        self.open_owned
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
        t.observe(&event(0, "a", Some("tx1")), 1);
        t.observe(&event(1, "a", None), 2);
        let history = t.observe(&event(2, "b", Some("tx1")), 3).expect("keyed");
        assert_eq!(history, &[1]);
        assert_eq!(t.open_count(), 2);
    }

    #[test]
    fn sessions_close_on_the_event_time_watermark_in_first_event_order() {
        let mut t = SessionTracker::new(SessionKey::Source, limits());
        t.observe(&event(2 * SEC, "b", None), 7);
        t.observe(&event(0, "a", None), 1);
        t.observe(&event(5 * SEC, "a", None), 2);
        assert!(t.take_closed().is_empty(), "the watermark has not passed");
        let history = t.observe(&event(13 * SEC, "a", None), 3).expect("keyed");
        assert!(history.is_empty(), "a new session of key a");
        let closed = t.take_closed();
        let keys: Vec<&str> = closed.iter().map(|s| &*s.key).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(closed[0].items, vec![1, 2]);
        t.flush();
        assert_eq!(t.take_closed()[0].items, vec![3]);
        assert_eq!(t.completed().len(), 3);
    }

    #[test]
    fn a_replica_tracks_every_session_but_keeps_and_counts_only_its_own() {
        let share = Share {
            partitions: 16,
            replicas: 3,
            ordinal: 0,
        };
        let keys: Vec<String> = (0..40).map(|i| format!("s-{i}")).collect();
        let mine = keys.iter().filter(|k| share.owns_key(k)).count();
        assert!(mine > 0 && mine < keys.len());
        let mut t = SessionTracker::new(SessionKey::Source, limits());
        t.limits.max_open = 100;
        t.limits.retained = 100;
        t.set_share(share);
        for (i, k) in keys.iter().enumerate() {
            let history = t.observe(&event(i as i64, k, None), 1);
            assert_eq!(history.is_some(), share.owns_key(k), "{k}");
        }
        assert_eq!(t.open_count(), mine);
        t.flush();
        let closed = t.take_closed();
        assert_eq!(
            closed.len(),
            keys.len(),
            "every session is closed and judged"
        );
        assert_eq!(closed.iter().filter(|s| s.owned).count(), mine);
        assert_eq!((t.completed().len(), t.open_count()), (mine, 0));
    }

    #[test]
    fn transaction_key_skips_events_without_one_and_open_sessions_are_bounded() {
        let mut t = SessionTracker::new(SessionKey::Transaction, limits());
        assert!(t.observe(&event(0, "a", None), 1).is_none());
        for i in 0..12 {
            t.observe(&event(i, "a", Some(&format!("tx{i}"))), 1);
        }
        assert_eq!(t.open_count(), 10);
        let closed = t.take_closed();
        assert_eq!(
            closed.iter().map(|s| &*s.key).collect::<Vec<_>>(),
            ["tx0", "tx1"]
        );
        assert_eq!(
            SessionKey::parse("bogus"),
            Err(SessionError::UnknownKey("bogus".into()))
        );
    }
}
