//! Bootstrap restore (pure): `spec.restore.backupName` becomes init containers on the engine StatefulSet
//! that run `vexfs-engine restore ARCHIVE --data-dir DIR` before the engine starts.
//!
//! While the backup is missing or unfinished the engine is held at zero replicas, so it never starts
//! empty. With persistent storage the init containers are dropped once the restore succeeded (the data
//! is on the volume); with an emptyDir every new pod restores again. In clustered mode the restore
//! is a Job of its own instead (`stream_restore.rs`), and the engine is held at zero replicas
//! until it succeeded.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Container, Pod, Volume, VolumeMount};

use super::encryption;
use super::target::{Location, archive_mount, aws_container, endpoint_args, s3_target};
use crate::crd::{
    BackupEncryption, BackupPhase, NatsSpec, RestoreSpec, RestoreStatus, S3Target, VexfsBackup,
};
use crate::spec::ValidatedSpec;
use crate::spec::container::{hardened, scratch_volume};
use crate::spec::images::Images;

/// Name of the init container running `vexfs-engine restore`.
pub const RESTORE_CONTAINER: &str = "restore";
/// Name of the init container fetching an archive from S3.
pub const DOWNLOAD_CONTAINER: &str = "restore-download";
/// Name of the engine's data volume in the StatefulSet.
const DATA_VOLUME: &str = "data";

/// Restore phases shown in `status.restore.phase`.
pub mod phases {
    /// Waiting for the backup or for an engine pod.
    pub const PENDING: &str = "Pending";
    /// The restore init container is running.
    pub const RUNNING: &str = "Running";
    /// The data was restored.
    pub const SUCCEEDED: &str = "Succeeded";
    /// The restore cannot proceed or failed.
    pub const FAILED: &str = "Failed";
}

/// What the restore needs done to the StatefulSet.
#[derive(Debug, Clone, PartialEq)]
pub enum RestorePlan {
    /// No restore wanted (or already done on persistent storage).
    None,
    /// Keep the engine at zero replicas until the backup can be restored.
    Hold,
    /// Run these init containers first, with the archive volume.
    Inject {
        /// Init containers, in order.
        init_containers: Vec<Container>,
        /// The volume holding (or receiving) the archive, then any scratch volume.
        volumes: Vec<Volume>,
    },
}

/// Inputs of the restore decision.
#[derive(Debug, Clone, Copy)]
pub struct RestoreInputs<'a> {
    /// `spec.restore`.
    pub restore: Option<&'a RestoreSpec>,
    /// The named `VexfsBackup`, if it exists.
    pub backup: Option<&'a VexfsBackup>,
    /// The current `status.restore`.
    pub previous: Option<&'a RestoreStatus>,
    /// The engine keeps its data on a persistent volume.
    pub persistent: bool,
    /// `spec.backup.target.s3`, for S3 credentials.
    pub s3: Option<&'a S3Target>,
    /// `spec.backup.encryption`, the key that opens sealed archives.
    pub encryption: Option<&'a BackupEncryption>,
    /// Images: the engine (restore container) and the `aws` CLI (S3 download).
    pub images: &'a Images,
    /// The engine's data directory.
    pub data_dir: &'a str,
    /// Clustered mode's NATS settings: the archive is republished into the stream by a Job.
    pub cluster: Option<&'a NatsSpec>,
}

/// The inputs of `spec`'s restore, given the named backup (read once by the fetch step).
pub fn inputs_for<'a>(
    spec: &'a ValidatedSpec,
    previous: Option<&'a RestoreStatus>,
    backup: Option<&'a VexfsBackup>,
) -> RestoreInputs<'a> {
    RestoreInputs {
        restore: spec.restore.as_ref(),
        backup,
        previous,
        persistent: spec.engine.storage.is_some(),
        s3: s3_target(spec),
        encryption: encryption::of(spec),
        images: &spec.images,
        data_dir: spec.data_dir,
        cluster: spec.cluster.as_ref(),
    }
}

/// `status.restore`: the plan's verdict, refined by what the engine pods' restore containers report.
pub fn restore_status(inputs: &RestoreInputs<'_>, pods: &[Pod]) -> Option<RestoreStatus> {
    inputs.restore?;
    let (plan, planned) = plan_restore(inputs);
    let observed = match plan {
        RestorePlan::Inject { .. } => observe_restore(pods),
        RestorePlan::None | RestorePlan::Hold => None,
    };
    // Once succeeded, a restore stays succeeded while the pods roll without the init containers.
    let sticky = inputs
        .previous
        .filter(|p| p.phase == phases::SUCCEEDED && observed.is_none())
        .cloned();
    sticky.or(observed).or(planned)
}

