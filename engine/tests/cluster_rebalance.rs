//! Changing the replica count (2 → 3): replicas whose owned partitions changed rebuild their
//! state from the stream, and the totals still add up; and 2 → 3 → 2 leaves the merged answers
//! (statistics, patterns, the events listed) unchanged. Run by `make test-cluster`.

mod cluster_common;

use cluster_common::queries::{
    EXTRA, all_events, comparable_patterns, comparable_stats, local_sessions, stream, wait_until,
};
use cluster_common::{
    NatsCluster, Replica, event, ndjson, owned_count, post, start_cluster, wait_totals,
};
use serde_json::{Value, json};

const EVENTS: usize = 2_000;
const BATCH: usize = 250;
const SESSIONS: usize = 61;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run by `make test-cluster`"]
async fn scaling_from_two_to_three_replicas_rebuilds_and_adds_up() {
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(root.path()).await;
    let mut two = Vec::new();
    for ordinal in 0..2 {
        two.push(Replica::start(root.path(), &nats.urls(), 2, ordinal).await);
    }
    let client = reqwest::Client::new();
    let mut sessions = Vec::new();
    for (n, start) in (0..EVENTS).step_by(BATCH).enumerate() {
        let (events, keys): (Vec<Value>, Vec<String>) = (start..start + BATCH)
            .map(|i| event("r", i, SESSIONS))
            .unzip();
        sessions.extend(keys);
        post(&client, &two[n % 2].url, ndjson(&events))
            .await
            .unwrap();
    }
    let expected: Vec<u64> = (0..2).map(|o| owned_count(&sessions, 2, o)).collect();
    assert_eq!(
        wait_totals(&two, 60, |t| t == expected.as_slice()).await,
        expected
    );
    for replica in &mut two {
        replica.stop();
    }
    drop(two);

    let mut three = Vec::new();
    for ordinal in 0..3 {
        three.push(Replica::start(root.path(), &nats.urls(), 3, ordinal).await);
    }
    let expected: Vec<u64> = (0..3).map(|o| owned_count(&sessions, 3, o)).collect();
    let totals = wait_totals(&three, 60, |t| t == expected.as_slice()).await;
    assert_eq!(totals, expected, "each replica holds exactly its new share");
    assert_eq!(totals.iter().sum::<u64>(), EVENTS as u64);
    for (ordinal, replica) in three.iter().enumerate() {
        let report = replica.get("/api/v1/cluster").await;
        assert_eq!(report["replicas"], 3);
        assert_eq!(report["rebuilt"], ordinal < 2, "{report}");
    }
}

/// The merged answers (statistics as of `at`, patterns, the set of events) of `replicas`, once
/// every event is applied and every session mined.
async fn merged_answers(replicas: &[Replica], total: usize, sessions: usize, at: i64) -> Value {
    wait_until(120, "every event is applied", || async {
        let mut sum = 0;
        for r in replicas {
            sum += r.total().await;
        }
        sum == total as u64
    })
    .await;
    wait_until(60, "every session is closed and mined", || async {
        let mut sum = 0;
        for r in replicas {
            sum += local_sessions(r).await;
        }
        sum == sessions as u64
    })
    .await;
    let stats = replicas[0].get(&format!("/api/v1/stats?at={at}")).await;
    let patterns = replicas[replicas.len() - 1].get("/api/v1/patterns").await;
    assert_eq!(
        (stats["partial"].clone(), patterns["partial"].clone()),
        (json!(false), json!(false))
    );
    let mut keys: Vec<String> = all_events(&replicas[0], 1_000)
        .await
        .iter()
        .map(|e| e["idempotencyKey"].as_str().unwrap().to_owned())
        .collect();
    keys.sort_unstable();
    json!({
        "stats": comparable_stats(&stats),
        "patterns": comparable_patterns(&patterns),
        "events": keys,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run by `make test-cluster`"]
async fn merged_answers_stay_the_same_from_two_to_three_to_two_replicas() {
    const QUERY_SESSIONS: usize = 1_500;
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(root.path()).await;
    let mut replicas = start_cluster(root.path(), &nats.urls(), 2, EXTRA).await;
    let events = stream(QUERY_SESSIONS, 1);
    let client = reqwest::Client::new();
    for (n, batch) in events.chunks(1_000).enumerate() {
        post(&client, &replicas[n % 2].url, ndjson(batch))
            .await
            .unwrap();
    }
    let at = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let two = merged_answers(&replicas, events.len(), QUERY_SESSIONS, at).await;
    assert_eq!(two["stats"]["totalEvents"], events.len());
    assert!(!two["patterns"]["patterns"].as_array().unwrap().is_empty());
    for count in [3, 2] {
        for replica in &mut replicas {
            replica.stop();
        }
        drop(replicas);
        replicas = start_cluster(root.path(), &nats.urls(), count, EXTRA).await;
        let again = merged_answers(&replicas, events.len(), QUERY_SESSIONS, at).await;
        assert_eq!(again, two, "merged answers of {count} replicas");
    }
}
