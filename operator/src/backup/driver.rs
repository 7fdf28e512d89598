//! The backup driver: evaluates the schedule, creates scheduled `VexfsBackup`s, runs every backup's Job,
//! prunes per retention (deleting archives for `deletionPolicy: Delete`), and reports `status.backup`
//! and `BackupHealthy`.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta};
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};

use super::health::{HealthInputs, backup_health};
use super::job::{JobContext, TRIGGER_LABEL, cleanup_job, job_labels};
use super::plan::{PlanInput, RunAction, RunPlan, plan};
use super::retention::{BackupRecord, Outcome, RetentionPolicy, select_prunes};
use super::runs::{BackupDeps, BackupError, api_error, is_finished, publish, sync_backups};
use super::target::Location;
use crate::crd::{
    BackupPhase, BackupSpec, BackupStatus, DeletionPolicy, VexfsBackup, VexfsBackupSpec,
    VexfsSemantic,
};
use crate::spec::kube_time::from_time;
use crate::spec::{ValidatedBackup, ValidatedSpec};

/// Annotation on scheduled backups carrying their schedule time.
pub const SCHEDULED_TIME_ANNOTATION: &str = "vexfs.io/scheduled-time";
/// How far back the first evaluation looks for a due run when no starting deadline is set.
const FIRST_LOOK_BACK: Duration = Duration::minutes(5);
/// How often unfinished backups are polled.
const ACTIVE_POLL: StdDuration = StdDuration::from_secs(10);

/// What the backup driver reports to the status step.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupReport {
    /// `status.backup`; `None` when no backup is configured and none exists.
    pub status: Option<BackupStatus>,
    /// `BackupHealthy`.
    pub conditions: Vec<Condition>,
    /// When to look again.
    pub requeue: Option<StdDuration>,
}

/// What the fetch step read about one resource's backups.
#[derive(Clone, Copy, Debug)]
pub struct BackupObservation<'a> {
    /// Every `VexfsBackup` of the resource.
    pub records: &'a [VexfsBackup],
    /// The backup and cleanup Jobs of the resource.
    pub jobs: &'a [Job],
}

/// Runs one backup pass for `cr` at `now`.
pub async fn run_backups(
    deps: &BackupDeps<'_>,
    cr: &VexfsSemantic,
    spec: &ValidatedSpec,
    observed: BackupObservation<'_>,
    now: DateTime<Utc>,
) -> Result<BackupReport, BackupError> {
    // Backups (scheduled or on demand) need spec.backup.target; without it there is nothing to do.
    let Some(ValidatedBackup {
        spec: backup,
        schedule,
    }) = spec.backup.as_ref()
    else {
        return Ok(BackupReport {
            status: None,
            conditions: Vec::new(),
            requeue: None,
        });
    };
    let mut records = observed.records.to_vec();
    let previous = cr.status.as_ref().and_then(|s| s.backup.as_ref());
    let run_plan = plan(schedule, &plan_input(cr, backup, previous, &records, now));
    start_scheduled(deps, cr, spec, backup, &run_plan, &mut records).await?;
    sync_backups(deps, cr, spec, &mut records, observed.jobs, now).await?;
    prune(deps, cr, spec, backup, &mut records, now).await?;
    Ok(report(cr, &run_plan, &records, backup.suspend, now))
}

fn plan_input(
    cr: &VexfsSemantic,
    backup: &BackupSpec,
    previous: Option<&BackupStatus>,
    records: &[VexfsBackup],
    now: DateTime<Utc>,
) -> PlanInput {
    let starting_deadline = backup.starting_deadline_seconds.map(Duration::seconds);
    let created = cr.meta().creation_timestamp.as_ref().map_or(now, from_time);
    // Before the first run, only a run due within the look-back counts: backups enabled on an old
    // resource do not report every earlier schedule time as missed.
    let first_look_back = now - starting_deadline.unwrap_or(FIRST_LOOK_BACK);
    let cursor = previous
        .and_then(|s| s.last_schedule_time.as_ref())
        .map_or(created.max(first_look_back), from_time);
    PlanInput {
        cursor,
        now,
        suspended: backup.suspend,
        active: records.iter().any(|r| is_scheduled(r) && !is_finished(r)),
        starting_deadline,
    }
}

