//! Backups and restores of clustered resources (`spec.cluster.nats`) on the real control plane.
//! kwok runs no engine, so these check what the operator runs: a backup Job that reads the NATS
//! stream with the engine's NATS files (kwok completes it with the engine's summary,
//! `cluster/stages/backup-complete.yaml`), and a restore Job that republishes the archive into
//! the stream while the engine waits at zero replicas. The engine's side of both (a real stream,
//! a cut, a restore into a new stream) is `engine/tests/cluster_backup.rs`.

use std::time::Duration;

use serde_json::{Value, json};
use vexfs_e2e::backup_volume::BackupVolume;
use vexfs_e2e::backups::{self, EVERY_MINUTE, phase, scheduled};
use vexfs_e2e::{Result, Scenario, Stack, ensure, object, wait};

/// Operator start, record and Job round trips.
const SETTLE: Duration = Duration::from_secs(120);

/// The first run of an every-minute schedule, with the stack's start before it.
const FIRST_BACKUP: Duration = Duration::from_secs(180);
/// The NATS servers of the clustered backup test.
const NATS_URL: &str = "tls://nats-0.nats:4222,tls://nats-1.nats:4222";

/// The container `name` of a Job.
fn container(job: &Value, name: &str) -> Value {
    job.pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or_default()
}

