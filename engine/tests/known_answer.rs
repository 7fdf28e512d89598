//! The known-answer stream through the real binary over HTTP: 600 sessions (70% Create → Write →
//! Rename, the rest three random event types), latencies of about 20 µs with five 50 ms spikes,
//! and one session that skips its Write. At default settings the five spikes must be the top five
//! event anomalies, at most 1% of the other events may be flagged, the broken session must be
//! flagged by name with its unlikely step, every session must get a verdict, the replayed
//! (historical) event times must still be forecast, and the records must survive a restart.

mod common;

use common::Engine;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;
use vexfs_engine::event::EventType;

const SESSIONS: usize = 600;
const SPIKE_SESSIONS: [usize; 5] = [120, 230, 340, 450, 560];
const BROKEN_SESSION: usize = 400;
/// 2026-01-01T00:00:00Z: historical event time, far from the wall clock.
const START_NS: i64 = 1_767_225_600_000_000_000;
/// The stream as NDJSON lines, with the session index of each event and whether it is a spike.
fn stream() -> Vec<(String, usize, bool)> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut out = Vec::new();
    for s in 0..SESSIONS {
        let types: Vec<&str> = if s == BROKEN_SESSION {
            vec!["FilesystemCreate", "FilesystemRename"]
        } else if rng.random_bool(0.7) {
            vec!["FilesystemCreate", "FilesystemWrite", "FilesystemRename"]
        } else {
            (0..3)
                .map(|_| EventType::ALL[rng.random_range(0..EventType::COUNT)].name())
                .collect()
        };
        for (i, t) in types.iter().enumerate() {
            let spike = SPIKE_SESSIONS.contains(&s) && i == 1;
            let latency = if spike {
                50_000_000
            } else {
                rng.random_range(15_000..25_000)
            };
            let at = START_NS + s as i64 * 1_000_000_000 + i as i64 * 10_000_000;
            let event = json!({
                "type": t,
                "timestamp": chrono::DateTime::from_timestamp_nanos(at).to_rfc3339(),
                "source": format!("node-{}", s % 4),
                "context": {
                    "transactionId": format!("ka-{s}"),
                    "filesystem": {"path": format!("/known-answer/{s}")},
                },
                "latencyNs": latency,
                "sizeBytes": rng.random_range(3_000..5_000),
            });
            out.push((event.to_string(), s, spike));
        }
    }
    out
}

/// Sends the stream; returns the ids of the spikes and the number of events.
async fn send(engine: &Engine) -> (HashSet<u64>, usize) {
    let client = reqwest::Client::new();
    let events = stream();
    let mut spikes = HashSet::new();
    for chunk in events.chunks(300) {
        let body: String = chunk
            .iter()
            .map(|(line, _, _)| format!("{line}\n"))
            .collect();
        let receipt: Value = client
            .post(format!("{}/api/v1/events", engine.url))
            .body(body)
            .send()
            .await
            .expect("ingest")
            .json()
            .await
            .expect("receipt");
        let ids = receipt["ids"].as_array().expect("ids").clone();
        for ((_, _, spike), id) in chunk.iter().zip(ids) {
            if *spike {
                spikes.insert(id.as_u64().expect("id"));
            }
        }
    }
    (spikes, events.len())
}

