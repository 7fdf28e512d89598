//! Reading a backup Job's outcome: Job state, the engine's JSON summary, and the resulting
//! `VexfsBackup` status (pure).

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use serde::Deserialize;
use thiserror::Error;

use crate::crd::{BackupPhase, VexfsBackupStatus};

/// A summary line that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SummaryError {
    /// No line of the message is the engine's JSON summary.
    #[error("no backup summary in the Job's termination message or logs")]
    Missing,
    /// The summary's checksum is not 64 hex digits.
    #[error("backup summary has an invalid sha256 {0:?}")]
    Checksum(String),
}

/// The engine's one-line JSON summary of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupSummary {
    /// Where the engine wrote the archive (its local path).
    pub location: String,
    /// Archive size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the archive, hex encoded.
    pub sha256: String,
    /// Events in the archive.
    pub event_count: i64,
}

/// Parses the last line of `text` that is a summary (log fallbacks may carry other lines first).
pub fn parse_summary(text: &str) -> Result<BackupSummary, SummaryError> {
    let summary = text
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str::<BackupSummary>(line.trim()).ok())
        .ok_or(SummaryError::Missing)?;
    let valid = summary.sha256.len() == 64 && summary.sha256.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Err(SummaryError::Checksum(summary.sha256));
    }
    Ok(summary)
}

/// State of a backup Job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Created, no pod running yet.
    Pending,
    /// A pod is running.
    Running,
    /// Completed successfully.
    Succeeded,
    /// Failed; the reason and message of the Job's `Failed` condition.
    Failed {
        /// CamelCase reason, for example `BackoffLimitExceeded` or `DeadlineExceeded`.
        reason: String,
        /// Human-readable detail.
        message: String,
    },
}

/// Reads a Job's state from its status.
pub fn job_state(job: &Job) -> JobState {
    let Some(status) = &job.status else {
        return JobState::Pending;
    };
    let conditions = status.conditions.as_deref().unwrap_or_default();
    let is_true = |type_: &str| {
        conditions
            .iter()
            .find(|c| c.type_ == type_ && c.status == "True")
    };
    if let Some(failed) = is_true("Failed") {
        return JobState::Failed {
            reason: failed
                .reason
                .clone()
                .unwrap_or_else(|| "JobFailed".to_owned()),
            message: failed.message.clone().unwrap_or_default(),
        };
    }
    if is_true("Complete").is_some()
        || status.succeeded.unwrap_or(0) > 0 && status.active.unwrap_or(0) == 0
    {
        return JobState::Succeeded;
    }
    if status.active.unwrap_or(0) > 0 || status.start_time.is_some() {
        return JobState::Running;
    }
    JobState::Pending
}

/// The termination message of `container` (regular or init container) in `pod`.
pub fn termination_message(pod: &Pod, container: &str) -> Option<String> {
    let status = pod.status.as_ref()?;
    status
        .container_statuses
        .iter()
        .chain(status.init_container_statuses.iter())
        .flatten()
        .filter(|s| s.name == container)
        .find_map(|s| s.state.as_ref()?.terminated.as_ref()?.message.clone())
        .filter(|message| !message.trim().is_empty())
}

/// The `VexfsBackup` status for a Job, given the summary read from the Job's pod.
///
/// `location` is the operator's own location string (`pvc://…`, `s3://…`), which a restore can use
/// from any pod, unlike the engine's local path.
pub fn backup_status(
    previous: &VexfsBackupStatus,
    job: &Job,
    summary: Option<Result<BackupSummary, SummaryError>>,
    location: &str,
) -> VexfsBackupStatus {
    let mut status = previous.clone();
    let job_status = job.status.clone().unwrap_or_default();
    status.start_time = job_status.start_time.clone().or(status.start_time);
    let state = job_state(job);
    match (&state, summary) {
        (JobState::Pending, _) => status.phase = Some(BackupPhase::Pending),
        (JobState::Running, _) => status.phase = Some(BackupPhase::Running),
        (JobState::Succeeded, Some(Ok(summary))) => {
            status.phase = Some(BackupPhase::Succeeded);
            status.location = Some(location.to_owned());
            status.size_bytes = Some(summary.size_bytes);
            status.sha256 = Some(summary.sha256);
            status.event_count = Some(summary.event_count);
            status.message = Some(format!(
                "{} events, {} bytes",
                summary.event_count, summary.size_bytes
            ));
        }
        (JobState::Succeeded, result) => {
            status.phase = Some(BackupPhase::Failed);
            let error = result
                .and_then(Result::err)
                .unwrap_or(SummaryError::Missing);
            status.message = Some(format!("SummaryUnreadable: {error}"));
        }
        (JobState::Failed { reason, message }, _) => {
            status.phase = Some(BackupPhase::Failed);
            status.message = Some(format!("{reason}: {message}"));
        }
    }
    if matches!(state, JobState::Succeeded | JobState::Failed { .. }) {
        let failed_at = job_status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "Failed" && c.status == "True")
            .and_then(|c| c.last_transition_time.clone());
        status.completion_time = job_status
            .completion_time
            .or(failed_at)
            .or(status.completion_time);
    }
    status
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
