//! The event log behind `POST /api/v1/events`: one trait, one implementation per kind of log.
//!
//! [`WalLog`] is standalone mode: the batch goes to the local log writer ([`super::pipeline`]),
//! which group-commits it to the write-ahead log and answers. `NatsLog`, in the `cluster` module
//! beside this one, is clustered mode: the batch is published to a JetStream stream and answered once every
//! message is acknowledged; the replicas consume the stream into their writers. Another shared
//! log (Kafka, say) would be one more implementation of [`EventLog`].

use super::pipeline::{Command, IngestRequest, PipelineError, Receipt};
use crate::event::Event;
use futures::future::BoxFuture;
use std::sync::mpsc::{SyncSender, TrySendError};
use thiserror::Error;
use tokio::sync::oneshot;

/// Why a batch was not stored.
#[derive(Debug, Clone, Error)]
pub enum LogError {
    /// Too many batches in flight; the client should retry later (429).
    #[error("too many batches in flight")]
    Overloaded,
    /// The engine is stopping (503).
    #[error("shutting down")]
    ShuttingDown,
    /// The local log failed; nothing of the batch was stored (500).
    #[error(transparent)]
    Storage(#[from] PipelineError),
    /// The shared log did not acknowledge every message of the batch (503). Messages it did
    /// store are kept; a retry with the same idempotency keys is de-duplicated.
    #[error("the event log did not acknowledge the batch: {0}")]
    Unacknowledged(String),
}

/// Where validated batches are stored.
pub trait EventLog: Send + Sync {
    /// Stores `events` and answers once they are durable (every event, or an error).
    fn append(&self, events: Vec<Event>) -> BoxFuture<'_, Result<Receipt, LogError>>;

    /// Whether batches are accepted before the local state has been replayed or caught up.
    /// A shared log accepts them at once: what it stores does not depend on local state.
    fn open_before_ready(&self) -> bool;
}

/// Standalone mode: the local write-ahead log, through the log writer's bounded queue.
pub struct WalLog {
    queue: SyncSender<Command>,
}

impl WalLog {
    /// The log writing through `queue`.
    pub fn new(queue: SyncSender<Command>) -> WalLog {
        WalLog { queue }
    }
}

impl EventLog for WalLog {
    fn append(&self, events: Vec<Event>) -> BoxFuture<'_, Result<Receipt, LogError>> {
        let (reply, answer) = oneshot::channel();
        let request = IngestRequest {
            events,
            position: None,
            reply,
        };
        let queued = match self.queue.try_send(Command::Ingest(request)) {
            Ok(()) => Ok(answer),
            Err(TrySendError::Full(_)) => Err(LogError::Overloaded),
            Err(TrySendError::Disconnected(_)) => Err(LogError::ShuttingDown),
        };
        Box::pin(async move {
            match queued?.await {
                Ok(outcome) => Ok(outcome?),
                Err(_) => Err(LogError::ShuttingDown),
            }
        })
    }

    fn open_before_ready(&self) -> bool {
        false
    }
}
