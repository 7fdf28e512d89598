//! The condition vocabulary of `VexfsSemantic.status`: condition types, CamelCase reasons, the
//! [`Stall`] that makes `Stalled=True`, and keeping transition times across recomputations.
//!
//! Every condition type and reason the operator writes is a constant here, so a reason is spelled
//! once and a test or dashboard can name it.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use super::kube_time::to_time;

/// Condition types.
pub mod types {
    /// Everything enabled is available and the latest generation is applied.
    pub const READY: &str = "Ready";
    /// The operator is converging children towards the spec.
    pub const RECONCILING: &str = "Reconciling";
    /// Progress needs a human: invalid spec, missing Secret, missing API.
    pub const STALLED: &str = "Stalled";
    /// The engine StatefulSet has all desired pods ready.
    pub const ENGINE_AVAILABLE: &str = "EngineAvailable";
    /// Backups are working.
    pub const BACKUP_HEALTHY: &str = "BackupHealthy";
    /// The recovery circuit breaker is open or probing.
    pub const RECOVERY_CIRCUIT_OPEN: &str = "RecoveryCircuitOpen";
    /// The types owned by the core pipeline (the others belong to day-2 steps).
    pub const CORE: [&str; 4] = [READY, RECONCILING, STALLED, ENGINE_AVAILABLE];
}

/// CamelCase condition reasons.
pub mod reasons {
    /// Ready/EngineAvailable: all desired engine pods are ready.
    pub const AVAILABLE: &str = "Available";
    /// Ready/EngineAvailable: `spec.stopped` scaled the engine to zero.
    pub const STOPPED: &str = "Stopped";
    /// Ready/EngineAvailable/Reconciling: engine pods are starting or rolling.
    pub const ENGINE_PROGRESSING: &str = "EngineProgressing";
    /// Ready/EngineAvailable/Reconciling: clustered replicas have not all caught up with their
    /// share of the partitions for the configured replica count.
    pub const REBALANCING: &str = "Rebalancing";
    /// Stalled/Ready: the spec breaks a validation rule.
    pub const INVALID_SPEC: &str = "InvalidSpec";
    /// Stalled/Ready: a referenced Secret or key does not exist.
    pub const SECRET_NOT_FOUND: &str = "SecretNotFound";
    /// Stalled/Ready: monitoring objects are `Enabled` but `monitoring.coreos.com` is not served.
    pub const MONITORING_API_MISSING: &str = "MonitoringApiMissing";
    /// Stalled/Ready: `spec.tls.issuerRef` is set but `cert-manager.io/v1` is not served.
    pub const CERT_MANAGER_API_MISSING: &str = "CertManagerApiMissing";
    /// Stalled: nothing blocks progress.
    pub const AS_EXPECTED: &str = "AsExpected";
    /// Reconciling: children match the spec.
    pub const RECONCILED: &str = "Reconciled";
    /// Reconciling: `spec.suspend` freezes the children.
    pub const SUSPENDED: &str = "Suspended";
    /// EngineAvailable: the StatefulSet does not exist (yet).
    pub const ENGINE_MISSING: &str = "EngineMissing";
    /// BackupHealthy: scheduled runs were missed.
    pub const MISSED_SCHEDULE: &str = "MissedSchedule";
    /// BackupHealthy: the newest backup failed.
    pub const BACKUP_FAILED: &str = "BackupFailed";
    /// BackupHealthy: the newest backup succeeded.
    pub const BACKUP_SUCCEEDED: &str = "BackupSucceeded";
    /// BackupHealthy: no backup has finished yet.
    pub const NO_BACKUP_YET: &str = "NoBackupYet";
    /// Stalled: the bootstrap restore failed.
    pub const RESTORE_FAILED: &str = "RestoreFailed";
    /// Stalled: recovery gave up after its failure budget.
    pub const RECOVERY_EXHAUSTED: &str = "RecoveryExhausted";
    /// RecoveryCircuitOpen: the breaker is closed.
    pub const CIRCUIT_CLOSED: &str = "CircuitClosed";
    /// RecoveryCircuitOpen: the breaker is open.
    pub const CIRCUIT_OPEN: &str = "CircuitOpen";
    /// RecoveryCircuitOpen: the breaker lets one probe through.
    pub const CIRCUIT_HALF_OPEN: &str = "CircuitHalfOpen";
}

/// A condition that needs a human, with its reason and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stall {
    /// CamelCase reason (one of [`reasons`]).
    pub reason: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

/// A status condition at `now`; [`keep_transition_times`] restores the old transition time when
/// `status` is unchanged.
pub fn condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    generation: Option<i64>,
    now: DateTime<Utc>,
) -> Condition {
    Condition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message,
        observed_generation: generation,
        last_transition_time: to_time(now),
    }
}

/// Keeps each condition's previous `lastTransitionTime` when its status did not change.
pub fn keep_transition_times(previous: &[Condition], fresh: Vec<Condition>) -> Vec<Condition> {
    fresh
        .into_iter()
        .map(|mut condition| {
            if let Some(old) = previous
                .iter()
                .find(|c| c.type_ == condition.type_ && c.status == condition.status)
            {
                condition.last_transition_time = old.last_transition_time.clone();
            }
            condition
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_status_keeps_its_transition_time() {
        let at = |s: i64| DateTime::from_timestamp(s, 0).expect("time");
        let old = condition(
            types::READY,
            "True",
            reasons::AVAILABLE,
            String::new(),
            None,
            at(1),
        );
        let same = condition(
            types::READY,
            "True",
            reasons::AVAILABLE,
            "x".into(),
            None,
            at(9),
        );
        let flipped = condition(
            types::READY,
            "False",
            reasons::STOPPED,
            String::new(),
            None,
            at(9),
        );
        let kept = keep_transition_times(std::slice::from_ref(&old), vec![same, flipped]);
        assert_eq!(kept[0].last_transition_time, old.last_transition_time);
        assert_eq!(kept[1].last_transition_time, to_time(at(9)));
    }
}
