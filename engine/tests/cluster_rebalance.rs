//! Changing the replica count (2 → 3): replicas whose owned partitions changed rebuild their
//! state from the stream, and the totals still add up. Run by `make test-cluster`.

mod cluster_common;

use cluster_common::{NatsCluster, Replica, event, ndjson, owned_count, post, wait_totals};
use serde_json::Value;

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
