//! The day-2 step of the reconcile pipeline: backups, restore progress and recovery, run on what the
//! fetch step read and reported to the status step as one [`DayTwoReport`] plus the time of the
//! next check.
//!
//! A failing day-2 call never fails the reconcile: the affected part keeps its previous status and
//! is retried soon, so core reconciliation and the other day-2 parts carry on.

pub mod report;

use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::runtime::events::Recorder;

pub use report::DayTwoReport;

use crate::backup::driver::{BackupObservation, run_backups};
use crate::backup::metrics::BackupMetrics;
use crate::backup::restore::{
    RestorePlan, inputs_for, phases as restore_phases, plan_restore, restore_status,
};
use crate::backup::runs::BackupDeps;
use crate::backup::stream_restore_run;
use crate::crd::{RestoreStatus, VexfsBackup, VexfsSemantic};
use crate::recovery::driver::{RecoveryDeps, recover};
use crate::recovery::memory::RecoveryMemory;
use crate::recovery::metrics::RecoveryMetrics;
use crate::recovery::slots::RecoverySlots;
use crate::spec::ValidatedSpec;
use crate::spec::conditions::types;

/// Retry delay after a failed day-2 call.
const RETRY: Duration = Duration::from_secs(10);
/// Delay of the pass that releases a clustered engine once its restore succeeded.
const RELEASE: Duration = Duration::from_secs(1);

/// The handles day-2 steps act through.
pub struct DayTwoDeps<'a> {
    /// API client (writes only: every read came from the fetch step).
    pub client: &'a Client,
    /// Event publisher.
    pub recorder: &'a Recorder,
    /// Backup metrics.
    pub backup_metrics: &'a BackupMetrics,
    /// Recovery metrics.
    pub recovery_metrics: &'a RecoveryMetrics,
    /// The global cap on concurrent recoveries.
    pub slots: &'a RecoverySlots,
    /// The latest recovery state of each resource.
    pub recovery_memory: &'a RecoveryMemory,
}

/// What one day-2 pass works on, as the fetch step read it.
#[derive(Clone, Copy)]
pub struct DayTwoInputs<'a> {
    /// The resource.
    pub cr: &'a VexfsSemantic,
    /// Its parsed spec.
    pub spec: &'a ValidatedSpec,
    /// Its engine pods.
    pub pods: &'a [Pod],
    /// Its backup records and Jobs.
    pub backups: BackupObservation<'a>,
    /// The `VexfsBackup` named by `spec.restore`, if it exists.
    pub restore_backup: Option<&'a VexfsBackup>,
    /// The reconcile's one `now`.
    pub now: DateTime<Utc>,
}

/// Runs backups, restore observation and recovery for a validated resource; returns the report and
/// when day 2 needs to look again.
pub async fn report(
    deps: &DayTwoDeps<'_>,
    inputs: DayTwoInputs<'_>,
) -> (DayTwoReport, Option<Duration>) {
    let DayTwoInputs { cr, spec, now, .. } = inputs;
    let mut report = DayTwoReport::carry_over(cr.status.as_ref());
    let mut requeue: Vec<Duration> = Vec::new();
    let backup_deps = BackupDeps {
        client: deps.client,
        recorder: deps.recorder,
        metrics: deps.backup_metrics,
    };
    match run_backups(&backup_deps, cr, spec, inputs.backups, now).await {
        Ok(backups) => {
            report.replace_conditions(&backups.conditions, &[types::BACKUP_HEALTHY]);
            report.backup = backups.status;
            requeue.extend(backups.requeue);
        }
        Err(error) => {
            tracing::warn!(object = %spec.name, namespace = %spec.namespace, %error, "backup step failed");
            requeue.push(RETRY);
        }
    }
    let previous_restore = cr.status.as_ref().and_then(|s| s.restore.as_ref());
    let restore = inputs_for(spec, previous_restore, inputs.restore_backup);
    if spec.cluster.is_none() {
        report.restore = restore_status(&restore, inputs.pods);
    } else {
        match stream_restore_run::run(deps.client, spec, &restore, inputs.backups.jobs).await {
            Ok(status) => {
                // The engine is held until a pass sees the restore succeeded: release it now.
                let done = |s: Option<&RestoreStatus>| {
                    s.is_some_and(|s| s.phase == restore_phases::SUCCEEDED)
                };
                if done(status.as_ref()) && !done(previous_restore) {
                    requeue.push(RELEASE);
                }
                report.restore = status;
            }
            Err(error) => {
                tracing::warn!(object = %spec.name, namespace = %spec.namespace, %error, "restore step failed");
                requeue.push(RETRY);
            }
        }
    }
    let held = matches!(plan_restore(&restore).0, RestorePlan::Hold);
    requeue.extend(recovery(deps, &inputs, held, &mut report).await);
    report.stall = report.stall_reason();
    (report, requeue.into_iter().min())
}

/// Steps recovery (an engine `held` for a restore counts as stopped); returns when to check
/// again.
async fn recovery(
    deps: &DayTwoDeps<'_>,
    inputs: &DayTwoInputs<'_>,
    held: bool,
    report: &mut DayTwoReport,
) -> Option<Duration> {
    if !inputs.spec.recovery.enabled {
        report.recovery = None;
        report.replace_conditions(&[], &[types::RECOVERY_CIRCUIT_OPEN]);
        return None;
    }
    let recovery_deps = RecoveryDeps {
        client: deps.client,
        recorder: deps.recorder,
        metrics: deps.recovery_metrics,
        slots: deps.slots,
        memory: deps.recovery_memory,
    };
    match recover(
        &recovery_deps,
        inputs.cr,
        inputs.spec,
        inputs.pods,
        held,
        inputs.now,
    )
    .await
    {
        Ok(recovery) => {
            report.replace_conditions(&recovery.conditions, &[types::RECOVERY_CIRCUIT_OPEN]);
            report.recovery = Some(recovery.status);
            recovery.requeue
        }
        Err(error) => {
            tracing::warn!(object = %inputs.spec.name, namespace = %inputs.spec.namespace, %error, "recovery step failed");
            Some(RETRY)
        }
    }
}
