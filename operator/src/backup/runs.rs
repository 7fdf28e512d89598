//! Running backups: one Job per `VexfsBackup` (scheduled or on demand), and the Job's outcome written
//! back into the `VexfsBackup` status. Cluster I/O of single backups lives here.

use chrono::{DateTime, Utc};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType, Recorder};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;
use thiserror::Error;

use super::conditions::with_conditions;
use super::job::{BACKUP_CONTAINER, JobContext, backup_job};
use super::metrics::{BackupMetrics, FAILED, SUCCEEDED};
use super::outcome::{JobState, backup_status, job_state, parse_summary, termination_message};
use super::target::Location;
use crate::crd::{BackupPhase, VexfsBackup, VexfsBackupStatus, VexfsSemantic};
use crate::spec::ValidatedSpec;
use crate::spec::names::MANAGER;

/// A backup step failed to talk to the cluster.
#[derive(Debug, Error)]
pub enum BackupError {
    /// An API call failed.
    #[error("{what}: {source}")]
    Api {
        /// What was being done.
        what: &'static str,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// An object read from the API lacks metadata the API server always sets.
    #[error("{0} has no uid")]
    NoUid(String),
}

/// Wraps a kube error with what was being done.
pub fn api_error(what: &'static str) -> impl FnOnce(kube::Error) -> BackupError {
    move |source| BackupError::Api { what, source }
}

/// Everything backup steps need besides the resource.
pub struct BackupDeps<'a> {
    /// API client.
    pub client: &'a Client,
    /// Event publisher.
    pub recorder: &'a Recorder,
    /// Backup metrics.
    pub metrics: &'a BackupMetrics,
}

/// Whether a backup has finished (either way).
pub fn is_finished(backup: &VexfsBackup) -> bool {
    matches!(
        backup.status.as_ref().and_then(|s| s.phase),
        Some(BackupPhase::Succeeded | BackupPhase::Failed)
    )
}

/// Brings every unfinished backup one step forward (creates missing Jobs, reads finished ones) and
/// keeps every backup's conditions current for its generation at `now`. `jobs` are the
/// resource's Jobs as last observed.
pub async fn sync_backups(
    deps: &BackupDeps<'_>,
    cr: &VexfsSemantic,
    spec: &ValidatedSpec,
    records: &mut [VexfsBackup],
    jobs: &[Job],
    now: DateTime<Utc>,
) -> Result<(), BackupError> {
    for record in records.iter_mut() {
        let name = record.name_any();
        let previous = record.status.clone().unwrap_or_default();
        if is_finished(record) {
            // Only the conditions can change (a record from an older operator, a new generation).
            write_status(deps, cr, record, previous, now).await?;
            continue;
        }
        let Some(location) = location_of(record, spec) else {
            let failed = VexfsBackupStatus {
                phase: Some(BackupPhase::Failed),
                message: Some(
                    "NoBackupTarget: spec.backup.target of the VexfsSemantic is not set".to_owned(),
                ),
                ..previous
            };
            write_status(deps, cr, record, failed, now).await?;
            continue;
        };
        let job = match jobs
            .iter()
            .find(|job| job.metadata.name.as_ref() == Some(&name))
        {
            Some(job) => job.clone(),
            None => create_job(deps.client, spec, record, &location).await?,
        };
        let summary = match job_state(&job) {
            JobState::Succeeded => Some(read_summary(deps.client, &spec.namespace, &name).await),
            _ => None,
        };
        let status = backup_status(&previous, &job, summary, &location.render());
        write_status(
            deps,
            cr,
            record,
            VexfsBackupStatus {
                location: Some(location.render()),
                ..status
            },
            now,
        )
        .await?;
    }
    Ok(())
}

fn location_of(record: &VexfsBackup, spec: &ValidatedSpec) -> Option<Location> {
    let stored = record
        .status
        .as_ref()
        .and_then(|s| s.location.as_deref())
        .and_then(|l| Location::parse(l).ok());
    stored.or_else(|| Location::for_backup(&spec.backup.as_ref()?.spec.target, &record.name_any()))
}

