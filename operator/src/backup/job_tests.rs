//! Backup and cleanup Job builder tests.

use std::sync::LazyLock;

use super::*;
use crate::crd::SecretRef;
use k8s_openapi::api::core::v1::{
    KeyToPath, PersistentVolumeClaimVolumeSource, PodSpec, SecretVolumeSource, VolumeMount,
};

/// The engine arguments of the backup of [`volume_location`] from `vx` in `analytics`.
const ENGINE_ARGS: [&str; 7] = [
    "backup",
    "--from",
    "http://vx.analytics.svc:8080",
    "--to",
    "/backups/vx-29390520.tar.gz",
    "--summary-file",
    "/dev/termination-log",
];

fn owner() -> OwnerReference {
    OwnerReference {
        api_version: "vexfs.io/v1alpha1".to_owned(),
        kind: "VexfsBackup".to_owned(),
        name: "vx-29390520".to_owned(),
        uid: "uid-1".to_owned(),
        controller: Some(true),
        ..OwnerReference::default()
    }
}

fn s3() -> S3Target {
    S3Target {
        bucket: "bk".to_owned(),
        endpoint: Some("http://minio.storage:9000".to_owned()),
        prefix: None,
        region: Some("eu-west-1".to_owned()),
        credentials_secret_ref: SecretRef {
            name: "s3-creds".to_owned(),
        },
    }
}

fn identity() -> BackupIdentity {
    BackupIdentity::new("vx")
}

/// The archive `vx-29390520.tar.gz` on the claim `archive`.
fn volume_location() -> Location {
    Location::Volume {
        claim: "archive".to_owned(),
        file: "vx-29390520.tar.gz".to_owned(),
    }
}

/// The object `key` in the bucket `bk`.
fn s3_location(key: &str) -> Location {
    Location::S3 {
        bucket: "bk".to_owned(),
        key: key.to_owned(),
    }
}

/// Images overridden as an air-gapped installation does, so each container shows which it uses.
static IMAGES: LazyLock<Images> = LazyLock::new(|| {
    Images::new(
        "registry.local/vexfs-engine:1",
        "registry.local/aws-cli:2",
        "registry.local/busybox:3",
    )
    .expect("valid images")
});

fn ctx<'a>(location: &'a Location, s3: Option<&'a S3Target>) -> JobContext<'a> {
    JobContext {
        backup_name: "vx-29390520",
        namespace: "analytics",
        semantic: "vx",
        images: &IMAGES,
        location,
        s3,
        identity: None,
        encryption: None,
        cluster: None,
        owner: owner(),
    }
}

fn pod_spec(job: &Job) -> &PodSpec {
    job.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .expect("pod spec")
}

#[test]
fn volume_backup_runs_the_engine_against_the_service_into_the_claim() {
    let location = volume_location();
    let job = backup_job(&ctx(&location, None));
    assert_eq!(job.metadata.name.as_deref(), Some("vx-29390520"));
    assert_eq!(job.metadata.owner_references, Some(vec![owner()]));
    let labels = job.metadata.labels.as_ref().expect("labels");
    assert_eq!(labels.get(SEMANTIC_LABEL).map(String::as_str), Some("vx"));
    let pod = pod_spec(&job);
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    assert!(pod.init_containers.is_none());
    let container = &pod.containers[0];
    assert_eq!(container.name, BACKUP_CONTAINER);
    assert_eq!(
        container.args.as_deref(),
        Some(ENGINE_ARGS.map(str::to_owned).as_slice())
    );
    assert_eq!(
        container.termination_message_policy.as_deref(),
        Some("FallbackToLogsOnError")
    );
    let volume = &pod.volumes.as_ref().expect("volumes")[0];
    let claim = volume.persistent_volume_claim.as_ref().expect("claim");
    assert_eq!(
        (claim.claim_name.as_str(), claim.read_only),
        ("archive", Some(false))
    );
    assert_eq!(
        pod.security_context
            .as_ref()
            .and_then(|s| s.run_as_non_root),
        Some(true)
    );
}

