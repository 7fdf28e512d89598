//! Pure validation: a `VexfsSemantic` becomes a [`ValidatedSpec`] with every default resolved.
//!
//! The checks mirror the CRD's CEL rules (same messages, see [`crate::crd::messages`]) so a spec that
//! reached the operator without API-server validation (older CRD, dry runs, tests) is still rejected.

use std::collections::HashSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Resource;

use super::credentials::ApiAuth;
use super::identity::{self, BackupIdentity};
use super::images::Images;
use super::schedule::{Schedule, ScheduleError};
use super::tls::TlsPlan;
use crate::crd::{
    AlertingSpec, AnalyticsSpec, BackupSpec, EngineSpec, MonitoringSpec, NatsSpec,
    NetworkPolicySpec, ProfilerSpec, RbacSpec, RecoverySpec, RestoreSpec, VexfsSemantic, messages,
};

/// A spec the operator refuses to act on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ValidationError {
    /// The object lacks a name, namespace or uid (never true for objects read from the API server).
    #[error("object metadata is incomplete: {0} is missing")]
    Metadata(&'static str),
    /// A field breaks a rule.
    #[error("{field}: {message}")]
    Invalid {
        /// JSON path of the offending field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// The engine's data directory inside its container (the `data` volume is mounted here).
pub const DATA_DIR: &str = "/var/lib/vexfs";

/// `spec.backup` with its schedule parsed in its time zone.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidatedBackup {
    /// The backup settings as written.
    pub spec: BackupSpec,
    /// `spec.backup.schedule` evaluated in `spec.backup.timeZone`.
    pub schedule: Schedule,
}

/// A `VexfsSemantic` that passed validation, with defaults resolved. Builders read only this.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidatedSpec {
    /// Resource name; also the base name of every child.
    pub name: String,
    /// Resource namespace; every child lives here.
    pub namespace: String,
    /// Controller owner reference placed on every child.
    pub owner: OwnerReference,
    /// Engine workload.
    pub engine: EngineSpec,
    /// Clustered mode's NATS settings (`spec.cluster.nats`); `None`: standalone.
    pub cluster: Option<NatsSpec>,
    /// Images of the children, with `spec.engine.image` resolved.
    pub images: Images,
    /// Analytics settings.
    pub analytics: AnalyticsSpec,
    /// Profiler settings.
    pub profiler: ProfilerSpec,
    /// Alerting settings.
    pub alerting: AlertingSpec,
    /// Scheduled backups with their parsed schedule, if any.
    pub backup: Option<ValidatedBackup>,
    /// Recovery settings.
    pub recovery: RecoverySpec,
    /// API access control.
    pub rbac: RbacSpec,
    /// Prometheus Operator integration.
    pub monitoring: MonitoringSpec,
    /// Who may reach the engine's port.
    pub network_policy: NetworkPolicySpec,
    /// Bootstrap restore, if any.
    pub restore: Option<RestoreSpec>,
    /// Children are frozen.
    pub suspend: bool,
    /// The engine is scaled to zero.
    pub stopped: bool,
    /// The engine's data directory.
    pub data_dir: &'static str,
    /// Where the engine's API credentials come from: `spec.rbac.auth`, else the generated token.
    pub api_auth: ApiAuth,
    /// HTTPS for the engine, when `spec.tls` asks for it.
    pub tls: Option<TlsPlan>,
    /// How backup Jobs authenticate to the engine API (always set; optional for Job builder tests).
    pub backup_identity: Option<BackupIdentity>,
}

impl ValidatedSpec {
    /// Engine pods wanted right now (zero while stopped).
    pub fn desired_replicas(&self) -> i32 {
        if self.stopped {
            0
        } else {
            self.engine.replicas
        }
    }
}

