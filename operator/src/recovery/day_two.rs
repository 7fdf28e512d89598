//! The day-2 step of the reconcile pipeline: backups, restore progress and recovery, reported to the
//! status step as one [`DayTwoReport`] plus the time of the next check.
//!
//! A failing day-2 call never fails the reconcile: the affected part keeps its previous status and
//! is retried soon, so core reconciliation and the other day-2 parts carry on.

use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::Client;
use kube::runtime::events::{Recorder, Reporter};

use super::driver::{RecoveryDeps, list_engine_pods, recover};
use super::metrics::DayTwoMetrics;
use super::slots::RecoverySlots;
use super::status::{CIRCUIT_CONDITION, stall, state_from_status};
use crate::backup::driver::run_backups;
use crate::backup::restore::phases;
use crate::backup::restore_driver::restore_status;
use crate::backup::runs::BackupDeps;
use crate::controller::status::{DayTwoReport, Stall};
use crate::controller::validate::ValidatedSpec;
use crate::crd::VexfsSemantic;

/// Retry delay after a failed day-2 call.
const RETRY: Duration = Duration::from_secs(10);

/// Long-lived day-2 state shared by all reconciles: Event recorder, metrics, recovery slots.
pub struct DayTwo {
    recorder: Recorder,
    metrics: DayTwoMetrics,
    slots: RecoverySlots,
}

impl DayTwo {
    /// Creates the day-2 state publishing Events as `reporter` and recording into `metrics`.
    pub fn new(client: Client, reporter: Reporter, metrics: DayTwoMetrics) -> Self {
        Self {
            recorder: Recorder::new(client, reporter),
            metrics,
            slots: RecoverySlots::default(),
        }
    }

    /// Runs backups, restore observation and recovery for a validated resource.
    pub async fn report(
        &self,
        client: &Client,
        cr: &VexfsSemantic,
        spec: &ValidatedSpec,
        now: DateTime<Utc>,
    ) -> (DayTwoReport, Option<Duration>) {
        let mut report = DayTwoReport::carry_over(cr.status.as_ref());
        let mut requeue: Vec<Duration> = Vec::new();
        let backup_deps = BackupDeps {
            client,
            recorder: &self.recorder,
            metrics: &self.metrics,
        };
        match run_backups(&backup_deps, cr, spec, now).await {
            Ok(backups) => {
                replace_conditions(
                    &mut report,
                    &backups.conditions,
                    &[crate::backup::health::BACKUP_CONDITION],
                );
                report.backup = backups.status;
                requeue.extend(backups.requeue);
            }
            Err(error) => {
                tracing::warn!(object = %spec.name, namespace = %spec.namespace, %error, "backup step failed");
                requeue.push(RETRY);
            }
        }
        let pods = match list_engine_pods(client, spec).await {
            Ok(pods) => pods,
            Err(error) => {
                tracing::warn!(object = %spec.name, %error, "listing engine pods failed");
                return (report, Some(RETRY));
            }
        };
        let previous_restore = cr.status.as_ref().and_then(|s| s.restore.as_ref());
        match restore_status(client, spec, previous_restore, &pods).await {
            Ok(restore) => report.restore = restore,
            Err(error) => {
                tracing::warn!(object = %spec.name, %error, "restore step failed");
                requeue.push(RETRY);
            }
        }
        let pass = Pass {
            client,
            cr,
            spec,
            pods: &pods,
            now,
        };
        requeue.extend(self.recovery(&pass, &mut report).await);
        report.stall = stall_of(&report);
        (report, requeue.into_iter().min())
    }

    /// Steps recovery; returns when to check again.
    async fn recovery(&self, pass: &Pass<'_>, report: &mut DayTwoReport) -> Option<Duration> {
        if !pass.spec.recovery.enabled {
            report.recovery = None;
            replace_conditions(report, &[], &[CIRCUIT_CONDITION]);
            return None;
        }
        let deps = RecoveryDeps {
            client: pass.client,
            recorder: &self.recorder,
            metrics: &self.metrics,
            slots: &self.slots,
        };
        match recover(&deps, pass.cr, pass.spec, pass.pods, pass.now).await {
            Ok(recovery) => {
                replace_conditions(report, &recovery.conditions, &[CIRCUIT_CONDITION]);
                report.recovery = Some(recovery.status);
                Some(recovery.requeue)
            }
            Err(error) => {
                tracing::warn!(object = %pass.spec.name, namespace = %pass.spec.namespace, %error, "recovery step failed");
                Some(RETRY)
            }
        }
    }
}

/// One resource's day-2 pass.
struct Pass<'a> {
    client: &'a Client,
    cr: &'a VexfsSemantic,
    spec: &'a ValidatedSpec,
    pods: &'a [Pod],
    now: DateTime<Utc>,
}

/// Replaces the conditions of the given types with `fresh`.
fn replace_conditions(report: &mut DayTwoReport, fresh: &[Condition], types: &[&str]) {
    report
        .conditions
        .retain(|c| !types.contains(&c.type_.as_str()));
    report.conditions.extend(fresh.iter().cloned());
}

/// The day-2 reason for `Stalled`: recovery gave up, the schedule is invalid, or the restore failed.
fn stall_of(report: &DayTwoReport) -> Option<Stall> {
    let recovery = report
        .recovery
        .as_ref()
        .and_then(|r| stall(&state_from_status(Some(r))))
        .map(|(reason, message)| Stall { reason, message });
    let schedule = report
        .conditions
        .iter()
        .find(|c| c.reason == "InvalidSchedule")
        .map(|c| Stall {
            reason: "InvalidSchedule",
            message: c.message.clone(),
        });
    let restore = report
        .restore
        .as_ref()
        .filter(|r| r.phase == phases::FAILED)
        .map(|r| Stall {
            reason: "RestoreFailed",
            message: r.message.clone(),
        });
    recovery.or(schedule).or(restore)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{CircuitState, RecoveryStatus, RestoreStatus};

    #[test]
    fn giving_up_outranks_other_day_two_stalls() {
        let mut report = DayTwoReport {
            restore: Some(RestoreStatus {
                phase: phases::FAILED.to_owned(),
                message: "exit 2".to_owned(),
            }),
            ..DayTwoReport::default()
        };
        assert_eq!(stall_of(&report).map(|s| s.reason), Some("RestoreFailed"));
        report.recovery = Some(RecoveryStatus {
            circuit: CircuitState::Open,
            consecutive_failures: 3,
            phase: Some("GaveUp".to_owned()),
            ..RecoveryStatus::default()
        });
        let stall = stall_of(&report).expect("stalled");
        assert_eq!(stall.reason, "RecoveryExhausted");
        assert!(
            stall.message.contains("3 failed actions"),
            "{}",
            stall.message
        );
        assert_eq!(stall_of(&DayTwoReport::default()), None);
    }
}
