//! Clustered backup and restore on a real 3-node JetStream cluster with 3 engine replicas: a
//! backup taken while ingest goes on holds exactly the events up to the stream's last sequence
//! at its start, `verify` accepts it, and a restore into a new stream gives replicas that answer
//! the same statistics as the original. A restore into a stream that holds other messages is
//! refused. Run by `make test-cluster` (which builds nats-server and sets `VEXFS_NATS_SERVER`).

mod cluster_common;

use cluster_common::queries::{comparable_stats, wait_until};
use cluster_common::{BIN, NatsCluster, Replica, event, free_ports, ndjson, post, replica_config};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const BATCH: usize = 100;
const SESSIONS: usize = 61;

/// Runs the engine binary with `args`; its status, stdout and stderr.
fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("engine binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Posts batches of events of `tag` through the replicas in turn, `batches` of them or until
/// `stop` is set; each event's idempotency key and stream sequence.
async fn ingest(
    urls: &[String],
    tag: &str,
    batches: usize,
    stop: &AtomicBool,
) -> Vec<(String, u64)> {
    let client = reqwest::Client::new();
    let mut stored = Vec::new();
    for n in 0..batches {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let events: Vec<Value> = (n * BATCH..(n + 1) * BATCH)
            .map(|i| event(tag, i, SESSIONS).0)
            .collect();
        let receipt = post(&client, &urls[n % urls.len()], ndjson(&events))
            .await
            .unwrap();
        assert_eq!(receipt["accepted"], events.len(), "{receipt}");
        for (e, id) in events.iter().zip(receipt["ids"].as_array().unwrap()) {
            let key = e["idempotencyKey"].as_str().unwrap().to_string();
            stored.push((key, id.as_u64().unwrap()));
        }
    }
    stored
}

/// The manifest and the idempotency keys of the events of a plain archive.
fn archive_contents(path: &Path) -> (Value, Vec<String>) {
    let file = std::fs::File::open(path).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let (mut manifest, mut keys) = (Value::Null, Vec::new());
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        match name.as_str() {
            "manifest.json" => manifest = serde_json::from_str(&text).unwrap(),
            "events.ndjson" => {
                for line in text.lines() {
                    let e: Value = serde_json::from_str(line).unwrap();
                    keys.push(e["idempotencyKey"].as_str().unwrap().to_string());
                }
            }
            other => panic!("unexpected member {other}"),
        }
    }
    (manifest, keys)
}

