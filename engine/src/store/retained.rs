//! Retained events in memory: id assignment, idempotency keys, retention and filtered queries.

use super::batches::{Batches, SharedBatch};
use super::intern::Interner;
use super::keys::Keys;
use crate::event::{
    Event, EventCategory, EventType, FilesystemContext, GraphContext, Priority, Sym, VectorContext,
};
use std::sync::Arc;

/// Filters of `GET /api/v1/events`; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Any of these types.
    pub types: Vec<EventType>,
    /// Any of these categories.
    pub categories: Vec<EventCategory>,
    /// Timestamp at or after (ns).
    pub since_ns: Option<i64>,
    /// Timestamp before (ns).
    pub until_ns: Option<i64>,
    /// File system path prefix.
    pub path_prefix: Option<String>,
    /// Exact source.
    pub source: Option<String>,
    /// Exact agent id.
    pub agent: Option<String>,
    /// Exact transaction id.
    pub transaction: Option<String>,
    /// At least this important.
    pub min_priority: Option<Priority>,
}

fn eq_opt(want: &Option<String>, have: Option<&Sym>) -> bool {
    match want {
        None => true,
        Some(w) => have.is_some_and(|h| **h == **w),
    }
}

impl EventFilter {
    /// Whether `e` passes every filter.
    pub fn matches(&self, e: &Event) -> bool {
        (self.types.is_empty() || self.types.contains(&e.event_type))
            && (self.categories.is_empty() || self.categories.contains(&e.category()))
            && self.since_ns.is_none_or(|t| e.timestamp_ns >= t)
            && self.until_ns.is_none_or(|t| e.timestamp_ns < t)
            && self
                .path_prefix
                .as_ref()
                .is_none_or(|p| e.path().is_some_and(|path| path.starts_with(p.as_str())))
            && eq_opt(&self.source, Some(&e.source))
            && eq_opt(&self.agent, e.context.agent_id.as_ref())
            && eq_opt(&self.transaction, e.context.transaction_id.as_ref())
            && self.min_priority.is_none_or(|p| e.priority.at_least(p))
    }
}

/// One page of query results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Matching events in id order.
    pub events: Vec<Event>,
    /// Pass as `cursor` to continue; `None` when the scan reached the newest event.
    pub next_cursor: Option<u64>,
}

/// What happened to one event offered to [`Retained::admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Accepted under this new id.
    New(u64),
    /// Its idempotency key was seen before; the existing event has this id.
    Duplicate(u64),
}

/// Retention limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Most events kept (`max_event_history`).
    pub max_events: usize,
    /// Oldest timestamp kept, as an age (0: no age limit).
    pub max_age_ns: i64,
    /// Most bytes kept, as estimated by [`footprint`] (0: no byte limit).
    pub max_bytes: u64,
}

/// Memory one retained event holds: the record, its boxed context blocks and its payload text.
/// Interned strings (sources, paths, ids) are shared and not counted.
pub fn footprint(e: &Event) -> u64 {
    let boxed = e
        .context
        .filesystem
        .as_ref()
        .map_or(0, |_| size_of::<FilesystemContext>())
        + e.context
            .graph
            .as_ref()
            .map_or(0, |_| size_of::<GraphContext>())
        + e.context
            .vector
            .as_ref()
            .map_or(0, |_| size_of::<VectorContext>());
    let payload = e.payload.as_ref().map_or(0, |p| p.get().len());
    (size_of::<Event>() + boxed + payload) as u64
}

/// Retained events with contiguous ids, held as the shared batches they were stored in.
pub struct Retained {
    events: Batches,
    next_id: u64,
    keys: Keys,
    interner: Interner,
    retention: Retention,
    bytes: u64,
}

impl Retained {
    /// An empty store whose first id will be `next_id`.
    pub fn new(retention: Retention, next_id: u64) -> Self {
        Retained {
            events: Batches::default(),
            next_id: next_id.max(1),
            keys: Keys::new(retention.max_events),
            interner: Interner::default(),
            retention,
            bytes: 0,
        }
    }

