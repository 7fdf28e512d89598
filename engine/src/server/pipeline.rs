//! The log writer: one thread that group-commits ingest batches and acknowledges them.
//!
//! Handlers decode and validate, then queue a batch; the writer assigns ids, drops duplicate
//! idempotency keys, appends every queued batch to the log, commits once (fsync per policy),
//! then inserts the events into the retained set and the windows and acknowledges each request.
//! The analytics hooks get the batch afterwards on their own thread ([`AnalyticsFeed`], which
//! also states the consistency model), so the writer never waits for them unless their bounded
//! queue is full.
//!
//! In clustered mode the batches come from the partition consumers of the `cluster` module
//! rather than from handlers, each with the stream position it covers, which the writer records
//! in the same log record as the events.

use super::analytics_feed::AnalyticsFeed;
use super::metrics::Metrics;
use super::shared::{Shared, StageTiming, now_ns};
use crate::core::profiler::Stage;
use crate::event::Event;
use crate::store::{Admission, LogPosition, SharedBatch, Wal};
use parking_lot::Mutex;
use serde::Serialize;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::{broadcast, oneshot};

/// Most requests merged into one group commit.
const MAX_GROUP: usize = 256;
/// Housekeeping period when idle.
const TICK: Duration = Duration::from_millis(50);

/// Why a queued batch was not stored.
#[derive(Debug, Clone, Error)]
pub enum PipelineError {
    /// The log write failed; nothing of the batch was stored.
    #[error("write-ahead log failure, nothing stored: {0}")]
    Storage(String),
}

/// The answer to an accepted ingest request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// Newly stored events.
    pub accepted: usize,
    /// Events skipped because their idempotency key was already stored.
    pub duplicates: usize,
    /// Per input event, the id it is stored under (existing id for duplicates).
    pub ids: Vec<u64>,
}

/// One queued ingest batch.
pub struct IngestRequest {
    /// Decoded, validated events.
    pub events: Vec<Event>,
    /// Clustered mode: the stream position these events were applied up to, recorded in the
    /// same log record (standalone ingest has none).
    pub position: Option<LogPosition>,
    /// Where the outcome goes.
    pub reply: Reply,
}

/// Where a request's outcome is sent.
pub type Reply = oneshot::Sender<Result<Receipt, PipelineError>>;

/// A request after id assignment: its reply, admissions and accepted events.
type Plan = (Reply, (Vec<Admission>, Vec<Event>));

/// Messages to the writer.
pub enum Command {
    /// Store a batch.
    Ingest(IngestRequest),
    /// Flush, checkpoint and stop; the sender is told when done.
    Shutdown(oneshot::Sender<()>),
}

/// The writer's state.
pub struct Writer {
    /// The log.
    pub wal: Wal,
    /// Retained events and core.
    pub shared: Arc<Mutex<Shared>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Stream subscribers.
    pub stream: broadcast::Sender<SharedBatch>,
    /// Handler stage timings to fold into the profiler.
    pub timings: Arc<Mutex<Vec<StageTiming>>>,
    /// How often to checkpoint and expire old events.
    pub checkpoint_every: Duration,
    /// The analytics thread, when hooks are registered.
    pub feed: Option<AnalyticsFeed>,
}

