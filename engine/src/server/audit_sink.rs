//! The audit log's sink: the bounded queue to the writer thread and the thread itself, which appends
//! records in batches and syncs them at most once a second. It sits below both the audit middleware
//! (`audit_layer.rs`) and the authentication layer, which records credential reloads through it.

use super::shared::now_ns;
use crate::audit::{AuditWriter, Record, day_of};
use axum::http::StatusCode;
use prometheus::IntCounter;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How long a request waits for room in a full audit queue before its record is dropped.
pub const FULL_WAIT: Duration = Duration::from_millis(20);
/// Records appended between two writes to the file.
const BATCH: usize = 256;
/// Longest time between two syncs to disk.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// What the writer thread receives.
pub(super) enum Entry {
    /// One record to append.
    Record(Box<Record>),
    /// Write out and sync what came before, acknowledge, and stop if asked to.
    Sync {
        ack: oneshot::Sender<()>,
        stop: bool,
    },
}

/// The running audit log: the queue to its writer and its counters.
#[derive(Debug)]
pub struct AuditSink {
    pub(super) queue: mpsc::Sender<Entry>,
    /// The directory of the audit files.
    pub dir: PathBuf,
    pub(super) dropped: IntCounter,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Entry::Record(_) => "Record",
            Entry::Sync { .. } => "Sync",
        })
    }
}

impl AuditSink {
    /// Queues `record`, waiting at most [`FULL_WAIT`] for room; drops and counts it otherwise.
    pub async fn submit(&self, record: Record) {
        let request_id = record.request_id.clone();
        if self
            .queue
            .send_timeout(Entry::Record(Box::new(record)), FULL_WAIT)
            .await
            .is_err()
        {
            self.dropped.inc();
            tracing::warn!(%request_id, "audit queue full or writer stopped; record dropped");
        }
    }
}

/// Records an admin action the engine took by itself (no request): `action` on `target`, with
/// `status` 200 when it succeeded and 500 when it failed.
pub async fn record_action(sink: &AuditSink, action: &str, target: &str, succeeded: bool) {
    let status = if succeeded {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    sink.submit(Record {
        seq: 0,
        time_ns: now_ns(),
        subject: None,
        role: None,
        client: None,
        method: "RELOAD".into(),
        route: target.into(),
        status: status.as_u16(),
        bytes: None,
        request_id: new_request_id(),
        action: Some(action.into()),
        prev: String::new(),
    })
    .await;
}

pub(super) fn run_writer(
    mut writer: AuditWriter,
    mut rx: mpsc::Receiver<Entry>,
    written: &IntCounter,
    failed: &IntCounter,
) {
    let mut pruned_day = None;
    let mut synced = Instant::now();
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        let mut acked = None;
        let mut count = 0;
        while let Some(entry) = next.take() {
            match entry {
                Entry::Record(record) => match writer.append(*record) {
                    Ok(()) => written.inc(),
                    Err(e) => {
                        failed.inc();
                        tracing::error!(error = %e, "audit record not written");
                    }
                },
                Entry::Sync { ack, stop } => {
                    acked = Some((ack, stop));
                    break;
                }
            }
            count += 1;
            if count < BATCH {
                next = rx.try_recv().ok();
            }
        }
        let sync = acked.is_some() || synced.elapsed() >= SYNC_EVERY;
        if let Err(e) = writer.flush(sync) {
            tracing::error!(error = %e, "audit log not flushed");
        }
        if sync {
            synced = Instant::now();
        }
        let today = day_of(writer.now_ns());
        if pruned_day != Some(today) {
            match writer.prune() {
                Ok(gone) if !gone.is_empty() => {
                    tracing::info!(days = gone.len(), "audit files past retention removed");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "audit retention failed"),
            }
            pruned_day = Some(today);
        }
        if let Some((ack, stop)) = acked {
            let _ = ack.send(());
            if stop {
                return;
            }
        }
    }
    let _ = writer.flush(true);
}

/// A new request id: 32 random hex digits.
pub(super) fn new_request_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}
