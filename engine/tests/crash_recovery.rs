//! SIGKILL under load, restart: every acknowledged event is present exactly once.

mod common;

use common::Engine;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Mutex;

const WRITERS: usize = 4;
const BATCH: usize = 200;
const KILL_AFTER_ACKED_BATCHES: usize = 60;

fn batch(writer: usize, seq: usize) -> (String, Vec<String>) {
    let mut body = String::new();
    let mut keys = Vec::new();
    for i in 0..BATCH {
        let key = format!("w{writer}-b{seq}-e{i}");
        let event = json!({"type": "FilesystemWrite", "source": format!("writer-{writer}"),
            "context": {"filesystem": {"path": format!("/load/{writer}/{i}")}},
            "latencyNs": 1000 + i, "sizeBytes": 4096, "idempotencyKey": key});
        body.push_str(&event.to_string());
        body.push('\n');
        keys.push(key);
    }
    (body, keys)
}

async fn load(
    url: String,
    writer: usize,
    acked: Arc<Mutex<Vec<String>>>,
    batches: Arc<AtomicUsize>,
) {
    let client = reqwest::Client::new();
    for seq in 0.. {
        let (body, keys) = batch(writer, seq);
        let sent = client
            .post(format!("{url}/api/v1/events"))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                let receipt: serde_json::Value = r.json().await.unwrap_or_default();
                if receipt["accepted"].as_u64() == Some(BATCH as u64) {
                    acked.lock().await.extend(keys);
                    batches.fetch_add(1, Ordering::SeqCst);
                }
            }
            Ok(r) if r.status().as_u16() == 429 => {}
            _ => return, // the engine is gone
        }
    }
}

/// Asserts every acknowledged key is stored exactly once with contiguous ids.
async fn assert_exactly_once(engine: &Engine, acked: &[String]) {
    let stored = engine.all_events("").await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in &stored {
        *seen
            .entry(e["idempotencyKey"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let missing: Vec<_> = acked.iter().filter(|k| !seen.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    let doubled: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "events stored twice: {doubled:?}");
    let ids: Vec<u64> = stored.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "ids stay contiguous"
    );
    println!(
        "acknowledged {} events, recovered {} (unacknowledged in flight: {})",
        acked.len(),
        stored.len(),
        stored.len() - acked.len()
    );
}

/// Resending an acknowledged batch after the restart stores nothing new.
async fn assert_resend_is_duplicate(engine: &Engine) {
    let (body, _) = batch(0, 0);
    let receipt: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/events", engine.url))
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["accepted"], 0);
    assert_eq!(receipt["duplicates"], BATCH);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_event() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let engine = Engine::start(&data).await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let batches = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(load(engine.url.clone(), w, acked.clone(), batches.clone())))
        .collect();
    while batches.load(Ordering::SeqCst) < KILL_AFTER_ACKED_BATCHES {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    engine.kill();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    assert!(acked.len() >= KILL_AFTER_ACKED_BATCHES * BATCH);

    let engine = Engine::start(&data).await;
    assert_exactly_once(&engine, &acked).await;
    assert_resend_is_duplicate(&engine).await;
    engine.stop();
}