/// Decides the restore plan and the status to report until pods say more.
pub fn plan_restore(inputs: &RestoreInputs<'_>) -> (RestorePlan, Option<RestoreStatus>) {
    let Some(restore) = inputs.restore else {
        return (RestorePlan::None, None);
    };
    let name = &restore.backup_name;
    let done = inputs
        .previous
        .is_some_and(|s| s.phase == phases::SUCCEEDED);
    if done && (inputs.persistent || inputs.cluster.is_some()) {
        return (RestorePlan::None, inputs.previous.cloned());
    }
    if inputs.cluster.is_some() {
        return (RestorePlan::Hold, Some(stream_planned(inputs)));
    }
    let location = match restorable_location(name, inputs.backup) {
        Ok(location) => location,
        Err(held) => return (RestorePlan::Hold, Some(held)),
    };
    let mut init_containers = Vec::new();
    let mut volumes = vec![location.volume(true)];
    if let Location::S3 { bucket, key } = &location {
        let Some(s3) = inputs.s3 else {
            let message = "an S3 backup needs spec.backup.target.s3 for its credentials";
            return (
                RestorePlan::Hold,
                Some(status(phases::FAILED, message.to_owned())),
            );
        };
        init_containers.push(download_container(
            &inputs.images.aws_cli,
            bucket,
            key,
            &location,
            s3,
        ));
        volumes.push(scratch_volume());
    }
    volumes.extend(inputs.encryption.map(encryption::volume));
    init_containers.push(restore_container(inputs, &location));
    let previous = inputs.previous.cloned();
    let shown = previous.unwrap_or_else(|| {
        status(
            phases::PENDING,
            format!("restoring from VexfsBackup {name}"),
        )
    });
    (
        RestorePlan::Inject {
            init_containers,
            volumes,
        },
        Some(shown),
    )
}

/// Where the named backup's archive is, or the status explaining why it cannot be restored yet.
pub(super) fn restorable_location(
    name: &str,
    backup: Option<&VexfsBackup>,
) -> Result<Location, RestoreStatus> {
    let Some(backup) = backup else {
        return Err(status(
            phases::PENDING,
            format!("waiting for VexfsBackup {name} to exist"),
        ));
    };
    let backup_status = backup.status.clone().unwrap_or_default();
    match backup_status.phase {
        Some(BackupPhase::Succeeded) => {}
        Some(BackupPhase::Failed) => {
            let message = format!("VexfsBackup {name} failed; nothing to restore");
            return Err(status(phases::FAILED, message));
        }
        _ => {
            let message = format!("waiting for VexfsBackup {name} to succeed");
            return Err(status(phases::PENDING, message));
        }
    }
    match backup_status.location.as_deref().map(Location::parse) {
        Some(Ok(location)) => Ok(location),
        Some(Err(error)) => Err(status(phases::FAILED, error.to_string())),
        None => Err(status(
            phases::FAILED,
            format!("VexfsBackup {name} has no location"),
        )),
    }
}

/// Clustered mode: the status shown until the restore Job says more: why the backup cannot be restored yet, or the last
/// one reported, or that the restore is pending.
pub fn stream_planned(inputs: &RestoreInputs<'_>) -> RestoreStatus {
    match stream_archive(inputs) {
        Err(held) => held,
        Ok(_) => inputs.previous.cloned().unwrap_or_else(|| {
            let name = inputs.restore.map_or("", |r| r.backup_name.as_str());
            let stream = inputs.cluster.map_or("", |n| n.stream.as_str());
            status(
                phases::PENDING,
                format!("restoring VexfsBackup {name} into stream {stream}"),
            )
        }),
    }
}

/// Clustered mode: where the archive is, or the status saying why it cannot be restored.
pub(super) fn stream_archive(inputs: &RestoreInputs<'_>) -> Result<Location, RestoreStatus> {
    let name = inputs.restore.map_or("", |r| r.backup_name.as_str());
    let location = restorable_location(name, inputs.backup)?;
    if matches!(location, Location::S3 { .. }) && inputs.s3.is_none() {
        let message = "an S3 backup needs spec.backup.target.s3 for its credentials";
        return Err(status(phases::FAILED, message.to_owned()));
    }
    Ok(location)
}

