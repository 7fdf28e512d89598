//! Webhook and Slack receivers against a real HTTP server on loopback: payload formats,
//! secrets, routing, retries with backoff, permanent failures and the bounded queue.

mod alerts_common;

use std::time::{Duration, Instant};

use alerts_common::{rate_rule, start_http};
use serde_json::Value;
use vexfs_engine::core::alerts::{Alert, AlertEngine, AlertInputs, AlertSettings};
use vexfs_engine::event::{EventType, Priority};
use vexfs_engine::notify::{
    AlertMetrics, AlertRuntime, Notification, NotificationKind, Notifier, NotifierOptions,
    Receiver, ReceiverKind, RetryPolicy, SecretSource,
};

const T0: i64 = 1_790_000_000_000_000_000;

fn fast_retry(max_attempts: u32) -> NotifierOptions {
    NotifierOptions {
        queue_capacity: 16,
        retry: RetryPolicy {
            max_attempts,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(200),
        },
    }
}

fn webhook(name: &str, url: String) -> Receiver {
    Receiver {
        name: name.into(),
        kind: ReceiverKind::Webhook {
            url: SecretSource::Value(url),
            bearer_token: None,
        },
    }
}

fn rate(value: f64) -> AlertInputs {
    AlertInputs {
        event_rate: Some(value),
        ..AlertInputs::default()
    }
}

fn count(metrics: &AlertMetrics, receiver: &str, outcome: &str) -> u64 {
    metrics
        .deliveries
        .with_label_values(&[receiver, outcome])
        .get()
}

fn sample(kind: NotificationKind) -> Notification {
    let alert = Alert::fire(1, &rate_rule("Sample", "warning", 1.0, &[]), 2.0, T0);
    Notification { kind, alert }
}

async fn drain(handles: Vec<tokio::task::JoinHandle<()>>) {
    for handle in handles {
        handle.await.expect("worker finished cleanly");
    }
}

fn ops_and_chat(base: &str, slack_url_file: std::path::PathBuf) -> Vec<Receiver> {
    vec![
        Receiver {
            name: "ops".into(),
            kind: ReceiverKind::Webhook {
                url: SecretSource::Value(format!("{base}/hook/ops")),
                // Cargo sets this variable for the test process.
                bearer_token: Some(SecretSource::Env("CARGO_PKG_NAME".into())),
            },
        },
        Receiver {
            name: "chat".into(),
            kind: ReceiverKind::Slack {
                webhook_url: SecretSource::File(slack_url_file),
                channel: Some("#alerts".into()),
            },
        },
    ]
}

fn assert_webhook_payloads(ops: &[&alerts_common::Recorded]) {
    assert_eq!(ops.len(), 2);
    assert_eq!(ops[0].authorization.as_deref(), Some("Bearer vexfs-engine"));
    assert_eq!(ops[0].content_type.as_deref(), Some("application/json"));
    let fired = &ops[0].body;
    assert_eq!(
        (fired["version"].as_str(), fired["kind"].as_str()),
        (Some("1"), Some("fired"))
    );
    assert_eq!(fired["receiver"], "ops");
    assert_eq!(fired["title"], "[CRITICAL] HighRate fired");
    assert_eq!(fired["firedAt"], "2026-09-21T14:13:20.000Z");
    assert_eq!(fired["alert"]["status"], "firing");
    assert_eq!(fired["alert"]["value"], 50.0);
    assert_eq!(fired["alert"]["threshold"], 10.0);
    assert_eq!(fired["alert"]["severity"], "critical");
    assert_eq!(ops[1].body["kind"], "resolved");
    assert_eq!(ops[1].body["alert"]["status"], "resolved");
}

fn assert_slack_payloads(chat: &[Value]) {
    assert_eq!(chat.len(), 2);
    assert_eq!(chat[0]["channel"], "#alerts");
    let text = chat[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("[CRITICAL] HighRate fired: HighRate: event_rate >"),
        "{text}"
    );
    let attachment = &chat[0]["attachments"][0];
    assert_eq!(attachment["color"], "#d00000");
    assert_eq!(attachment["ts"], T0 / 1_000_000_000);
    let fields = attachment["fields"].as_array().unwrap();
    let has = |title: &str, value: &str| {
        fields
            .iter()
            .any(|f| f["title"] == title && f["value"] == value)
    };
    assert!(
        has("Rule", "HighRate") && has("Threshold", "10") && has("Value", "50"),
        "{fields:?}"
    );
    assert_eq!(chat[1]["attachments"][0]["color"], "#2eb886");
}

