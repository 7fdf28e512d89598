//! The delivery queue: one bounded queue and one worker task per receiver, so a slow or dead
//! receiver delays only its own deliveries and never blocks the caller.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::deliver::{DeliveryError, deliver};
use super::message::Notification;
use super::metrics::AlertMetrics;
use super::receiver::Receiver;
use super::redact::redact;
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

/// Logs a delivery that gave up, with URLs in the error redacted (they may carry secrets).
fn log_failure(name: &str, alert: u64, attempts: u32, error: &dyn std::fmt::Display) {
    let error = redact(&error.to_string());
    tracing::error!(receiver = name, alert, attempts, %error, "alert delivery failed");
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
        let on_retry = |attempt: u32, error: &DeliveryError, delay: std::time::Duration| {
            metrics.delivery(name, "retry");
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            let error = redact(&error.to_string());
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
                log_failure(name, alert, attempts, &error);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;
    use std::io::Write;

    /// Collects formatted log output.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn failure_log_lines_carry_no_url_secrets() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let error = "HTTP request failed: error sending request for url \
                     (https://hooks.example.com/services/T0/B0/s3cr3t-token?key=k3y)";
        tracing::subscriber::with_default(subscriber, || {
            log_failure("slack", 7, 3, &error);
        });
        let logs = String::from_utf8(captured.0.lock().clone()).unwrap();
        assert!(logs.contains("alert delivery failed"), "{logs}");
        assert!(
            logs.contains("https://hooks.example.com/[redacted]"),
            "{logs}"
        );
        for secret in ["s3cr3t-token", "k3y", "/services/"] {
            assert!(!logs.contains(secret), "`{secret}` leaked: {logs}");
        }
    }
}