/// Applies the plan to the engine StatefulSet built by the pipeline.
pub fn inject(statefulset: &mut StatefulSet, plan: &RestorePlan) {
    let Some(spec) = statefulset.spec.as_mut() else {
        return;
    };
    match plan {
        RestorePlan::None => {}
        RestorePlan::Hold => spec.replicas = Some(0),
        RestorePlan::Inject {
            init_containers,
            volumes,
        } => {
            let Some(pod) = spec.template.spec.as_mut() else {
                return;
            };
            let mut all = init_containers.clone();
            all.extend(pod.init_containers.take().unwrap_or_default());
            pod.init_containers = Some(all);
            pod.volumes
                .get_or_insert_with(Vec::new)
                .extend(volumes.iter().cloned());
        }
    }
}

/// Restore progress read from the engine pods' init container statuses; `None` when no pod reports one.
pub fn observe_restore(pods: &[Pod]) -> Option<RestoreStatus> {
    let states: Vec<RestoreStatus> = pods.iter().filter_map(pod_restore_state).collect();
    let by_phase = |phase: &str| states.iter().find(|s| s.phase == phase).cloned();
    by_phase(phases::FAILED)
        .or_else(|| by_phase(phases::RUNNING))
        .or_else(|| by_phase(phases::PENDING))
        .or_else(|| by_phase(phases::SUCCEEDED))
}

fn pod_restore_state(pod: &Pod) -> Option<RestoreStatus> {
    let statuses = pod.status.as_ref()?.init_container_statuses.as_ref()?;
    let restore = statuses.iter().find(|s| s.name == RESTORE_CONTAINER)?;
    let pod_name = pod.metadata.name.as_deref().unwrap_or_default();
    let state = restore.state.clone().unwrap_or_default();
    let failed_before = restore
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .filter(|t| t.exit_code != 0);
    if let Some(done) = state.terminated.as_ref() {
        if done.exit_code == 0 {
            return Some(status(
                phases::SUCCEEDED,
                format!("restored in pod {pod_name}"),
            ));
        }
        return Some(failure(pod_name, done.exit_code, done.message.as_deref()));
    }
    if let Some(earlier) = failed_before {
        return Some(failure(
            pod_name,
            earlier.exit_code,
            earlier.message.as_deref(),
        ));
    }
    let phase = if state.running.is_some() {
        phases::RUNNING
    } else {
        phases::PENDING
    };
    Some(status(
        phase,
        format!("restore in pod {pod_name} is {}", phase.to_lowercase()),
    ))
}

fn failure(pod: &str, exit_code: i32, message: Option<&str>) -> RestoreStatus {
    let detail = message
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or("no message");
    status(
        phases::FAILED,
        format!("restore in pod {pod} exited with {exit_code}: {detail}"),
    )
}

/// A `status.restore` in `phase`.
pub(super) fn status(phase: &str, message: String) -> RestoreStatus {
    RestoreStatus {
        phase: phase.to_owned(),
        message,
    }
}

fn restore_container(inputs: &RestoreInputs<'_>, location: &Location) -> Container {
    let mut args = [
        "restore",
        &location.local_path(),
        "--data-dir",
        inputs.data_dir,
    ]
    .map(str::to_owned)
    .to_vec();
    let data = VolumeMount {
        name: DATA_VOLUME.to_owned(),
        mount_path: inputs.data_dir.to_owned(),
        ..VolumeMount::default()
    };
    let mut mounts = vec![archive_mount(true), data];
    if let Some(encryption) = inputs.encryption {
        args.extend(encryption::restore_args(encryption));
        mounts.push(encryption::mount());
    }
    Container {
        args: Some(args),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        volume_mounts: Some(mounts),
        ..hardened(RESTORE_CONTAINER, &inputs.images.engine)
    }
}

/// The init container fetching the archive `s3://bucket/key` to `location`'s local path.
pub(super) fn download_container(
    image: &str,
    bucket: &str,
    key: &str,
    location: &Location,
    s3: &S3Target,
) -> Container {
    let mut args = vec![
        "s3".to_owned(),
        "cp".to_owned(),
        format!("s3://{bucket}/{key}"),
        location.local_path(),
    ];
    args.extend(endpoint_args(s3));
    aws_container(DOWNLOAD_CONTAINER, image, args, s3)
}

#[cfg(test)]
#[path = "restore_tests.rs"]
pub(super) mod tests;