/// Starts 3 replicas on the stream `stream` (subjects `<prefix>.*`), data directories
/// `<name>-<ordinal>`.
async fn start_replicas(
    root: &Path,
    nats: &str,
    name: &str,
    stream: &str,
    prefix: &str,
) -> Vec<Replica> {
    let ports = free_ports(3);
    let peers: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut out = Vec::new();
    for (ordinal, port) in (0..3).zip(&ports) {
        let config = replica_config(nats, 3, ordinal, &peers, "").replace(
            "[cluster]\n",
            &format!("[cluster]\nstream = \"{stream}\"\nsubject_prefix = \"{prefix}\"\n"),
        );
        out.push(Replica::start_named(root, &format!("{name}-{ordinal}"), &config, *port).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run by `make test-cluster`"]
async fn a_backup_under_ingest_is_a_cut_and_a_restore_answers_the_same() {
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(root.path()).await;
    let urls = nats.urls();
    let original =
        start_replicas(root.path(), &urls, "engine", "VEXFS_EVENTS", "vexfs.events").await;
    let bases: Vec<String> = original.iter().map(|r| r.url.clone()).collect();
    let mut stored = ingest(&bases, "a", 20, &AtomicBool::new(false)).await;

    // A backup while more events arrive (until it is done).
    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn({
        let (bases, stop) = (bases.clone(), stop.clone());
        async move { ingest(&bases, "b", 500, &stop).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let cut_file = root.path().join("cut.tar.gz");
    let (ok, out, err) = tokio::task::spawn_blocking({
        let (urls, file) = (urls.clone(), cut_file.display().to_string());
        move || {
            run(&[
                "backup",
                "--from",
                &urls,
                "--stream",
                "VEXFS_EVENTS",
                "--to",
                &file,
            ])
        }
    })
    .await
    .unwrap();
    assert!(ok, "backup: {out} {err}");
    stop.store(true, Ordering::SeqCst);
    stored.extend(during.await.unwrap());
    let total = stored.len() as u64;
    eprintln!("{total} events acknowledged in all");
    let (manifest, keys) = archive_contents(&cut_file);
    let cut = manifest["source"]["cutSequence"].as_u64().unwrap();
    eprintln!("the backup under ingest cut the stream at sequence {cut}");
    assert!(
        cut >= 2_000,
        "the events acknowledged before the backup are in the cut: {manifest}"
    );
    assert!(
        cut < total,
        "ingest went on after the cut: {total} events in all, {manifest}"
    );
    let want: BTreeSet<String> = stored
        .iter()
        .filter(|(_, s)| *s <= cut)
        .map(|(k, _)| k.clone())
        .collect();
    let got: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(
        keys.len() as u64,
        cut,
        "one event per stream sequence up to the cut"
    );
    assert_eq!(got, want, "exactly the events up to the cut sequence");
    assert_eq!(manifest["eventCount"].as_u64(), Some(cut));
    assert_eq!(
        manifest["source"]["partitionCounts"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    let (ok, out, err) = run(&["verify", &cut_file.display().to_string()]);
    assert!(ok, "verify: {err}");
    let summary: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(summary["eventCount"].as_u64(), Some(cut));

    // At rest: a full backup, restored into a new stream, answers the original's statistics.
    let full_file = root.path().join("full.tar.gz").display().to_string();
    let (ok, _, err) = run(&["backup", "--from", &urls, "--to", &full_file]);
    assert!(ok, "backup at rest: {err}");
    let restore = |file: &str| {
        run(&[
            "restore",
            file,
            "--to",
            &urls,
            "--stream",
            "RESTORED",
            "--subject-prefix",
            "restored.events",
            "--stream-replicas",
            "3",
        ])
    };
    let (ok, out, err) = restore(&full_file);
    assert!(ok, "restore: {err}");
    let summary: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(summary["eventCount"].as_u64(), Some(total));
    // A second run of the same restore (as after a crash) stores nothing twice.
    let (ok, _, err) = restore(&full_file);
    assert!(ok, "restore again: {err}");
    let restored = start_replicas(
        root.path(),
        &urls,
        "restored",
        "RESTORED",
        "restored.events",
    )
    .await;
    wait_until(60, "the original replicas hold every event", || {
        let replica = &original[0];
        async move { replica.get("/api/v1/stats").await["totalEvents"].as_u64() == Some(total) }
    })
    .await;
    let want = comparable_stats(&original[0].get("/api/v1/stats").await);
    wait_until(
        60,
        "restored replicas answer the original's statistics",
        || {
            let (replica, want) = (&restored[1], &want);
            async move { comparable_stats(&replica.get("/api/v1/stats").await) == *want }
        },
    )
    .await;
    let by_type: BTreeMap<String, Value> = serde_json::from_value(
        comparable_stats(&restored[2].get("/api/v1/stats").await)["byType"].clone(),
    )
    .unwrap();
    assert_eq!(
        by_type["FilesystemWrite"].as_u64(),
        Some(total),
        "{by_type:?}"
    );
    // The restored stream holds the same events, byte for byte, in the same partitions and the
    // same order within each: its backup's events member is the original's.
    let again_file = root.path().join("again.tar.gz");
    let again = again_file.display().to_string();
    let (ok, _, err) = run(&[
        "backup", "--from", &urls, "--stream", "RESTORED", "--to", &again,
    ]);
    assert!(ok, "backup of the restored stream: {err}");
    let (full_manifest, _) = archive_contents(Path::new(&full_file));
    let (again_manifest, _) = archive_contents(&again_file);
    assert_eq!(
        again_manifest["eventsSha256"],
        full_manifest["eventsSha256"]
    );
    assert_eq!(
        again_manifest["source"]["partitionCounts"],
        full_manifest["source"]["partitionCounts"]
    );

    // Sealed with a key, as a standalone backup is.
    let key = root.path().join("archive.key");
    std::fs::write(&key, "11".repeat(32)).unwrap();
    let key = key.display().to_string();
    let sealed = root.path().join("sealed.tar.gz.enc").display().to_string();
    let (ok, _, err) = run(&[
        "backup",
        "--from",
        &urls,
        "--to",
        &sealed,
        "--encryption-key-file",
        &key,
    ]);
    assert!(ok, "sealed backup: {err}");
    let (ok, _, err) = run(&["verify", &sealed]);
    assert!(!ok && err.contains("--encryption-key-file"), "{err}");
    let (ok, out, err) = run(&["verify", &sealed, "--encryption-key-file", &key]);
    assert!(ok, "verify sealed: {err}");
    let summary: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(summary["eventCount"].as_u64(), Some(total));
    assert_eq!(summary["encrypted"], true);

    // Another archive into the now non-empty stream is refused, naming the stream.
    let (ok, _, err) = restore(&cut_file.display().to_string());
    assert!(!ok, "a restore into a non-empty stream must fail");
    assert!(
        err.contains("`RESTORED`") && err.contains(&format!("already holds {total} messages")),
        "{err}"
    );
}