#[test]
fn s3_backup_writes_to_scratch_then_uploads_with_secret_credentials() {
    let location = s3_location("vx-29390520.tar.gz");
    let target = s3();
    let job = backup_job(&ctx(&location, Some(&target)));
    let pod = pod_spec(&job);
    let init = pod.init_containers.as_ref().expect("engine runs first");
    assert_eq!(init[0].name, BACKUP_CONTAINER);
    let upload = &pod.containers[0];
    assert_eq!(upload.image.as_deref(), Some("registry.local/aws-cli:2"));
    assert_eq!(
        init[0].image.as_deref(),
        Some("registry.local/vexfs-engine:1")
    );
    assert_eq!(
        upload.args.as_deref(),
        Some(
            [
                "s3",
                "cp",
                "/backups/vx-29390520.tar.gz",
                "s3://bk/vx-29390520.tar.gz",
                "--endpoint-url",
                "http://minio.storage:9000"
            ]
            .map(str::to_owned)
            .as_slice()
        )
    );
    let env = upload.env.as_ref().expect("env");
    assert!(
        env.iter().any(|e| e.name == "AWS_SECRET_ACCESS_KEY"
            && e.value.is_none()
            && e.value_from.is_some())
    );
    assert!(
        env.iter()
            .any(|e| e.name == "AWS_DEFAULT_REGION" && e.value.as_deref() == Some("eu-west-1"))
    );
    assert!(
        pod.volumes.as_ref().expect("volumes")[0]
            .empty_dir
            .is_some()
    );
}

#[test]
fn cleanup_deletes_the_archive_where_it_lives() {
    let volume = volume_location();
    let job = cleanup_job(&ctx(&volume, None));
    assert_eq!(job.metadata.name.as_deref(), Some("vx-29390520-cleanup"));
    assert_eq!(
        pod_spec(&job).containers[0].image.as_deref(),
        Some("registry.local/busybox:3")
    );
    let command = pod_spec(&job).containers[0]
        .command
        .clone()
        .expect("command");
    assert_eq!(
        command,
        ["rm", "-f", "/backups/vx-29390520.tar.gz"]
            .map(str::to_owned)
            .to_vec()
    );
    let object = s3_location("p/vx-29390520.tar.gz");
    let target = s3();
    let job = cleanup_job(&ctx(&object, Some(&target)));
    assert_eq!(
        pod_spec(&job).containers[0].image.as_deref(),
        Some("registry.local/aws-cli:2")
    );
    let args = pod_spec(&job).containers[0].args.clone().expect("args");
    assert_eq!(
        &args[..3],
        ["s3", "rm", "s3://bk/p/vx-29390520.tar.gz"]
            .map(str::to_owned)
            .as_slice()
    );
}

#[test]
fn cleanup_job_names_stay_within_label_limits() {
    let long = "x".repeat(80);
    assert!(cleanup_job_name(&long).len() <= 63);
}

/// The backup container expected with the backup token, spelled out in full.
fn expected_authenticated_container() -> Container {
    Container {
        args: Some(
            ENGINE_ARGS
                .into_iter()
                .chain(["--token-file", "/etc/vexfs/backup/token"])
                .map(str::to_owned)
                .collect(),
        ),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "backups".to_owned(),
                mount_path: "/backups".to_owned(),
                read_only: Some(false),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "api-credentials".to_owned(),
                mount_path: "/etc/vexfs/backup".to_owned(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
        ]),
        ..hardened("backup", "registry.local/vexfs-engine:1")
    }
}

