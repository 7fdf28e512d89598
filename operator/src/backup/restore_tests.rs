//! Bootstrap restore tests.

use k8s_openapi::api::apps::v1::StatefulSetSpec;
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use serde_json::json;

use super::*;
use crate::crd::SecretRef;

/// A `VexfsBackup` named `nightly-1` in `phase` at `location` (also used by the clustered
/// restore's tests).
pub(in crate::backup) fn backup(phase: &str, location: &str) -> VexfsBackup {
    serde_json::from_value(json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsBackup",
        "metadata": {"name": "nightly-1", "namespace": "ns"},
        "spec": {"semanticRef": "old"},
        "status": {"phase": phase, "location": location}
    }))
    .expect("fixture")
}

fn spec() -> RestoreSpec {
    RestoreSpec {
        backup_name: "nightly-1".to_owned(),
    }
}

/// Images overridden as an air-gapped installation does.
static IMAGES: std::sync::LazyLock<Images> = std::sync::LazyLock::new(|| {
    Images::new(
        "engine:1",
        "registry.local/aws-cli:2",
        "registry.local/busybox:3",
    )
    .expect("valid images")
});

fn inputs<'a>(restore: &'a RestoreSpec, backup: Option<&'a VexfsBackup>) -> RestoreInputs<'a> {
    RestoreInputs {
        restore: Some(restore),
        backup,
        previous: None,
        persistent: true,
        s3: None,
        encryption: None,
        images: &IMAGES,
        data_dir: "/var/lib/vexfs",
        cluster: None,
    }
}

