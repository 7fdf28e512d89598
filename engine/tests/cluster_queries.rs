//! Queries answered for the whole cluster: the same 200,000-event stream into one standalone
//! engine and into three clustered replicas gives the same statistics, per-type counts, latency
//! percentiles, patterns, rules and session verdicts from any replica; events and anomaly records page across the replicas
//! without skips or repeats; a replica that is down makes answers partial, naming it.
//! Run by `make test-cluster`.

mod cluster_common;

use cluster_common::queries::{
    EXTRA, all_events, all_verdicts, assert_series_match, comparable_patterns, comparable_stats,
    comparable_verdicts, local_sessions, stream, wait_until,
};
use cluster_common::{NatsCluster, Replica, free_port, ndjson, partition_of, post, start_cluster};
use serde_json::json;
use std::collections::HashSet;
use std::time::Instant;

/// Sessions of the equivalence stream (the session window of 10,000 holds them all).
const SESSIONS: usize = 9_500;
/// Times each session runs its template (about 21 events per session).
const ROUNDS: usize = 4;
/// Events per ingest request.
const BATCH: usize = 2_000;
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run by `make test-cluster`"]
async fn any_replica_answers_what_one_engine_answers() {
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(root.path()).await;
    let replicas = start_cluster(root.path(), &nats.urls(), 3, EXTRA).await;
    let single = Replica::start_named(
        root.path(),
        "standalone",
        &format!("[pattern_discovery]\nsession_key = \"session\"\n{EXTRA}"),
        free_port(),
    )
    .await;
    let events = stream(SESSIONS, ROUNDS);
    let total = events.len();
    assert!(total >= 200_000, "{total} events");
    let client = reqwest::Client::new();
    let started = Instant::now();
    for (n, batch) in events.chunks(BATCH).enumerate() {
        let body = ndjson(batch);
        let (a, b) = tokio::join!(
            post(&client, &single.url, body.clone()),
            post(&client, &replicas[n % 3].url, body)
        );
        a.unwrap();
        b.unwrap();
    }
    eprintln!("ingested {total} events twice in {:?}", started.elapsed());
    wait_until(120, "every event is applied", || async {
        let mut sum = 0;
        for r in &replicas {
            sum += r.total().await;
        }
        sum == total as u64 && single.total().await == total as u64
    })
    .await;
    wait_until(60, "every session is closed and mined", || async {
        let mut sum = 0;
        for r in &replicas {
            sum += local_sessions(r).await;
        }
        sum == SESSIONS as u64 && local_sessions(&single).await == SESSIONS as u64
    })
    .await;
    // Each replica mines its pattern candidates in the background once its sessions changed;
    // asking for them waits for that run (a query meanwhile would too).
    let mining = Instant::now();
    for r in &replicas {
        let c = r.get("/api/v1/patterns?scope=local&phase=candidates").await;
        assert!(c["sessions"].as_u64().unwrap() > 0, "{c}");
    }
    eprintln!("replicas' candidates mined within {:?}", mining.elapsed());

    let at = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let want_stats = single.get(&format!("/api/v1/stats?at={at}")).await;
    let asked = Instant::now();
    let want_patterns = single.get("/api/v1/patterns").await;
    eprintln!("standalone: patterns in {:?}", asked.elapsed());
    let want_series = single.get("/api/v1/timeseries?points=90").await;
    assert!(!want_series["latencyByType"].as_object().unwrap().is_empty());
    assert_eq!(want_stats["totalEvents"], total);
    assert!(
        want_patterns["patterns"].as_array().unwrap().len() >= 5,
        "{want_patterns}"
    );
    assert!(
        !want_patterns["rules"].as_array().unwrap().is_empty(),
        "{want_patterns}"
    );
    assert!(
        want_stats["countWindow"]["latencyNs"]["max"] == 50_000_000,
        "the planted spikes are in the percentiles"
    );
    for (ordinal, replica) in replicas.iter().enumerate() {
        let stats = replica.get(&format!("/api/v1/stats?at={at}")).await;
        assert_eq!(stats["partial"], false, "replica {ordinal}: {stats}");
        assert_eq!(stats["missingReplicas"], json!([]));
        assert_eq!(
            comparable_stats(&stats),
            comparable_stats(&want_stats),
            "replica {ordinal}"
        );
        let (rate, want_rate) = (
            stats["countWindow"]["ratePerSec"].as_f64().unwrap(),
            want_stats["countWindow"]["ratePerSec"].as_f64().unwrap(),
        );
        assert!(
            (rate - want_rate).abs() / want_rate < 0.02,
            "rate {rate} vs {want_rate}"
        );
        let series = replica.get("/api/v1/timeseries?points=90").await;
        assert_eq!(
            series["partial"], false,
            "replica {ordinal}: {}",
            series["missingReplicas"]
        );
        assert_series_match(&series, &want_series, &format!("replica {ordinal}"));
        let asked = Instant::now();
        let patterns = replica.get("/api/v1/patterns").await;
        eprintln!("replica {ordinal}: patterns in {:?}", asked.elapsed());
        assert_eq!(patterns["partial"], false, "replica {ordinal}: {patterns}");
        assert_eq!(
            comparable_patterns(&patterns),
            comparable_patterns(&want_patterns),
            "replica {ordinal}"
        );
    }

    // Session verdicts: every replica judged every session with the same model; the listing
    // from any replica is the single engine's.
    let want_verdicts = comparable_verdicts(&all_verdicts(&single).await);
    assert_eq!(want_verdicts.len(), SESSIONS);
    let anomalous = want_verdicts
        .values()
        .filter(|v| v["verdict"] == "anomalous")
        .count();
    assert!(anomalous > 0, "some sessions are anomalous");
    for (ordinal, replica) in replicas.iter().enumerate() {
        let got = comparable_verdicts(&all_verdicts(replica).await);
        let differing: Vec<_> = want_verdicts
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(*v))
            .take(3)
            .collect();
        assert!(
            differing.is_empty() && got.len() == SESSIONS,
            "replica {ordinal}: {} verdicts, first differing {differing:?}",
            got.len()
        );
    }

    // A session's detail from any replica, though one replica holds it.
    let mut holders = 0;
    for replica in &replicas {
        let local = reqwest::get(format!("{}/api/v1/sessions/s-17?scope=local", replica.url))
            .await
            .unwrap();
        holders += usize::from(local.status().is_success());
        let detail = replica.get("/api/v1/sessions/s-17").await;
        assert_eq!(detail["key"], "s-17", "{detail}");
        assert!(!detail["events"].as_array().unwrap().is_empty());
    }
    assert_eq!(holders, 1, "a session lives on one replica");

    // Events: every one exactly once through the composite cursor, from any replica.
    let listed = all_events(&replicas[1], 3_000).await;
    let keys: HashSet<&str> = listed
        .iter()
        .map(|e| e["idempotencyKey"].as_str().unwrap())
        .collect();
    assert_eq!((listed.len(), keys.len()), (total, total));

    // Anomaly records: the union of every replica's, paged without skips or repeats.
    let mut local_total = 0;
    for r in &replicas {
        local_total += r.get("/api/v1/anomalies?scope=local&limit=1").await["total"]
            .as_u64()
            .unwrap();
    }
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut merged_total;
    loop {
        let mut url = String::from("/api/v1/anomalies?limit=50&sort=severity");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = replicas[2].get(&url).await;
        assert_eq!(page["partial"], false, "{page}");
        merged_total = Some(page["total"].as_u64().unwrap());
        for r in page["anomalies"].as_array().unwrap() {
            assert!(seen.insert(r.to_string()), "record repeated: {r}");
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(merged_total, Some(local_total));
    assert_eq!(seen.len() as u64, local_total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run by `make test-cluster`"]
async fn a_replica_that_is_down_makes_answers_partial_and_is_named() {
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(root.path()).await;
    let mut replicas = start_cluster(root.path(), &nats.urls(), 3, EXTRA).await;
    let events = stream(400, 1);
    let client = reqwest::Client::new();
    post(&client, &replicas[0].url, ndjson(&events))
        .await
        .unwrap();
    let total = events.len() as u64;
    wait_until(60, "every event is applied", || async {
        let mut sum = 0;
        for r in &replicas {
            sum += r.total().await;
        }
        sum == total
    })
    .await;
    let whole = replicas[0].get("/api/v1/stats").await;
    assert_eq!(
        (whole["partial"].clone(), whole["totalEvents"].clone()),
        (json!(false), json!(total))
    );

    let gone = replicas[2].url.clone();
    let pid = replicas[2].pid().expect("running");
    replicas[2].kill();
    eprintln!("killed replica 2 (pid {pid})");
    let left = replicas[0].total().await + replicas[1].total().await;
    assert!(left < total, "replica 2 owned part of the stream");
    for path in [
        "/api/v1/stats",
        "/api/v1/events?limit=10",
        "/api/v1/anomalies",
        "/api/v1/patterns",
        "/api/v1/timeseries",
    ] {
        for asked in &replicas[..2] {
            let answer = asked.get(path).await;
            assert_eq!(answer["partial"], true, "{path}: {answer}");
            let missing = answer["missingReplicas"].as_array().unwrap();
            assert_eq!(missing.len(), 1, "{path}: {answer}");
            assert_eq!(missing[0]["ordinal"], 2);
            assert_eq!(missing[0]["url"], gone.as_str());
            assert!(missing[0]["reason"].as_str().is_some_and(|r| !r.is_empty()));
        }
    }
    let stats = replicas[1].get("/api/v1/stats").await;
    assert_eq!(
        stats["totalEvents"], left,
        "the answer covers the replicas that answered"
    );
    // A session of the stopped replica: not found, and the answer says where it could be.
    let key = (0..400)
        .map(|s| format!("s-{s}"))
        .find(|k| partition_of(k) % 3 == 2)
        .unwrap();
    let response = reqwest::get(format!("{}/api/v1/sessions/{key}", replicas[0].url))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["partial"], true, "{body}");
    assert_eq!(body["missingReplicas"][0]["ordinal"], 2, "{body}");
    // One of a replica still up is found, once its session closed.
    let key = (0..400)
        .map(|s| format!("s-{s}"))
        .find(|k| partition_of(k) % 3 == 1)
        .unwrap();
    let local = format!("{}/api/v1/sessions/{key}?scope=local", replicas[1].url);
    wait_until(30, "the session is closed on its replica", || async {
        reqwest::get(&local)
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    let detail = replicas[0].get(&format!("/api/v1/sessions/{key}")).await;
    assert_eq!(detail["key"], key.as_str(), "{detail}");
}
