//! Building alerting from the `[alerts]` TOML section: rules, receivers, enable flags, errors.

use std::path::PathBuf;

use vexfs_engine::config::Config;
use vexfs_engine::notify::setup::{self, SetupError};
use vexfs_engine::notify::{NotifierOptions, ReceiverKind, SecretSource, SmtpSecurity};

const TEXT: &str = r##"
[alerts]
enable_slack_alerts = false
alert_cooldown_minutes = 2
escalation_timeout_minutes = 30
max_alerts_per_hour = 4

[[alerts.rules]]
name = "slow"
severity = "critical"
condition = "latency_p99_ms > threshold"
threshold = 5.0
for_seconds = 30
receivers = ["ops", "mail"]

[[alerts.rules]]
name = "new-sequence"
condition = "pattern_appeared(FilesystemCreate, FilesystemWrite)"

[[alerts.receivers]]
name = "ops"
webhook = { url_env = "OPS_URL", bearer_token_file = "/secrets/token" }

[[alerts.receivers]]
name = "chat"
slack = { webhook_url_file = "/secrets/slack", channel = "#ops" }

[[alerts.receivers]]
name = "mail"
email = { smtp_host = "smtp.local", from = "a@b.test", to = ["c@d.test"], username = "u", password_file = "/s/p" }
"##;

#[test]
fn rules_settings_and_enabled_receivers_are_built() {
    let config = Config::from_toml(TEXT, "test").unwrap();
    let rules = setup::rules(&config.alerts).unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].for_ns, 30_000_000_000);
    assert_eq!(rules[1].severity.as_str(), "warning");
    let settings = setup::settings(&config.alerts);
    assert_eq!(
        (
            settings.cooldown_minutes,
            settings.escalation_timeout_minutes,
            settings.max_alerts_per_hour
        ),
        (2, 30, 4)
    );
    let receivers = setup::receivers(&config.alerts).unwrap();
    let names: Vec<&str> = receivers.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["ops", "mail"],
        "slack disabled by enable_slack_alerts"
    );
    assert_eq!(
        receivers[0].kind,
        ReceiverKind::Webhook {
            url: SecretSource::Env("OPS_URL".into()),
            bearer_token: Some(SecretSource::File(PathBuf::from("/secrets/token"))),
        }
    );
    let ReceiverKind::Email(email) = &receivers[1].kind else {
        panic!("email expected")
    };
    assert_eq!(
        (email.smtp_port, email.security),
        (587, SmtpSecurity::StartTls)
    );
    assert_eq!(
        email.password,
        Some(SecretSource::File(PathBuf::from("/s/p")))
    );
}

fn section(text: &str) -> vexfs_engine::config::AlertsSection {
    Config::from_toml(text, "test").unwrap().alerts
}

#[test]
fn mistakes_are_reported_with_names() {
    let unknown = section(
        "[[alerts.rules]]\nname = \"r\"\ncondition = \"event_rate >\"\nthreshold = 1.0\nreceivers = [\"nobody\"]\n",
    );
    let err = setup::rules(&unknown).unwrap_err();
    assert!(
        matches!(&err, SetupError::UnknownReceiver { receiver, .. } if receiver == "nobody"),
        "{err}"
    );

    let bad =
        section("[[alerts.rules]]\nname = \"r\"\ncondition = \"event_rates >\"\nthreshold = 1.0\n");
    let err = setup::rules(&bad).unwrap_err().to_string();
    assert!(
        err.contains("\"r\"") && err.contains("unknown metric"),
        "{err}"
    );

    let no_url = section("[[alerts.receivers]]\nname = \"w\"\nwebhook = {}\n");
    let err = setup::receivers(&no_url).unwrap_err().to_string();
    assert!(err.contains("\"w\"") && err.contains("url"), "{err}");

    let no_ca = section(
        "[[alerts.receivers]]\nname = \"m\"\nemail = { smtp_host = \"h\", from = \"a@b\", to = [], ca_file = \"/nonexistent/ca.pem\" }\n",
    );
    assert!(matches!(
        setup::receivers(&no_ca),
        Err(SetupError::CaFile { .. })
    ));
}

#[tokio::test]
async fn start_registers_the_three_metric_families() {
    let config = Config::from_toml(TEXT, "test").unwrap();
    let registry = prometheus::Registry::new();
    let (runtime, handles) =
        setup::start(&config.alerts, &registry, NotifierOptions::default()).unwrap();
    assert_eq!(handles.len(), 2);
    let summary = runtime.summary(0);
    assert_eq!((summary.firing, summary.fired_last_hour), (0, 0));
    let metrics = registry.gather();
    let names: Vec<&str> = metrics
        .iter()
        .map(prometheus::proto::MetricFamily::name)
        .collect();
    assert_eq!(
        names,
        [
            "vexfs_alert_deliveries_total",
            "vexfs_alerts_fired_total",
            "vexfs_alerts_suppressed_total"
        ],
        "the configured series exist at zero from the start"
    );
    let all_zero = metrics
        .iter()
        .flat_map(prometheus::proto::MetricFamily::get_metric)
        .all(|m| m.get_counter().value() == 0.0);
    assert!(all_zero);
    let again = setup::start(&config.alerts, &registry, NotifierOptions::default());
    assert!(
        matches!(again, Err(SetupError::Metrics(_))),
        "registered once only"
    );
}
