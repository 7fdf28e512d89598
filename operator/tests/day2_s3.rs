//! The S3 commands the operator puts into backup, restore and cleanup pods, run for real with the
//! `aws` CLI against a real S3-compatible server (moto) on loopback.
//!
//! Needs `moto_server` (PyPI `moto[server]`) and `aws` (PyPI `awscli`) on PATH:
//! `cargo test -p vexfs-operator --test day2_s3 -- --ignored`.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde_json::json;
use vexfs_operator::backup::job::{JobContext, backup_job, cleanup_job};
use vexfs_operator::backup::restore::{
    DOWNLOAD_CONTAINER, RestoreInputs, RestorePlan, plan_restore,
};
use vexfs_operator::backup::target::{ARCHIVE_DIR, Location};
use vexfs_operator::crd::{RestoreSpec, S3Target, SecretRef, VexfsBackup};
use vexfs_operator::spec::images::Images;

/// A moto S3 server on a free loopback port, stopped on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server on PATH (pip install 'moto[server]')");
        let up = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "moto_server did not start listening");
        Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a pod container's `aws` arguments locally, with `/backups` mapped to `scratch`.
fn run_aws(container: &Container, scratch: &Path) -> bool {
    let args: Vec<String> = container
        .args
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.replace(ARCHIVE_DIR, &scratch.display().to_string()))
        .collect();
    aws(&args)
}

fn aws(args: &[String]) -> bool {
    Command::new("aws")
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("aws CLI on PATH (pip install awscli)")
        .status
        .success()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vexfs-s3-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

const BACKUP: &str = "vx-29390520";

fn s3_target(endpoint: &str) -> S3Target {
    S3Target {
        bucket: "vexfs-backups".to_owned(),
        endpoint: Some(endpoint.to_owned()),
        prefix: Some("prod/vx".to_owned()),
        region: None,
        credentials_secret_ref: SecretRef {
            name: "s3-creds".to_owned(),
        },
    }
}

/// `aws s3 SUBCOMMAND TARGET --endpoint-url ENDPOINT`.
fn aws_s3(subcommand: &str, target: &str, endpoint: &str) -> bool {
    aws(&["s3", subcommand, target, "--endpoint-url", endpoint].map(str::to_owned))
}

fn first_container(job: &k8s_openapi::api::batch::v1::Job) -> Container {
    let pod = job
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.clone())
        .expect("pod spec");
    pod.containers[0].clone()
}

/// The restore download init container for the backup at `location`.
fn download_container(location: &Location, s3: &S3Target) -> Container {
    let backup: VexfsBackup = serde_json::from_value(json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsBackup",
        "metadata": {"name": BACKUP, "namespace": "vexfs"},
        "spec": {"semanticRef": "vx"},
        "status": {"phase": "Succeeded", "location": location.render()}
    }))
    .expect("backup");
    let restore = RestoreSpec {
        backup_name: BACKUP.to_owned(),
    };
    let inputs = RestoreInputs {
        restore: Some(&restore),
        backup: Some(&backup),
        previous: None,
        persistent: true,
        s3: Some(s3),
        encryption: None,
        images: &Images::default(),
        data_dir: "/var/lib/vexfs",
        cluster: None,
    };
    let RestorePlan::Inject {
        init_containers, ..
    } = plan_restore(&inputs).0
    else {
        panic!("restore planned")
    };
    init_containers
        .into_iter()
        .find(|c| c.name == DOWNLOAD_CONTAINER)
        .expect("download container")
}

#[test]
#[ignore = "needs moto_server and the aws CLI; run with --ignored"]
fn backup_upload_restore_download_and_cleanup_work_against_real_s3() {
    let moto = Moto::start();
    let s3 = s3_target(&moto.endpoint);
    assert!(
        aws_s3("mb", "s3://vexfs-backups", &moto.endpoint),
        "bucket created"
    );
    let target = vexfs_operator::crd::BackupTarget {
        volume: None,
        s3: Some(s3.clone()),
    };
    let location = Location::for_backup(&target, BACKUP).expect("s3 location");
    let ctx = JobContext {
        backup_name: BACKUP,
        namespace: "vexfs",
        semantic: "vx",
        images: &Images::default(),
        location: &location,
        s3: Some(&s3),
        identity: None,
        encryption: None,
        cluster: None,
        owner: OwnerReference::default(),
    };

    // Upload: the engine's archive in the scratch volume goes to the bucket.
    let upload_dir = scratch_dir("upload");
    let archive = b"vexfs-backup/v1 archive bytes".to_vec();
    std::fs::write(upload_dir.join(format!("{BACKUP}.tar.gz")), &archive).expect("archive written");
    assert!(
        run_aws(&first_container(&backup_job(&ctx)), &upload_dir),
        "upload succeeded"
    );

    // Restore: the download init container fetches the same bytes.
    let restore_dir = scratch_dir("restore");
    assert!(
        run_aws(&download_container(&location, &s3), &restore_dir),
        "download succeeded"
    );
    let downloaded =
        std::fs::read(restore_dir.join(format!("{BACKUP}.tar.gz"))).expect("downloaded");
    assert_eq!(downloaded, archive);

    // Cleanup (deletionPolicy Delete): the object is gone afterwards.
    assert!(
        run_aws(&first_container(&cleanup_job(&ctx)), &restore_dir),
        "delete succeeded"
    );
    assert!(
        !aws_s3("ls", &location.render(), &moto.endpoint),
        "object deleted"
    );
    let _ = std::fs::remove_dir_all(upload_dir);
    let _ = std::fs::remove_dir_all(restore_dir);
}
