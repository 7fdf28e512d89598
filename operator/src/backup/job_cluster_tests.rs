//! Backup Job builder tests in clustered mode: the Job reads the NATS stream, never the engine.

use super::*;
use crate::crd::{NatsTlsSpec, SecretKeyRef};
use crate::spec::cluster::{NATS_CA_FILE, NATS_DIR};
use crate::spec::nats_files::NATS_VOLUME;

fn owner() -> OwnerReference {
    OwnerReference {
        name: "vx-29390520".to_owned(),
        uid: "uid-1".to_owned(),
        controller: Some(true),
        ..OwnerReference::default()
    }
}

fn location() -> Location {
    Location::Volume {
        claim: "archive".to_owned(),
        file: "vx-29390520.tar.gz".to_owned(),
    }
}

/// A clustered backup's context: the backup identity is there, as it always is in the
/// operator, and must go unused.
fn ctx<'a>(
    location: &'a Location,
    nats: &'a NatsSpec,
    identity: &'a BackupIdentity,
    images: &'a Images,
) -> JobContext<'a> {
    JobContext {
        backup_name: "vx-29390520",
        namespace: "analytics",
        semantic: "vx",
        images,
        location,
        s3: None,
        identity: Some(identity),
        encryption: None,
        cluster: Some(nats),
        owner: owner(),
    }
}

fn pod(job: Job) -> k8s_openapi::api::core::v1::PodSpec {
    job.spec.and_then(|s| s.template.spec).expect("pod spec")
}

#[test]
fn without_nats_secrets_the_backup_mounts_only_its_archive_volume() {
    let (location, identity, images) = (location(), BackupIdentity::new("vx"), Images::default());
    let nats = NatsSpec {
        stream: "EVENTS_2".to_owned(),
        ..NatsSpec::new("nats://nats-0.nats:4222,nats://nats-1.nats:4222")
    };
    let pod = pod(backup_job(&ctx(&location, &nats, &identity, &images)));
    let container = &pod.containers[0];
    assert_eq!(
        container.args.as_deref().unwrap_or_default(),
        [
            "backup",
            "--from",
            "nats://nats-0.nats:4222,nats://nats-1.nats:4222",
            "--to",
            "/backups/vx-29390520.tar.gz",
            "--summary-file",
            "/dev/termination-log",
            "--stream",
            "EVENTS_2"
        ]
    );
    let mounts: Vec<&str> = container
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(mounts, ["backups"]);
    let volumes: Vec<&str> = pod
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(
        volumes,
        ["backups", "scratch"],
        "no backup token, no NATS volume"
    );
}

#[test]
fn with_tls_the_backup_mounts_the_nats_files_read_only_and_no_engine_credential() {
    let (location, identity, images) = (location(), BackupIdentity::new("vx"), Images::default());
    let nats = NatsSpec {
        tls: Some(NatsTlsSpec {
            ca_secret_ref: SecretKeyRef {
                name: "nats-ca".to_owned(),
                key: "ca.crt".to_owned(),
            },
            client_secret_ref: None,
        }),
        ..NatsSpec::new("tls://nats.nats:4222")
    };
    let pod = pod(backup_job(&ctx(&location, &nats, &identity, &images)));
    let container = &pod.containers[0];
    let args = container.args.clone().unwrap_or_default();
    assert_eq!(
        args[7..],
        ["--stream", "VEXFS_EVENTS", "--nats-ca-file", NATS_CA_FILE]
    );
    assert!(!args.iter().any(|a| a == "--token-file" || a == "--ca-file"));
    let mount = container
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.name == NATS_VOLUME)
        .expect("the NATS volume is mounted");
    assert_eq!(
        (mount.mount_path.as_str(), mount.read_only),
        (NATS_DIR, Some(true))
    );
    let volume = pod
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == NATS_VOLUME)
        .expect("NATS volume");
    let sources = volume.projected.as_ref().and_then(|p| p.sources.clone());
    let secret = sources
        .into_iter()
        .flatten()
        .find_map(|s| s.secret)
        .expect("secret");
    let item = &secret.items.expect("items")[0];
    assert_eq!(
        (
            secret.name.as_str(),
            item.key.as_str(),
            item.path.as_str(),
            item.mode
        ),
        ("nats-ca", "ca.crt", "ca/ca.pem", Some(0o400))
    );
    assert!(
        pod.volumes.iter().flatten().all(|v| v.secret.is_none()),
        "the backup token's Secret volume is not there"
    );
}