    /// Assigns ids to a batch and drops events whose idempotency key was seen (also within the
    /// batch). Returns one admission per input event and the accepted events, interned.
    /// The batch is filtered in place, so accepted events are not moved.
    pub fn admit(&mut self, mut batch: Vec<Event>) -> (Vec<Admission>, Vec<Event>) {
        let mut admissions = Vec::with_capacity(batch.len());
        batch.retain_mut(|e| {
            if let Some(key) = &e.idempotency_key
                && let Some(id) = self.keys.admit(key, self.next_id)
            {
                admissions.push(Admission::Duplicate(id));
                return false;
            }
            e.id = self.next_id;
            self.next_id += 1;
            self.interner.intern_event(e);
            admissions.push(Admission::New(e.id));
            true
        });
        (admissions, batch)
    }

    /// Undoes the last `admit` calls back to `next_id` (used when the log write failed).
    pub fn rollback(&mut self, next_id: u64) {
        self.keys.rollback(next_id);
        self.next_id = next_id;
    }

    /// Stores accepted events (already admitted, in id order) and applies count and byte
    /// retention. The batch is kept as given: the log writer shares the same `Arc` with the
    /// analytics feed and stream subscribers instead of copying the events.
    pub fn insert(&mut self, events: impl Into<SharedBatch>) {
        let events = events.into();
        self.bytes += events.iter().map(footprint).sum::<u64>();
        self.events.push(events);
        self.evict();
    }

    /// Re-inserts events read back from the log at startup (in id order) as one batch, and
    /// returns that batch, interned, to share with the analytics feed.
    pub fn restore(&mut self, mut events: Vec<Event>) -> SharedBatch {
        for event in &mut events {
            self.interner.intern_event(event);
            self.next_id = self.next_id.max(event.id + 1);
            if let Some(key) = &event.idempotency_key {
                self.keys.remember(key, event.id);
            }
        }
        let batch = Arc::new(events);
        self.insert(batch.clone());
        batch
    }

