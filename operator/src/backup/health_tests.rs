//! `status.backup` and `BackupHealthy` tests.

use serde_json::json;

use super::*;
use crate::backup::plan::RunAction;

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().expect("time")
}

fn backup(name: &str, phase: &str, completed: &str) -> VexfsBackup {
    serde_json::from_value(json!({
        "apiVersion": "vexfs.io/v1alpha1",
        "kind": "VexfsBackup",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"semanticRef": "vx"},
        "status": {"phase": phase, "completionTime": completed, "sizeBytes": 2048, "sha256": SHA, "message": "BackoffLimitExceeded: pod failed"}
    }))
    .expect("fixture")
}

fn inputs<'a>(
    plan: Option<&'a RunPlan>,
    records: &'a [VexfsBackup],
    previous: Option<&'a BackupStatus>,
) -> HealthInputs<'a> {
    HealthInputs {
        previous,
        plan,
        records,
        suspended: false,
        generation: Some(2),
        now: utc("2026-11-27T12:00:00Z"),
    }
}

fn started(at: &str, missed: &[&str]) -> RunPlan {
    RunPlan {
        action: RunAction::Start(utc(at)),
        cursor: utc(at),
        advanced: true,
        missed: missed.iter().map(|m| utc(m)).collect(),
        next_run: Some(utc("2026-11-27T13:00:00Z")),
    }
}

#[test]
fn a_successful_backup_is_healthy_and_summarised() {
    let records = [
        backup("vx-1", "Succeeded", "2026-11-27T10:00:09Z"),
        backup("vx-2", "Succeeded", "2026-11-27T11:00:09Z"),
        backup("vx-3", "Running", "2026-11-27T11:00:09Z"),
    ];
    let plan = started("2026-11-27T12:00:00Z", &[]);
    let (status, condition) = backup_health(&inputs(Some(&plan), &records, None));
    assert_eq!(
        (condition.type_.as_str(), condition.status.as_str()),
        (crate::spec::conditions::types::BACKUP_HEALTHY, "True")
    );
    assert_eq!(condition.reason, "BackupSucceeded");
    let last = status.last_successful.expect("last successful");
    assert_eq!(
        (last.name.as_str(), last.size_bytes, last.sha256.as_str()),
        ("vx-2", 2048, SHA)
    );
    assert_eq!(status.retained, 2);
    let json = serde_json::to_value(&status.last_schedule_time).expect("json");
    assert_eq!(json, "2026-11-27T12:00:00Z");
    assert!(status.next_schedule_time.is_some());
}

#[test]
fn the_newest_completed_backup_failing_makes_it_unhealthy() {
    let records = [
        backup("vx-1", "Succeeded", "2026-11-27T10:00:09Z"),
        backup("vx-2", "Failed", "2026-11-27T11:00:09Z"),
    ];
    let (status, condition) = backup_health(&inputs(None, &records, None));
    assert_eq!(
        (condition.status.as_str(), condition.reason.as_str()),
        ("False", "BackupFailed")
    );
    assert!(
        condition.message.contains("vx-2") && condition.message.contains("BackoffLimitExceeded")
    );
    assert_eq!(
        status.last_successful.map(|l| l.name),
        Some("vx-1".to_owned())
    );
    assert_eq!(status.next_schedule_time, None, "no schedule, no next run");
}

#[test]
fn missed_runs_are_counted_and_reported_until_a_newer_success() {
    let records = [backup("vx-1", "Succeeded", "2026-11-27T09:00:09Z")];
    let previous = BackupStatus {
        missed_runs: Some(1),
        ..BackupStatus::default()
    };
    let plan = started(
        "2026-11-27T12:00:00Z",
        &["2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z"],
    );
    let (status, condition) = backup_health(&inputs(Some(&plan), &records, Some(&previous)));
    assert_eq!(status.missed_runs, Some(3));
    assert_eq!(
        (condition.status.as_str(), condition.reason.as_str()),
        ("False", "MissedSchedule")
    );
    let later = [backup("vx-2", "Succeeded", "2026-11-27T12:00:30Z")];
    let (_, recovered) = backup_health(&inputs(None, &later, Some(&status)));
    assert_eq!(recovered.reason, "BackupSucceeded");
}

#[test]
fn no_backup_yet_is_unknown_and_a_bad_schedule_is_reported() {
    let (_, condition) = backup_health(&inputs(None, &[], None));
    assert_eq!(
        (condition.status.as_str(), condition.reason.as_str()),
        ("Unknown", "NoBackupYet")
    );
}
