//! Tests of configuration parsing, checks and overrides.

use super::*;

#[test]
fn embedded_default_equals_the_code_defaults() {
    assert_eq!(Config::embedded(), Config::default());
    assert_eq!(Config::embedded().server.listen, "127.0.0.1:8080");
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let err = Config::from_toml("[analytics]\nsliding_window_sise = 3\n", "t.toml").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("sliding_window_sise") && msg.contains("t.toml"),
        "{msg}"
    );
    let err = Config::from_toml("[nope]\n", "t.toml").unwrap_err();
    assert!(err.to_string().contains("nope"));
}

#[test]
fn bad_values_name_their_key() {
    let err =
        Config::from_toml("[pattern_discovery]\nmin_support_threshold = 1.5\n", "t").unwrap_err();
    assert!(
        err.to_string()
            .contains("pattern_discovery.min_support_threshold")
    );
    let err = Config::from_toml("[storage]\nfsync = \"sometimes\"\n", "t").unwrap_err();
    assert!(err.to_string().contains("sometimes"), "{err}");
}

#[test]
fn rules_and_receivers_parse() {
    let text = r#"
[[alerts.rules]]
name = "slow"
condition = "latency_p99_ms > threshold"
threshold = 5.0
for_seconds = 30
receivers = ["ops"]

[[alerts.receivers]]
name = "ops"
webhook = { url_file = "/secrets/url" }

[[alerts.receivers]]
name = "mail"
email = { smtp_host = "smtp.local", from = "a@b", to = ["c@d"], password_file = "/s/p" }
"#;
    let c = Config::from_toml(text, "t").unwrap();
    assert_eq!(c.alerts.rules[0].severity, "warning");
    assert_eq!(c.alerts.receivers[1].email.as_ref().unwrap().smtp_port, 587);
    let two = "[[alerts.receivers]]\nname = \"x\"\nwebhook = { url = \"http://a\" }\nslack = { webhook_url_env = \"S\" }\n";
    let err = Config::from_toml(two, "t").unwrap_err();
    assert!(err.to_string().contains("receiver `x`"));
}

#[test]
fn environment_overrides_keys() {
    let mut c = Config::default();
    let vars = [
        ("ANALYTICS_SLIDING_WINDOW_SIZE", "42"),
        ("ANALYTICS_ENABLE_ANOMALY_DETECTION", "false"),
        ("PROFILER_BOTTLENECK_THRESHOLD_MS", "7.5"),
        ("ENABLE_AUDIT_LOGGING", "false"),
        ("PRODUCTION_AUDIT_RETENTION_DAYS", "30"),
        ("UNRELATED", "x"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    apply_env(&mut c, vars).unwrap();
    assert_eq!(c.analytics.sliding_window_size, 42);
    assert!(!c.analytics.enable_anomaly_detection);
    assert_eq!(c.profiler.bottleneck_threshold_ms, 7.5);
    assert!(!c.audit.enabled);
    assert_eq!(c.audit.audit_retention_days, 30);
    c.audit.audit_retention_days = 0;
    let err = c.check().unwrap_err();
    assert!(
        err.to_string().contains("audit.audit_retention_days"),
        "{err}"
    );
    let bad = [("PROFILER_INTERVAL_MS".to_string(), "soon".to_string())];
    let err = apply_env(&mut c, bad).unwrap_err();
    assert!(err.to_string().contains("PROFILER_INTERVAL_MS"));
}

#[test]
fn log_levels_and_filters_are_checked() {
    for ok in [
        "info",
        "WARN",
        "off",
        "vexfs_engine=debug",
        "info,vexfs_engine::server=trace",
    ] {
        assert!(check_log_filter("logging.level", ok).is_ok(), "{ok}");
    }
    for bad in [
        "verbose",
        "",
        " , ",
        "vexfs_engine",
        "vexfs_engine=loud",
        "info,chatty",
    ] {
        let err = check_log_filter("logging.level", bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("logging.level"), "{bad}: {err}");
    }
    let mut config = Config::default();
    config.logging.level = "verbose".into();
    let err = config.check().unwrap_err().to_string();
    assert!(err.contains("\"verbose\" has no valid level"), "{err}");
}

#[test]
fn automatic_log_format_is_json_off_a_terminal() {
    assert_eq!(Config::default().logging.format, LogFormat::Auto);
    assert_eq!(LogFormat::Auto.resolve(false), LogFormat::Json);
    assert_eq!(LogFormat::Auto.resolve(true), LogFormat::Text);
    assert_eq!(LogFormat::Text.resolve(false), LogFormat::Text);
    assert_eq!(LogFormat::Json.resolve(true), LogFormat::Json);
    let config = Config::from_toml("[logging]\nformat = \"auto\"\n", "t").unwrap();
    assert_eq!(config.logging.format, LogFormat::Auto);
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

#[test]
fn enable_tls_without_files_is_refused_by_name() {
    let mut c = Config::default();
    apply_env(&mut c, env(&[("ENABLE_TLS", "true")])).unwrap();
    let err = c.check().unwrap_err().to_string();
    assert!(
        err.contains("server.tls.cert_path") && err.contains("TLS_CERT_PATH"),
        "{err}"
    );
    apply_env(&mut c, env(&[("TLS_CERT_PATH", "/tls/tls.crt")])).unwrap();
    let err = c.check().unwrap_err().to_string();
    assert!(err.contains("TLS_KEY_PATH"), "{err}");
    let err = apply_env(&mut c, env(&[("ENABLE_TLS", "yes please")])).unwrap_err();
    assert!(err.to_string().contains("ENABLE_TLS"), "{err}");
}

#[test]
fn tls_env_vars_name_the_pair_and_enable_false_turns_it_off() {
    let mut c = Config::default();
    let vars = env(&[
        ("TLS_CERT_PATH", "/tls/tls.crt"),
        ("TLS_KEY_PATH", "/tls/tls.key"),
    ]);
    apply_env(&mut c, vars).unwrap();
    c.check().unwrap();
    let tls = TlsSection::active(c.server.tls.as_ref()).expect("naming the files enables TLS");
    assert_eq!(tls.key_path, std::path::Path::new("/tls/tls.key"));
    apply_env(&mut c, env(&[("ENABLE_TLS", "false")])).unwrap();
    assert!(TlsSection::active(c.server.tls.as_ref()).is_none());
    let file = "[server.tls]\ncert_path = \"/c\"\nkey_path = \"/k\"\nclient_ca_path = \"\"\n";
    let err = Config::from_toml(file, "t").unwrap_err().to_string();
    assert!(err.contains("server.tls.client_ca_path"), "{err}");
}

#[test]
fn oauth2_env_vars_fill_the_oidc_section() {
    let mut c = Config::default();
    let vars = env(&[
        ("AUTH_METHOD", "oidc"),
        ("OAUTH2_ISSUER_URL", "https://idp.example/"),
        ("OAUTH2_AUDIENCE", "vexfs"),
        ("OAUTH2_ROLES_CLAIM", "roles"),
    ]);
    apply_env(&mut c, vars).unwrap();
    c.check().unwrap();
    let oidc = c.auth.as_ref().unwrap().oidc.as_ref().unwrap();
    assert_eq!(
        (
            oidc.issuer.as_str(),
            oidc.audience.as_str(),
            oidc.roles_claim.as_str()
        ),
        ("https://idp.example/", "vexfs", "roles")
    );
    let mut c = Config::default();
    apply_env(&mut c, env(&[("AUTH_METHOD", "oidc")])).unwrap();
    let err = c.check().unwrap_err().to_string();
    assert!(err.contains("[auth.oidc]"), "{err}");
}
