//! Clustered restore tests: one Job republishes the archive, and the engine waits for it.

use k8s_openapi::api::batch::v1::JobStatus;
use serde_json::json;

use super::*;
use crate::backup::restore::tests::backup;
use crate::backup::restore::{RestorePlan, inputs_for, plan_restore};
use crate::crd::VexfsSemantic;
use crate::spec::images::Images;
use crate::spec::validate;

/// A clustered resource `vx` restoring `nightly-1`, with `extra` merged into its spec.
fn clustered(extra: &serde_json::Value) -> ValidatedSpec {
    let mut spec = json!({
        "engine": {"replicas": 3},
        "cluster": {"nats": {"url": "nats://nats-0.nats:4222", "stream": "EVENTS_2",
                             "subjectPrefix": "vx.events", "streamReplicas": 3,
                             "credentialsSecretRef": {"name": "nats-creds", "key": "engine.creds"}}},
        "restore": {"backupName": "nightly-1"}
    });
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    let cr: VexfsSemantic = serde_json::from_value(json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
        "metadata": {"name": "vx", "namespace": "ns", "uid": "u-vx"},
        "spec": spec
    }))
    .expect("fixture");
    validate(&cr, &Images::default()).expect("valid")
}

fn with_status(job: &Job, status: serde_json::Value) -> Job {
    Job {
        status: Some(serde_json::from_value::<JobStatus>(status).expect("status")),
        ..job.clone()
    }
}

fn created(step: Step<'_>) -> Job {
    match step {
        Step::Create(job) => *job,
        other => panic!("expected a Job to create, got {other:?}"),
    }
}

#[test]
fn the_job_republishes_the_archive_into_the_stream_before_the_engine_starts() {
    let spec = clustered(&json!({}));
    let done = backup("Succeeded", "pvc://archive/nightly-1.tar.gz");
    let inputs = inputs_for(&spec, None, Some(&done));
    let (plan, shown) = plan_restore(&inputs);
    assert_eq!(
        plan,
        RestorePlan::Hold,
        "no replica starts before the restore"
    );
    assert_eq!(shown.map(|s| s.phase).as_deref(), Some(phases::PENDING));
    let job = created(step(&spec, &inputs, &[]));
    assert_eq!(job.metadata.name.as_deref(), Some("vx-restore"));
    let owner = &job.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("VexfsSemantic", "vx")
    );
    let labels = job.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels.get(BACKUP_LABEL).map(String::as_str),
        Some("nightly-1")
    );
    assert_eq!(
        labels
            .get("app.kubernetes.io/component")
            .map(String::as_str),
        Some(RESTORE_COMPONENT)
    );
    let pod = job.spec.and_then(|s| s.template.spec).expect("pod");
    assert!(pod.init_containers.is_none());
    let container = &pod.containers[0];
    assert_eq!(
        container.args.as_deref().unwrap_or_default(),
        [
            "restore",
            "/backups/nightly-1.tar.gz",
            "--to",
            "nats://nats-0.nats:4222",
            "--subject-prefix",
            "vx.events",
            "--stream-replicas",
            "3",
            "--stream",
            "EVENTS_2",
            "--nats-credentials-file",
            "/etc/vexfs/nats/creds/nats.creds"
        ]
    );
    let mounts: Vec<(&str, Option<bool>)> = container
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| (m.mount_path.as_str(), m.read_only))
        .collect();
    assert_eq!(
        mounts,
        [("/backups", Some(true)), ("/etc/vexfs/nats", Some(true))]
    );
    let claim = pod
        .volumes
        .iter()
        .flatten()
        .find_map(|v| v.persistent_volume_claim.clone());
    assert_eq!(
        claim.map(|c| (c.claim_name, c.read_only)),
        Some(("archive".to_owned(), Some(true)))
    );
}

