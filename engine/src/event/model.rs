//! The `Event` record: what VexFS nodes send and what the engine stores.

use super::attrs::{Flags, Priority, timestamp};
use super::context::{Causality, Context, FilesystemContext};
use super::sym::Sym;
use super::types::{EventCategory, EventType};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

/// One semantic event. Strings are shared `Arc<str>` so the store can intern them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    /// Sequence number assigned by the engine on ingest (any client value is replaced).
    #[serde(default)]
    pub id: u64,
    /// Event type (name or `0xCCNN` code on input, name on output).
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "FilesystemWrite")]
    pub event_type: EventType,
    /// Nanoseconds since the epoch; 0 on input means "now, at ingest".
    #[serde(rename = "timestamp", with = "timestamp", default)]
    #[schema(value_type = String, example = "2026-11-27T10:00:00.000123Z")]
    pub timestamp_ns: i64,
    /// Emitting node or component.
    #[serde(deserialize_with = "super::sym::deserialize")]
    #[schema(value_type = String)]
    pub source: Sym,
    /// Importance.
    #[serde(default)]
    #[schema(value_type = String, example = "normal")]
    pub priority: Priority,
    /// Flag set.
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub flags: Flags,
    /// Operation latency in nanoseconds.
    #[serde(default)]
    pub latency_ns: u64,
    /// Bytes touched by the operation.
    #[serde(default)]
    pub size_bytes: u64,
    /// Context blocks.
    #[serde(default, skip_serializing_if = "Context::is_empty")]
    #[schema(value_type = Object)]
    pub context: Context,
    /// Causal links.
    #[serde(default, skip_serializing_if = "Causality::is_empty")]
    #[schema(value_type = Object)]
    pub causality: Causality,
    /// Free-form JSON payload, stored verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub payload: Option<Box<RawValue>>,
    /// Client key that makes retries idempotent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::sym::deserialize_opt"
    )]
    #[schema(value_type = Option<String>)]
    pub idempotency_key: Option<Sym>,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.event_type == other.event_type
            && self.timestamp_ns == other.timestamp_ns
            && self.source == other.source
            && self.priority == other.priority
            && self.flags == other.flags
            && self.latency_ns == other.latency_ns
            && self.size_bytes == other.size_bytes
            && self.context == other.context
            && self.causality == other.causality
            && self.payload.as_ref().map(|p| p.get()) == other.payload.as_ref().map(|p| p.get())
            && self.idempotency_key == other.idempotency_key
    }
}

impl Event {
    /// A minimal event of `event_type` from `source` at `timestamp_ns`; other fields default.
    pub fn new(event_type: EventType, timestamp_ns: i64, source: &str) -> Self {
        Event {
            id: 0,
            event_type,
            timestamp_ns,
            source: Sym::from(source),
            priority: Priority::default(),
            flags: Flags::default(),
            latency_ns: 0,
            size_bytes: 0,
            context: Context::default(),
            causality: Causality::default(),
            payload: None,
            idempotency_key: None,
        }
    }

    /// Sets the file system path (builder style).
    pub fn with_path(mut self, path: &str) -> Self {
        self.context.filesystem = Some(Box::new(FilesystemContext {
            path: Sym::from(path),
            ..FilesystemContext::default()
        }));
        self
    }

    /// Sets latency and size (builder style).
    pub fn with_measures(mut self, latency_ns: u64, size_bytes: u64) -> Self {
        self.latency_ns = latency_ns;
        self.size_bytes = size_bytes;
        self
    }

    /// The event's category.
    pub fn category(&self) -> EventCategory {
        self.event_type.category()
    }

    /// The file system path, if any.
    pub fn path(&self) -> Option<&Sym> {
        self.context.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"type":"FilesystemWrite","timestamp":"2026-11-27T10:00:00.000123Z",
        "source":"node-a","priority":"Normal","flags":["atomic"],"latencyNs":18000,"sizeBytes":4096,
        "context":{"filesystem":{"path":"/data/a.bin","inode":1234,"fileType":"regular"},
                   "transactionId":"tx-9","sessionId":"s-1","agentId":"agent-7"},
        "causality":{"parentEventId":41},"payload":{"k":[1,2]},"idempotencyKey":"n-a-1"}"#;

    #[test]
    fn design_sample_decodes_and_round_trips() {
        let e: Event = serde_json::from_str(SAMPLE).unwrap();
        assert_eq!(e.event_type, EventType::FilesystemWrite);
        assert_eq!(e.path().map(|p| &**p), Some("/data/a.bin"));
        assert_eq!(e.context.transaction_id.as_deref(), Some("tx-9"));
        assert_eq!(e.causality.parent_event_id, Some(41));
        assert_eq!(e.flags, Flags::ATOMIC);
        assert_eq!(e.payload.as_ref().unwrap().get(), r#"{"k":[1,2]}"#);
        let again: Event = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(again, e);
    }

    #[test]
    fn every_type_round_trips_through_json() {
        for (i, t) in EventType::ALL.into_iter().enumerate() {
            let mut e = Event::new(t, 1_700_000_000_000_000_000 + i as i64, "n1")
                .with_path("/x")
                .with_measures(10, 20);
            e.id = i as u64 + 1;
            let back: Event = serde_json::from_str(&e.to_json()).unwrap();
            assert_eq!(back, e, "{t}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<Event>(r#"{"type":"SystemSync","source":"a","colour":1}"#)
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
    }
}