/// Polls `path` until `done` holds for its JSON (the analytics lag, the idle flush and the
/// forecast refit are asynchronous).
async fn wait_for(engine: &Engine, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..300 {
        let v = engine.get(path).await;
        if done(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never satisfied the condition");
}

async fn all_event_records(engine: &Engine) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = engine
            .get(&format!("/api/v1/anomalies?kind=event&limit=1000{cursor}"))
            .await;
        out.extend(page["anomalies"].as_array().cloned().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_known_answer_stream_is_ranked_and_judged_correctly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("engine.toml");
    std::fs::write(&config, "[pattern_discovery]\nsession_idle_seconds = 1\n").expect("config");
    let data = dir.path().join("data");
    let engine = Engine::start_with_config(&data, &config).await;
    let (spikes, events) = send(&engine).await;
    assert_eq!(spikes.len(), 5);
    let sessions = wait_for(&engine, "/api/v1/sessions?limit=1", |v| {
        v["total"].as_u64() == Some(SESSIONS as u64)
    })
    .await;
    assert_eq!(
        sessions["totals"]["unscored"], 50,
        "min_samples sessions are unscored"
    );

    // The five spikes are the five most severe event anomalies.
    let top = engine
        .get("/api/v1/anomalies?kind=event&sort=severity&limit=5")
        .await;
    let top_ids: HashSet<u64> = top["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .map(|a| a["eventId"].as_u64().expect("eventId"))
        .collect();
    assert_eq!(top_ids, spikes, "{top:#}");
    let first = &top["anomalies"][0];
    assert_eq!(first["detector"], "latency");
    assert!(
        first["severity"].as_f64().is_some_and(|s| s > 0.9),
        "{first:#}"
    );
    let deviation = first["contributions"][0]["deviation"]
        .as_f64()
        .unwrap_or(0.0);
    assert!(deviation > 1_000.0, "x median: {first:#}");

    // At most 1% of the other events are flagged.
    let flagged: HashSet<u64> = all_event_records(&engine)
        .await
        .iter()
        .filter_map(|a| a["eventId"].as_u64())
        .filter(|id| !spikes.contains(id))
        .collect();
    let others = events - spikes.len();
    println!(
        "known answer: top severity {}, {} of {others} other events flagged",
        first["severity"],
        flagged.len()
    );
    assert!(
        flagged.len() * 100 <= others,
        "{} of {others} flagged",
        flagged.len()
    );

    // The broken session is flagged by name, with the step that is unlikely.
    let key = format!("ka-{BROKEN_SESSION}");
    let records = engine
        .get(&format!("/api/v1/anomalies?kind=session&subject={key}"))
        .await;
    let record = &records["anomalies"][0];
    assert_eq!(record["subject"], key.as_str(), "{records:#}");
    let why = record["explanation"].as_str().unwrap_or_default();
    assert!(
        why.contains("FilesystemCreate -> FilesystemRename"),
        "{why}"
    );
    let detail = engine.get(&format!("/api/v1/sessions/{key}")).await;
    assert_eq!(detail["verdict"]["verdict"], "anomalous", "{detail:#}");
    assert_eq!(detail["leastLikelyStep"]["from"], "FilesystemCreate");
    assert_eq!(detail["leastLikelyStep"]["to"], "FilesystemRename");
    assert_eq!(detail["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail["steps"].as_array().map(Vec::len), Some(3));
    assert_eq!(detail["verdict"]["anomalyId"], record["id"]);
    let normal = engine.get("/api/v1/sessions/ka-599").await;
    assert_ne!(normal["verdict"]["verdict"], "unscored");

    // Historical event times are forecast, and the forecast is backtested.
    let predictions = wait_for(&engine, "/api/v1/predictions", |p| {
        p["forecasts"].as_array().is_some_and(|f| !f.is_empty())
    })
    .await;
    let total = &predictions["forecasts"][0];
    assert_eq!(total["series"], "rate:total");
    let peak = total["forecast"]
        .as_array()
        .expect("points")
        .iter()
        .filter_map(|p| p["value"].as_f64())
        .fold(0.0, f64::max);
    assert!(peak > 1.0, "about 3 events/s: {total:#}");
    assert!(total["backtest"]["mae"].is_number(), "{total:#}");

    let metrics = reqwest::get(format!("{}/metrics", engine.url))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"vexfs_anomalies_total{detector="latency",kind="event"}"#),
        "{metrics}"
    );

    // Records survive a restart, with their ids, and the replay adds no duplicates.
    let before = engine.get("/api/v1/anomalies?limit=1000").await;
    engine.stop();
    let engine = Engine::start_with_config(&data, &config).await;
    wait_for(&engine, "/api/v1/sessions?limit=1", |v| {
        v["total"].as_u64() == Some(SESSIONS as u64)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let after = engine.get("/api/v1/anomalies?limit=1000").await;
    assert_eq!(after["total"], before["total"], "{after:#}");
    assert_eq!(after["anomalies"][0]["id"], before["anomalies"][0]["id"]);
    engine.stop();

    // A backup carries the records into a restored engine.
    let archive = dir.path().join("backup.tar.gz");
    let restored = dir.path().join("restored");
    for args in [
        vec!["backup", "--data-dir", path(&data), "--to", path(&archive)],
        vec!["restore", path(&archive), "--data-dir", path(&restored)],
    ] {
        let out = common::run_cli(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let engine = Engine::start_with_config(&restored, &config).await;
    let back = engine.get("/api/v1/anomalies?limit=1000").await;
    assert_eq!(back["total"], before["total"], "{back:#}");
    assert_eq!(back["anomalies"], before["anomalies"]);
    engine.stop();
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}