/// The pod volumes expected with the backup token: the claim and the one token key.
fn expected_authenticated_volumes() -> Vec<Volume> {
    vec![
        Volume {
            name: "backups".to_owned(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: "archive".to_owned(),
                read_only: Some(false),
            }),
            ..Volume::default()
        },
        scratch_volume(),
        Volume {
            name: "api-credentials".to_owned(),
            secret: Some(SecretVolumeSource {
                secret_name: Some("vx-backup-token".to_owned()),
                items: Some(vec![KeyToPath {
                    key: "token".to_owned(),
                    path: "token".to_owned(),
                    ..KeyToPath::default()
                }]),
                default_mode: Some(0o400),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        },
    ]
}

#[test]
fn the_backup_sends_only_its_own_token() {
    let location = volume_location();
    let identity = identity();
    let job = backup_job(&JobContext {
        identity: Some(&identity),
        ..ctx(&location, None)
    });
    let pod = pod_spec(&job);
    assert_eq!(pod.containers, vec![expected_authenticated_container()]);
    assert_eq!(pod.volumes, Some(expected_authenticated_volumes()));
}

#[test]
fn with_auth_an_s3_backup_mounts_credentials_only_where_the_engine_runs() {
    let location = s3_location("vx-29390520.tar.gz");
    let (target, spec) = (s3(), identity());
    let job = backup_job(&JobContext {
        identity: Some(&spec),
        ..ctx(&location, Some(&target))
    });
    let pod = pod_spec(&job);
    let mounts = |c: &Container| -> Vec<String> {
        let mounts = c.volume_mounts.iter().flatten();
        mounts.map(|m| m.name.clone()).collect()
    };
    let engine = &pod.init_containers.as_ref().expect("engine runs first")[0];
    assert_eq!(mounts(engine), ["backups", "api-credentials"]);
    assert_eq!(mounts(&pod.containers[0]), ["backups", "scratch"]);
    let cleanup = cleanup_job(&JobContext {
        identity: Some(&spec),
        ..ctx(&location, Some(&target))
    });
    let volumes = pod_spec(&cleanup).volumes.iter().flatten();
    let names: Vec<&str> = volumes.map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        ["backups", "scratch"],
        "cleanup never sees API credentials"
    );
}

#[test]
fn against_an_https_engine_the_backup_trusts_only_its_ca() {
    let location = volume_location();
    let identity = identity().with_tls(Some("vx-tls".to_owned()));
    let job = backup_job(&JobContext {
        identity: Some(&identity),
        ..ctx(&location, None)
    });
    let pod = pod_spec(&job);
    let args = pod.containers[0].args.clone().expect("args");
    assert_eq!(args[2], "https://vx.analytics.svc:8080");
    assert_eq!(
        args[args.len() - 2..],
        ["--ca-file", "/etc/vexfs/backup-ca/ca.crt"].map(str::to_owned)
    );
    let ca = pod
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == "api-ca")
        .and_then(|v| v.secret.clone())
        .expect("the CA volume");
    assert_eq!(ca.secret_name.as_deref(), Some("vx-tls"));
    let keys: Vec<String> = ca.items.into_iter().flatten().map(|i| i.key).collect();
    assert_eq!(keys, ["ca.crt"], "never the serving key");
    let mounts = pod.containers[0].volume_mounts.clone().unwrap_or_default();
    assert!(
        mounts
            .iter()
            .any(|m| m.name == "api-ca" && m.mount_path == "/etc/vexfs/backup-ca")
    );
}

#[test]
fn an_encrypted_backup_seals_with_the_mounted_key_and_refuses_plain_archives() {
    let location = volume_location();
    let encryption = crate::crd::BackupEncryption {
        key_secret_ref: crate::crd::SecretKeyRef {
            name: "vexfs-backup-key".to_owned(),
            key: "key".to_owned(),
        },
    };
    let job = backup_job(&JobContext {
        encryption: Some(&encryption),
        ..ctx(&location, None)
    });
    let pod = pod_spec(&job);
    let args = pod.containers[0].args.clone().unwrap_or_default();
    let tail: Vec<&str> = args
        .iter()
        .rev()
        .take(5)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "--encryption-key-file",
            "/etc/vexfs/backup-key/key",
            "--encryption-key-id",
            "vexfs-backup-key/key",
            "--require-encryption"
        ]
    );
    let mounts = pod.containers[0].volume_mounts.clone().unwrap_or_default();
    assert!(
        mounts
            .iter()
            .any(|m| m.name == "backup-key" && m.read_only == Some(true))
    );
    let volumes = pod.volumes.clone().unwrap_or_default();
    let key = volumes
        .iter()
        .find(|v| v.name == "backup-key")
        .expect("key volume");
    let secret = key.secret.as_ref().expect("a Secret volume");
    assert_eq!(secret.default_mode, Some(0o400));
}
