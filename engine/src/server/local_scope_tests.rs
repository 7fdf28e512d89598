//! The `scope=local` forms peers ask each other for, on one engine: what they answer, and the
//! errors for wrong parameters.

use super::metrics::Metrics;
use super::{AppState, router};
use crate::config::Config;
use crate::event::{Event, EventType};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

const SEC: i64 = 1_000_000_000;

async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, Value) {
    let resp = router(state.clone()).oneshot(req).await.expect("response");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    send(
        state,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

async fn post(state: &AppState, uri: &str, body: &Value) -> (StatusCode, Value) {
    let req = Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    send(state, req).await
}

/// An engine holding 200 closed sessions of three types in order.
fn engine() -> AppState {
    let (state, _rx) = AppState::new(
        Config::default(),
        Arc::new(Metrics::new().expect("metrics")),
    );
    {
        let mut shared = state.shared.lock();
        let events: Vec<Event> = (0..600)
            .map(|i| {
                let mut e = Event::new(
                    EventType::ALL[(i % 3) as usize],
                    1_000 * SEC + i * SEC / 10,
                    "n",
                );
                e.context.transaction_id = Some(format!("tx-{}", i / 3).into());
                e.latency_ns = 1_000 + i as u64;
                e
            })
            .collect();
        shared.engine.apply(&events, 1_100 * SEC);
        shared.engine.tick(1_500 * SEC);
        shared.engine.tick(1_600 * SEC);
    }
    state
}

#[tokio::test]
async fn pattern_phases_answer_candidates_and_supports() {
    let state = engine();
    let (status, c) = get(&state, "/api/v1/patterns?scope=local&phase=candidates").await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["sessions"], 200);
    assert!(
        c["patterns"]
            .as_array()
            .is_some_and(|p| p.contains(&json!([0, 1, 2]))),
        "{c}"
    );
    let (status, s) = post(
        &state,
        "/api/v1/patterns/support?scope=local",
        &json!({"patterns": [[0, 1, 2], [2, 0], [0]]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["supports"], json!([200, 0, 200]));
    assert_eq!(s["sessions"], 200);
    let (status, e) = post(
        &state,
        "/api/v1/patterns/support",
        &json!({"patterns": [vec![0; 11]]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["field"], "patterns");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("max_pattern_length"))
    );
}

#[tokio::test]
async fn stats_parts_answer_what_the_report_says() {
    let state = engine();
    let at = 1_100 * SEC;
    let (status, local) = get(&state, &format!("/api/v1/stats?scope=local&at={at}")).await;
    assert_eq!(status, StatusCode::OK, "{local}");
    let (_, whole) = get(&state, &format!("/api/v1/stats?at={at}")).await;
    assert_eq!(local["parts"]["totalEvents"], whole["totalEvents"]);
    assert_eq!(local["parts"]["totalEvents"], 600);
    assert_eq!(local["retainedEvents"], whole["retainedEvents"]);
    assert!(
        whole.get("partial").is_none(),
        "one engine's answers carry no coverage"
    );
    assert!(whole["firstId"].is_u64() && whole["nextId"].is_u64());
}

#[tokio::test]
async fn wrong_scope_phase_and_cursor_name_the_parameter() {
    let state = engine();
    for (uri, field) in [
        ("/api/v1/stats?scope=everywhere", "scope"),
        ("/api/v1/events?scope=all", "scope"),
        ("/api/v1/events?cursor=abc", "cursor"),
        ("/api/v1/anomalies?scope=x", "scope"),
        ("/api/v1/patterns?phase=candidates", "phase"),
        ("/api/v1/patterns?scope=local&phase=mine", "phase"),
    ] {
        let (status, body) = get(&state, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["field"], field, "{uri}");
    }
    let (status, page) = get(&state, "/api/v1/events?cursor=5&scope=local").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "one engine's cursor stays an event id: {page}"
    );
}