fn is_scheduled(record: &VexfsBackup) -> bool {
    record.labels().get(TRIGGER_LABEL).map(String::as_str) == Some("scheduled")
}

async fn start_scheduled(
    deps: &BackupDeps<'_>,
    cr: &VexfsSemantic,
    spec: &ValidatedSpec,
    backup: &BackupSpec,
    run_plan: &RunPlan,
    records: &mut Vec<VexfsBackup>,
) -> Result<(), BackupError> {
    report_missed(deps, cr, spec, &run_plan.missed).await;
    let RunAction::Start(at) = run_plan.action else {
        return Ok(());
    };
    let record = scheduled_backup(spec, backup, at);
    let api: Api<VexfsBackup> = Api::namespaced(deps.client.clone(), &spec.namespace);
    let created = match api.create(&PostParams::default(), &record).await {
        Ok(created) => created,
        Err(kube::Error::Api(status)) if status.code == 409 => api
            .get(&record.name_any())
            .await
            .map_err(api_error("reading VexfsBackup"))?,
        Err(source) => {
            return Err(BackupError::Api {
                what: "creating VexfsBackup",
                source,
            });
        }
    };
    tracing::info!(object = %spec.name, backup = %created.name_any(), scheduled = %at, "scheduled backup started");
    publish(
        deps.recorder,
        cr,
        EventType::Normal,
        "BackupStarted",
        format!("backup {} started", created.name_any()),
    )
    .await;
    if !records.iter().any(|r| r.name_any() == created.name_any()) {
        records.push(created);
    }
    Ok(())
}

/// Counts and announces runs that could not start (never silently dropped).
async fn report_missed(
    deps: &BackupDeps<'_>,
    cr: &VexfsSemantic,
    spec: &ValidatedSpec,
    missed: &[DateTime<Utc>],
) {
    let Some(last) = missed.last() else { return };
    deps.metrics.missed_runs.inc_by(missed.len() as u64);
    tracing::warn!(object = %spec.name, missed = missed.len(), last = %last, "missed backup runs");
    let note = format!(
        "{} scheduled runs missed (most recent {})",
        missed.len(),
        last.to_rfc3339()
    );
    publish(
        deps.recorder,
        cr,
        EventType::Warning,
        "MissedSchedule",
        note,
    )
    .await;
}

/// The `VexfsBackup` of the run scheduled at `at`; its name is derived from the time, so a retried
/// creation finds the same object.
pub fn scheduled_backup(
    spec: &ValidatedSpec,
    backup: &BackupSpec,
    at: DateTime<Utc>,
) -> VexfsBackup {
    let base: String = spec.name.chars().take(40).collect();
    let name = format!("{}-{}", base.trim_end_matches('-'), at.timestamp() / 60);
    let mut labels = job_labels(&spec.name, &name, "backup");
    labels.insert(TRIGGER_LABEL.to_owned(), "scheduled".to_owned());
    VexfsBackup {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(spec.namespace.clone()),
            labels: Some(labels),
            annotations: Some(BTreeMap::from([(
                SCHEDULED_TIME_ANNOTATION.to_owned(),
                at.to_rfc3339(),
            )])),
            owner_references: Some(vec![spec.owner.clone()]),
            ..ObjectMeta::default()
        },
        spec: VexfsBackupSpec {
            semantic_ref: spec.name.clone(),
            deletion_policy: backup.deletion_policy,
        },
        status: None,
    }
}