#[tokio::test]
async fn webhook_and_slack_payloads_through_the_runtime() {
    let (base, rec) = start_http().await;
    let dir = tempfile::tempdir().unwrap();
    let slack_url = dir.path().join("slack-url");
    std::fs::write(&slack_url, format!("{base}/hook/chat\n")).unwrap();
    let metrics = AlertMetrics::unregistered().unwrap();
    let (notifier, handles) = Notifier::start(
        ops_and_chat(&base, slack_url),
        fast_retry(3),
        metrics.clone(),
    );
    let rules = vec![rate_rule("HighRate", "critical", 10.0, &[])];
    let runtime = AlertRuntime::new(
        AlertEngine::new(rules, AlertSettings::default()),
        notifier,
        metrics.clone(),
    );

    let events = runtime.evaluate(&rate(50.0), T0);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, EventType::ObservabilityAlertTriggered);
    assert_eq!(events[0].priority, Priority::Critical);
    let payload: Value = serde_json::from_str(events[0].payload.as_ref().unwrap().get()).unwrap();
    assert_eq!(payload["rule"], "HighRate");
    assert!(runtime.evaluate(&rate(1.0), T0 + 60_000_000_000).is_empty());
    drop(runtime);
    drain(handles).await;

    let hooks = rec.requests.lock().clone();
    assert_webhook_payloads(
        &hooks
            .iter()
            .filter(|r| r.path == "/hook/ops")
            .collect::<Vec<_>>(),
    );
    assert_slack_payloads(&rec.bodies("/hook/chat"));
    assert_eq!(
        metrics
            .fired
            .with_label_values(&["HighRate", "critical"])
            .get(),
        1
    );
    assert_eq!(
        (
            count(&metrics, "ops", "success"),
            count(&metrics, "chat", "success")
        ),
        (2, 2)
    );
}

#[tokio::test]
async fn rules_route_to_their_named_receivers_only() {
    let (base, rec) = start_http().await;
    let receivers = vec![
        webhook("a", format!("{base}/hook/a")),
        webhook("b", format!("{base}/hook/b")),
    ];
    let metrics = AlertMetrics::unregistered().unwrap();
    let (notifier, handles) = Notifier::start(receivers, fast_retry(1), metrics.clone());
    let rules = vec![rate_rule("OnlyB", "info", 1.0, &["b".to_owned()])];
    let runtime = AlertRuntime::new(
        AlertEngine::new(rules, AlertSettings::default()),
        notifier,
        metrics,
    );
    runtime.evaluate(&rate(2.0), T0);
    drop(runtime);
    drain(handles).await;
    assert_eq!(
        (rec.bodies("/hook/a").len(), rec.bodies("/hook/b").len()),
        (0, 1)
    );
}

#[tokio::test]
async fn a_receiver_failing_twice_then_succeeding_is_retried_with_backoff() {
    let (base, rec) = start_http().await;
    rec.fail("/hook/flaky", 503, 2);
    let metrics = AlertMetrics::unregistered().unwrap();
    let (notifier, handles) = Notifier::start(
        vec![webhook("flaky", format!("{base}/hook/flaky"))],
        fast_retry(5),
        metrics.clone(),
    );
    let started = Instant::now();
    assert_eq!(notifier.enqueue(sample(NotificationKind::Fired), &[]), 1);
    drop(notifier);
    drain(handles).await;
    assert_eq!(rec.bodies("/hook/flaky").len(), 3);
    assert_eq!(count(&metrics, "flaky", "retry"), 2);
    assert_eq!(count(&metrics, "flaky", "success"), 1);
    assert_eq!(count(&metrics, "flaky", "failure"), 0);
    assert!(
        started.elapsed() >= Duration::from_millis(20 + 40),
        "backoff waited 20 ms then 40 ms"
    );
}

