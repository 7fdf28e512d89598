//! Every builder's output for every valid sample, compared whole with committed snapshots.

mod support;

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde::Serialize;
use vexfs_operator::backup::job::{JobContext, backup_job};
use vexfs_operator::backup::stream_restore::restore_job;
use vexfs_operator::backup::target::Location;
use vexfs_operator::controller::build::{ClusterFacts, build_all};
use vexfs_operator::crd::{BackupEncryption, SecretKeyRef};
use vexfs_operator::spec::images::Images;
use vexfs_operator::spec::{ValidatedSpec, validate};

fn yaml(value: &impl Serialize) -> String {
    serde_yaml::to_string(value).expect("serialises")
}

fn check_sample(sample: &str) {
    let spec =
        validate(&support::load_sample(sample), &Images::default()).expect("sample is valid");
    let children = build_all(
        &spec,
        ClusterFacts {
            monitoring_api: true,
            operator_namespace: Some("vexfs-system"),
            ..ClusterFacts::default()
        },
    )
    .expect("builds");
    let dir = support::repo_root()
        .join("operator/tests/snapshots")
        .join(sample.trim_end_matches(".yaml"));
    let engine_toml = children
        .config_map
        .data
        .as_ref()
        .and_then(|d| d.get("engine.toml"))
        .expect("engine.toml");
    support::assert_snapshot(&dir.join("engine.toml"), engine_toml);
    support::assert_snapshot(&dir.join("configmap.yaml"), &yaml(&children.config_map));
    support::assert_snapshot(&dir.join("statefulset.yaml"), &yaml(&children.statefulset));
    support::assert_snapshot(
        &dir.join("service-client.yaml"),
        &yaml(&children.client_service),
    );
    support::assert_snapshot(
        &dir.join("service-headless.yaml"),
        &yaml(&children.headless_service),
    );
    support::assert_snapshot(
        &dir.join("serviceaccount.yaml"),
        &yaml(&children.service_account),
    );
    support::assert_snapshot(
        &dir.join("poddisruptionbudget.yaml"),
        &yaml(&children.pod_disruption_budget),
    );
    support::assert_snapshot(
        &dir.join("networkpolicy.yaml"),
        &yaml(&children.network_policy),
    );
    support::assert_snapshot(
        &dir.join("servicemonitor.yaml"),
        &yaml(&children.service_monitor),
    );
    support::assert_snapshot(
        &dir.join("prometheusrule.yaml"),
        &yaml(&children.prometheus_rule),
    );
    support::assert_snapshot(
        &dir.join("horizontalpodautoscaler.yaml"),
        &yaml(&children.autoscaler),
    );
}

#[test]
fn minimal_sample_children_match_snapshots() {
    check_sample("minimal.yaml");
}

#[test]
fn tls_sample_children_match_snapshots() {
    check_sample("tls.yaml");
}

#[test]
fn full_sample_children_match_snapshots() {
    check_sample("full.yaml");
}

#[test]
fn clustered_sample_children_match_snapshots() {
    check_sample("clustered.yaml");
}

#[test]
fn autoscaled_sample_children_match_snapshots() {
    check_sample("autoscaled.yaml");
}

#[test]
fn auto_monitoring_without_the_api_builds_no_monitoring_objects() {
    let spec = validate(&support::load_sample("minimal.yaml"), &Images::default()).expect("valid");
    let children = build_all(
        &spec,
        ClusterFacts {
            monitoring_api: false,
            ..ClusterFacts::default()
        },
    )
    .expect("builds");
    assert!(children.service_monitor.is_none() && children.prometheus_rule.is_none());
    assert!(
        children.pod_disruption_budget.is_none(),
        "one replica needs no PDB"
    );
}

