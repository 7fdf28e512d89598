//! Clustered ingest: a validated batch is published to the stream, each event to the subject of
//! its partition, and answered once JetStream acknowledged every message.
//!
//! `Nats-Msg-Id` is the event's idempotency key when it has one, so a client's retry within the
//! stream's duplicate window is stored once (the acknowledgement says `duplicate`); otherwise a
//! unique id of this process. The receipt's ids are stream sequences. A batch whose messages
//! are not all acknowledged answers an error: the messages that were stored stay (a retry with
//! idempotency keys is de-duplicated), and nothing is claimed as stored. At most
//! `[server] ingest_queue_batches` batches are in flight; more answer 429. A message whose id
//! another publish is storing at that moment (JetStream's "duplicate message id is in process",
//! two clients sending the same key at once) is published again until the stream answers for it,
//! at most [`PUBLISH_RETRIES`] times. A message no stream answered for (no responders: a
//! stream another replica has just created is not yet known to every server of the cluster) is
//! published again the same way; nothing was stored, so this cannot store it twice.

use super::partition::{partition_of, subject};
use crate::core::analytics::sessions::SessionKey;
use crate::event::{Event, write_json};
use crate::server::event_log::{EventLog, LogError};
use crate::server::pipeline::Receipt;
use async_nats::HeaderMap;
use async_nats::jetstream;
use futures::future::{BoxFuture, join_all};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Times a message whose publish is [`retryable`] is published again.
pub const PUBLISH_RETRIES: u32 = 50;
/// Pause before publishing such a message again.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Whether a publish failed in a way that publishing again settles: another publish of the same
/// message id is in process, or no stream answered yet (the message was not stored).
fn retryable(e: &jetstream::context::PublishError) -> bool {
    e.kind() == jetstream::context::PublishErrorKind::StreamNotFound
        || std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<jetstream::Error>())
            .is_some_and(|j| {
                j.error_code() == jetstream::ErrorCode::STREAM_DUPLICATE_MESSAGE_CONFLICT
            })
}

/// The NATS JetStream event log.
pub struct NatsLog {
    js: jetstream::Context,
    prefix: String,
    partitions: u32,
    key: SessionKey,
    in_flight: Arc<Semaphore>,
    /// Unique message ids for events without an idempotency key: `<process nonce>-<counter>`.
    nonce: u64,
    counter: AtomicU64,
}

impl NatsLog {
    /// A log publishing through `js` to `<prefix>.<partition>`, partitioned by `key`.
    pub fn new(
        js: jetstream::Context,
        prefix: String,
        partitions: u32,
        key: SessionKey,
        max_batches: usize,
    ) -> NatsLog {
        NatsLog {
            js,
            prefix,
            partitions,
            key,
            in_flight: Arc::new(Semaphore::new(max_batches.max(1))),
            nonce: rand::random(),
            counter: AtomicU64::new(0),
        }
    }

    fn message_id(&self, event: &Event) -> String {
        match &event.idempotency_key {
            Some(key) => key.to_string(),
            None => format!(
                "vexfs-{:016x}-{}",
                self.nonce,
                self.counter.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }

    async fn publish(&self, events: Vec<Event>) -> Result<Receipt, LogError> {
        let answer = self.publish_all(events).await;
        if let Err(e) = &answer {
            tracing::warn!(error = %e, "batch not stored in the stream");
        }
        answer
    }

    async fn publish_all(&self, events: Vec<Event>) -> Result<Receipt, LogError> {
        let Ok(_permit) = self.in_flight.try_acquire() else {
            return Err(LogError::Overloaded);
        };
        let mut acks = Vec::with_capacity(events.len());
        let mut ids = Vec::with_capacity(events.len());
        for event in &events {
            let id = self.message_id(event);
            acks.push(self.send(event, &id).await?);
            ids.push(id);
        }
        let mut receipt = Receipt {
            accepted: 0,
            duplicates: 0,
            ids: Vec::with_capacity(events.len()),
        };
        let acked = join_all(acks.into_iter().map(IntoFuture::into_future)).await;
        for ((ack, event), id) in acked.into_iter().zip(&events).zip(&ids) {
            let ack = self.settle(event, id, ack).await?;
            if ack.duplicate {
                receipt.duplicates += 1;
            } else {
                receipt.accepted += 1;
            }
            receipt.ids.push(ack.sequence);
        }
        Ok(receipt)
    }
}

impl NatsLog {
    /// Publishes `event` with message id `id`; the acknowledgement is awaited separately.
    async fn send(
        &self,
        event: &Event,
        id: &str,
    ) -> Result<jetstream::context::PublishAckFuture, LogError> {
        let failed = |e: &dyn std::fmt::Display| LogError::Unacknowledged(e.to_string());
        let partition = partition_of(event, &self.key, self.partitions);
        let mut payload = Vec::with_capacity(384);
        write_json(&mut payload, event);
        let mut headers = HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
        self.js
            .publish_with_headers(subject(&self.prefix, partition), headers, payload.into())
            .await
            .map_err(|e| failed(&e))
    }

    /// The acknowledgement of `event`: `first`, or, while the publish is [`retryable`], that of
    /// publishing it again.
    async fn settle(
        &self,
        event: &Event,
        id: &str,
        first: Result<jetstream::publish::PublishAck, jetstream::context::PublishError>,
    ) -> Result<jetstream::publish::PublishAck, LogError> {
        let mut answer = first;
        for _ in 0..PUBLISH_RETRIES {
            match answer {
                Err(e) if retryable(&e) => {
                    tokio::time::sleep(RETRY_PAUSE).await;
                    answer = self.send(event, id).await?.await;
                }
                _ => break,
            }
        }
        answer.map_err(|e| LogError::Unacknowledged(e.to_string()))
    }
}

impl EventLog for NatsLog {
    fn append(&self, events: Vec<Event>) -> BoxFuture<'_, Result<Receipt, LogError>> {
        Box::pin(self.publish(events))
    }

    fn open_before_ready(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jetstream::context::{PublishError, PublishErrorKind};

    #[test]
    fn no_responders_and_an_id_in_process_are_retried_other_failures_are_not() {
        assert!(retryable(&PublishError::new(
            PublishErrorKind::StreamNotFound
        )));
        assert!(!retryable(&PublishError::new(PublishErrorKind::TimedOut)));
        assert!(!retryable(&PublishError::new(
            PublishErrorKind::WrongLastSequence
        )));
    }
}
