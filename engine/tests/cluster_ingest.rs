//! Clustered mode on a real 3-node JetStream cluster (stream replicas 3) with 3 engine
//! replicas: ingest through any replica lands on the owner of the event's session, duplicates
//! by idempotency key count once, and a restarted replica resumes from its checkpoint.
//! Run by `make test-cluster` (which builds nats-server and sets `VEXFS_NATS_SERVER`).

mod cluster_common;

use cluster_common::{
    NatsCluster, PARTITIONS, Replica, event, ndjson, owned_count, partition_of, post, wait_totals,
};
use serde_json::Value;

const EVENTS: usize = 3_000;
const BATCH: usize = 100;
const SESSIONS: usize = 97;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run by `make test-cluster`"]
async fn events_land_on_the_owner_of_their_session_and_a_restart_resumes() {
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(root.path()).await;
    let mut replicas = Vec::new();
    for ordinal in 0..3 {
        replicas.push(Replica::start(root.path(), &nats.urls(), 3, ordinal).await);
    }
    let client = reqwest::Client::new();
    let mut sessions = Vec::new();
    let mut batches = Vec::new();
    for start in (0..EVENTS).step_by(BATCH) {
        let (events, keys): (Vec<Value>, Vec<String>) = (start..start + BATCH)
            .map(|i| event("a", i, SESSIONS))
            .unzip();
        sessions.extend(keys);
        batches.push(ndjson(&events));
    }
    for (n, body) in batches.iter().enumerate() {
        let through = &replicas[n % 3];
        let receipt = post(&client, &through.url, body.clone()).await.unwrap();
        assert_eq!(receipt["accepted"], BATCH, "batch {n}: {receipt}");
        assert_eq!(receipt["duplicates"], 0);
        let ids = receipt["ids"].as_array().unwrap();
        assert!(
            ids.iter().all(|id| id.as_u64().unwrap() > 0),
            "stream sequences"
        );
    }
    // The same batches again, each through another replica: all duplicates, same sequences.
    for (n, body) in batches.iter().take(3).enumerate() {
        let receipt = post(&client, &replicas[(n + 1) % 3].url, body.clone())
            .await
            .unwrap();
        assert_eq!(receipt["accepted"], 0, "{receipt}");
        assert_eq!(receipt["duplicates"], BATCH);
    }
    // One new batch through all three replicas at once: every copy is answered, the events are
    // stored once (a key in process elsewhere is published again until the stream answers).
    let (events, keys): (Vec<Value>, Vec<String>) = (EVENTS..EVENTS + BATCH)
        .map(|i| event("a", i, SESSIONS))
        .unzip();
    let body = ndjson(&events);
    let copies = replicas.iter().map(|r| post(&client, &r.url, body.clone()));
    let mut accepted = 0;
    for receipt in futures::future::join_all(copies).await {
        let receipt = receipt.expect("every copy is answered");
        let stored = receipt["accepted"].as_u64().unwrap();
        assert_eq!(
            stored + receipt["duplicates"].as_u64().unwrap(),
            BATCH as u64
        );
        accepted += stored;
    }
    assert_eq!(accepted, BATCH as u64, "each event is stored once");
    sessions.extend(keys);
    let expected: Vec<u64> = (0..3).map(|o| owned_count(&sessions, 3, o)).collect();
    assert_eq!(expected.iter().sum::<u64>(), (EVENTS + BATCH) as u64);
    assert!(
        expected.iter().all(|n| *n > 0),
        "every replica owns events: {expected:?}"
    );
    let totals = wait_totals(&replicas, 60, |t| t == expected.as_slice()).await;
    assert_eq!(
        totals, expected,
        "each replica counts exactly its partitions' events"
    );

    // Each replica's events are those of its owned partitions.
    for (ordinal, replica) in replicas.iter().enumerate() {
        let page = replica.get("/api/v1/events?limit=10000").await;
        for e in page["events"].as_array().unwrap() {
            let session = e["context"]["sessionId"].as_str().unwrap();
            assert_eq!(partition_of(session) % 3, ordinal as u32, "{e}");
        }
        let report = replica.get("/api/v1/cluster").await;
        assert_eq!(report["mode"], "nats");
        assert_eq!(report["ordinal"], ordinal);
        assert_eq!(report["partitions"], PARTITIONS);
        let owned: Vec<u64> = (0..u64::from(PARTITIONS))
            .filter(|p| p % 3 == ordinal as u64)
            .collect();
        assert_eq!(report["owned"], serde_json::json!(owned));
        assert_eq!(report["caughtUp"], true);
    }
    let metrics = reqwest::get(format!("{}/metrics", replicas[1].url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("vexfs_cluster_consumer_pending{partition=\"1\"}"));
    assert!(metrics.contains("vexfs_cluster_applied_sequence{partition=\"4\"}"));

    // Restart replica 1: it resumes from its checkpoint, not from the stream's start.
    let before = replicas[1].get("/api/v1/cluster").await;
    replicas[1].stop();
    replicas[1].restart().await;
    let after = replicas[1].get("/api/v1/cluster").await;
    let applied: serde_json::Map<String, Value> = before["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["partition"].to_string(), row["appliedSequence"].clone()))
        .collect();
    assert_eq!(after["resumedFrom"], Value::Object(applied), "{after}");
    assert_eq!(after["rebuilt"], false);
    // The consumers started after the restart begin right after the recovered marks.
    let mut log = replicas[1].log_text();
    for _ in 0..100 {
        if log.matches("consuming partition").count() >= 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        log = replicas[1].log_text();
    }
    let restart = log.rfind("listening; replaying the log").unwrap();
    let mut resumed = 0;
    for line in log[restart..].lines() {
        let Ok(record) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if record["fields"]["message"] == "consuming partition" {
            let fields = &record["fields"];
            let partition = fields["partition"].to_string();
            let mark = after["resumedFrom"][&partition].as_u64().unwrap();
            assert!(mark > 0, "partition {partition} had events");
            assert_eq!(fields["from_sequence"].as_u64(), Some(mark + 1), "{line}");
            resumed += 1;
        }
    }
    assert_eq!(resumed, 3, "one consumer per owned partition (1, 4, 7)");
    assert_eq!(
        replicas[1].total().await,
        expected[1],
        "replayed, not re-read"
    );

    // New events after the restart are counted once more, nothing twice.
    let (events, more): (Vec<Value>, Vec<String>) = (EVENTS + BATCH..EVENTS + BATCH + 600)
        .map(|i| event("a", i, SESSIONS))
        .unzip();
    post(&client, &replicas[2].url, ndjson(&events))
        .await
        .unwrap();
    sessions.extend(more);
    let expected: Vec<u64> = (0..3).map(|o| owned_count(&sessions, 3, o)).collect();
    let totals = wait_totals(&replicas, 60, |t| t == expected.as_slice()).await;
    assert_eq!(totals, expected);
    assert_eq!(totals.iter().sum::<u64>(), (EVENTS + BATCH + 600) as u64);
}