/// Validates `cr` and resolves its defaults; `images` are the operator's defaults.
pub fn validate(cr: &VexfsSemantic, images: &Images) -> Result<ValidatedSpec, ValidationError> {
    let name = cr
        .metadata
        .name
        .clone()
        .ok_or(ValidationError::Metadata("metadata.name"))?;
    let namespace = cr
        .metadata
        .namespace
        .clone()
        .ok_or(ValidationError::Metadata("metadata.namespace"))?;
    let owner = cr
        .controller_owner_ref(&())
        .ok_or(ValidationError::Metadata("metadata.uid"))?;
    let spec = &cr.spec;
    // The checks run in the order of the spec's fields, so the first broken field is reported.
    let engine = spec.engine.clone().unwrap_or_default();
    let cluster = super::cluster::check(&engine, spec.cluster.as_ref())
        .map_err(|e| invalid(e.field, e.message))?;
    let analytics = spec.analytics.clone().unwrap_or_default();
    check_analytics(&analytics)?;
    let profiler = spec.profiler.clone().unwrap_or_default();
    check_percent("spec.profiler.alertPercentile", profiler.alert_percentile)?;
    let alerting = spec.alerting.clone().unwrap_or_default();
    check_alerting(&alerting)?;
    let backup = spec.backup.as_ref().map(check_backup).transpose()?;
    let rbac = spec.rbac.clone().unwrap_or_default();
    check_rbac(&rbac)?;
    let network_policy = spec.network_policy.clone().unwrap_or_default();
    super::peers::check_peers(&network_policy).map_err(|e| invalid(e.field, e.message))?;
    let api_auth = ApiAuth::resolve(&name, rbac.auth.as_ref());
    if spec
        .tls
        .as_ref()
        .is_some_and(|t| t.secret_name.is_some() && t.issuer_ref.is_some())
    {
        return Err(invalid("spec.tls", messages::ONE_TLS_SOURCE));
    }
    let tls = TlsPlan::resolve(&name, spec.tls.as_ref());
    let backup_identity =
        Some(BackupIdentity::new(&name).with_tls(tls.as_ref().map(|t| t.secret.clone())));
    Ok(ValidatedSpec {
        name,
        namespace,
        owner,
        images: images.for_engine(spec.engine.as_ref().and_then(|e| e.image.as_deref())),
        engine,
        cluster,
        analytics,
        profiler,
        alerting,
        backup,
        recovery: spec.recovery.clone().unwrap_or_default(),
        backup_identity,
        tls,
        api_auth,
        rbac,
        monitoring: spec.monitoring.clone().unwrap_or_default(),
        network_policy,
        restore: spec.restore.clone(),
        suspend: spec.suspend,
        stopped: spec.stopped,
        data_dir: DATA_DIR,
    })
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ValidationError {
    ValidationError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn check_percent(field: &str, value: i32) -> Result<(), ValidationError> {
    if (0..=100).contains(&value) {
        Ok(())
    } else {
        Err(invalid(field, messages::PERCENT_RANGE))
    }
}

fn check_analytics(analytics: &AnalyticsSpec) -> Result<(), ValidationError> {
    let patterns = &analytics.pattern_discovery;
    if patterns.min_pattern_length > patterns.max_pattern_length {
        return Err(invalid(
            "spec.analytics.patternDiscovery",
            messages::PATTERN_LENGTH,
        ));
    }
    check_percent(
        "spec.analytics.patternDiscovery.minSupportPercent",
        patterns.min_support_percent,
    )?;
    check_percent(
        "spec.analytics.patternDiscovery.confidencePercent",
        patterns.confidence_percent,
    )?;
    let anomaly = &analytics.anomaly_detection;
    check_percent(
        "spec.analytics.anomalyDetection.sensitivityPercent",
        anomaly.sensitivity_percent,
    )?;
    check_percent(
        "spec.analytics.anomalyDetection.contaminationPercent",
        anomaly.contamination_percent,
    )
}

/// Returns the first name that occurs twice.
fn first_duplicate<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = HashSet::new();
    names.into_iter().find(|name| !seen.insert(*name))
}

fn check_alerting(alerting: &AlertingSpec) -> Result<(), ValidationError> {
    for (i, receiver) in alerting.receivers.iter().enumerate() {
        let kinds = [
            receiver.webhook.is_some(),
            receiver.slack.is_some(),
            receiver.email.is_some(),
        ];
        if kinds.iter().filter(|set| **set).count() != 1 {
            return Err(invalid(
                format!("spec.alerting.receivers[{i}]"),
                messages::ONE_RECEIVER_KIND,
            ));
        }
    }
    if first_duplicate(alerting.receivers.iter().map(|r| r.name.as_str())).is_some() {
        return Err(invalid("spec.alerting", messages::UNIQUE_RECEIVERS));
    }
    if first_duplicate(alerting.rules.iter().map(|r| r.name.as_str())).is_some() {
        return Err(invalid("spec.alerting", messages::UNIQUE_RULES));
    }
    let receivers: HashSet<&str> = alerting.receivers.iter().map(|r| r.name.as_str()).collect();
    for (i, rule) in alerting.rules.iter().enumerate() {
        match rule.threshold.as_deref().map(str::parse::<f64>) {
            Some(Err(_)) => {
                let field = format!("spec.alerting.rules[{i}].threshold");
                return Err(invalid(field, "threshold must be a decimal number"));
            }
            None if !rule.condition.starts_with("pattern_") => {
                return Err(invalid(
                    format!("spec.alerting.rules[{i}]"),
                    messages::RULE_THRESHOLD,
                ));
            }
            _ => {}
        }
        if rule
            .receivers
            .iter()
            .any(|name| !receivers.contains(name.as_str()))
        {
            return Err(invalid("spec.alerting", messages::RULE_RECEIVERS_EXIST));
        }
    }
    Ok(())
}

/// Parses the schedule in its time zone and checks the target.
fn check_backup(backup: &BackupSpec) -> Result<ValidatedBackup, ValidationError> {
    if backup.schedule.split_whitespace().count() != 5 {
        return Err(invalid("spec.backup.schedule", messages::SCHEDULE_FIELDS));
    }
    let schedule = match Schedule::parse(&backup.schedule, &backup.time_zone) {
        Ok(schedule) => schedule,
        Err(error @ ScheduleError::TimeZone(_)) => {
            return Err(invalid("spec.backup.timeZone", error.to_string()));
        }
        Err(error) => return Err(invalid("spec.backup.schedule", error.to_string())),
    };
    if backup.target.volume.is_some() == backup.target.s3.is_some() {
        return Err(invalid("spec.backup.target", messages::ONE_BACKUP_TARGET));
    }
    Ok(ValidatedBackup {
        spec: backup.clone(),
        schedule,
    })
}

fn check_rbac(rbac: &RbacSpec) -> Result<(), ValidationError> {
    if first_duplicate(rbac.roles.iter().map(|r| r.name.as_str())).is_some() {
        return Err(invalid("spec.rbac", messages::UNIQUE_ROLES));
    }
    if first_duplicate(rbac.subjects.iter().map(|s| s.name.as_str())).is_some() {
        return Err(invalid("spec.rbac", messages::UNIQUE_SUBJECTS));
    }
    let names = rbac.roles.iter().map(|r| &r.name);
    if names
        .chain(rbac.subjects.iter().map(|s| &s.name))
        .any(|n| identity::is_reserved(n))
    {
        return Err(invalid("spec.rbac", messages::RESERVED_BACKUP_IDENTITY));
    }
    let roles: HashSet<&str> = rbac.roles.iter().map(|r| r.name.as_str()).collect();
    if rbac
        .subjects
        .iter()
        .flat_map(|s| &s.roles)
        .any(|role| !roles.contains(role.as_str()))
    {
        return Err(invalid("spec.rbac", messages::SUBJECT_ROLES_EXIST));
    }
    Ok(())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