#[tokio::test]
async fn permanent_errors_stop_at_once_and_transient_ones_exhaust_attempts() {
    let (base, rec) = start_http().await;
    rec.fail("/hook/bad", 400, 1);
    rec.fail("/hook/down", 503, 100);
    let missing = Receiver {
        name: "missing".into(),
        kind: ReceiverKind::Slack {
            webhook_url: SecretSource::File("/nonexistent/vexfs/slack-url".into()),
            channel: None,
        },
    };
    let receivers = vec![
        webhook("bad", format!("{base}/hook/bad")),
        webhook("down", format!("{base}/hook/down")),
        missing,
    ];
    let metrics = AlertMetrics::unregistered().unwrap();
    let (notifier, handles) = Notifier::start(receivers, fast_retry(3), metrics.clone());
    assert_eq!(
        notifier.enqueue(sample(NotificationKind::Escalated), &[]),
        3
    );
    drop(notifier);
    drain(handles).await;
    assert_eq!(
        (
            rec.bodies("/hook/bad").len(),
            rec.bodies("/hook/down").len()
        ),
        (1, 3)
    );
    assert_eq!(
        (
            count(&metrics, "bad", "retry"),
            count(&metrics, "bad", "failure")
        ),
        (0, 1)
    );
    assert_eq!(
        (
            count(&metrics, "down", "retry"),
            count(&metrics, "down", "failure")
        ),
        (2, 1)
    );
    assert_eq!(
        (
            count(&metrics, "missing", "retry"),
            count(&metrics, "missing", "failure")
        ),
        (0, 1)
    );
}

#[tokio::test]
async fn a_stalled_receiver_fills_its_queue_and_drops_without_blocking() {
    let (base, rec) = start_http().await;
    let metrics = AlertMetrics::unregistered().unwrap();
    let options = NotifierOptions {
        queue_capacity: 1,
        ..fast_retry(1)
    };
    let receivers = vec![
        webhook("slow", format!("{base}/hook/slow")),
        webhook("fast", format!("{base}/hook/fast")),
    ];
    let (notifier, handles) = Notifier::start(receivers, options, metrics.clone());
    let slow = ["slow".to_owned()];
    assert_eq!(notifier.enqueue(sample(NotificationKind::Fired), &slow), 1);
    rec.arrived.notified().await; // the worker is now stuck inside the first request
    assert_eq!(
        notifier.enqueue(sample(NotificationKind::Escalated), &slow),
        1,
        "queued"
    );
    assert_eq!(
        notifier.enqueue(sample(NotificationKind::Resolved), &[]),
        1,
        "slow full, fast takes it"
    );
    assert_eq!(count(&metrics, "slow", "dropped"), 1);
    rec.gate.add_permits(2);
    drop(notifier);
    drain(handles).await;
    let kinds: Vec<Value> = rec
        .bodies("/hook/slow")
        .iter()
        .map(|b| b["kind"].clone())
        .collect();
    assert_eq!(kinds, vec!["fired", "escalated"]);
    assert_eq!(rec.bodies("/hook/fast").len(), 1);
}

#[tokio::test]
async fn escalations_are_delivered_and_suppressions_counted() {
    let (base, rec) = start_http().await;
    let metrics = AlertMetrics::unregistered().unwrap();
    let receivers = vec![webhook("ops", format!("{base}/hook/ops"))];
    let (notifier, handles) = Notifier::start(receivers, fast_retry(1), metrics.clone());
    let rules = vec![
        rate_rule("First", "warning", 1.0, &[]),
        rate_rule("Second", "warning", 2.0, &[]),
    ];
    let settings = AlertSettings {
        max_alerts_per_hour: 1,
        ..AlertSettings::default()
    };
    let runtime = AlertRuntime::new(AlertEngine::new(rules, settings), notifier, metrics.clone());
    assert_eq!(
        runtime.evaluate(&rate(5.0), T0).len(),
        1,
        "the cap lets one through"
    );
    let fifteen_minutes = 15 * 60 * 1_000_000_000;
    assert!(
        runtime
            .evaluate(&rate(5.0), T0 + fifteen_minutes)
            .is_empty()
    );
    drop(runtime);
    drain(handles).await;

    let suppressed = metrics.suppressed.with_label_values(&["rate_limit"]).get();
    assert_eq!(suppressed, 1);
    let bodies = rec.bodies("/hook/ops");
    let titles: Vec<&str> = bodies.iter().filter_map(|b| b["title"].as_str()).collect();
    assert_eq!(
        titles,
        vec!["[WARNING] First fired", "[CRITICAL] First escalated"]
    );
    assert_eq!(bodies[1]["alert"]["status"], "firing");
}
