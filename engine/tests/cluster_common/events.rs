//! Test events and their expected placement, ingest requests, and waiting for totals.

use super::{PARTITIONS, Replica};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// FNV-1a 64 of `bytes`, written here from its definition (independently of the engine).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The partition of a session id.
pub fn partition_of(session: &str) -> u32 {
    (fnv1a(session.as_bytes()) % u64::from(PARTITIONS)) as u32
}

/// Event `i` of a test stream: session `s-<i % sessions>`, idempotency key `<tag>-<i>`.
pub fn event(tag: &str, i: usize, sessions: usize) -> (Value, String) {
    let session = format!("s-{}", i % sessions);
    let value = json!({
        "type": "FilesystemWrite",
        "source": format!("node-{}", i % 5),
        "context": {"sessionId": session, "filesystem": {"path": format!("/t/{i}")}},
        "latencyNs": 1000 + i, "sizeBytes": 4096,
        "idempotencyKey": format!("{tag}-{i}"),
    });
    (value, session)
}

/// NDJSON of `events`.
pub fn ndjson(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

/// POSTs `body` to `url`'s ingest endpoint; the receipt on success.
pub async fn post(client: &reqwest::Client, url: &str, body: String) -> Result<Value, String> {
    let response = client
        .post(format!("{url}/api/v1/events"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{status}: {body}"))
    }
}

/// Polls until `check` holds for the replicas' totals (at most `secs`), returning the last totals.
pub async fn wait_totals(
    replicas: &[Replica],
    secs: u64,
    check: impl Fn(&[u64]) -> bool,
) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let mut totals = Vec::new();
        for r in replicas {
            totals.push(r.total().await);
        }
        if check(&totals) || Instant::now() >= deadline {
            return totals;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Events per owned partition share: how many of `sessions` (one per event) replica `ordinal`
/// of `replicas` owns.
pub fn owned_count(sessions: &[String], replicas: u32, ordinal: u32) -> u64 {
    sessions
        .iter()
        .filter(|s| partition_of(s) % replicas == ordinal)
        .count() as u64
}
