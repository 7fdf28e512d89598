//! Pure builders of backup and cleanup Jobs.
//!
//! A standalone resource's backup Job runs `vexfs-engine backup --from
//! http://NAME.NAMESPACE.svc:8080 --to /backups/FILE --summary-file /dev/termination-log`,
//! authenticated with the resource's own backup token (see [`crate::spec::identity`]), the one
//! Secret key it mounts. A clustered resource's (`spec.cluster.nats`) reads a cut of the NATS
//! stream instead, `--from <spec.cluster.nats.url> --stream STREAM`, with the NATS Secrets mounted
//! as the engine pods get them ([`crate::spec::nats_files`]) and no engine credential: one
//! replica's HTTP backup would hold only that replica's partitions.
//! Either way the engine's one-line JSON summary becomes the container's termination message
//! (and, on failure, the log tail does), and for S3 targets the engine writes to scratch space in
//! an init container and an `aws s3 cp` container uploads the archive.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{Container, PodTemplateSpec, Volume, VolumeMount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::encryption;
use super::target::{Location, archive_mount, aws_container, endpoint_args, s3_target};
use crate::crd::{BackupEncryption, NatsSpec, S3Target};
use crate::spec::ValidatedSpec;
use crate::spec::container::{PodParts, hardened, pod_spec, scratch_volume};
use crate::spec::identity::BackupIdentity;
use crate::spec::images::Images;
use crate::spec::names::{APP_NAME, MANAGED_BY_LABEL, MANAGER};
use crate::spec::nats_files;

/// Name of the container whose termination message carries the engine's JSON summary.
pub const BACKUP_CONTAINER: &str = "backup";
/// Label on every Job, VexfsBackup and pod naming the `VexfsSemantic`.
pub const SEMANTIC_LABEL: &str = "vexfs.io/semantic";
/// Label telling scheduled (`scheduled`) from on-demand (`manual`) backups.
pub const TRIGGER_LABEL: &str = "vexfs.io/trigger";
/// Label naming the `VexfsBackup` a Job belongs to.
pub const BACKUP_LABEL: &str = "vexfs.io/backup";
/// Where the engine writes its JSON summary so the kubelet reports it as the termination message.
pub const TERMINATION_LOG: &str = "/dev/termination-log";
/// Seconds a backup Job may run before it is failed.
const ACTIVE_DEADLINE_SECONDS: i64 = 3600;

/// What a Job builder needs.
#[derive(Debug, Clone, PartialEq)]
pub struct JobContext<'a> {
    /// The `VexfsBackup` name; the backup Job has the same name.
    pub backup_name: &'a str,
    /// Namespace of everything.
    pub namespace: &'a str,
    /// The `VexfsSemantic` name (and its client Service).
    pub semantic: &'a str,
    /// Images: the engine (backup container), the `aws` CLI (S3) and the shell (volume cleanup).
    pub images: &'a Images,
    /// Where the archive goes.
    pub location: &'a Location,
    /// S3 settings when the location is in S3.
    pub s3: Option<&'a S3Target>,
    /// The backup token the backup sends (`None` only in builder tests).
    pub identity: Option<&'a BackupIdentity>,
    /// The key archives are sealed with (`spec.backup.encryption`).
    pub encryption: Option<&'a BackupEncryption>,
    /// Clustered mode's NATS settings: the backup reads the stream, not the engine.
    pub cluster: Option<&'a NatsSpec>,
    /// Controller owner: the `VexfsBackup`.
    pub owner: OwnerReference,
}

impl<'a> JobContext<'a> {
    /// The Jobs of the backup `backup_name` of `spec`, its archive at `location`.
    pub fn for_spec(
        spec: &'a ValidatedSpec,
        backup_name: &'a str,
        location: &'a Location,
        owner: OwnerReference,
    ) -> Self {
        Self {
            backup_name,
            namespace: &spec.namespace,
            semantic: &spec.name,
            images: &spec.images,
            location,
            s3: s3_target(spec),
            identity: spec.backup_identity.as_ref(),
            encryption: encryption::of(spec),
            cluster: spec.cluster.as_ref(),
            owner,
        }
    }
}

/// Labels of a backup's Job and pods.
pub fn job_labels(semantic: &str, backup_name: &str, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), APP_NAME.to_owned()),
        ("app.kubernetes.io/instance".to_owned(), semantic.to_owned()),
        (
            "app.kubernetes.io/component".to_owned(),
            component.to_owned(),
        ),
        (MANAGED_BY_LABEL.to_owned(), MANAGER.to_owned()),
        (SEMANTIC_LABEL.to_owned(), semantic.to_owned()),
        (BACKUP_LABEL.to_owned(), backup_name.to_owned()),
    ])
}

