//! Faults during clustered ingest: one NATS server and one engine replica are killed with
//! SIGKILL while clients write; clients retry unacknowledged batches (same idempotency keys)
//! through another replica. After the server and the replica restart and catch up, every
//! acknowledged event is counted exactly once. Run by `make test-cluster`.

mod cluster_common;

use cluster_common::{NatsCluster, Replica, event, ndjson, owned_count, post, wait_totals};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const WRITERS: usize = 2;
const BATCHES_PER_WRITER: usize = 20;
const BATCH: usize = 100;
const SESSIONS: usize = 131;
const KILL_AFTER_ACKED_BATCHES: usize = 8;

/// Sends `batches` in order, each through the next replica until one acknowledges it.
async fn writer(urls: Vec<String>, batches: Vec<String>, first: usize, acked: Arc<AtomicUsize>) {
    let client = reqwest::Client::new();
    for (n, body) in batches.into_iter().enumerate() {
        let mut attempt = 0;
        loop {
            let url = &urls[(first + n + attempt) % urls.len()];
            match post(&client, url, body.clone()).await {
                Ok(receipt) => {
                    let stored = receipt["accepted"].as_u64().unwrap()
                        + receipt["duplicates"].as_u64().unwrap();
                    assert_eq!(stored, BATCH as u64, "{receipt}");
                    acked.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                Err(e) => {
                    attempt += 1;
                    assert!(attempt < 200, "batch {n} never acknowledged: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run by `make test-cluster`"]
async fn sigkill_of_a_nats_server_and_a_replica_loses_and_doubles_nothing() {
    let root = tempfile::tempdir().unwrap();
    let mut nats = NatsCluster::start(root.path()).await;
    let mut replicas = Vec::new();
    for ordinal in 0..3 {
        replicas.push(Replica::start(root.path(), &nats.urls(), 3, ordinal).await);
    }
    let urls: Vec<String> = replicas.iter().map(|r| r.url.clone()).collect();
    let mut sessions = Vec::new();
    let acked = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let mut batches = Vec::new();
        for b in 0..BATCHES_PER_WRITER {
            let start = (w * BATCHES_PER_WRITER + b) * BATCH;
            let (events, keys): (Vec<Value>, Vec<String>) = (start..start + BATCH)
                .map(|i| event("f", i, SESSIONS))
                .unzip();
            sessions.extend(keys);
            batches.push(ndjson(&events));
        }
        tasks.push(tokio::spawn(writer(
            urls.clone(),
            batches,
            w,
            acked.clone(),
        )));
    }
    while acked.load(Ordering::SeqCst) < KILL_AFTER_ACKED_BATCHES {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    nats.kill(1);
    replicas[2].kill();
    for task in tasks {
        task.await.expect("writer");
    }
    let n = WRITERS * BATCHES_PER_WRITER * BATCH;
    assert_eq!(acked.load(Ordering::SeqCst) * BATCH, n);
    nats.restart(1).await;
    replicas[2].restart().await;
    let expected: Vec<u64> = (0..3).map(|o| owned_count(&sessions, 3, o)).collect();
    let totals = wait_totals(&replicas, 120, |t| t == expected.as_slice()).await;
    assert_eq!(
        totals, expected,
        "each replica counts its partitions' events once"
    );
    assert_eq!(totals.iter().sum::<u64>(), n as u64);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for replica in &replicas {
        let page = replica.get("/api/v1/events?limit=10000").await;
        for e in page["events"].as_array().unwrap() {
            *seen
                .entry(e["idempotencyKey"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    assert_eq!(seen.len(), n, "every acknowledged event is stored");
    assert!(seen.values().all(|c| *c == 1), "no event is stored twice");

    // With every NATS server gone, nothing is claimed as stored: batches beyond the in-flight
    // bound answer 429, the others 503 naming the log once their acknowledgements time out.
    for i in 0..3 {
        nats.kill(i);
    }
    let client = reqwest::Client::new();
    let body = ndjson(&[event("down", 0, SESSIONS).0]);
    let attempts = (0..40).map(|_| post(&client, &urls[0], body.clone()));
    let answers = futures::future::join_all(attempts).await;
    let mut by_status: HashMap<String, usize> = HashMap::new();
    for answer in answers {
        let error = answer.expect_err("no batch is acknowledged without NATS");
        *by_status.entry(error[..3].to_string()).or_default() += 1;
        if error.starts_with("503") {
            assert!(error.contains("log_unavailable"), "{error}");
        }
    }
    let throttled = by_status.get("429").copied().unwrap_or(0);
    let unavailable = by_status.get("503").copied().unwrap_or(0);
    assert_eq!(throttled + unavailable, 40, "{by_status:?}");
    assert!(
        throttled >= 8,
        "at most 32 batches in flight: {by_status:?}"
    );
}
