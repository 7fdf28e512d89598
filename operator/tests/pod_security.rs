//! Every pod template the operator can produce meets the Pod Security `restricted` profile, and the
//! operator's own hardening on top of it (read-only root file system, no service-account token,
//! Secret files readable by their owner only).
//!
//! The walk covers the engine StatefulSet of every valid sample (plain, and with a bootstrap restore
//! from a volume and from S3) and the backup and cleanup Jobs for volume and S3 targets, with and
//! without API authentication.

mod support;

use k8s_openapi::api::core::v1::{Container, KeyToPath, PodSpec, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde_json::json;
use vexfs_operator::backup::job::{JobContext, backup_job, cleanup_job};
use vexfs_operator::backup::stream_restore::restore_job;
use vexfs_operator::backup::target::Location;
use vexfs_operator::controller::build::{ClusterFacts, build_all};
use vexfs_operator::crd::{NatsSpec, RestoreSpec, S3Target, SecretRef, VexfsBackup};
use vexfs_operator::spec::identity::BackupIdentity;
use vexfs_operator::spec::images::Images;
use vexfs_operator::spec::{ValidatedSpec, validate};

/// Volume types `restricted` allows.
const ALLOWED_VOLUMES: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Every way `pod` breaks `restricted` or the operator's hardening, as readable lines.
fn violations(pod: &PodSpec) -> Vec<String> {
    let mut found = Vec::new();
    let pod_ctx = pod.security_context.clone().unwrap_or_default();
    if pod.host_network == Some(true) || pod.host_pid == Some(true) || pod.host_ipc == Some(true) {
        found.push("host namespaces are shared".to_owned());
    }
    if pod.automount_service_account_token != Some(false) {
        found.push("the service-account token is mounted".to_owned());
    }
    if pod_ctx.run_as_user == Some(0) {
        found.push("the pod runs as uid 0".to_owned());
    }
    for volume in pod.volumes.iter().flatten() {
        let value = serde_json::to_value(volume).expect("volume serialises");
        let kinds: Vec<&String> = value
            .as_object()
            .expect("object")
            .keys()
            .filter(|k| *k != "name")
            .collect();
        if kinds.iter().any(|k| !ALLOWED_VOLUMES.contains(&k.as_str())) {
            found.push(format!("volume {} is of type {kinds:?}", volume.name));
        }
        found.extend(secret_mode_violations(volume));
    }
    let pod_non_root = pod_ctx.run_as_non_root == Some(true);
    let pod_seccomp = pod_ctx.seccomp_profile.as_ref().map(|p| p.type_.as_str());
    let containers = pod.init_containers.iter().flatten().chain(&pod.containers);
    for container in containers {
        found.extend(
            container_violations(container, pod_non_root, pod_seccomp)
                .into_iter()
                .map(|v| format!("container {}: {v}", container.name)),
        );
    }
    found
}

/// Mode of every file mounted from a Secret.
const SECRET_FILE_MODE: i32 = 0o400;

/// Secret files of `volume` that would be readable beyond their owner.
fn secret_mode_violations(volume: &Volume) -> Vec<String> {
    let mut found = Vec::new();
    let item_modes = |items: &Option<Vec<KeyToPath>>, default: Option<i32>| {
        items
            .iter()
            .flatten()
            .filter(|item| item.mode.or(default) != Some(SECRET_FILE_MODE))
            .map(|item| {
                format!(
                    "volume {}: Secret key {} has mode {:?}",
                    volume.name,
                    item.key,
                    item.mode.or(default)
                )
            })
            .collect::<Vec<_>>()
    };
    if let Some(secret) = &volume.secret {
        if secret.default_mode != Some(SECRET_FILE_MODE) {
            found.push(format!(
                "volume {}: Secret defaultMode is {:?}",
                volume.name, secret.default_mode
            ));
        }
        found.extend(item_modes(&secret.items, secret.default_mode));
    }
    if let Some(projected) = &volume.projected {
        for source in projected.sources.iter().flatten() {
            if let Some(secret) = &source.secret {
                if secret.items.as_ref().is_none_or(Vec::is_empty) {
                    found.push(format!(
                        "volume {}: Secret {} is projected whole, modes unchecked",
                        volume.name, secret.name
                    ));
                }
                found.extend(item_modes(&secret.items, projected.default_mode));
            }
        }
    }
    found
}

fn container_violations(
    container: &Container,
    pod_non_root: bool,
    pod_seccomp: Option<&str>,
) -> Vec<String> {
    let mut found = Vec::new();
    let ctx = container.security_context.clone().unwrap_or_default();
    if ctx.privileged == Some(true) {
        found.push("privileged".to_owned());
    }
    if ctx.allow_privilege_escalation != Some(false) {
        found.push("allowPrivilegeEscalation is not false".to_owned());
    }
    if !(ctx.run_as_non_root == Some(true) || pod_non_root && ctx.run_as_non_root.is_none()) {
        found.push("runAsNonRoot is not true".to_owned());
    }
    if ctx.run_as_user == Some(0) {
        found.push("runs as uid 0".to_owned());
    }
    let seccomp = ctx
        .seccomp_profile
        .as_ref()
        .map(|p| p.type_.as_str())
        .or(pod_seccomp);
    if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
        found.push(format!("seccomp profile is {seccomp:?}"));
    }
    let caps = ctx.capabilities.clone().unwrap_or_default();
    if !caps.drop.iter().flatten().any(|c| c == "ALL") {
        found.push("capabilities do not drop ALL".to_owned());
    }
    if caps.add.iter().flatten().any(|c| c != "NET_BIND_SERVICE") {
        found.push(format!("capabilities add {:?}", caps.add));
    }
    if ctx.read_only_root_filesystem != Some(true) {
        found.push("root file system is writable".to_owned());
    }
    if container
        .ports
        .iter()
        .flatten()
        .any(|p| p.host_port.is_some_and(|port| port != 0))
    {
        found.push("uses a host port".to_owned());
    }
    found
}

