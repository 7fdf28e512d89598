//! The alerts API through the real router: evaluation over the core's windows, the queued
//! `AlertTriggered` event, listing with filters, acknowledgement, errors and metrics.

mod alerts_common;

use std::sync::Arc;
use std::sync::mpsc::Receiver;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use vexfs_engine::config::Config;
use vexfs_engine::core::profiler::Stage;
use vexfs_engine::event::{Event, EventType};
use vexfs_engine::server::metrics::Metrics;
use vexfs_engine::server::pipeline::Command;
use vexfs_engine::server::{AppState, alerts_api, router};

fn state(toml: &str) -> (AppState, Receiver<Command>) {
    let config = Config::from_toml(toml, "test").unwrap();
    let (mut state, rx) = AppState::new(config, Arc::new(Metrics::new().unwrap()));
    state.alerts = alerts_api::start(&state).unwrap();
    (state, rx)
}

async fn call(state: &AppState, method: Method, uri: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, value)
}

fn rules(base: &str) -> String {
    format!(
        "[[alerts.rules]]\nname = \"HighRate\"\ncondition = \"event_rate > threshold\"\nthreshold = 1.0\nreceivers = [\"ops\"]\n\n\
         [[alerts.receivers]]\nname = \"ops\"\nwebhook = {{ url = \"{base}/hook/ops\" }}\n"
    )
}

/// Puts 600 writes into the last 30 s, evaluates, and checks the queued `AlertTriggered` event.
fn fire_one(state: &AppState, rx: &Receiver<Command>) {
    let now = 1_790_000_000_000_000_000;
    let events: Vec<Event> = (0..600)
        .map(|i| Event::new(EventType::FilesystemWrite, now - i * 50_000_000, "n"))
        .collect();
    state.shared.lock().engine.apply(&events, now);
    alerts_api::evaluate(state, now);
    let Ok(Command::Ingest(request)) = rx.try_recv() else {
        panic!("an AlertTriggered batch is queued")
    };
    assert_eq!(request.events.len(), 1);
    assert_eq!(
        request.events[0].event_type,
        EventType::ObservabilityAlertTriggered
    );
    let report = state.shared.lock().engine.profiler.report();
    let timed = report.stages.iter().find(|s| s.stage == Stage::Alerts);
    assert_eq!(
        timed.map(|s| s.duration_ns.count),
        Some(1),
        "evaluation is profiled"
    );
}

async fn acknowledge_first(state: &AppState) {
    let (status, body) = call(
        state,
        Method::POST,
        "/api/v1/alerts/1/ack",
        r#"{"by":"oncall"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["status"].as_str(), body["acknowledgedBy"].as_str()),
        (Some("acknowledged"), Some("oncall"))
    );
    let (_, body) = call(state, Method::GET, "/api/v1/alerts/1", "").await;
    assert_eq!(body["status"], "acknowledged");
    let (_, body) = call(state, Method::GET, "/api/v1/alerts?status=firing", "").await;
    assert_eq!(body["alerts"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn evaluation_fires_lists_acknowledges_and_counts() {
    let (base, rec) = alerts_common::start_http().await;
    let (state, rx) = state(&rules(&base));
    let (status, body) = call(&state, Method::GET, "/api/v1/alerts", "").await;
    assert_eq!(
        (status, &body["enabled"]),
        (StatusCode::OK, &Value::Bool(true))
    );
    assert_eq!(body["alerts"].as_array().map(Vec::len), Some(0));

    fire_one(&state, &rx);
    let uri = "/api/v1/alerts?status=firing&severity=warning&rule=HighRate";
    let (status, body) = call(&state, Method::GET, uri, "").await;
    assert_eq!(status, StatusCode::OK);
    let alert = &body["alerts"][0];
    assert_eq!(
        (alert["id"].as_u64(), alert["rule"].as_str()),
        (Some(1), Some("HighRate"))
    );
    assert!(
        alert["value"].as_f64().unwrap() > 9.0,
        "600 events in the last 30 s of the minute: {alert}"
    );
    assert_eq!(body["summary"]["firing"], 1);

    acknowledge_first(&state).await;
    let (_, metrics) = call(&state, Method::GET, "/metrics", "").await;
    let text = metrics.as_str().unwrap();
    let fired = "vexfs_alerts_fired_total{rule=\"HighRate\",severity=\"warning\"} 1";
    assert!(text.contains(fired), "{text}");
    while rec.bodies("/hook/ops").is_empty() {
        rec.arrived.notified().await;
    }
    assert_eq!(rec.bodies("/hook/ops")[0]["alert"]["rule"], "HighRate");
}

#[tokio::test]
async fn errors_name_the_problem() {
    let (state, _rx) = state(&rules("http://127.0.0.1:9"));
    let cases = [
        (
            Method::GET,
            "/api/v1/alerts?status=bogus",
            StatusCode::BAD_REQUEST,
            "status",
        ),
        (
            Method::GET,
            "/api/v1/alerts?severity=loud",
            StatusCode::BAD_REQUEST,
            "severity",
        ),
        (
            Method::GET,
            "/api/v1/alerts?limit=0",
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            Method::GET,
            "/api/v1/alerts?since=yesterday",
            StatusCode::BAD_REQUEST,
            "since",
        ),
    ];
    for (method, uri, want, field) in cases {
        let (status, body) = call(&state, method, uri, "").await;
        assert_eq!(
            (status, body["field"].as_str()),
            (want, Some(field)),
            "{uri}"
        );
    }
    let (status, body) = call(&state, Method::POST, "/api/v1/alerts/99/ack", "").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, body) = call(&state, Method::POST, "/api/v1/alerts/1/ack", "{\"who\":1}").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("by"))
    );
    let (status, _) = call(
        &state,
        Method::GET,
        "/api/v1/alerts?since=2026-11-27T10:00:00Z&limit=5",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn disabled_alerting_says_so() {
    let (state, _rx) = state("[alerts]\nenabled = false\n");
    let (status, body) = call(&state, Method::GET, "/api/v1/alerts", "").await;
    assert_eq!(
        (status, &body["enabled"]),
        (StatusCode::OK, &Value::Bool(false))
    );
    let (status, body) = call(&state, Method::POST, "/api/v1/alerts/1/ack", "").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("alerting_disabled"))
    );
}