impl Writer {
    /// Runs until shutdown or until every sender is gone.
    pub fn run(mut self, rx: Receiver<Command>) {
        let mut last_checkpoint = Instant::now();
        let done = loop {
            match rx.recv_timeout(TICK) {
                Ok(Command::Ingest(first)) => {
                    let mut group = vec![first];
                    let mut stop = None;
                    while group.len() < MAX_GROUP {
                        match rx.try_recv() {
                            Ok(Command::Ingest(r)) => group.push(r),
                            Ok(Command::Shutdown(ack)) => {
                                stop = Some(ack);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.commit_group(group);
                    if let Some(ack) = stop {
                        break Some(ack);
                    }
                }
                Ok(Command::Shutdown(ack)) => break Some(ack),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break None,
            }
            if let Err(e) = self.wal.commit() {
                tracing::error!(error = %e, "periodic log flush failed");
            }
            if last_checkpoint.elapsed() >= self.checkpoint_every {
                self.checkpoint();
                last_checkpoint = Instant::now();
            }
        };
        self.checkpoint();
        if let Some(feed) = self.feed.take() {
            feed.finish();
        }
        tracing::info!("log writer stopped after a final flush and checkpoint");
        if let Some(ack) = done {
            let _ = ack.send(());
        }
    }

    fn checkpoint(&mut self) {
        let first = {
            let mut shared = self.shared.lock();
            shared.retained.expire(now_ns());
            self.metrics
                .events_retained
                .set(shared.retained.len() as i64);
            shared.retained.first_id()
        };
        match self.wal.checkpoint(first) {
            Ok(removed) => tracing::debug!(
                first_retained_id = first,
                removed_segments = removed,
                "checkpoint written"
            ),
            Err(e) => tracing::error!(error = %e, "checkpoint failed"),
        }
    }

    fn commit_group(&mut self, group: Vec<IngestRequest>) {
        let now = now_ns();
        let positions: Vec<_> = group.iter().map(|req| req.position).collect();
        let (saved, plans) = {
            let mut shared = self.shared.lock();
            let saved = shared.retained.next_id();
            let plans: Vec<_> = group
                .into_iter()
                .map(|req| (req.reply, shared.retained.admit(req.events)))
                .collect();
            (saved, plans)
        };
        let started = Instant::now();
        let written = plans
            .iter()
            .zip(positions)
            .try_for_each(|((_, (_, accepted)), position)| self.wal.append_at(accepted, position))
            .and_then(|()| self.wal.commit());
        let log_ns = started.elapsed().as_nanos() as u64;
        let bytes = match written {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(error = %e, "log append failed; rejecting the group");
                self.shared.lock().retained.rollback(saved);
                for (reply, _) in plans {
                    let _ = reply.send(Err(PipelineError::Storage(e.to_string())));
                }
                return;
            }
        };
        self.metrics.wal_bytes.inc_by(bytes as u64);
        self.metrics.wal_commits.inc();
        self.metrics.stage(Stage::Log, log_ns);
        self.apply_and_reply(plans, log_ns, now);
    }

    /// Inserts each request's events into the retained set and windows, answers it, then hands
    /// the batch to stream subscribers and the analytics feed. The retained set, the feed and the
    /// subscribers share one `Arc` of the batch; no event is copied for them. The core lock is
    /// taken per request so queries interleave with a long group.
    fn apply_and_reply(&self, plans: Vec<Plan>, log_ns: u64, now: i64) {
        let total: usize = plans.iter().map(|(_, (_, a))| a.len()).sum();
        let streaming = self.stream.receiver_count() > 0;
        let timings = std::mem::take(&mut *self.timings.lock());
        {
            let mut shared = self.shared.lock();
            let profiler = &mut shared.engine.profiler;
            profiler.record(Stage::Log, log_ns, total as u64);
            for (stage, ns, events) in timings {
                profiler.record(stage, ns, events);
            }
        }
        for (reply, (admissions, accepted)) in plans {
            let receipt = receipt(&admissions, accepted.len());
            let batch = Arc::new(accepted);
            {
                let mut shared = self.shared.lock();
                shared.engine.apply_windows(&batch);
                if let Some(feed) = &self.feed {
                    feed.admit(batch.len());
                }
                shared.retained.insert(batch.clone());
                self.metrics
                    .events_retained
                    .set(shared.retained.len() as i64);
            }
            self.metrics.events_ingested.inc_by(receipt.accepted as u64);
            self.metrics
                .events_duplicate
                .inc_by(receipt.duplicates as u64);
            let _ = reply.send(Ok(receipt));
            if !batch.is_empty() && (streaming || self.feed.is_some()) {
                self.hand_on(batch, streaming, now);
            }
        }
    }

    /// Sends an acknowledged batch to stream subscribers and queues it for the analytics
    /// (blocking while the analytics queue is full).
    fn hand_on(&self, batch: SharedBatch, streaming: bool, now: i64) {
        if streaming {
            let _ = self.stream.send(batch.clone());
        }
        if let Some(feed) = &self.feed
            && let Err(e) = feed.push(batch, now)
        {
            tracing::error!(error = %e, "batch stored but not analysed");
        }
    }
}

fn receipt(admissions: &[Admission], accepted: usize) -> Receipt {
    Receipt {
        accepted,
        duplicates: admissions.len() - accepted,
        ids: admissions
            .iter()
            .map(|a| match a {
                Admission::New(id) | Admission::Duplicate(id) => *id,
            })
            .collect(),
    }
}
