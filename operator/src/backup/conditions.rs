//! The conditions of a `VexfsBackup` (pure): `Ready` and `Failed` for people and Argo CD, and
//! kstatus's `Reconciling` and `Stalled`, so kstatus and Flux read a running backup as
//! `InProgress`, a succeeded one as `Current` and a failed one as `Failed`.
//!
//! All four are derived from the phase and message the operator already writes, so a record
//! finished before conditions existed gets them on the next pass.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use crate::crd::{BackupPhase, VexfsBackupStatus};
use crate::spec::conditions::{condition, keep_transition_times, types};

/// `Failed`: the backup ended without a usable archive; terminal.
pub const FAILED: &str = "Failed";

/// CamelCase reasons of the `VexfsBackup` conditions besides a failure's own reason.
pub mod reasons {
    /// Created; the Job has not started.
    pub const PENDING: &str = "Pending";
    /// The Job is running.
    pub const RUNNING: &str = "Running";
    /// The archive is written and its summary read.
    pub const SUCCEEDED: &str = "Succeeded";
    /// Ready: the backup failed (the `Failed` and `Stalled` conditions carry the cause).
    pub const FAILED: &str = "Failed";
}

/// Reason used when a failure message carries no CamelCase cause of its own.
const UNKNOWN_FAILURE: &str = "BackupFailed";

/// `status` with `observedGeneration` set to `generation` and its four conditions recomputed at
/// `now`; a condition whose status did not change keeps its `lastTransitionTime`.
pub fn with_conditions(
    mut status: VexfsBackupStatus,
    name: &str,
    generation: Option<i64>,
    now: DateTime<Utc>,
) -> VexfsBackupStatus {
    let fresh = backup_conditions(&status, name, generation, now);
    status.conditions = keep_transition_times(&status.conditions, fresh);
    status.observed_generation = generation;
    status
}

/// `Ready`, `Reconciling`, `Stalled` and `Failed` for a backup named `name` in `status`.
pub fn backup_conditions(
    status: &VexfsBackupStatus,
    name: &str,
    generation: Option<i64>,
    now: DateTime<Utc>,
) -> Vec<Condition> {
    let make = |type_: &str, value: bool, reason: &str, message: String| {
        let value = if value { "True" } else { "False" };
        condition(type_, value, reason, message, generation, now)
    };
    let detail = status.message.clone().unwrap_or_default();
    match status.phase {
        None | Some(BackupPhase::Pending | BackupPhase::Running) => {
            let (reason, message) = if status.phase == Some(BackupPhase::Running) {
                (reasons::RUNNING, format!("backup Job {name} is running"))
            } else {
                (
                    reasons::PENDING,
                    format!("backup Job {name} has not started"),
                )
            };
            vec![
                make(types::READY, false, reason, message.clone()),
                make(types::RECONCILING, true, reason, message),
                make(types::STALLED, false, reason, String::new()),
                make(FAILED, false, reason, String::new()),
            ]
        }
        Some(BackupPhase::Succeeded) => {
            let location = status.location.as_deref().unwrap_or("its target");
            let message = format!("archive written to {location}");
            vec![
                make(types::READY, true, reasons::SUCCEEDED, message),
                make(types::RECONCILING, false, reasons::SUCCEEDED, String::new()),
                make(types::STALLED, false, reasons::SUCCEEDED, String::new()),
                make(FAILED, false, reasons::SUCCEEDED, String::new()),
            ]
        }
        Some(BackupPhase::Failed) => {
            let (cause, cause_message) = failure_cause(&detail);
            vec![
                make(types::READY, false, reasons::FAILED, detail.clone()),
                make(types::RECONCILING, false, reasons::FAILED, String::new()),
                make(types::STALLED, true, cause, cause_message.to_owned()),
                make(FAILED, true, cause, cause_message.to_owned()),
            ]
        }
    }
}

/// Splits a failure message the operator wrote as `Reason: detail` into its CamelCase reason and
/// detail; any other message is the detail of [`UNKNOWN_FAILURE`].
pub fn failure_cause(message: &str) -> (&str, &str) {
    match message.split_once(": ") {
        Some((reason, detail)) if is_camel_case(reason) => (reason, detail),
        _ => (UNKNOWN_FAILURE, message),
    }
}

