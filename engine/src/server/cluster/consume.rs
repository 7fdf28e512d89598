//! One owned partition's consumer: a durable pull consumer on the partition's subject, whose
//! messages go through the local log writer (retained events, windows, analytics feed) in
//! stream order, acknowledged to JetStream only after the local commit.
//!
//! The local checkpoint is the source of truth for where to resume: at start (and after any
//! error) the durable consumer `vexfs-replica-<ordinal>-p<partition>` is recreated to deliver
//! from the partition's high-water mark + 1, so a replica whose consumer state on the server is
//! ahead of its disk (a lost volume) or behind it (a commit not yet acknowledged) reads exactly
//! what it lacks. Acknowledgement is `all`: acknowledging a chunk's last message covers the
//! chunk.

use super::partition::consumer_name;
use super::resume::{Delivered, in_order, select};
use crate::event::Event;
use crate::server::cluster_status::ClusterStatus;
use crate::server::pipeline::{Command, IngestRequest};
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::stream::Stream;
use futures::StreamExt;
use std::sync::Arc;
use std::sync::mpsc::SyncSender;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::oneshot;

/// Messages applied per local commit at most.
const CHUNK: usize = 1_024;
/// How long JetStream waits for an acknowledgement before redelivering.
const ACK_WAIT: Duration = Duration::from_secs(60);
/// Pause before recreating a consumer after an error.
const RETRY: Duration = Duration::from_secs(1);

/// Errors of one consumption attempt (the consumer is recreated after each).
#[derive(Debug, Error)]
pub enum ConsumeError {
    /// The consumer could not be created or its message stream failed.
    #[error("JetStream consumer {consumer}: {reason}")]
    Consumer {
        /// The consumer's name.
        consumer: String,
        /// Why.
        reason: String,
    },
    /// The local log writer failed to store the chunk (nothing of it was acknowledged).
    #[error("local log write failed: {0}")]
    Writer(String),
    /// A delivery arrived out of order (see [`super::resume`]); what came before it was applied.
    #[error(
        "delivery out of order at stream sequence {sequence}: expected consumer sequence {expected}, got {got}"
    )]
    OutOfOrder {
        /// The message's stream sequence.
        sequence: u64,
        /// The consumer sequence expected.
        expected: u64,
        /// The one delivered.
        got: u64,
    },
    /// The log writer stopped (the engine is shutting down).
    #[error("the log writer stopped")]
    Stopped,
}

/// What a partition consumer needs.
pub struct Partition {
    /// The partition.
    pub partition: u32,
    /// This replica's ordinal (names the consumer).
    pub ordinal: u32,
    /// The partition's subject.
    pub subject: String,
    /// The stream.
    pub stream: Stream,
    /// The log writer's queue.
    pub queue: SyncSender<Command>,
    /// Progress, lag and readiness.
    pub status: Arc<ClusterStatus>,
    /// Called when every owned partition has caught up.
    pub on_caught_up: Arc<dyn Fn() + Send + Sync>,
}

/// Consumes the partition until the engine stops, recreating the consumer after errors.
pub async fn run(p: Partition) {
    loop {
        match consume(&p).await {
            Err(ConsumeError::Stopped) => return,
            Err(e) => {
                tracing::warn!(partition = p.partition, error = %e, "partition consumer restarts");
            }
            Ok(()) => {}
        }
        tokio::time::sleep(RETRY).await;
    }
}

fn consumer_error(name: &str, e: &dyn std::fmt::Display) -> ConsumeError {
    ConsumeError::Consumer {
        consumer: name.to_string(),
        reason: e.to_string(),
    }
}

async fn consume(p: &Partition) -> Result<(), ConsumeError> {
    let name = consumer_name(p.ordinal, p.partition);
    let mut mark = p.status.applied_sequence(p.partition);
    // Recreated from the local mark: delete whatever the server kept for this name.
    let _ = p.stream.delete_consumer(&name).await;
    let consumer = p
        .stream
        .create_consumer(pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: p.subject.clone(),
            deliver_policy: DeliverPolicy::ByStartSequence {
                start_sequence: mark + 1,
            },
            ack_policy: AckPolicy::All,
            ack_wait: ACK_WAIT,
            ..pull::Config::default()
        })
        .await
        .map_err(|e| consumer_error(&name, &e))?;
    tracing::info!(partition = p.partition, consumer = %name, from_sequence = mark + 1, "consuming partition");
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(CHUNK)
        .messages()
        .await
        .map_err(|e| consumer_error(&name, &e))?
        .ready_chunks(CHUNK);
    let mut next = 1;
    while let Some(chunk) = messages.next().await {
        let mut delivered: Vec<Delivered> = Vec::with_capacity(chunk.len());
        let mut last = None;
        let mut pending = None;
        let mut broken = None;
        for message in chunk {
            let message = message.map_err(|e| consumer_error(&name, &e))?;
            let info = message.info().map_err(|e| consumer_error(&name, &e))?;
            if !in_order(next, info.consumer_sequence, info.delivered) {
                broken = Some(ConsumeError::OutOfOrder {
                    sequence: info.stream_sequence,
                    expected: next,
                    got: info.consumer_sequence,
                });
                break;
            }
            next += 1;
            let event = serde_json::from_slice::<Event>(&message.payload);
            if let Err(e) = &event {
                tracing::error!(partition = p.partition, sequence = info.stream_sequence, error = %e, "skipping a message that is not an event");
            }
            delivered.push((info.stream_sequence, event.ok()));
            pending = Some(info.pending);
            last = Some(message);
        }
        let fresh = select(p.partition, mark, delivered);
        if let Some(position) = fresh.position {
            apply(&p.queue, fresh.events, position).await?;
            mark = position.sequence;
        }
        if let Some(message) = last {
            message.ack().await.map_err(|e| consumer_error(&name, &e))?;
        }
        if p.status.applied(p.partition, mark, pending) {
            (p.on_caught_up)();
        }
        if let Some(e) = broken {
            return Err(e);
        }
    }
    Err(consumer_error(&name, &"the message stream ended"))
}

/// Stores `events` with `position` through the log writer and waits for the commit.
async fn apply(
    queue: &SyncSender<Command>,
    events: Vec<Event>,
    position: crate::store::LogPosition,
) -> Result<(), ConsumeError> {
    let (reply, answer) = oneshot::channel();
    let request = IngestRequest {
        events,
        position: Some(position),
        reply,
    };
    let queue = queue.clone();
    tokio::task::spawn_blocking(move || queue.send(Command::Ingest(request)))
        .await
        .map_err(|e| ConsumeError::Writer(e.to_string()))?
        .map_err(|_| ConsumeError::Stopped)?;
    match answer.await {
        Ok(Ok(_receipt)) => Ok(()),
        Ok(Err(e)) => Err(ConsumeError::Writer(e.to_string())),
        Err(_) => Err(ConsumeError::Stopped),
    }
}

/// Refreshes each owned partition's lag from consumer info every `period` (the `pending` of
/// `/api/v1/cluster` and `vexfs_cluster_consumer_pending` while no message arrives).
pub async fn monitor(
    stream: Stream,
    ordinal: u32,
    owned: Vec<u32>,
    status: Arc<ClusterStatus>,
    period: Duration,
) {
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        for partition in &owned {
            if let Ok(info) = stream
                .consumer_info(consumer_name(ordinal, *partition))
                .await
            {
                status.pending(*partition, info.num_pending + info.num_ack_pending as u64);
            }
        }
    }
}