fn statefulset() -> StatefulSet {
    StatefulSet {
        spec: Some(StatefulSetSpec {
            replicas: Some(2),
            template: PodTemplateSpec {
                spec: Some(PodSpec::default()),
                ..PodTemplateSpec::default()
            },
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

#[test]
fn a_succeeded_volume_backup_becomes_a_restore_init_container() {
    let restore = spec();
    let found = backup("Succeeded", "pvc://archive/nightly-1.tar.gz");
    let (plan, status) = plan_restore(&inputs(&restore, Some(&found)));
    assert_eq!(status.map(|s| s.phase), Some(phases::PENDING.to_owned()));
    let mut sts = statefulset();
    inject(&mut sts, &plan);
    let pod = sts
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.clone())
        .expect("pod");
    let init = pod.init_containers.expect("init containers");
    assert_eq!(init.len(), 1);
    assert_eq!(
        init[0].args.clone().expect("args"),
        [
            "restore",
            "/backups/nightly-1.tar.gz",
            "--data-dir",
            "/var/lib/vexfs"
        ]
        .map(str::to_owned)
        .to_vec()
    );
    let volume = &pod.volumes.expect("volumes")[0];
    let claim = volume.persistent_volume_claim.as_ref().expect("claim");
    assert_eq!(
        (claim.claim_name.as_str(), claim.read_only),
        ("archive", Some(true))
    );
    assert_eq!(sts.spec.and_then(|s| s.replicas), Some(2));
}

#[test]
fn the_engine_is_held_until_the_backup_succeeds() {
    let restore = spec();
    for (backup, phase) in [
        (None, phases::PENDING),
        (Some(backup("Running", "")), phases::PENDING),
        (Some(backup("Failed", "")), phases::FAILED),
        (
            Some(backup("Succeeded", "/local/path.tar.gz")),
            phases::FAILED,
        ),
        (
            Some(backup("Succeeded", "s3://bucket/key.tar.gz")),
            phases::FAILED,
        ),
    ] {
        let (plan, status) = plan_restore(&inputs(&restore, backup.as_ref()));
        assert_eq!(plan, RestorePlan::Hold);
        assert_eq!(
            status.map(|s| s.phase),
            Some(phase.to_owned()),
            "{backup:?}"
        );
        let mut sts = statefulset();
        inject(&mut sts, &plan);
        assert_eq!(sts.spec.and_then(|s| s.replicas), Some(0));
    }
}

#[test]
fn s3_restores_download_first_with_credentials() {
    let restore = spec();
    let found = backup("Succeeded", "s3://bucket/prod/nightly-1.tar.gz");
    let s3 = S3Target {
        bucket: "bucket".to_owned(),
        endpoint: None,
        prefix: Some("prod".to_owned()),
        region: None,
        credentials_secret_ref: SecretRef {
            name: "creds".to_owned(),
        },
    };
    let mut with_s3 = inputs(&restore, Some(&found));
    with_s3.s3 = Some(&s3);
    let (plan, _) = plan_restore(&with_s3);
    let RestorePlan::Inject {
        init_containers,
        volumes,
    } = plan
    else {
        panic!("expected injection")
    };
    assert_eq!(
        init_containers
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        [DOWNLOAD_CONTAINER, RESTORE_CONTAINER]
    );
    assert_eq!(
        init_containers
            .iter()
            .map(|c| c.image.as_deref().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["registry.local/aws-cli:2", "engine:1"]
    );
    assert_eq!(
        init_containers[0].args.as_ref().map(|a| a[2].as_str()),
        Some("s3://bucket/prod/nightly-1.tar.gz")
    );
    assert!(
        volumes[0].empty_dir.is_some(),
        "the archive lands in scratch space"
    );
    assert_eq!(volumes[1].name, crate::spec::container::SCRATCH_VOLUME);
}

#[test]
fn a_finished_restore_on_persistent_storage_is_not_repeated() {
    let restore = spec();
    let found = backup("Succeeded", "pvc://archive/nightly-1.tar.gz");
    let done = RestoreStatus {
        phase: phases::SUCCEEDED.to_owned(),
        message: "restored".to_owned(),
    };
    let mut again = inputs(&restore, Some(&found));
    again.previous = Some(&done);
    assert_eq!(plan_restore(&again).0, RestorePlan::None);
    again.persistent = false;
    assert!(
        matches!(plan_restore(&again).0, RestorePlan::Inject { .. }),
        "an emptyDir restores in every new pod"
    );
    assert_eq!(
        plan_restore(&RestoreInputs {
            restore: None,
            ..again
        }),
        (RestorePlan::None, None)
    );
}

#[test]
fn progress_comes_from_the_init_container_statuses() {
    let pod = |name: &str, state: serde_json::Value, last: serde_json::Value| -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": name},
            "status": {"initContainerStatuses": [{
                "name": "restore", "ready": false, "restartCount": 1, "image": "e", "imageID": "",
                "state": state, "lastState": last
            }]}
        }))
        .expect("pod fixture")
    };
    let ok = pod("vx-0", json!({"terminated": {"exitCode": 0}}), json!({}));
    let running = pod("vx-1", json!({"running": {}}), json!({}));
    let crashed = pod(
        "vx-1",
        json!({"waiting": {"reason": "CrashLoopBackOff"}}),
        json!({"terminated": {"exitCode": 2, "message": "data dir not empty"}}),
    );
    assert_eq!(
        observe_restore(std::slice::from_ref(&ok)).map(|s| s.phase),
        Some(phases::SUCCEEDED.to_owned())
    );
    assert_eq!(
        observe_restore(&[ok.clone(), running]).map(|s| s.phase),
        Some(phases::RUNNING.to_owned())
    );
    let failed = observe_restore(&[ok, crashed]).expect("status");
    assert_eq!(failed.phase, phases::FAILED);
    assert!(
        failed.message.contains("exited with 2: data dir not empty"),
        "{}",
        failed.message
    );
    assert_eq!(observe_restore(&[]), None);
}

#[test]
fn a_restore_opens_sealed_archives_with_the_backup_key() {
    let restore = spec();
    let done = backup("Succeeded", "pvc://backups/vx-1.tar.gz");
    let encryption = crate::crd::BackupEncryption {
        key_secret_ref: crate::crd::SecretKeyRef {
            name: "vexfs-backup-key".to_owned(),
            key: "key".to_owned(),
        },
    };
    let with_key = RestoreInputs {
        encryption: Some(&encryption),
        ..inputs(&restore, Some(&done))
    };
    let (
        RestorePlan::Inject {
            init_containers,
            volumes,
        },
        _,
    ) = plan_restore(&with_key)
    else {
        panic!("a succeeded backup is restored");
    };
    let restore_container = init_containers.last().expect("the restore container");
    let args = restore_container.args.clone().unwrap_or_default();
    assert!(args.ends_with(&[
        "--encryption-key-file".to_owned(),
        "/etc/vexfs/backup-key/key".to_owned()
    ]));
    assert!(volumes.iter().any(|v| v.name == "backup-key"));
}