#[test]
fn an_s3_archive_is_downloaded_first_and_opened_with_the_key() {
    let spec = clustered(&json!({"backup": {
        "schedule": "0 1 * * *",
        "target": {"s3": {"bucket": "bk", "credentialsSecretRef": {"name": "s3"}}},
        "encryption": {"keySecretRef": {"name": "archive-key", "key": "key"}}}}));
    let done = backup("Succeeded", "s3://bk/prod/nightly-1.tar.gz");
    let inputs = inputs_for(&spec, None, Some(&done));
    let pod = created(step(&spec, &inputs, &[]))
        .spec
        .and_then(|s| s.template.spec)
        .expect("pod");
    let init: Vec<&str> = pod
        .init_containers
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(init, ["restore-download"]);
    let args = pod.containers[0].args.clone().unwrap_or_default();
    assert!(
        args.ends_with(&[
            "--encryption-key-file".to_owned(),
            "/etc/vexfs/backup-key/key".to_owned()
        ]),
        "{args:?}"
    );
    // Without spec.backup.target.s3 there are no S3 credentials to download with.
    let without_target = clustered(&json!({}));
    let inputs = inputs_for(&without_target, None, Some(&done));
    match step(&without_target, &inputs, &[]) {
        Step::Wait(held) => assert!(held.message.contains("spec.backup.target.s3"), "{held:?}"),
        other => panic!("expected to wait, got {other:?}"),
    }
}

#[test]
fn the_jobs_state_is_reported_and_a_success_releases_the_engine_for_good() {
    let spec = clustered(&json!({}));
    let done = backup("Succeeded", "pvc://archive/nightly-1.tar.gz");
    let inputs = inputs_for(&spec, None, Some(&done));
    let suspended = ValidatedSpec {
        suspend: true,
        ..spec.clone()
    };
    assert!(
        matches!(step(&suspended, &inputs, &[]), Step::Wait(_)),
        "a suspended resource starts no restore"
    );
    let job = created(step(&spec, &inputs, &[]));
    let jobs = [job.clone()];
    assert_eq!(
        step(&spec, &inputs, &jobs),
        Step::Observe(&jobs[0]),
        "created once"
    );
    assert_eq!(observed(&job, None).phase, phases::PENDING);
    let running = with_status(
        &job,
        json!({"active": 1, "startTime": "2026-11-30T08:00:00Z"}),
    );
    assert_eq!(observed(&running, None).phase, phases::RUNNING);
    let failed = with_status(
        &job,
        json!({"failed": 2, "conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
         "message": "Job has reached the specified backoff limit"}]}),
    );
    let shown = observed(
        &failed,
        Some("JetStream stream `EVENTS_2`: already holds 12 messages"),
    );
    assert_eq!(shown.phase, phases::FAILED);
    assert!(
        shown.message.contains("already holds 12 messages")
            && shown.message.contains("delete the Job"),
        "{}",
        shown.message
    );
    assert!(observed(&failed, None).message.contains("backoff limit"));
    let succeeded = with_status(
        &job,
        json!({"succeeded": 1, "conditions": [
        {"type": "Complete", "status": "True"}]}),
    );
    let restored = observed(&succeeded, None);
    assert_eq!(restored.phase, phases::SUCCEEDED);

    // Once succeeded, no Job is made again and the engine runs, whatever happens to the Job.
    let after = inputs_for(&spec, Some(&restored), Some(&done));
    assert_eq!(step(&spec, &after, &[]), Step::Keep(Some(restored.clone())));
    assert_eq!(plan_restore(&after), (RestorePlan::None, Some(restored)));
}

#[test]
fn a_job_restoring_another_backup_is_not_taken_for_this_one() {
    let spec = clustered(&json!({}));
    let done = backup("Succeeded", "pvc://archive/nightly-1.tar.gz");
    let inputs = inputs_for(&spec, None, Some(&done));
    let mut other = created(step(&spec, &inputs, &[]));
    if let Some(labels) = other.metadata.labels.as_mut() {
        labels.insert(BACKUP_LABEL.to_owned(), "nightly-0".to_owned());
    }
    let jobs = [other];
    match step(&spec, &inputs, &jobs) {
        Step::Wait(held) => {
            assert_eq!(held.phase, phases::FAILED);
            assert!(
                held.message.contains("restores VexfsBackup nightly-0"),
                "{}",
                held.message
            );
        }
        step => panic!("expected to wait, got {step:?}"),
    }
    let missing = inputs_for(&spec, None, None);
    assert_eq!(
        plan_restore(&missing).0,
        RestorePlan::Hold,
        "the engine waits for the backup too"
    );
    assert!(matches!(step(&spec, &missing, &[]), Step::Wait(_)));
}

#[test]
fn job_names_stay_within_label_limits() {
    let long = "x".repeat(63);
    assert!(restore_job_name(&long).len() <= 63);
    assert_eq!(restore_job_name("vx"), "vx-restore");
}
