//! The delivery queue: one bounded queue and one worker task per receiver, so a slow or dead
//! receiver delays only its own deliveries and never blocks the caller.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::deliver::deliver;
use super::message::Notification;
use super::metrics::AlertMetrics;
use super::receiver::Receiver;
use super::retry::{RetryPolicy, with_retry};

/// Queue sizing and retry behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifierOptions {
    /// Pending notifications per receiver before new ones are dropped (and counted).
    pub queue_capacity: usize,
    /// Retry schedule of each delivery.
    pub retry: RetryPolicy,
}

impl Default for NotifierOptions {
    fn default() -> Self {
        Self {
            queue_capacity: 256,
            retry: RetryPolicy::default(),
        }
    }
}

struct Lane {
    name: String,
    tx: mpsc::Sender<Arc<Notification>>,
}

/// Fans notifications out to receivers' queues without waiting.
pub struct Notifier {
    lanes: Vec<Lane>,
    metrics: AlertMetrics,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.lanes.iter().map(|l| l.name.as_str()).collect();
        f.debug_struct("Notifier")
            .field("receivers", &names)
            .finish()
    }
}

impl Notifier {
    /// Spawns one worker per receiver on the current Tokio runtime.
    ///
    /// Workers stop once the notifier is dropped and their queues are drained; the handles let
    /// the caller wait for that.
    pub fn start(
        receivers: Vec<Receiver>,
        options: NotifierOptions,
        metrics: AlertMetrics,
    ) -> (Self, Vec<JoinHandle<()>>) {
        let http = reqwest::Client::new();
        let mut lanes = Vec::with_capacity(receivers.len());
        let mut handles = Vec::with_capacity(receivers.len());
        for receiver in receivers {
            let (tx, rx) = mpsc::channel(options.queue_capacity.max(1));
            lanes.push(Lane {
                name: receiver.name.clone(),
                tx,
            });
            let worker = worker(receiver, rx, http.clone(), options.retry, metrics.clone());
            handles.push(tokio::spawn(worker));
        }
        (Self { lanes, metrics }, handles)
    }

    /// Names of the receivers this notifier delivers to.
    pub fn receiver_names(&self) -> impl Iterator<Item = &str> {
        self.lanes.iter().map(|l| l.name.as_str())
    }

    /// Queues `notification` for the named receivers (all when `targets` is empty).
    ///
    /// Never blocks: a full queue drops the notification for that receiver and counts it as
    /// `dropped`. Returns how many receivers accepted it.
    pub fn enqueue(&self, notification: Notification, targets: &[String]) -> usize {
        let shared = Arc::new(notification);
        let mut accepted = 0;
        for lane in &self.lanes {
            if !targets.is_empty() && !targets.contains(&lane.name) {
                continue;
            }
            if let Ok(()) = lane.tx.try_send(Arc::clone(&shared)) {
                accepted += 1;
            } else {
                let alert = shared.alert.id;
                tracing::warn!(receiver = %lane.name, alert, "alert queue full, dropping");
                self.metrics.delivery(&lane.name, "dropped");
            }
        }
        accepted
    }
}

async fn worker(
    receiver: Receiver,
    mut rx: mpsc::Receiver<Arc<Notification>>,
    http: reqwest::Client,
    retry: RetryPolicy,
    metrics: AlertMetrics,
) {
    while let Some(notification) = rx.recv().await {
        let name = receiver.name.as_str();
        let on_retry = |attempt: u32, error: &_, delay: std::time::Duration| {
            metrics.delivery(name, "retry");
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            tracing::warn!(receiver = name, attempt, %error, delay_ms, "alert delivery retrying");
        };
        let (result, attempts) =
            with_retry(retry, || deliver(&http, &receiver, &notification), on_retry).await;
        let alert = notification.alert.id;
        match result {
            Ok(()) => {
                metrics.delivery(name, "success");
                let kind = receiver.kind.label();
                tracing::info!(receiver = name, kind, alert, attempts, "alert delivered");
            }
            Err(error) => {
                metrics.delivery(name, "failure");
                tracing::error!(receiver = name, alert, attempts, %error, "alert delivery failed");
            }
        }
    }
}