fn succeeded_backup(location: &str) -> VexfsBackup {
    serde_json::from_value(json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsBackup",
        "metadata": {"name": "nightly-1", "namespace": "vexfs"},
        "spec": {"semanticRef": "old"},
        "status": {"phase": "Succeeded", "location": location}
    }))
    .expect("fixture")
}

fn s3_target() -> S3Target {
    S3Target {
        bucket: "backups".to_owned(),
        endpoint: None,
        prefix: None,
        region: None,
        credentials_secret_ref: SecretRef {
            name: "s3".to_owned(),
        },
    }
}

/// The engine pod of `spec`, restoring from `backup` when given.
fn engine_pod(spec: &ValidatedSpec, backup: Option<&VexfsBackup>) -> PodSpec {
    let facts = ClusterFacts {
        restore_backup: backup,
        ..ClusterFacts::default()
    };
    let children = build_all(spec, facts).expect("builds");
    children
        .statefulset
        .spec
        .and_then(|s| s.template.spec)
        .expect("pod template")
}

/// Every pod template of the engine: each valid sample, and restores from a volume and from S3.
fn engine_pods() -> Vec<(String, PodSpec)> {
    let mut pods = Vec::new();
    for sample in [
        "minimal.yaml",
        "full.yaml",
        "clustered.yaml",
        "autoscaled.yaml",
    ] {
        let spec = validate(&support::load_sample(sample), &Images::default()).expect("valid");
        pods.push((format!("engine of {sample}"), engine_pod(&spec, None)));
        if spec.cluster.is_some() {
            // A clustered engine is never restored from a backup (validation refuses it).
            continue;
        }
        let mut restoring = support::load_sample(sample);
        restoring.spec.restore = Some(RestoreSpec {
            backup_name: "nightly-1".to_owned(),
        });
        let mut spec = validate(&restoring, &Images::default()).expect("valid");
        for location in [
            "pvc://archive/nightly-1.tar.gz",
            "s3://backups/nightly-1.tar.gz",
        ] {
            if location.starts_with("s3") {
                let mut with_s3 = restoring.clone();
                with_s3.spec.backup = Some(
                    serde_json::from_value(json!({"target": {"s3": s3_target()}}))
                        .expect("backup spec"),
                );
                spec = validate(&with_s3, &Images::default()).expect("valid");
            }
            let backup = succeeded_backup(location);
            let pod = engine_pod(&spec, Some(&backup));
            let injected = pod.init_containers.as_ref().map_or(0, Vec::len);
            assert!(
                injected > 0,
                "{sample} restoring from {location} has init containers"
            );
            pods.push((format!("engine of {sample} restoring from {location}"), pod));
        }
    }
    pods
}

