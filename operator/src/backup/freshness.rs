//! How fresh each resource's backups are, for the `VexfsBackupTooOld` alert (pure): the time of
//! the newest successful backup and the age its schedule allows.

use chrono::{DateTime, Utc};

use crate::crd::VexfsSemantic;
use crate::spec::kube_time::from_time;
use crate::spec::schedule::Schedule;

/// Scheduled runs looked at to find the schedule's longest gap (covers weekday and monthly
/// patterns: the longest gap of a weekday schedule shows within its next five runs).
const RUNS_SAMPLED: usize = 8;
/// Consecutive runs that may fail or be missed before the newest success counts as too old.
const RUNS_ALLOWED_TO_FAIL: i32 = 1;

/// Backup freshness of one `VexfsSemantic`.
#[derive(Debug, Clone, PartialEq)]
pub struct Freshness {
    /// Namespace of the resource.
    pub namespace: String,
    /// Name of the resource.
    pub name: String,
    /// Completion time of the newest successful backup, in Unix seconds; the resource's creation
    /// time until the first success, so a schedule that never succeeds is noticed too.
    pub last_success_seconds: f64,
    /// Age of the newest success the schedule allows: its longest gap between two runs, times
    /// one plus [`RUNS_ALLOWED_TO_FAIL`].
    pub max_age_seconds: f64,
}

/// The freshness of `cr` at `now`; `None` without a backup schedule, while it is suspended (no
/// run is due), or when the schedule does not parse (the resource is stalled on it already).
pub fn freshness(cr: &VexfsSemantic, now: DateTime<Utc>) -> Option<Freshness> {
    let backup = cr.spec.backup.as_ref().filter(|b| !b.suspend)?;
    let schedule = Schedule::parse(&backup.schedule, &backup.time_zone).ok()?;
    let max_age = allowed_age(&schedule, now)?;
    let last_success = cr
        .status
        .as_ref()
        .and_then(|s| {
            s.backup
                .as_ref()?
                .last_successful
                .as_ref()?
                .completion_time
                .as_ref()
        })
        .or(cr.metadata.creation_timestamp.as_ref())
        .map(from_time)?;
    Some(Freshness {
        namespace: cr.metadata.namespace.clone()?,
        name: cr.metadata.name.clone()?,
        last_success_seconds: seconds(last_success),
        max_age_seconds: max_age,
    })
}

/// The longest gap between the next [`RUNS_SAMPLED`] runs after `now`, times one plus the runs
/// allowed to fail, in seconds; `None` when the schedule has fewer than two runs ahead.
pub fn allowed_age(schedule: &Schedule, now: DateTime<Utc>) -> Option<f64> {
    let mut runs = Vec::with_capacity(RUNS_SAMPLED);
    let mut after = now;
    while runs.len() < RUNS_SAMPLED {
        let Some(next) = schedule.next_after(after) else {
            break;
        };
        runs.push(next);
        after = next;
    }
    let longest = runs.windows(2).map(|w| w[1] - w[0]).max()?;
    let allowed = longest * (1 + RUNS_ALLOWED_TO_FAIL);
    Some(seconds_of(allowed))
}

#[allow(clippy::cast_precision_loss)] // Unix seconds stay far below 2^53.
fn seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

#[allow(clippy::cast_precision_loss)] // schedule gaps stay far below 2^53 milliseconds.
fn seconds_of(duration: chrono::Duration) -> f64 {
    duration.num_milliseconds() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;
    use crate::crd::{BackupStatus, LastSuccessfulBackup, VexfsSemanticStatus};
    use crate::spec::kube_time::to_time;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn semantic(backup: Option<serde_json::Value>) -> VexfsSemantic {
        let mut spec = serde_json::json!({});
        if let Some(backup) = backup {
            spec["backup"] = backup;
        }
        let mut cr = VexfsSemantic::new("vx", serde_json::from_value(spec).expect("spec"));
        cr.metadata = ObjectMeta {
            name: Some("vx".into()),
            namespace: Some("analytics".into()),
            creation_timestamp: Some(to_time(at("2026-11-01T00:00:00Z"))),
            ..ObjectMeta::default()
        };
        cr
    }

    fn backup(schedule: &str) -> serde_json::Value {
        serde_json::json!({"schedule": schedule, "target": {"volume": {"claimName": "b"}}})
    }

    #[test]
    fn a_daily_schedule_allows_two_days() {
        let schedule = Schedule::parse("0 2 * * *", "UTC").expect("schedule");
        let allowed = allowed_age(&schedule, at("2026-11-29T12:00:00Z"));
        assert_eq!(allowed, Some(2.0 * 86_400.0));
    }

    #[test]
    fn a_weekday_schedule_allows_twice_its_weekend_gap() {
        let schedule = Schedule::parse("0 3 * * 1-5", "UTC").expect("schedule");
        // From a Monday: the Friday-to-Monday gap of three days is the longest.
        let allowed = allowed_age(&schedule, at("2026-11-30T12:00:00Z"));
        assert_eq!(allowed, Some(2.0 * 3.0 * 86_400.0));
    }

    #[test]
    fn the_newest_success_is_reported_with_the_schedules_allowance() {
        let mut cr = semantic(Some(backup("*/30 * * * *")));
        cr.status = Some(VexfsSemanticStatus {
            backup: Some(BackupStatus {
                last_successful: Some(LastSuccessfulBackup {
                    name: "vx-1".into(),
                    completion_time: Some(to_time(at("2026-11-29T10:00:05Z"))),
                    size_bytes: 1,
                    sha256: String::new(),
                }),
                ..BackupStatus::default()
            }),
            ..VexfsSemanticStatus::default()
        });
        let fresh = freshness(&cr, at("2026-11-29T10:10:00Z")).expect("scheduled");
        assert_eq!(
            fresh,
            Freshness {
                namespace: "analytics".into(),
                name: "vx".into(),
                last_success_seconds: seconds(at("2026-11-29T10:00:05Z")),
                max_age_seconds: 3600.0,
            }
        );
    }

    #[test]
    fn before_the_first_success_the_creation_time_counts() {
        let cr = semantic(Some(backup("0 2 * * *")));
        let fresh = freshness(&cr, at("2026-11-29T10:10:00Z")).expect("scheduled");
        assert_eq!(
            fresh.last_success_seconds,
            seconds(at("2026-11-01T00:00:00Z"))
        );
    }

    #[test]
    fn no_schedule_or_a_suspended_one_reports_nothing() {
        let now = at("2026-11-29T10:10:00Z");
        assert_eq!(freshness(&semantic(None), now), None);
        let mut suspended = backup("0 2 * * *");
        suspended["suspend"] = serde_json::json!(true);
        assert_eq!(freshness(&semantic(Some(suspended)), now), None);
    }
}
