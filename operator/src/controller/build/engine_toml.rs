//! Renders the engine's `engine.toml` (section and key names of the product's `config/*.toml`).

use serde::Serialize;

use crate::crd::{AlertRule, AnomalyAlgorithm, RbacSpec, Receiver};
use crate::spec::ValidatedSpec;
use crate::spec::credentials::{ADMIN, ADMIN_PERMISSIONS, ApiAuth};
use crate::spec::identity::BACKUP_IDENTITY;

/// Directory the Secret-backed files are mounted under.
pub const SECRETS_DIR: &str = "/etc/vexfs/secrets";
/// The API credentials file (token list or JWT secret), outside `SECRETS_DIR` so that no receiver
/// name can collide with it.
pub const AUTH_SECRET_FILE: &str = "/etc/vexfs/auth/credentials";
/// The backup Jobs' token, accepted for `GET /api/v1/admin/backup` only.
pub const BACKUP_TOKEN_FILE: &str = "/etc/vexfs/auth/backup-token";

/// Failure to render `engine.toml`.
#[derive(Debug, thiserror::Error)]
pub enum EngineTomlError {
    /// TOML serialisation failed.
    #[error("rendering engine.toml: {0}")]
    Serialize(#[from] toml::ser::Error),
}

#[derive(Serialize)]
struct EngineToml {
    analytics: Analytics,
    pattern_discovery: PatternDiscovery,
    anomaly_detection: AnomalyDetection,
    prediction: Prediction,
    profiler: Profiler,
    alerts: Alerts,
    storage: Storage,
    server: Server,
    logging: Logging,
    auth: Auth,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<super::cluster_toml::ClusterToml>,
}

#[derive(Serialize)]
struct Auth {
    enabled: bool,
    method: &'static str,
    secret_file: &'static str,
    backup_token_file: &'static str,
    backup_token_subject: &'static str,
    roles: Vec<AuthRole>,
    subjects: Vec<AuthSubject>,
}

#[derive(Serialize)]
struct AuthRole {
    name: String,
    permissions: Vec<String>,
}

#[derive(Serialize)]
struct AuthSubject {
    kind: &'static str,
    name: String,
    roles: Vec<String>,
}

#[derive(Serialize)]
#[allow(clippy::struct_field_names)] // the field names are the engine's TOML keys
struct Analytics {
    processing_latency_target_ns: i64,
    sliding_window_size: i64,
    max_event_history: i64,
    enable_pattern_discovery: bool,
    enable_anomaly_detection: bool,
    enable_predictive_analytics: bool,
}

#[derive(Serialize)]
struct PatternDiscovery {
    min_pattern_length: i32,
    max_pattern_length: i32,
    min_support_threshold: f64,
    confidence_threshold: f64,
    temporal_window_seconds: i64,
    enable_sequence_mining: bool,
    enable_correlation_analysis: bool,
}

#[derive(Serialize)]
struct AnomalyDetection {
    algorithm: &'static str,
    sensitivity: f64,
    window_size: i64,
    min_samples: i64,
    contamination_rate: f64,
    enable_statistical_detection: bool,
    enable_ml_detection: bool,
}

#[derive(Serialize)]
struct Prediction {
    enabled: bool,
    horizon_seconds: i64,
}

#[derive(Serialize)]
struct Profiler {
    enable_real_time_profiling: bool,
    profiling_interval_ms: i64,
    max_profile_history: i64,
    enable_bottleneck_detection: bool,
    bottleneck_threshold_ms: i64,
    alert_threshold_percentile: f64,
}

#[derive(Serialize)]
#[allow(clippy::struct_field_names)] // the field names are the engine's TOML keys
struct Alerts {
    enabled: bool,
    enable_email_alerts: bool,
    enable_slack_alerts: bool,
    enable_webhook_alerts: bool,
    alert_cooldown_minutes: i32,
    escalation_timeout_minutes: i32,
    max_alerts_per_hour: i32,
    rules: Vec<Rule>,
    receivers: Vec<ReceiverToml>,
}

#[derive(Serialize)]
struct Rule {
    name: String,
    severity: &'static str,
    condition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<f64>,
    for_seconds: i64,
    receivers: Vec<String>,
}

#[derive(Serialize)]
struct ReceiverToml {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook: Option<WebhookToml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slack: Option<SlackToml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<EmailToml>,
}

#[derive(Serialize)]
struct WebhookToml {
    url_file: String,
}

#[derive(Serialize)]
struct SlackToml {
    webhook_url_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
}

#[derive(Serialize)]
struct EmailToml {
    smtp_host: String,
    smtp_port: i32,
    starttls: bool,
    from: String,
    to: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_file: Option<String>,
}

#[derive(Serialize)]
struct Storage {
    data_dir: &'static str,
}

#[derive(Serialize)]
struct Server {
    listen: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<ServerTls>,
}

#[derive(Serialize)]
#[allow(clippy::struct_field_names)] // the field names are the engine's TOML keys
struct ServerTls {
    cert_path: &'static str,
    key_path: &'static str,
}

/// The serving certificate chain, from the TLS Secret's `tls.crt`.
pub const TLS_CERT_FILE: &str = "/etc/vexfs/tls/tls.crt";
/// The CA of the serving certificates, from the TLS Secret's `ca.crt`: clustered replicas verify
/// each other's certificates with it when a query fans out.
pub const TLS_CA_FILE: &str = "/etc/vexfs/tls/ca.crt";
/// The serving key, from the TLS Secret's `tls.key`.
pub const TLS_KEY_FILE: &str = "/etc/vexfs/tls/tls.key";

#[derive(Serialize)]
struct Logging {
    level: &'static str,
    format: &'static str,
}

/// Renders `engine.toml` for `spec`, run as `replicas` engine replicas (used in clustered mode).
pub fn render_engine_toml(spec: &ValidatedSpec, replicas: i32) -> Result<String, EngineTomlError> {
    let doc = EngineToml {
        analytics: analytics(spec),
        pattern_discovery: pattern_discovery(spec),
        anomaly_detection: anomaly_detection(spec),
        prediction: Prediction {
            enabled: spec.analytics.prediction.enabled,
            horizon_seconds: spec.analytics.prediction.horizon_seconds,
        },
        profiler: profiler(spec),
        alerts: alerts(spec),
        storage: Storage {
            data_dir: spec.data_dir,
        },
        server: Server {
            listen: format!("0.0.0.0:{}", super::ENGINE_PORT),
            tls: spec.tls.as_ref().map(|_| ServerTls {
                cert_path: TLS_CERT_FILE,
                key_path: TLS_KEY_FILE,
            }),
        },
        logging: Logging {
            level: spec.engine.log_level.as_config(),
            format: spec.engine.log_format.as_config(),
        },
        auth: auth(&spec.rbac, &spec.api_auth),
        cluster: super::cluster_toml::cluster_toml(spec, replicas),
    };
    Ok(toml::to_string(&doc)?)
}

/// An integer percentage as the fraction the engine expects (`10` → `0.1`).
fn fraction(percent: i32) -> f64 {
    f64::from(percent) / 100.0
}

fn analytics(spec: &ValidatedSpec) -> Analytics {
    let a = &spec.analytics;
    Analytics {
        processing_latency_target_ns: a.processing_latency_target_ns,
        sliding_window_size: a.sliding_window_size,
        max_event_history: a.max_event_history,
        enable_pattern_discovery: a.pattern_discovery.enabled,
        enable_anomaly_detection: a.anomaly_detection.enabled,
        enable_predictive_analytics: a.prediction.enabled,
    }
}

fn pattern_discovery(spec: &ValidatedSpec) -> PatternDiscovery {
    let p = &spec.analytics.pattern_discovery;
    PatternDiscovery {
        min_pattern_length: p.min_pattern_length,
        max_pattern_length: p.max_pattern_length,
        min_support_threshold: fraction(p.min_support_percent),
        confidence_threshold: fraction(p.confidence_percent),
        temporal_window_seconds: p.temporal_window_seconds,
        enable_sequence_mining: p.sequence_mining,
        enable_correlation_analysis: p.correlation_analysis,
    }
}

fn anomaly_detection(spec: &ValidatedSpec) -> AnomalyDetection {
    let a = &spec.analytics.anomaly_detection;
    AnomalyDetection {
        algorithm: a.algorithm.as_config(),
        sensitivity: fraction(a.sensitivity_percent),
        window_size: a.window_size,
        min_samples: a.min_samples,
        contamination_rate: fraction(a.contamination_percent),
        enable_statistical_detection: matches!(
            a.algorithm,
            AnomalyAlgorithm::Statistical | AnomalyAlgorithm::Both
        ),
        enable_ml_detection: matches!(
            a.algorithm,
            AnomalyAlgorithm::IsolationForest | AnomalyAlgorithm::Both
        ),
    }
}

fn profiler(spec: &ValidatedSpec) -> Profiler {
    let p = &spec.profiler;
    Profiler {
        enable_real_time_profiling: p.enabled,
        profiling_interval_ms: p.interval_ms,
        max_profile_history: p.max_history,
        enable_bottleneck_detection: p.bottleneck_detection,
        bottleneck_threshold_ms: p.bottleneck_threshold_ms,
        alert_threshold_percentile: f64::from(p.alert_percentile),
    }
}

fn alerts(spec: &ValidatedSpec) -> Alerts {
    let a = &spec.alerting;
    let has = |kind: fn(&Receiver) -> bool| a.enabled && a.receivers.iter().any(kind);
    Alerts {
        enabled: a.enabled,
        enable_email_alerts: has(|r| r.email.is_some()),
        enable_slack_alerts: has(|r| r.slack.is_some()),
        enable_webhook_alerts: has(|r| r.webhook.is_some()),
        alert_cooldown_minutes: a.cooldown_minutes,
        escalation_timeout_minutes: a.escalation_timeout_minutes,
        max_alerts_per_hour: a.max_alerts_per_hour,
        rules: a.rules.iter().map(rule).collect(),
        receivers: a.receivers.iter().map(receiver).collect(),
    }
}

fn rule(rule: &AlertRule) -> Rule {
    Rule {
        name: rule.name.clone(),
        severity: rule.severity.as_config(),
        condition: rule.condition.clone(),
        // Validation guarantees a present threshold parses.
        threshold: rule.threshold.as_deref().and_then(|t| t.parse().ok()),
        for_seconds: rule.for_seconds.unwrap_or(0),
        receivers: rule.receivers.clone(),
    }
}

/// `[auth]`, always: the user's roles and subjects under `spec.rbac.auth`, else the generated
/// admin token's role and subject (the user's roles are then unused, and the status warns).
/// The backup Jobs' token is accepted besides, for backups only, as the reserved subject.
fn auth(rbac: &RbacSpec, api_auth: &ApiAuth) -> Auth {
    let (roles, subjects): (Vec<AuthRole>, Vec<AuthSubject>) = match api_auth {
        ApiAuth::User(_) => (
            rbac.roles
                .iter()
                .map(|r| AuthRole {
                    name: r.name.clone(),
                    permissions: r.permissions.clone(),
                })
                .collect(),
            rbac.subjects
                .iter()
                .map(|s| AuthSubject {
                    kind: s.kind.as_config(),
                    name: s.name.clone(),
                    roles: s.roles.clone(),
                })
                .collect(),
        ),
        ApiAuth::Generated { .. } => (
            vec![AuthRole {
                name: ADMIN.to_owned(),
                permissions: ADMIN_PERMISSIONS.map(str::to_owned).to_vec(),
            }],
            vec![AuthSubject {
                kind: crate::crd::SubjectKind::User.as_config(),
                name: ADMIN.to_owned(),
                roles: vec![ADMIN.to_owned()],
            }],
        ),
    };
    Auth {
        enabled: true,
        method: api_auth.auth_spec().method.as_config(),
        secret_file: AUTH_SECRET_FILE,
        backup_token_file: BACKUP_TOKEN_FILE,
        backup_token_subject: BACKUP_IDENTITY,
        roles,
        subjects,
    }
}

fn receiver(r: &Receiver) -> ReceiverToml {
    let file = |name: &str| format!("{SECRETS_DIR}/{}/{name}", r.name);
    ReceiverToml {
        name: r.name.clone(),
        webhook: r.webhook.as_ref().map(|_| WebhookToml {
            url_file: file("url"),
        }),
        slack: r.slack.as_ref().map(|slack| SlackToml {
            webhook_url_file: file("url"),
            channel: slack.channel.clone(),
        }),
        email: r.email.as_ref().map(|email| EmailToml {
            smtp_host: email.smtp_host.clone(),
            smtp_port: email.smtp_port.unwrap_or(587),
            starttls: email.start_tls.unwrap_or(true),
            from: email.from.clone(),
            to: email.to.clone(),
            username: email.username.clone(),
            password_file: email.password_secret_ref.as_ref().map(|_| file("password")),
        }),
    }
}

#[cfg(test)]
#[path = "engine_toml_tests.rs"]
mod tests;