#[test]
fn config_hash_changes_only_with_the_rendered_config() {
    let cr = support::load_sample("minimal.yaml");
    let base = build_all(
        &validate(&cr, &Images::default()).expect("valid"),
        ClusterFacts::default(),
    )
    .expect("builds");
    let mut scaled = cr.clone();
    scaled.spec.engine = Some(vexfs_operator::crd::EngineSpec {
        replicas: 0,
        ..Default::default()
    });
    let scaled = build_all(
        &validate(&scaled, &Images::default()).expect("valid"),
        ClusterFacts::default(),
    )
    .expect("builds");
    assert_eq!(
        base.config_hash, scaled.config_hash,
        "replicas are not part of engine.toml"
    );
    let mut tuned = cr;
    tuned.spec.analytics = Some(vexfs_operator::crd::AnalyticsSpec {
        sliding_window_size: 5,
        ..Default::default()
    });
    let tuned = build_all(
        &validate(&tuned, &Images::default()).expect("valid"),
        ClusterFacts::default(),
    )
    .expect("builds");
    assert_ne!(base.config_hash, tuned.config_hash);
}

/// Several replicas, as clustered mode will resolve them: validation refuses `replicas > 1` from a
/// standalone spec, so the builders' multi-replica output is reached through [`ValidatedSpec`].
fn with_replicas(sample: &str, replicas: i32, stopped: bool) -> ValidatedSpec {
    let mut cr = support::load_sample(sample);
    cr.spec.stopped = stopped;
    let mut spec = validate(&cr, &Images::default()).expect("valid");
    spec.engine.replicas = replicas;
    spec
}

#[test]
fn several_replicas_get_a_disruption_budget_allowing_one_eviction() {
    let children = build_all(
        &with_replicas("minimal.yaml", 3, false),
        ClusterFacts::default(),
    )
    .expect("builds");
    assert_eq!(children.statefulset.spec.and_then(|s| s.replicas), Some(3));
    support::assert_snapshot(
        &support::repo_root().join("operator/tests/snapshots/replicated/poddisruptionbudget.yaml"),
        &yaml(&children.pod_disruption_budget),
    );
}

#[test]
fn stopped_scales_the_statefulset_to_zero_and_keeps_storage() {
    let children = build_all(
        &with_replicas("full.yaml", 3, true),
        ClusterFacts::default(),
    )
    .expect("builds");
    let sts = children.statefulset.spec.expect("spec");
    assert_eq!(sts.replicas, Some(0));
    assert_eq!(sts.volume_claim_templates.map(|v| v.len()), Some(1));
    assert!(children.pod_disruption_budget.is_none());
}

#[test]
fn children_never_carry_user_labels_or_annotations() {
    let mut cr = support::load_sample("full.yaml");
    cr.metadata.labels = Some([("argocd.argoproj.io/instance".to_owned(), "x".to_owned())].into());
    cr.metadata.annotations = Some([("team".to_owned(), "y".to_owned())].into());
    let children = build_all(
        &validate(&cr, &Images::default()).expect("valid"),
        ClusterFacts {
            monitoring_api: true,
            ..ClusterFacts::default()
        },
    )
    .expect("builds");
    let text = yaml(&children.statefulset)
        + &yaml(&children.config_map)
        + &yaml(&children.service_monitor);
    assert!(!text.contains("argocd.argoproj.io") && !text.contains("team:"));
}

#[test]
fn an_autoscaler_owns_the_count_the_configuration_follows_until_stopped() {
    let cr = support::load_sample("autoscaled.yaml");
    let spec = validate(&cr, &Images::default()).expect("valid");
    let scaled = ClusterFacts {
        live_replicas: Some(5),
        ..ClusterFacts::default()
    };
    let children = build_all(&spec, scaled).expect("builds");
    assert!(children.autoscaler.is_some());
    assert_eq!(children.statefulset.spec.and_then(|s| s.replicas), None);
    assert_eq!(
        (children.configured_replicas, children.desired_replicas),
        (5, 5)
    );
    assert!(children.pod_disruption_budget.is_some());
    let beyond = ClusterFacts {
        live_replicas: Some(20),
        ..ClusterFacts::default()
    };
    let clamped = build_all(&spec, beyond).expect("builds");
    assert_eq!(clamped.configured_replicas, 8, "autoscaling.maxReplicas");
    assert_ne!(children.config_hash, clamped.config_hash);

    let mut stopped = cr;
    stopped.spec.stopped = true;
    let stopped = validate(&stopped, &Images::default()).expect("valid");
    let children = build_all(&stopped, scaled).expect("builds");
    assert!(children.autoscaler.is_none(), "no autoscaler while stopped");
    assert_eq!(children.statefulset.spec.and_then(|s| s.replicas), Some(0));
    assert_eq!(children.desired_replicas, 0);
}