/// The arguments of `container`.
fn args(container: &Value) -> Vec<String> {
    container["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The mount of the volume `volume` in `container`.
fn mount(container: &Value, volume: &str) -> Value {
    container["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["name"] == volume)
        .cloned()
        .unwrap_or_default()
}

/// A clustered resource `name` of three replicas on the stream `stream`, with the NATS
/// credentials Secret `nats-creds` and `extra` merged into its spec.
fn clustered(name: &str, stream: &str, extra: &Value) -> Value {
    let mut spec = json!({
        "engine": {"replicas": 3},
        "cluster": {"nats": {"url": NATS_URL, "stream": stream,
                             "credentialsSecretRef": {"name": "nats-creds", "key": "engine.creds"}}}
    });
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    json!({"apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
           "metadata": {"name": name}, "spec": spec})
}

#[test]
fn a_clustered_backup_job_reads_the_stream_with_the_engines_nats_files() -> Result<()> {
    let s = Scenario::concurrent("clustered-backup")?;
    let volume = BackupVolume::create(&s.cluster.kubectl(), s.ns(), "backups")?;
    let _operator = s.start_operator("0")?;
    s.create_secret("nats-creds", &["engine.creds"])?;
    s.create_secret("nats-ca", &["ca.crt"])?;
    s.create_secret("nats-client", &["tls.crt", "tls.key"])?;
    let mut manifest = backups::semantic(
        "cbackup",
        volume.claim(),
        &json!({"schedule": EVERY_MINUTE, "retention": {"keepLast": 2}}),
    );
    manifest["spec"]["engine"] = json!({"replicas": 3});
    manifest["spec"]["cluster"] = json!({"nats": {
        "url": NATS_URL, "stream": "EVENTS",
        "credentialsSecretRef": {"name": "nats-creds", "key": "engine.creds"},
        "tls": {"caSecretRef": {"name": "nats-ca", "key": "ca.crt"},
                "clientSecretRef": {"name": "nats-client"}}}});
    let stack = Stack::apply_manifest(&s.cluster, s.ns(), &manifest)?;
    let kubectl = s.cluster.kubectl();
    let records = wait::until(
        "a scheduled clustered backup to succeed",
        FIRST_BACKUP,
        || {
            let records =
                backups::records(&kubectl, s.ns(), stack.name()).map_err(|e| e.to_string())?;
            let done = scheduled(&records)
                .into_iter()
                .any(|r| phase(r) == Some("Succeeded"));
            if done {
                return Ok(records);
            }
            Err(format!(
                "records: {:?}",
                records.iter().map(phase).collect::<Vec<_>>()
            ))
        },
    )?;
    let record = scheduled(&records)
        .into_iter()
        .find(|r| phase(r) == Some("Succeeded"))
        .cloned()
        .unwrap_or_default();
    ensure(record["status"]["eventCount"] == 1000, || {
        format!(
            "the summary is reported as for a standalone backup: {}",
            record["status"]
        )
    })?;
    let jobs = backups::jobs(&kubectl, s.ns(), stack.name(), "backup")?;
    let job = jobs
        .iter()
        .find(|j| object::name(j) == object::name(&record))
        .cloned()
        .unwrap_or_default();
    let container = container(&job, "backup");
    let args = args(&container);
    let archive = format!("/backups/{}.tar.gz", object::name(&record));
    let expected = [
        "backup",
        "--from",
        NATS_URL,
        "--to",
        &archive,
        "--summary-file",
        "/dev/termination-log",
        "--stream",
        "EVENTS",
        "--nats-credentials-file",
        "/etc/vexfs/nats/creds/nats.creds",
        "--nats-ca-file",
        "/etc/vexfs/nats/ca/ca.pem",
        "--nats-cert-file",
        "/etc/vexfs/nats/client/tls.crt",
        "--nats-key-file",
        "/etc/vexfs/nats/client/tls.key",
    ];
    ensure(args == expected, || format!("backup arguments: {args:?}"))?;
    let nats_mount = mount(&container, "nats");
    ensure(
        nats_mount["mountPath"] == "/etc/vexfs/nats" && nats_mount["readOnly"] == true,
        || format!("NATS files mounted read-only: {nats_mount}"),
    )?;
    let volumes = job
        .pointer("/spec/template/spec/volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let files: Vec<(Value, Value)> = volumes
        .iter()
        .filter(|v| v["name"] == "nats")
        .filter_map(|v| v.pointer("/projected/sources").and_then(Value::as_array))
        .flatten()
        .flat_map(|s| s["secret"]["items"].as_array().cloned().unwrap_or_default())
        .map(|item| (item["path"].clone(), item["mode"].clone()))
        .collect();
    let wanted: Vec<(Value, Value)> = [
        "creds/nats.creds",
        "ca/ca.pem",
        "client/tls.crt",
        "client/tls.key",
    ]
    .iter()
    .map(|p| (json!(p), json!(0o400)))
    .collect();
    ensure(files == wanted, || {
        format!("projected NATS files: {files:?}")
    })?;
    ensure(volumes.iter().all(|v| v.get("secret").is_none()), || {
        format!("no backup token in a clustered backup: {volumes:?}")
    })?;
    let current = stack.get()?;
    let warnings = current
        .pointer("/status/warnings")
        .cloned()
        .unwrap_or_default();
    ensure(!warnings.to_string().contains("spec.backup"), || {
        format!("status.warnings: {warnings}")
    })
}

#[test]
fn a_clustered_restore_job_fills_the_stream_before_the_engine_starts() -> Result<()> {
    let s = Scenario::concurrent("clustered-restore")?;
    let volume = BackupVolume::create(&s.cluster.kubectl(), s.ns(), "backups")?;
    let _operator = s.start_operator("0")?;
    s.create_secret("nats-creds", &["engine.creds"])?;
    let kubectl = s.cluster.kubectl();

    // The restoring resource first: its backup does not exist yet, so the engine waits.
    let restoring = clustered(
        "restored",
        "EVENTS_2",
        &json!({"restore": {"backupName": "nightly-1"}}),
    );
    let stack = Stack::apply_manifest(&s.cluster, s.ns(), &restoring)?;
    let sts = |stack: &Stack| -> std::result::Result<Value, String> {
        let all = stack
            .children_of("statefulsets")
            .map_err(|e| e.to_string())?;
        all.into_iter()
            .next()
            .ok_or_else(|| "no StatefulSet yet".to_owned())
    };
    let restore_status = |stack: &Stack| {
        let current = stack.get().map_err(|e| e.to_string())?;
        Ok::<Value, String>(
            current
                .pointer("/status/restore")
                .cloned()
                .unwrap_or_default(),
        )
    };
    wait::until(
        "the engine held while the backup is missing",
        SETTLE,
        || {
            let (sts, status) = (sts(&stack)?, restore_status(&stack)?);
            let waiting = status["message"]
                .as_str()
                .unwrap_or_default()
                .contains("to exist");
            if sts.pointer("/spec/replicas") == Some(&json!(0)) && waiting {
                return Ok(());
            }
            Err(format!(
                "replicas {}, status.restore {status}",
                sts["spec"]["replicas"]
            ))
        },
    )?;

    // A clustered resource with backups to the claim, and an on-demand backup of it.
    let source = clustered(
        "source",
        "EVENTS",
        &json!({"backup": {"schedule": "0 0 1 1 *",
                           "target": {"volume": {"claimName": volume.claim()}}}}),
    );
    let _source = Stack::apply_manifest(&s.cluster, s.ns(), &source)?;
    let manifest = backups::on_demand("nightly-1", "source", "Retain");
    kubectl.run_with_input(&["apply", "-n", s.ns(), "-f", "-"], &manifest.to_string())?;

    let job = wait::until("the restore Job", SETTLE, || {
        let jobs =
            backups::jobs(&kubectl, s.ns(), "restored", "restore").map_err(|e| e.to_string())?;
        jobs.into_iter()
            .next()
            .ok_or_else(|| "no restore Job yet".to_owned())
    })?;
    ensure(object::name(&job) == "restored-restore", || {
        format!("restore Job name: {}", object::name(&job))
    })?;
    let engine = container(&job, "restore");
    let expected = [
        "restore",
        "/backups/nightly-1.tar.gz",
        "--to",
        NATS_URL,
        "--subject-prefix",
        "vexfs.events",
        "--stream-replicas",
        "3",
        "--stream",
        "EVENTS_2",
        "--nats-credentials-file",
        "/etc/vexfs/nats/creds/nats.creds",
    ];
    ensure(args(&engine) == expected, || {
        format!("restore arguments: {:?}", args(&engine))
    })?;
    let (archive, nats) = (mount(&engine, "backups"), mount(&engine, "nats"));
    ensure(
        archive["readOnly"] == true && nats["readOnly"] == true,
        || format!("the archive and NATS files are mounted read-only: {archive} {nats}"),
    )?;

    // kwok completes the restore pod; the engine then starts with its replicas.
    wait::until(
        "the restore to succeed and the engine to start",
        SETTLE,
        || {
            let (sts, status) = (sts(&stack)?, restore_status(&stack)?);
            if status["phase"] == "Succeeded" && sts.pointer("/spec/replicas") == Some(&json!(3)) {
                return Ok(());
            }
            Err(format!(
                "replicas {}, status.restore {status}",
                sts["spec"]["replicas"]
            ))
        },
    )?;
    let jobs = backups::jobs(&kubectl, s.ns(), "restored", "restore")?;
    ensure(jobs.len() == 1, || format!("{} restore Jobs", jobs.len()))
}
