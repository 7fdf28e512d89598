//! HTTP tests of the anomaly and session routes through the router.

use super::super::metrics::Metrics;
use super::super::{AppState, anomaly_publish, router};
use crate::config::Config;
use crate::event::{Event, EventType};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

const SEC: i64 = 1_000_000_000;

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let resp = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// 300 three-step transactions with ~20 µs writes, one 50 ms event (id 500) and one
/// transaction (`tx-broken`) that skips its write; every session closed by a quiet tick.
fn state() -> AppState {
    let (state, _rx) = AppState::new(
        Config::default(),
        Arc::new(Metrics::new().expect("metrics")),
    );
    let mut events = Vec::new();
    for n in 0..300i64 {
        let tx = if n == 250 {
            "tx-broken".to_string()
        } else {
            format!("tx-{n}")
        };
        let types: &[EventType] = if n == 250 {
            &[EventType::FilesystemCreate, EventType::FilesystemRename]
        } else {
            &[
                EventType::FilesystemCreate,
                EventType::FilesystemWrite,
                EventType::FilesystemRename,
            ]
        };
        for (i, t) in types.iter().enumerate() {
            let latency = 18_000 + (n as u64 * 7919 + i as u64 * 31) % 4_000;
            let mut e = Event::new(*t, 1_000 * SEC + n * SEC + i as i64 * 1_000, "node")
                .with_measures(latency, 4096);
            e.context.transaction_id = Some(tx.clone().into());
            e.id = events.len() as u64 + 1;
            if e.id == 500 {
                e.latency_ns = 50_000_000;
            }
            events.push(e);
        }
    }
    {
        let mut shared = state.shared.lock();
        shared.retained.insert(events.clone());
        shared.engine.apply(&events, 0);
        shared.engine.tick(100 * SEC);
        shared.engine.tick(200 * SEC);
    }
    state
}

#[tokio::test]
async fn anomalies_are_filtered_sorted_paged_and_totalled() {
    let state = state();
    let (status, top) = get(&state, "/api/v1/anomalies?kind=event&sort=severity&limit=1").await;
    assert_eq!(status, StatusCode::OK, "{top}");
    let first = &top["anomalies"][0];
    assert_eq!(first["eventId"], 500, "{top:#}");
    assert_eq!(first["subject"], "500");
    assert_eq!(first["detector"], "latency");
    assert!(first["id"].as_str().is_some_and(|id| id.starts_with("a-")));
    assert!(
        first["eventTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(first["contributions"][0]["unit"], "x median");
    assert!(top["totals"]["byDetector"]["latency"].as_u64() >= Some(1));
    assert!(top["forest"]["trained"].as_bool().unwrap_or(false));
    let (_, sessions) = get(
        &state,
        "/api/v1/anomalies?detector=sequence&subject=tx-broken",
    )
    .await;
    assert_eq!(sessions["total"], 1, "{sessions:#}");
    assert_eq!(sessions["anomalies"][0]["kind"], "session");
    let (_, none) = get(
        &state,
        "/api/v1/anomalies?minSeverity=1&since=2000-01-01T00:00:00Z&until=5",
    )
    .await;
    assert_eq!(none["total"], 0);
    let (_, page) = get(&state, "/api/v1/anomalies?limit=1").await;
    if let Some(cursor) = page["nextCursor"].as_str() {
        let (status, next) = get(
            &state,
            &format!("/api/v1/anomalies?limit=1&cursor={cursor}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(next["anomalies"][0]["id"], page["anomalies"][0]["id"]);
    }
}

#[tokio::test]
async fn bad_parameters_name_the_parameter() {
    let state = state();
    for (uri, field) in [
        ("/api/v1/anomalies?kind=bogus", "kind"),
        ("/api/v1/anomalies?detector=bogus", "detector"),
        ("/api/v1/anomalies?sort=bogus", "sort"),
        ("/api/v1/anomalies?minSeverity=2", "minSeverity"),
        ("/api/v1/anomalies?cursor=x", "cursor"),
        ("/api/v1/anomalies?limit=0", "limit"),
        ("/api/v1/anomalies?since=yesterday", "since"),
        ("/api/v1/sessions?verdict=bogus", "verdict"),
        ("/api/v1/sessions?cursor=x", "cursor"),
    ] {
        let (status, body) = get(&state, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["field"], field, "{uri}: {body}");
    }
}

#[tokio::test]
async fn every_session_has_a_verdict_and_a_detail() {
    let state = state();
    let (status, all) = get(&state, "/api/v1/sessions?limit=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["total"], 300);
    assert_eq!(all["totals"]["unscored"], 50);
    let (_, flagged) = get(&state, "/api/v1/sessions?verdict=anomalous&sort=severity").await;
    let keys: Vec<&str> = flagged["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter_map(|s| s["key"].as_str())
        .collect();
    assert_eq!(keys, ["tx-broken"], "{flagged:#}");
    let (status, detail) = get(&state, "/api/v1/sessions/tx-broken").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["leastLikelyStep"]["to"], "FilesystemRename");
    assert_eq!(detail["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail["steps"][2]["eventType"], "(end)");
    assert!(detail["verdict"]["anomalyId"].is_string());
    let (status, missing) = get(&state, "/api/v1/sessions/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["error"], "session_not_found");
}

#[tokio::test]
async fn new_records_are_streamed_and_counted() {
    let state = state();
    let request = Request::get("/api/v1/anomalies/stream").body(Body::empty());
    let resp = router(state.clone())
        .oneshot(request.expect("request"))
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    anomaly_publish::publish(&state);
    let mut body = resp.into_body();
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
        .await
        .expect("a frame in time")
        .expect("a frame")
        .expect("data");
    let text = String::from_utf8(frame.into_data().expect("data").to_vec()).expect("utf-8");
    assert!(text.contains("event: anomaly"), "{text}");
    assert!(text.contains("id: a-000000001"), "{text}");
    let metrics = state.metrics.render();
    assert!(
        metrics.contains(r#"vexfs_anomalies_total{detector="latency",kind="event"} 1"#),
        "{metrics}"
    );
}
