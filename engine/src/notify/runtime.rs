//! The alerting runtime: the pure alert engine behind a lock, wired to the notifier, the
//! Prometheus counters and the event stream (`AlertTriggered` events).

use parking_lot::Mutex;
use serde_json::value::RawValue;

use super::message::{Notification, NotificationKind};
use super::metrics::AlertMetrics;
use super::queue::Notifier;
use crate::core::alerts::{
    Alert, AlertEffect, AlertEngine, AlertError, AlertFilter, AlertId, AlertInputs, AlertSummary,
    InputNeeds, Severity,
};
use crate::event::{Event, EventType, Priority};

/// Source name of the `AlertTriggered` events the engine emits.
pub const ALERT_EVENT_SOURCE: &str = "vexfs-engine/alerts";

/// Shared alerting state: evaluate, acknowledge and list from any thread.
#[derive(Debug)]
pub struct AlertRuntime {
    engine: Mutex<AlertEngine>,
    needs: InputNeeds,
    notifier: Notifier,
    metrics: AlertMetrics,
}

impl AlertRuntime {
    /// Wires an alert engine to a running notifier and the counters.
    pub fn new(engine: AlertEngine, notifier: Notifier, metrics: AlertMetrics) -> Self {
        Self {
            needs: engine.needs(),
            engine: Mutex::new(engine),
            notifier,
            metrics,
        }
    }

    /// Evaluates the rules at `now_ns`, queues notifications, counts metrics, and returns one
    /// `AlertTriggered` event per newly fired alert for the caller to append to the stream.
    pub fn evaluate(&self, inputs: &AlertInputs, now_ns: i64) -> Vec<Event> {
        let effects = self.engine.lock().evaluate(inputs, now_ns);
        let mut events = Vec::new();
        for effect in effects {
            let (kind, alert) = match effect {
                AlertEffect::Suppressed { reason, .. } => {
                    self.metrics
                        .suppressed
                        .with_label_values(&[reason.as_str()])
                        .inc();
                    continue;
                }
                AlertEffect::Fired(alert) => {
                    let labels = [alert.rule.as_str(), alert.severity.as_str()];
                    self.metrics.fired.with_label_values(&labels).inc();
                    events.push(alert_event(&alert, now_ns));
                    (NotificationKind::Fired, alert)
                }
                AlertEffect::Escalated(alert) => (NotificationKind::Escalated, alert),
                AlertEffect::Resolved(alert) => (NotificationKind::Resolved, alert),
            };
            let targets = alert.receivers.clone();
            self.notifier
                .enqueue(Notification { kind, alert }, &targets);
        }
        events
    }

    /// Which costly inputs the rules read.
    pub fn needs(&self) -> InputNeeds {
        self.needs
    }

    /// Acknowledges an alert; it stops escalating.
    pub fn acknowledge(
        &self,
        id: AlertId,
        by: Option<String>,
        now_ns: i64,
    ) -> Result<Alert, AlertError> {
        self.engine.lock().acknowledge(id, by, now_ns)
    }

    /// Alerts matching `filter`, newest first.
    pub fn list(&self, filter: &AlertFilter) -> Vec<Alert> {
        self.engine.lock().list(filter)
    }

    /// One alert by id.
    pub fn get(&self, id: AlertId) -> Option<Alert> {
        self.engine.lock().get(id).cloned()
    }

    /// Counts by state and suppressions.
    pub fn summary(&self, now_ns: i64) -> AlertSummary {
        self.engine.lock().summary(now_ns)
    }
}

/// The `AlertTriggered` stream event for a fired alert; the alert itself is the payload.
pub fn alert_event(alert: &Alert, now_ns: i64) -> Event {
    let mut event = Event::new(
        EventType::ObservabilityAlertTriggered,
        now_ns,
        ALERT_EVENT_SOURCE,
    );
    event.priority = match alert.severity {
        Severity::Critical => Priority::Critical,
        Severity::Warning => Priority::High,
        Severity::Info => Priority::Normal,
    };
    event.payload = serde_json::to_string(alert)
        .ok()
        .and_then(|json| RawValue::from_string(json).ok());
    event
}