/// Every Job pod template: backup and cleanup, volume and S3, without and with authentication, and
/// clustered (reading a NATS stream with credentials and a client certificate), with the
/// clustered restore.
fn job_pods() -> Vec<(String, PodSpec)> {
    let s3 = s3_target();
    let identity = BackupIdentity::new("vx");
    let nats: NatsSpec = serde_json::from_value(json!({
        "url": "tls://nats.nats:4222",
        "credentialsSecretRef": {"name": "nats-creds", "key": "engine.creds"},
        "tls": {"caSecretRef": {"name": "nats-ca", "key": "ca.crt"},
                "clientSecretRef": {"name": "nats-client"}}
    }))
    .expect("NATS settings");
    let locations = [
        (
            Location::Volume {
                claim: "archive".to_owned(),
                file: "b.tar.gz".to_owned(),
            },
            None,
        ),
        (
            Location::S3 {
                bucket: "backups".to_owned(),
                key: "b.tar.gz".to_owned(),
            },
            Some(&s3),
        ),
    ];
    let mut pods = Vec::new();
    for (location, s3) in &locations {
        for (auth, cluster) in [
            (None, None),
            (Some(&identity), None),
            (Some(&identity), Some(&nats)),
        ] {
            let ctx = JobContext {
                backup_name: "b",
                namespace: "vexfs",
                semantic: "vx",
                images: &Images::default(),
                location,
                s3: *s3,
                identity: auth,
                encryption: None,
                cluster,
                owner: OwnerReference::default(),
            };
            let what = format!(
                "{} auth={} clustered={}",
                location.render(),
                auth.is_some(),
                cluster.is_some()
            );
            let restore = cluster.map(|nats| ("restore", restore_job(&ctx, nats)));
            let jobs = [("backup", backup_job(&ctx)), ("cleanup", cleanup_job(&ctx))];
            for (kind, job) in jobs.into_iter().chain(restore) {
                let pod = job.spec.and_then(|s| s.template.spec).expect("pod");
                pods.push((format!("{kind} Job {what}"), pod));
            }
        }
    }
    pods
}

#[test]
fn every_pod_template_meets_the_restricted_profile() {
    let pods: Vec<(String, PodSpec)> = engine_pods().into_iter().chain(job_pods()).collect();
    assert_eq!(
        pods.len(),
        22,
        "2 standalone samples × 3 engine shapes + 2 clustered engines + 14 Jobs"
    );
    let broken: Vec<String> = pods
        .iter()
        .flat_map(|(what, pod)| {
            violations(pod)
                .into_iter()
                .map(move |v| format!("{what}: {v}"))
        })
        .collect();
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn the_check_catches_a_weakened_container() {
    let (_, mut pod) = engine_pods().remove(0);
    let container = &mut pod.containers[0];
    let ctx = container.security_context.as_mut().expect("hardened");
    ctx.read_only_root_filesystem = None;
    ctx.capabilities = None;
    pod.automount_service_account_token = None;
    let found = violations(&pod);
    assert_eq!(found.len(), 3, "{found:#?}");
}

#[test]
fn secret_files_are_checked_in_plain_and_projected_volumes() {
    let pods: Vec<(String, PodSpec)> = engine_pods().into_iter().chain(job_pods()).collect();
    let secret_files = |pod: &PodSpec| {
        pod.volumes
            .iter()
            .flatten()
            .map(|v| {
                let plain = v
                    .secret
                    .as_ref()
                    .map_or(0, |s| s.items.as_ref().map_or(0, Vec::len));
                let projected = v.projected.iter().flat_map(|p| p.sources.iter().flatten());
                plain
                    + projected
                        .filter_map(|s| s.secret.as_ref()?.items.as_ref())
                        .map(Vec::len)
                        .sum::<usize>()
            })
            .sum::<usize>()
    };
    let total: usize = pods.iter().map(|(_, pod)| secret_files(pod)).sum();
    assert!(
        total >= 8,
        "the walk reaches Secret files in engine and Job pods ({total})"
    );
    let (what, mut pod) = pods
        .into_iter()
        .find(|(what, pod)| what.starts_with("engine of full") && secret_files(pod) > 0)
        .expect("the full sample mounts Secrets");
    for volume in pod.volumes.iter_mut().flatten() {
        for source in volume
            .projected
            .iter_mut()
            .flat_map(|p| p.sources.iter_mut().flatten())
        {
            for item in source
                .secret
                .iter_mut()
                .flat_map(|s| s.items.iter_mut().flatten())
            {
                item.mode = Some(0o440);
            }
        }
    }
    let found = violations(&pod);
    assert!(
        !found.is_empty() && found.iter().all(|v| v.contains("has mode Some(288)")),
        "{what}: {found:#?}"
    );
}