/// The Job that writes one backup.
pub fn backup_job(ctx: &JobContext<'_>) -> Job {
    let local = ctx.location.local_path();
    let source = source(ctx);
    let mut args: Vec<String> = vec![
        "backup".into(),
        "--from".into(),
        source.from,
        "--to".into(),
        local.clone(),
        "--summary-file".into(),
        TERMINATION_LOG.into(),
    ];
    args.extend(source.args);
    let mut mounts = vec![archive_mount(false)];
    mounts.extend(source.mounts);
    let mut extra_volumes = source.volumes;
    if let Some(encryption) = ctx.encryption {
        args.extend(encryption::backup_args(encryption));
        mounts.push(encryption::mount());
    }
    let engine = Container {
        args: Some(args),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        volume_mounts: Some(mounts),
        ..hardened(BACKUP_CONTAINER, &ctx.images.engine)
    };
    let (init, main) = match (ctx.location, ctx.s3) {
        (Location::S3 { bucket, key }, Some(s3)) => {
            let mut args = vec![
                "s3".to_owned(),
                "cp".to_owned(),
                local,
                format!("s3://{bucket}/{key}"),
            ];
            args.extend(endpoint_args(s3));
            (
                vec![engine],
                aws_container("upload", &ctx.images.aws_cli, args, s3),
            )
        }
        _ => (Vec::new(), engine),
    };
    extra_volumes.extend(ctx.encryption.map(encryption::volume));
    let pod = JobPod {
        init,
        main,
        extra_volumes,
        read_only_archive: false,
    };
    job(ctx, ctx.backup_name.to_owned(), "backup", pod)
}

/// Where a backup reads from, and what it needs mounted to get there.
struct Source {
    from: String,
    args: Vec<String>,
    mounts: Vec<VolumeMount>,
    volumes: Vec<Volume>,
}

/// The NATS stream in clustered mode, else the engine's client Service with the backup token.
fn source(ctx: &JobContext<'_>) -> Source {
    if let Some(nats) = ctx.cluster {
        let volume = nats_files::volume(nats);
        return Source {
            from: nats.url.clone(),
            args: nats_files::engine_args(nats),
            mounts: volume.iter().map(|_| nats_files::mount()).collect(),
            volumes: volume.into_iter().collect(),
        };
    }
    let scheme = ctx.identity.map_or("http", BackupIdentity::scheme);
    Source {
        from: format!("{scheme}://{}.{}.svc:8080", ctx.semantic, ctx.namespace),
        args: ctx.identity.map(BackupIdentity::args).unwrap_or_default(),
        mounts: ctx.identity.map(BackupIdentity::mounts).unwrap_or_default(),
        volumes: ctx
            .identity
            .map(BackupIdentity::volumes)
            .unwrap_or_default(),
    }
}

/// The Job that deletes a pruned backup's archive (deletion policy `Delete`).
pub fn cleanup_job(ctx: &JobContext<'_>) -> Job {
    let container = match (ctx.location, ctx.s3) {
        (Location::S3 { bucket, key }, Some(s3)) => {
            let mut args = vec![
                "s3".to_owned(),
                "rm".to_owned(),
                format!("s3://{bucket}/{key}"),
            ];
            args.extend(endpoint_args(s3));
            aws_container("delete", &ctx.images.aws_cli, args, s3)
        }
        _ => Container {
            command: Some(vec![
                "rm".to_owned(),
                "-f".to_owned(),
                ctx.location.local_path(),
            ]),
            volume_mounts: Some(vec![archive_mount(false)]),
            ..hardened("delete", &ctx.images.shell)
        },
    };
    let pod = JobPod {
        init: Vec::new(),
        main: container,
        extra_volumes: Vec::new(),
        read_only_archive: false,
    };
    job(
        ctx,
        cleanup_job_name(ctx.backup_name),
        "backup-cleanup",
        pod,
    )
}

/// Name of the cleanup Job of a backup.
pub fn cleanup_job_name(backup_name: &str) -> String {
    let base: String = backup_name.chars().take(52).collect();
    format!("{}-cleanup", base.trim_end_matches('-'))
}

/// The containers and volumes of a Job's pod besides the archive volume.
pub(super) struct JobPod {
    /// Init containers, in order.
    pub init: Vec<Container>,
    /// The container whose end ends the Job.
    pub main: Container,
    /// Volumes besides the archive and scratch volumes.
    pub extra_volumes: Vec<Volume>,
    /// The archive's claim is only read (a restore).
    pub read_only_archive: bool,
}

/// The Job `name` of `ctx`'s backup running `pod`, labelled as `component`, with the archive
/// volume and scratch space.
pub(super) fn job(ctx: &JobContext<'_>, name: String, component: &str, pod: JobPod) -> Job {
    let JobPod {
        init,
        main,
        extra_volumes,
        read_only_archive,
    } = pod;
    let mut volumes = vec![ctx.location.volume(read_only_archive), scratch_volume()];
    volumes.extend(extra_volumes);
    let labels = job_labels(ctx.semantic, ctx.backup_name, component);
    Job {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(ctx.namespace.to_owned()),
            labels: Some(labels.clone()),
            owner_references: Some(vec![ctx.owner.clone()]),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            backoff_limit: Some(1),
            active_deadline_seconds: Some(ACTIVE_DEADLINE_SECONDS),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod_spec(PodParts {
                    init_containers: init,
                    containers: vec![main],
                    volumes,
                    restart_policy: Some("Never".to_owned()),
                    ..PodParts::default()
                })),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "job_cluster_tests.rs"]
mod cluster_tests;