async fn create_job(
    client: &Client,
    spec: &ValidatedSpec,
    record: &VexfsBackup,
    location: &Location,
) -> Result<Job, BackupError> {
    let name = record.name_any();
    let owner = record
        .controller_owner_ref(&())
        .ok_or_else(|| BackupError::NoUid(name.clone()))?;
    let ctx = JobContext::for_spec(spec, &name, location, owner);
    let api: Api<Job> = Api::namespaced(client.clone(), &spec.namespace);
    tracing::info!(backup = %name, namespace = %spec.namespace, location = %location.render(), "creating backup Job");
    match api.create(&PostParams::default(), &backup_job(&ctx)).await {
        Ok(job) => Ok(job),
        Err(kube::Error::Api(status)) if status.code == 409 => api
            .get(&name)
            .await
            .map_err(api_error("reading backup Job")),
        Err(source) => Err(BackupError::Api {
            what: "creating backup Job",
            source,
        }),
    }
}

/// The engine's summary from the Job pod's termination message, or else its last log lines.
async fn read_summary(
    client: &Client,
    namespace: &str,
    job_name: &str,
) -> Result<super::outcome::BackupSummary, super::outcome::SummaryError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let selector = format!("batch.kubernetes.io/job-name={job_name}");
    let listed = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    for pod in &listed {
        if let Some(message) = termination_message(pod, BACKUP_CONTAINER) {
            return parse_summary(&message);
        }
    }
    for pod in &listed {
        let params = LogParams {
            container: Some(BACKUP_CONTAINER.to_owned()),
            tail_lines: Some(5),
            ..LogParams::default()
        };
        if let Ok(logs) = pods.logs(&pod.name_any(), &params).await
            && let Ok(summary) = parse_summary(&logs)
        {
            return Ok(summary);
        }
    }
    Err(super::outcome::SummaryError::Missing)
}

/// Writes `status` with its conditions recomputed at `now`, unless nothing changed.
async fn write_status(
    deps: &BackupDeps<'_>,
    cr: &VexfsSemantic,
    record: &mut VexfsBackup,
    status: VexfsBackupStatus,
    now: DateTime<Utc>,
) -> Result<(), BackupError> {
    let name = record.name_any();
    let status = with_conditions(status, &name, record.metadata.generation, now);
    if record.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let namespace = record.namespace().unwrap_or_default();
    let api: Api<VexfsBackup> = Api::namespaced(deps.client.clone(), &namespace);
    let patch = json!({
        "apiVersion": "vexfs.io/v1alpha1",
        "kind": "VexfsBackup",
        "metadata": {"name": name},
        "status": status,
    });
    api.patch_status(
        &name,
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(api_error("patching VexfsBackup status"))?;
    let finished_now = !is_finished(record)
        && matches!(
            status.phase,
            Some(BackupPhase::Succeeded | BackupPhase::Failed)
        );
    record.status = Some(status.clone());
    if finished_now {
        announce_finish(deps, cr, &name, &status).await;
    }
    Ok(())
}

async fn announce_finish(
    deps: &BackupDeps<'_>,
    cr: &VexfsSemantic,
    name: &str,
    status: &VexfsBackupStatus,
) {
    let succeeded = status.phase == Some(BackupPhase::Succeeded);
    let (type_, reason, phase) = if succeeded {
        (EventType::Normal, "BackupSucceeded", SUCCEEDED)
    } else {
        (EventType::Warning, "BackupFailed", FAILED)
    };
    deps.metrics.backups.with_label_values(&[phase]).inc();
    tracing::info!(backup = %name, phase, message = ?status.message, "backup finished");
    let note = format!(
        "backup {name}: {}",
        status.message.clone().unwrap_or_default()
    );
    publish(deps.recorder, cr, type_, reason, note).await;
}

/// Publishes an Event about `cr`; failures are logged only.
pub async fn publish(
    recorder: &Recorder,
    cr: &VexfsSemantic,
    type_: EventType,
    reason: &str,
    note: String,
) {
    let event = Event {
        type_,
        reason: reason.to_owned(),
        note: Some(note),
        action: "Backup".to_owned(),
        secondary: None,
    };
    if let Err(error) = recorder.publish(&event, &cr.object_ref(&())).await {
        tracing::warn!(%error, reason, "publishing backup event failed");
    }
}