    /// Drops the oldest events until the count and byte limits hold. The newest event always
    /// stays, even when it alone is over the byte limit.
    fn evict(&mut self) {
        let over_bytes = |r: &Self| r.retention.max_bytes > 0 && r.bytes > r.retention.max_bytes;
        while self.events.len() > self.retention.max_events
            || (self.events.len() > 1 && over_bytes(self))
        {
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some(old) = self.events.front() {
            self.bytes -= footprint(old);
            self.events.pop_front();
        }
    }

    /// Estimated bytes held by the retained events (see [`footprint`]).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Drops events older than the age limit as of `now_ns`; returns how many were dropped.
    pub fn expire(&mut self, now_ns: i64) -> usize {
        if self.retention.max_age_ns <= 0 {
            return 0;
        }
        let cutoff = now_ns.saturating_sub(self.retention.max_age_ns);
        let before = self.events.len();
        while self.events.front().is_some_and(|e| e.timestamp_ns < cutoff) {
            self.pop_oldest();
        }
        before - self.events.len()
    }

    /// Events with id greater than `cursor` that match `filter`, at most `limit`.
    pub fn page(&self, filter: &EventFilter, cursor: Option<u64>, limit: usize) -> Page {
        let start = cursor.map_or(0, |c| c.saturating_add(1));
        let mut events = Vec::new();
        let mut last_scanned = None;
        for e in self.events.iter_from(start) {
            last_scanned = Some(e.id);
            if filter.matches(e) {
                events.push(e.clone());
                if events.len() == limit {
                    break;
                }
            }
        }
        let more = last_scanned.is_some_and(|id| id + 1 < self.next_id);
        Page {
            next_cursor: if more { last_scanned } else { None },
            events,
        }
    }

    /// The retained event with id `id`, if any.
    pub fn get(&self, id: u64) -> Option<&Event> {
        self.events.get(id)
    }

    /// The retained events, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    /// Number of retained events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing is retained.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The id the next accepted event gets.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Id of the oldest retained event (or `next_id` when empty).
    pub fn first_id(&self) -> u64 {
        self.events.front().map_or(self.next_id, |e| e.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    fn ev(i: i64, key: Option<&str>) -> Event {
        let mut e = Event::new(
            EventType::AgentQuery,
            i,
            if i % 2 == 0 { "even" } else { "odd" },
        );
        e.idempotency_key = key.map(Sym::from);
        e
    }

    fn retained(max: usize) -> Retained {
        Retained::new(
            Retention {
                max_events: max,
                max_age_ns: 0,
                max_bytes: 0,
            },
            1,
        )
    }

    #[test]
    fn ids_are_contiguous_and_keys_deduplicate() {
        let mut r = retained(100);
        let (adm, acc) = r.admit(vec![ev(1, Some("a")), ev(2, Some("a")), ev(3, None)]);
        assert_eq!(
            adm,
            vec![
                Admission::New(1),
                Admission::Duplicate(1),
                Admission::New(2)
            ]
        );
        r.insert(acc);
        let (adm, _) = r.admit(vec![ev(4, Some("a"))]);
        assert_eq!(adm, vec![Admission::Duplicate(1)]);
        assert_eq!(r.next_id(), 3);
    }

    #[test]
    fn rollback_forgets_ids_and_keys() {
        let mut r = retained(100);
        let (_, acc) = r.admit(vec![ev(1, Some("a"))]);
        r.insert(acc);
        let saved = r.next_id();
        r.admit(vec![ev(2, Some("b"))]);
        r.rollback(saved);
        let (adm, _) = r.admit(vec![ev(2, Some("b"))]);
        assert_eq!(adm, vec![Admission::New(2)]);
    }

    #[test]
    fn retention_by_count_and_age() {
        let mut r = retained(3);
        for i in 1..=5 {
            let (_, acc) = r.admit(vec![ev(i * 10, None)]);
            r.insert(acc);
        }
        assert_eq!(r.iter().map(|e| e.id).collect::<Vec<_>>(), vec![3, 4, 5]);
        r.retention.max_age_ns = 15;
        assert_eq!(r.expire(60), 2, "timestamps 30 and 40 are older than 45");
        assert_eq!(r.first_id(), 5);
    }

    #[test]
    fn retention_by_bytes_evicts_the_oldest() {
        let with_payload = |i: i64| {
            let mut e = ev(i, None);
            let text = format!("\"{}\"", "x".repeat(1000));
            e.payload = Some(RawValue::from_string(text).unwrap());
            e
        };
        let one = footprint(&with_payload(0));
        assert!(one > 1000, "the payload is counted: {one}");
        let mut r = retained(100);
        r.retention.max_bytes = 3 * one;
        for i in 1..=5 {
            let (_, acc) = r.admit(vec![with_payload(i)]);
            r.insert(acc);
        }
        assert_eq!(r.iter().map(|e| e.id).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert_eq!(r.bytes(), 3 * one);
        r.retention.max_age_ns = 1;
        r.expire(100);
        assert_eq!(
            (r.len(), r.bytes()),
            (0, 0),
            "expiry releases the bytes too"
        );
        r.retention.max_bytes = 10;
        let (_, acc) = r.admit(vec![with_payload(200)]);
        r.insert(acc);
        assert_eq!(
            r.len(),
            1,
            "the newest event stays even when alone over the limit"
        );
    }

    #[test]
    fn pages_follow_the_cursor_with_filters() {
        let mut r = retained(100);
        let (_, acc) = r.admit((0..10).map(|i| ev(i, None)).collect());
        r.insert(acc);
        let filter = EventFilter {
            source: Some("even".into()),
            ..EventFilter::default()
        };
        let p1 = r.page(&filter, None, 2);
        assert_eq!(
            p1.events.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![1, 3]
        );
        let p2 = r.page(&filter, p1.next_cursor, 10);
        assert_eq!(
            p2.events.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![5, 7, 9]
        );
        assert_eq!(p2.next_cursor, None);
        let since = EventFilter {
            since_ns: Some(8),
            ..EventFilter::default()
        };
        assert_eq!(r.page(&since, None, 10).events.len(), 2);
    }
}