async fn prune(
    deps: &BackupDeps<'_>,
    cr: &VexfsSemantic,
    spec: &ValidatedSpec,
    backup: &BackupSpec,
    records: &mut Vec<VexfsBackup>,
    now: DateTime<Utc>,
) -> Result<(), BackupError> {
    let scheduled: Vec<BackupRecord> = records
        .iter()
        .filter(|r| is_scheduled(r))
        .map(retention_record)
        .collect();
    let policy = RetentionPolicy {
        keep_last: usize::try_from(backup.retention.keep_last.max(1)).unwrap_or(1),
        max_age: Duration::days(i64::from(backup.retention.max_age_days.max(1))),
    };
    let api: Api<VexfsBackup> = Api::namespaced(deps.client.clone(), &spec.namespace);
    for prune in select_prunes(&scheduled, policy, now) {
        let Some(record) = records.iter().find(|r| r.name_any() == prune.name) else {
            continue;
        };
        if record.spec.deletion_policy == DeletionPolicy::Delete {
            delete_archive(deps, spec, record).await?;
        }
        match api.delete(&prune.name, &DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(source) => {
                return Err(BackupError::Api {
                    what: "deleting VexfsBackup",
                    source,
                });
            }
        }
        deps.metrics.pruned.inc();
        let note = format!(
            "pruned backup {} ({:?}, deletionPolicy {:?})",
            prune.name, prune.reason, record.spec.deletion_policy
        );
        tracing::info!(object = %spec.name, backup = %prune.name, reason = ?prune.reason, "backup pruned");
        publish(deps.recorder, cr, EventType::Normal, "BackupPruned", note).await;
        records.retain(|r| r.name_any() != prune.name);
    }
    Ok(())
}

fn retention_record(record: &VexfsBackup) -> BackupRecord {
    let status = record.status.clone().unwrap_or_default();
    let outcome = match status.phase {
        Some(BackupPhase::Succeeded) => Outcome::Succeeded,
        Some(BackupPhase::Failed) => Outcome::Failed,
        _ => Outcome::InProgress,
    };
    let created = record
        .meta()
        .creation_timestamp
        .as_ref()
        .map(from_time)
        .unwrap_or_default();
    let time = status.completion_time.as_ref().map_or(created, from_time);
    BackupRecord {
        name: record.name_any(),
        outcome,
        time,
    }
}

/// Starts the cleanup Job deleting a pruned backup's archive; it is owned by the `VexfsSemantic`
/// because the record it cleans up is deleted right after.
async fn delete_archive(
    deps: &BackupDeps<'_>,
    spec: &ValidatedSpec,
    record: &VexfsBackup,
) -> Result<(), BackupError> {
    let Some(location) = record
        .status
        .as_ref()
        .and_then(|s| s.location.as_deref())
        .and_then(|l| Location::parse(l).ok())
    else {
        return Ok(());
    };
    let name = record.name_any();
    let ctx = JobContext::for_spec(spec, &name, &location, spec.owner.clone());
    let api: Api<Job> = Api::namespaced(deps.client.clone(), &spec.namespace);
    match api.create(&PostParams::default(), &cleanup_job(&ctx)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(source) => Err(BackupError::Api {
            what: "creating cleanup Job",
            source,
        }),
    }
}

fn report(
    cr: &VexfsSemantic,
    run_plan: &RunPlan,
    records: &[VexfsBackup],
    suspended: bool,
    now: DateTime<Utc>,
) -> BackupReport {
    let inputs = HealthInputs {
        previous: cr.status.as_ref().and_then(|s| s.backup.as_ref()),
        plan: Some(run_plan),
        records,
        suspended,
        generation: cr.metadata.generation,
        now,
    };
    let (status, condition) = backup_health(&inputs);
    let until_next = run_plan
        .next_run
        .and_then(|next| (next - now).to_std().ok());
    let active = records
        .iter()
        .any(|r| !is_finished(r))
        .then_some(ACTIVE_POLL);
    let requeue = [until_next.map(|d| d.max(StdDuration::from_secs(1))), active]
        .into_iter()
        .flatten()
        .min();
    BackupReport {
        status: Some(status),
        conditions: vec![condition],
        requeue,
    }
}
