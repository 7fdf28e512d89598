//! Clustered bootstrap restore (pure). With `spec.cluster.nats`, `spec.restore.backupName`
//! becomes one Job running `vexfs-engine restore ARCHIVE --to <url> --stream <stream>
//! --subject-prefix <prefix> --stream-replicas <n>` with the NATS files, while the engine
//! StatefulSet is held at zero replicas ([`super::restore::plan_restore`]).
//!
//! A standalone restore fills each pod's own data directory, so it runs inside the engine pod.
//! A clustered archive is republished into the one stream every replica reads: once, and before
//! any replica starts (a replica would create the stream empty and start analysing it). The
//! replicas then start with empty data directories and each analyses its partitions of the
//! restored stream. The engine's restore refuses a stream holding other messages, so a stream in
//! use is never added to. The Job is created once: after it succeeded, `status.restore` stays
//! `Succeeded` and no Job is made again; a failed one is reported and kept until deleted, which
//! makes the operator try again.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Container;
use kube::ResourceExt;

use super::encryption;
use super::job::{BACKUP_LABEL, JobContext, JobPod, job};
use super::outcome::{JobState, job_state};
use super::restore::{
    RESTORE_CONTAINER, RestoreInputs, download_container, phases, status, stream_archive,
    stream_planned,
};
use super::target::{Location, archive_mount};
use crate::crd::{NatsSpec, RestoreStatus};
use crate::spec::ValidatedSpec;
use crate::spec::container::hardened;
use crate::spec::nats_files;

/// `app.kubernetes.io/component` of the clustered restore Job and its pod.
pub const RESTORE_COMPONENT: &str = "restore";

/// Name of the clustered restore Job of the `VexfsSemantic` named `semantic`.
pub fn restore_job_name(semantic: &str) -> String {
    let base: String = semantic.chars().take(52).collect();
    format!("{}-restore", base.trim_end_matches('-'))
}

/// What the clustered restore does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step<'a> {
    /// Nothing to do: no restore, or it succeeded; the status to keep.
    Keep(Option<RestoreStatus>),
    /// The backup cannot be restored (yet): the status saying why.
    Wait(RestoreStatus),
    /// No Job yet: create this one.
    Create(Box<Job>),
    /// The restore Job exists: report its state.
    Observe(&'a Job),
}

/// The next step of `spec`'s clustered restore, given the resource's Jobs.
pub fn step<'a>(spec: &ValidatedSpec, inputs: &RestoreInputs<'_>, jobs: &'a [Job]) -> Step<'a> {
    let (Some(restore), Some(nats)) = (inputs.restore, inputs.cluster) else {
        return Step::Keep(None);
    };
    if inputs
        .previous
        .is_some_and(|p| p.phase == phases::SUCCEEDED)
    {
        return Step::Keep(inputs.previous.cloned());
    }
    let location = match stream_archive(inputs) {
        Ok(location) => location,
        Err(held) => return Step::Wait(held),
    };
    let name = restore_job_name(&spec.name);
    let wanted = restore.backup_name.as_str();
    let Some(job) = jobs.iter().find(|j| j.name_any() == name) else {
        if spec.suspend {
            // A frozen resource gets no new objects; the restore starts when it is resumed.
            return Step::Wait(stream_planned(inputs));
        }
        let ctx = JobContext::for_spec(spec, wanted, &location, spec.owner.clone());
        return Step::Create(Box::new(restore_job(&ctx, nats)));
    };
    match job.labels().get(BACKUP_LABEL).map(String::as_str) {
        Some(backup) if backup == wanted => Step::Observe(job),
        other => Step::Wait(status(
            phases::FAILED,
            format!(
                "the restore Job {name} restores VexfsBackup {}; delete it to restore {wanted}",
                other.unwrap_or("(unknown)")
            ),
        )),
    }
}

/// The Job republishing the archive of `ctx` into the stream of `nats`: from the claim read-only,
/// or downloaded from S3 to scratch space first; owned by the `VexfsSemantic` (`ctx.owner`).
pub fn restore_job(ctx: &JobContext<'_>, nats: &NatsSpec) -> Job {
    let mut args = vec![
        "restore".to_owned(),
        ctx.location.local_path(),
        "--to".to_owned(),
        nats.url.clone(),
        "--subject-prefix".to_owned(),
        nats.subject_prefix.clone(),
        "--stream-replicas".to_owned(),
        nats.stream_replicas.to_string(),
    ];
    args.extend(nats_files::engine_args(nats));
    let nats_volume = nats_files::volume(nats);
    let mut mounts = vec![archive_mount(true)];
    mounts.extend(nats_volume.iter().map(|_| nats_files::mount()));
    let mut extra_volumes: Vec<_> = nats_volume.into_iter().collect();
    if let Some(key) = ctx.encryption {
        args.extend(encryption::restore_args(key));
        mounts.push(encryption::mount());
        extra_volumes.push(encryption::volume(key));
    }
    let main = Container {
        args: Some(args),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        volume_mounts: Some(mounts),
        ..hardened(RESTORE_CONTAINER, &ctx.images.engine)
    };
    let init = match (ctx.location, ctx.s3) {
        (Location::S3 { bucket, key }, Some(s3)) => vec![download_container(
            &ctx.images.aws_cli,
            bucket,
            key,
            ctx.location,
            s3,
        )],
        _ => Vec::new(),
    };
    let pod = JobPod {
        init,
        main,
        extra_volumes,
        read_only_archive: true,
    };
    job(ctx, restore_job_name(ctx.semantic), RESTORE_COMPONENT, pod)
}

/// `status.restore` from the restore Job's state; `detail` is the restore container's
/// termination message (the engine's error) when the Job failed.
pub fn observed(job: &Job, detail: Option<&str>) -> RestoreStatus {
    let name = job.name_any();
    match job_state(job) {
        JobState::Pending => status(phases::PENDING, format!("restore Job {name} is pending")),
        JobState::Running => status(
            phases::RUNNING,
            format!("restore Job {name} is republishing the archive into the stream"),
        ),
        JobState::Succeeded => status(
            phases::SUCCEEDED,
            format!("restored into the stream by Job {name}"),
        ),
        JobState::Failed { reason, message } => {
            let detail = detail
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .unwrap_or(&message);
            status(
                phases::FAILED,
                format!(
                    "restore Job {name} failed ({reason}): {detail}; delete the Job to try again"
                ),
            )
        }
    }
}

#[cfg(test)]
#[path = "stream_restore_tests.rs"]
mod tests;