/// `spec.backup` of the full sample (S3) with an archive key, on a clustered resource whose NATS
/// servers want credentials and TLS with a client certificate.
fn clustered_with_backups() -> ValidatedSpec {
    let mut cr = support::clustered_with_tls_and_backups();
    if let Some(backup) = cr.spec.backup.as_mut() {
        backup.encryption = Some(BackupEncryption {
            key_secret_ref: SecretKeyRef {
                name: "archive-key".to_owned(),
                key: "key".to_owned(),
            },
        });
    }
    validate(&cr, &Images::default()).expect("valid")
}

/// The projected NATS files of a pod's volumes as (Secret, key, absolute path, mode), with the
/// paths resolved against where the container mounts each volume.
fn nats_files(pod: &PodSpec, container: &str) -> Vec<(String, String, String, Option<i32>)> {
    let container = pod
        .init_containers
        .iter()
        .flatten()
        .chain(&pod.containers)
        .find(|c| c.name == container)
        .expect("container");
    let mut files = Vec::new();
    for mount in container.volume_mounts.iter().flatten() {
        let volume = pod.volumes.iter().flatten().find(|v| v.name == mount.name);
        let sources = volume.and_then(|v| v.projected.as_ref()?.sources.clone());
        for secret in sources.into_iter().flatten().filter_map(|s| s.secret) {
            for item in secret.items.into_iter().flatten() {
                let path = format!("{}/{}", mount.mount_path, item.path);
                if path.starts_with("/etc/vexfs/nats/") {
                    files.push((secret.name.clone(), item.key, path, item.mode));
                }
            }
        }
        assert!(
            mount.read_only == Some(true) || !mount.mount_path.starts_with("/etc/vexfs"),
            "{} is mounted read-only",
            mount.mount_path
        );
    }
    files
}

#[test]
fn clustered_backup_and_restore_jobs_use_the_engines_nats_files() {
    let spec = clustered_with_backups();
    let target = &spec.backup.as_ref().expect("backups").spec.target;
    let location = Location::for_backup(target, "clustered-29390520").expect("s3");
    let owner = OwnerReference {
        api_version: "vexfs.io/v1alpha1".to_owned(),
        kind: "VexfsBackup".to_owned(),
        name: "clustered-29390520".to_owned(),
        uid: "uid-1".to_owned(),
        controller: Some(true),
        ..OwnerReference::default()
    };
    let job = backup_job(&JobContext::for_spec(
        &spec,
        "clustered-29390520",
        &location,
        owner,
    ));
    support::assert_snapshot(
        &support::repo_root().join("operator/tests/snapshots/clustered/backup-job.yaml"),
        &yaml(&job),
    );
    let pod = job.spec.and_then(|s| s.template.spec).expect("pod");
    let engine = build_all(&spec, ClusterFacts::default()).expect("builds");
    let engine_pod = engine.statefulset.spec.expect("spec").template.spec;
    let engine_files = nats_files(&engine_pod.expect("engine pod"), "engine");
    assert_eq!(engine_files.len(), 4, "credentials, CA, certificate, key");
    assert_eq!(nats_files(&pod, "backup"), engine_files);
    assert!(
        nats_files(&pod, "upload").is_empty(),
        "the upload never sees NATS"
    );

    let nats = spec.cluster.as_ref().expect("clustered");
    let ctx = JobContext::for_spec(&spec, "clustered-29390520", &location, spec.owner.clone());
    let restore = restore_job(&ctx, nats);
    support::assert_snapshot(
        &support::repo_root().join("operator/tests/snapshots/clustered/restore-job.yaml"),
        &yaml(&restore),
    );
    let pod = restore.spec.and_then(|s| s.template.spec).expect("pod");
    assert_eq!(nats_files(&pod, "restore"), engine_files);
    assert!(nats_files(&pod, "restore-download").is_empty());
}
