//! The query tests' stream (sessions from templates, planted latency spikes), the engine settings
//! under which one engine and several replicas see the same sessions, and helpers to page and
//! compare answers.

use super::Replica;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Every this many events carries a planted latency spike.
pub const SPIKE_EVERY: usize = 997;

/// Sessions close only when the stream goes quiet, so a session is the same whichever engine
/// holds it; count windows, the session window and the verdict log hold everything.
pub const EXTRA: &str = "session_idle_seconds = 5\ntemporal_window_seconds = 7200\n\n\
                     [analytics]\nsliding_window_size = 250000\nmax_event_history = 250000\n\n\
                     [anomaly_detection]\nmax_session_verdicts = 20000\n";

/// Session shapes (event types in order).
pub const TEMPLATES: [&[&str]; 4] = [
    &[
        "FilesystemCreate",
        "FilesystemWrite",
        "FilesystemWrite",
        "FilesystemRead",
        "FilesystemDelete",
    ],
    &[
        "FilesystemRead",
        "FilesystemRead",
        "FilesystemWrite",
        "FilesystemChmod",
    ],
    &[
        "FilesystemMkdir",
        "FilesystemCreate",
        "FilesystemRename",
        "FilesystemRead",
        "FilesystemWrite",
        "FilesystemTruncate",
    ],
    &[
        "FilesystemCreate",
        "FilesystemChown",
        "FilesystemRead",
        "FilesystemDelete",
    ],
];
/// Types inserted at random into some sessions.
pub const NOISE: [&str; 3] = ["FilesystemRead", "FilesystemChmod", "FilesystemRename"];

/// A deterministic stream of `sessions` sessions, in event-time order, ending 20 minutes ago;
/// each session runs its template `rounds` times.
pub fn stream(sessions: usize, rounds: usize) -> Vec<Value> {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let start = now - 45 * 60 * 1_000_000_000;
    let mut x: u64 = 42;
    let mut next = move || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    let mut events = Vec::new();
    for s in 0..sessions {
        let template = TEMPLATES[(next() % 4) as usize];
        let mut types: Vec<&str> = Vec::new();
        for _ in 0..rounds {
            types.extend_from_slice(template);
            if next() % 10 < 6 {
                let at = types.len() - (next() as usize) % (template.len() + 1);
                types.insert(at, NOISE[(next() % 3) as usize]);
            }
        }
        for (j, t) in types.into_iter().enumerate() {
            let ts = start + s as i64 * 150_000_000 + j as i64 * 5_000_000;
            events.push((ts, s, j, t, 20_000 + next() % 30_000));
        }
    }
    events.sort_by_key(|e| e.0);
    events
        .into_iter()
        .enumerate()
        .map(|(i, (ts, s, j, t, latency))| {
            let latency = if i % SPIKE_EVERY == 0 {
                50_000_000
            } else {
                latency
            };
            json!({
                "type": t, "timestamp": ts, "source": format!("node-{}", s % 7),
                "context": {"sessionId": format!("s-{s}"),
                            "filesystem": {"path": format!("/data/{}/f", s % 40)}},
                "latencyNs": latency, "sizeBytes": 4096 + (s % 9) * 512,
                "idempotencyKey": format!("q-{s}-{j}"),
            })
        })
        .collect()
}

/// Polls `check` every 200 ms for at most `secs`; panics with `what` otherwise.
pub async fn wait_until<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Completed sessions in `engine`'s own pattern report.
pub async fn local_sessions(engine: &Replica) -> u64 {
    engine.get("/api/v1/patterns?scope=local").await["sessions"]
        .as_u64()
        .unwrap_or(0)
}

/// Every event of a paged listing from `engine`, following `nextCursor`.
pub async fn all_events(engine: &Replica, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/api/v1/events?limit={limit}", engine.url);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        assert_eq!(page["partial"], false, "{}", page["missingReplicas"]);
        out.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// The statistics fields one engine and a merged answer share exactly (not the count window's
/// capacity, which is summed over replicas, nor its rate: see docs/cluster.md).
pub fn comparable_stats(stats: &Value) -> Value {
    let cw = &stats["countWindow"];
    json!({
        "totalEvents": stats["totalEvents"], "retainedEvents": stats["retainedEvents"],
        "events": cw["events"], "byType": cw["byType"], "byCategory": cw["byCategory"],
        "latencyNs": cw["latencyNs"], "sizeBytes": cw["sizeBytes"],
        "topPaths": cw["topPaths"], "topSources": cw["topSources"],
        "timeWindows": stats["timeWindows"],
    })
}

/// The pattern report without `openSessions` and the coverage fields.
pub fn comparable_patterns(p: &Value) -> Value {
    json!({
        "sessions": p["sessions"], "minSupport": p["minSupport"], "truncated": p["truncated"],
        "completeUpToLength": p["completeUpToLength"], "patterns": p["patterns"],
        "rules": p["rules"],
    })
}

/// Asserts that a merged time series `got` has `want`'s range, buckets and counts exactly, and
/// latency percentiles within half a histogram bucket (1/16) of `want`'s exact ones.
pub fn assert_series_match(got: &Value, want: &Value, what: &str) {
    for key in [
        "sinceNs",
        "untilNs",
        "firstEventNs",
        "lastEventNs",
        "startNs",
        "bucketNs",
        "timesNs",
        "total",
        "byCategory",
        "byType",
        "events",
    ] {
        assert_eq!(got[key], want[key], "{what}: {key}");
    }
    let want_latency = want["latencyByType"].as_object().unwrap();
    let got_latency = got["latencyByType"].as_object().unwrap();
    assert_eq!(
        got_latency.keys().collect::<Vec<_>>(),
        want_latency.keys().collect::<Vec<_>>(),
        "{what}"
    );
    for (t, w) in want_latency {
        let g = &got_latency[t];
        assert_eq!(g["samples"], w["samples"], "{what}: {t}");
        for q in ["p50", "p95", "p99"] {
            let pairs = g[q]
                .as_array()
                .unwrap()
                .iter()
                .zip(w[q].as_array().unwrap());
            for (g, w) in pairs {
                match (g.as_f64(), w.as_f64()) {
                    (Some(g), Some(w)) => {
                        assert!((g - w).abs() <= w / 16.0, "{what}: {t} {q} {g} vs {w}");
                    }
                    _ => assert_eq!(g, w, "{what}: {t} {q}"),
                }
            }
        }
    }
}

/// Every session verdict of `engine`'s listing (the cluster's, from a replica), paged through.
pub async fn all_verdicts(engine: &Replica) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/api/v1/sessions?limit=1000".to_string();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = engine.get(&path).await;
        assert_ne!(page["partial"], true, "{}", page["missingReplicas"]);
        out.extend(page["sessions"].as_array().unwrap().iter().cloned());
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// What must be identical in two engines' verdicts, by session key (not when they were
/// closed, nor record ids, which are each engine's own).
pub fn comparable_verdicts(verdicts: &[Value]) -> std::collections::BTreeMap<String, Value> {
    verdicts
        .iter()
        .map(|v| {
            let mut v = v.clone();
            let object = v.as_object_mut().unwrap();
            for field in ["closedAt", "closedAtNs", "anomalyId"] {
                object.remove(field);
            }
            (object["key"].as_str().unwrap().to_owned(), v)
        })
        .collect()
}
