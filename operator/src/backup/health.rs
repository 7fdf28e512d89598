//! `status.backup` and the `BackupHealthy` condition, computed from backup records (pure).

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use super::plan::RunPlan;
use crate::crd::{BackupPhase, BackupStatus, LastSuccessfulBackup, VexfsBackup};
use crate::spec::conditions::{condition, reasons, types};
use crate::spec::kube_time::{from_time, to_time};

/// Inputs of the backup status.
#[derive(Debug, Clone)]
pub struct HealthInputs<'a> {
    /// The previous `status.backup`.
    pub previous: Option<&'a BackupStatus>,
    /// This evaluation's schedule decision, when a schedule is configured.
    pub plan: Option<&'a RunPlan>,
    /// Every backup of this resource after pruning.
    pub records: &'a [VexfsBackup],
    /// `spec.backup.suspend`.
    pub suspended: bool,
    /// `metadata.generation`, for the condition.
    pub generation: Option<i64>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The new `status.backup` and `BackupHealthy` condition.
pub fn backup_health(inputs: &HealthInputs<'_>) -> (BackupStatus, Condition) {
    let mut status = inputs.previous.cloned().unwrap_or_default();
    if let Some(plan) = inputs.plan {
        if plan.advanced {
            status.last_schedule_time = Some(to_time(plan.cursor));
        }
        status.next_schedule_time = plan.next_run.map(to_time);
        if let Some(last) = plan.missed.last() {
            let missed = i32::try_from(plan.missed.len()).unwrap_or(i32::MAX);
            status.missed_runs = Some(status.missed_runs.unwrap_or(0).saturating_add(missed));
            status.last_missed_time = Some(to_time(*last));
        }
    } else {
        status.next_schedule_time = None;
    }
    let newest_success = newest(inputs.records, BackupPhase::Succeeded);
    status.last_successful = newest_success.map(|b| {
        let s = b.status.clone().unwrap_or_default();
        LastSuccessfulBackup {
            name: b.metadata.name.clone().unwrap_or_default(),
            completion_time: s.completion_time,
            size_bytes: s.size_bytes.unwrap_or(0),
            sha256: s.sha256.unwrap_or_default(),
        }
    });
    status.retained =
        i32::try_from(count(inputs.records, BackupPhase::Succeeded)).unwrap_or(i32::MAX);
    let (state, reason, message) = verdict(inputs, &status);
    (
        status,
        condition(
            types::BACKUP_HEALTHY,
            state,
            reason,
            message,
            inputs.generation,
            inputs.now,
        ),
    )
}

fn verdict(
    inputs: &HealthInputs<'_>,
    status: &BackupStatus,
) -> (&'static str, &'static str, String) {
    let completed = newest_completed(inputs.records);
    let completed_at = completed.map(|(_, at)| at);
    if let Some(missed_at) = status.last_missed_time.as_ref().map(from_time)
        && completed_at.is_none_or(|at| at < missed_at)
    {
        let total = status.missed_runs.unwrap_or(0);
        return (
            "False",
            reasons::MISSED_SCHEDULE,
            format!("{total} scheduled runs missed, most recently at {missed_at}"),
        );
    }
    let suspended = if inputs.suspended {
        " (schedule suspended)"
    } else {
        ""
    };
    match completed {
        Some((backup, _)) if phase(backup) == Some(BackupPhase::Failed) => {
            let detail = backup
                .status
                .as_ref()
                .and_then(|s| s.message.clone())
                .unwrap_or_default();
            (
                "False",
                reasons::BACKUP_FAILED,
                format!("backup {} failed: {detail}{suspended}", name(backup)),
            )
        }
        Some((backup, _)) => (
            "True",
            reasons::BACKUP_SUCCEEDED,
            format!("backup {} succeeded{suspended}", name(backup)),
        ),
        None => (
            "Unknown",
            reasons::NO_BACKUP_YET,
            format!("no backup has completed yet{suspended}"),
        ),
    }
}

fn phase(backup: &VexfsBackup) -> Option<BackupPhase> {
    backup.status.as_ref().and_then(|s| s.phase)
}

fn name(backup: &VexfsBackup) -> &str {
    backup.metadata.name.as_deref().unwrap_or_default()
}

fn completion(backup: &VexfsBackup) -> Option<DateTime<Utc>> {
    backup
        .status
        .as_ref()?
        .completion_time
        .as_ref()
        .map(from_time)
}

fn newest(records: &[VexfsBackup], wanted: BackupPhase) -> Option<&VexfsBackup> {
    records
        .iter()
        .filter(|b| phase(b) == Some(wanted))
        .max_by_key(|b| (completion(b), name(b).to_owned()))
}

fn count(records: &[VexfsBackup], wanted: BackupPhase) -> usize {
    records.iter().filter(|b| phase(b) == Some(wanted)).count()
}

fn newest_completed(records: &[VexfsBackup]) -> Option<(&VexfsBackup, DateTime<Utc>)> {
    records
        .iter()
        .filter(|b| matches!(phase(b), Some(BackupPhase::Succeeded | BackupPhase::Failed)))
        .filter_map(|b| completion(b).map(|at| (b, at)))
        .max_by_key(|(b, at)| (*at, name(b).to_owned()))
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
