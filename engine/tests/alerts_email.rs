//! Email receiver against a real SMTP server on loopback: STARTTLS with a private CA, AUTH with
//! a password read from a file, envelope, headers and body; plain SMTP; TLS failures.

mod alerts_common;
mod alerts_smtp;

use std::time::Duration;

use alerts_common::rate_rule;
use alerts_smtp::{Inbox, TestPki, start_smtp};
use vexfs_engine::core::alerts::Alert;
use vexfs_engine::notify::{
    AlertMetrics, EmailSettings, Notification, NotificationKind, Notifier, NotifierOptions,
    Receiver, ReceiverKind, RetryPolicy, SecretSource, SmtpSecurity,
};

const T0: i64 = 1_790_000_000_000_000_000;

fn settings(port: u16, security: SmtpSecurity) -> EmailSettings {
    EmailSettings {
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        security,
        from: "VexFS Alerts <alerts@vexfs.test>".into(),
        to: vec!["oncall@vexfs.test".into(), "lead@vexfs.test".into()],
        username: None,
        password: None,
        root_ca_pem: None,
    }
}

/// Delivers one "fired" notification and returns the delivery counters (success, failure).
async fn send(settings: EmailSettings) -> (u64, u64) {
    let metrics = AlertMetrics::unregistered().unwrap();
    let options = NotifierOptions {
        queue_capacity: 4,
        retry: RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(10),
        },
    };
    let receiver = Receiver {
        name: "mail".into(),
        kind: ReceiverKind::Email(settings),
    };
    let (notifier, handles) = Notifier::start(vec![receiver], options, metrics.clone());
    let alert = Alert::fire(7, &rate_rule("DiskLatency", "warning", 5.0, &[]), 12.5, T0);
    notifier.enqueue(
        Notification {
            kind: NotificationKind::Fired,
            alert,
        },
        &[],
    );
    drop(notifier);
    for handle in handles {
        handle.await.unwrap();
    }
    let count = |outcome| {
        metrics
            .deliveries
            .with_label_values(&["mail", outcome])
            .get()
    };
    (count("success"), count("failure"))
}

fn only_message(inbox: &Inbox) -> alerts_smtp::Received {
    let messages = inbox.lock();
    assert_eq!(messages.len(), 1, "exactly one message received");
    messages[0].clone()
}

#[tokio::test]
async fn starttls_and_auth_deliver_headers_and_body() {
    let pki = TestPki::new();
    let ca_pem = pki.ca_pem.clone().into_bytes();
    let (port, inbox) = start_smtp(Some(pki)).await;
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("smtp-password");
    std::fs::write(&password, "s3cret\n").unwrap();
    let mut email = settings(port, SmtpSecurity::StartTls);
    email.username = Some("alerts".into());
    email.password = Some(SecretSource::File(password));
    email.root_ca_pem = Some(ca_pem);
    assert_eq!(send(email).await, (1, 0));

    let m = only_message(&inbox);
    assert!(m.tls, "the message travelled after STARTTLS");
    // base64("\0alerts\0s3cret")
    assert_eq!(m.auth.as_deref(), Some("AUTH PLAIN AGFsZXJ0cwBzM2NyZXQ="));
    assert_eq!(m.mail_from, "alerts@vexfs.test");
    assert_eq!(m.rcpt_to, vec!["oncall@vexfs.test", "lead@vexfs.test"]);
    assert_eq!(
        m.header("Subject").as_deref(),
        Some("[VexFS] [WARNING] DiskLatency fired")
    );
    assert_eq!(
        m.header("From").as_deref(),
        Some("\"VexFS Alerts\" <alerts@vexfs.test>")
    );
    assert_eq!(
        m.header("To").as_deref(),
        Some("oncall@vexfs.test, lead@vexfs.test")
    );
    assert_eq!(
        m.header("Content-Type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert!(m.header("Date").is_some());
    let message_id = m.header("Message-ID").unwrap();
    assert!(message_id.starts_with("<alert-7-fired.") && message_id.ends_with("@vexfs-engine>"));
    let body = m.body();
    for line in [
        "DiskLatency: event_rate > (value 12.5, threshold 5)",
        "Alert id:    7",
        "Severity:    warning",
        "Status:      fired",
        "Fired at:    2026-09-21T14:13:20.000Z",
        "Acknowledge: POST /api/v1/alerts/7/ack",
    ] {
        assert!(body.contains(line), "body lacks {line:?}:\n{body}");
    }
}

#[tokio::test]
async fn plain_smtp_for_a_loopback_relay() {
    let (port, inbox) = start_smtp(None).await;
    assert_eq!(send(settings(port, SmtpSecurity::None)).await, (1, 0));
    let m = only_message(&inbox);
    assert!(!m.tls);
    assert_eq!(m.auth, None);
    assert_eq!(
        m.header("Subject").as_deref(),
        Some("[VexFS] [WARNING] DiskLatency fired")
    );
}

#[tokio::test]
async fn required_starttls_refuses_a_server_without_it() {
    let (port, inbox) = start_smtp(None).await;
    assert_eq!(send(settings(port, SmtpSecurity::StartTls)).await, (0, 1));
    assert!(inbox.lock().is_empty());
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let (port, inbox) = start_smtp(Some(TestPki::new())).await;
    assert_eq!(send(settings(port, SmtpSecurity::StartTls)).await, (0, 1));
    assert!(inbox.lock().is_empty());
}