fn is_camel_case(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).expect("time")
    }

    fn status(phase: Option<BackupPhase>, message: Option<&str>) -> VexfsBackupStatus {
        VexfsBackupStatus {
            phase,
            message: message.map(str::to_owned),
            location: Some("pvc://backups/b.tar.gz".to_owned()),
            ..VexfsBackupStatus::default()
        }
    }

    fn find<'a>(conditions: &'a [Condition], type_: &str) -> &'a Condition {
        conditions
            .iter()
            .find(|c| c.type_ == type_)
            .unwrap_or_else(|| panic!("no {type_} condition in {conditions:?}"))
    }

    fn summary(conditions: &[Condition]) -> Vec<(String, String, String)> {
        conditions
            .iter()
            .map(|c| (c.type_.clone(), c.status.clone(), c.reason.clone()))
            .collect()
    }

    #[test]
    fn a_running_backup_is_reconciling_and_not_ready() {
        let conditions = backup_conditions(
            &status(Some(BackupPhase::Running), None),
            "b",
            Some(1),
            at(5),
        );
        let expected = [
            ("Ready", "False", "Running"),
            ("Reconciling", "True", "Running"),
            ("Stalled", "False", "Running"),
            ("Failed", "False", "Running"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(t, s, r)| ((*t).to_owned(), (*s).to_owned(), (*r).to_owned()))
            .collect();
        assert_eq!(summary(&conditions), expected);
        assert_eq!(
            find(&conditions, "Ready").message,
            "backup Job b is running"
        );
        assert!(conditions.iter().all(|c| c.observed_generation == Some(1)));
    }

    #[test]
    fn a_backup_without_phase_is_pending() {
        let conditions = backup_conditions(&status(None, None), "b", Some(1), at(5));
        assert_eq!(find(&conditions, "Reconciling").status, "True");
        assert_eq!(find(&conditions, "Ready").reason, "Pending");
    }

    #[test]
    fn a_succeeded_backup_is_ready_with_its_location() {
        let conditions = backup_conditions(
            &status(
                Some(BackupPhase::Succeeded),
                Some("1000 events, 4096 bytes"),
            ),
            "b",
            Some(1),
            at(5),
        );
        let ready = find(&conditions, "Ready");
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            ("True", "Succeeded")
        );
        assert_eq!(ready.message, "archive written to pvc://backups/b.tar.gz");
        for type_ in ["Reconciling", "Stalled", "Failed"] {
            assert_eq!(find(&conditions, type_).status, "False", "{type_}");
        }
    }

    #[test]
    fn a_failed_backup_is_stalled_and_failed_with_the_jobs_reason() {
        let message = "BackoffLimitExceeded: Job has reached the specified backoff limit";
        let conditions = backup_conditions(
            &status(Some(BackupPhase::Failed), Some(message)),
            "b",
            Some(2),
            at(5),
        );
        let ready = find(&conditions, "Ready");
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            ("False", "Failed")
        );
        assert_eq!(ready.message, message);
        for type_ in ["Stalled", "Failed"] {
            let c = find(&conditions, type_);
            assert_eq!(
                (c.status.as_str(), c.reason.as_str(), c.message.as_str()),
                (
                    "True",
                    "BackoffLimitExceeded",
                    "Job has reached the specified backoff limit"
                ),
                "{type_}"
            );
        }
        assert_eq!(find(&conditions, "Reconciling").status, "False");
    }

    #[test]
    fn a_failure_message_without_a_reason_gets_the_generic_one() {
        assert_eq!(failure_cause("disk full"), ("BackupFailed", "disk full"));
        assert_eq!(
            failure_cause("not camel: x"),
            ("BackupFailed", "not camel: x")
        );
        assert_eq!(
            failure_cause("NoBackupTarget: spec.backup.target is not set"),
            ("NoBackupTarget", "spec.backup.target is not set")
        );
    }

    #[test]
    fn recomputing_keeps_transition_times_and_sets_the_observed_generation() {
        let running = with_conditions(
            status(Some(BackupPhase::Running), None),
            "b",
            Some(1),
            at(5),
        );
        assert_eq!(running.observed_generation, Some(1));
        let again = with_conditions(running.clone(), "b", Some(2), at(9));
        assert_eq!(again.observed_generation, Some(2));
        let times = |s: &VexfsBackupStatus| {
            s.conditions
                .iter()
                .map(|c| c.last_transition_time.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(times(&again), times(&running));
        let finished = with_conditions(
            VexfsBackupStatus {
                phase: Some(BackupPhase::Succeeded),
                ..again
            },
            "b",
            Some(2),
            at(9),
        );
        let ready = find(&finished.conditions, "Ready");
        assert_ne!(
            Some(&ready.last_transition_time),
            running.conditions.first().map(|c| &c.last_transition_time)
        );
    }
}
