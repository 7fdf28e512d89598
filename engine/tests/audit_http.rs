//! The audit log through the real router: a refused request and an alert acknowledgement are
//! recorded with the authenticated subject, the ack's `by` is that subject whatever the body
//! says, request ids are returned, the query endpoint is admin-only, and the chain verifies.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::auth::{Role, Subject, auth_toml};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;
use vexfs_engine::audit::verify_dir;
use vexfs_engine::config::Config;
use vexfs_engine::event::{Event, EventType};
use vexfs_engine::server::metrics::Metrics;
use vexfs_engine::server::{AppState, alerts_api, audit_layer, auth_layer, router};
use vexfs_engine::store::archive_read::read_archive;

const TOKENS: &str = "root:tok-root\noncall:tok-oncall\nreader:tok-reader\n";
const ROLES: &[Role] = &[
    (
        "admin",
        &["production:write", "dashboard:write", "dashboard:read"],
    ),
    ("responder", &["dashboard:read", "dashboard:write"]),
    ("reader", &["analytics:read"]),
];
const SUBJECTS: &[Subject] = &[
    ("user", "root", "admin"),
    ("user", "oncall", "responder"),
    ("user", "reader", "reader"),
];
const RULE: &str = "\n[alerts]\nenabled = true\n\n[[alerts.rules]]\nname = \"HighRate\"\n\
    condition = \"event_rate > threshold\"\nthreshold = 1.0\nreceivers = [\"ops\"]\n\n\
    [[alerts.receivers]]\nname = \"ops\"\nwebhook = { url = \"http://127.0.0.1:9/hook\" }\n";

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, Option<String>, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("x-request-id", format!("test-{method}-{uri}"));
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let req = req.body(Body::from(body.to_owned())).unwrap();
    let response = router(state.clone()).oneshot(req).await.unwrap();
    let status = response.status();
    let id = response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        id,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn refusals_and_acks_are_recorded_with_the_authenticated_subject() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("auth-secret");
    std::fs::write(&secret, TOKENS).unwrap();
    let text = auth_toml("token", true, &secret, ROLES, SUBJECTS) + RULE;
    let config = Config::from_toml(&text, "audit test").unwrap();
    let (mut state, _rx) = AppState::new(config, Arc::new(Metrics::new().unwrap()));
    state.auth = auth_layer::load(&state.config).unwrap();
    state.alerts = alerts_api::start(&state).unwrap();
    state.audit = audit_layer::start(&state, dir.path()).unwrap();

    // Fire one alert.
    let now = vexfs_engine::server::now_ns();
    let events: Vec<Event> = (0..600)
        .map(|i| Event::new(EventType::FilesystemWrite, now - i * 50_000_000, "n"))
        .collect();
    state.shared.lock().engine.apply(&events, now);
    alerts_api::evaluate(&state, now);

    // Refused: no credentials (401), then a reader acking (403).
    let (status, id, _) = call(&state, "GET", "/api/v1/alerts", None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(id.as_deref(), Some("test-GET-/api/v1/alerts"));
    let ack = "/api/v1/alerts/1/ack";
    let (status, _, _) = call(&state, "POST", ack, Some("tok-reader"), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The ack names the authenticated subject, not the body's `by`.
    let (status, _, body) = call(
        &state,
        "POST",
        ack,
        Some("tok-oncall"),
        r#"{"by":"mallory"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["acknowledgedBy"], "oncall");
    // Open routes are not recorded; the query endpoint is admin-only.
    call(&state, "GET", "/healthz", None, "").await;
    let (status, _, _) = call(&state, "GET", "/api/v1/audit", Some("tok-oncall"), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    audit_layer::sync(&state).await;
    let dir = state.audit.as_ref().unwrap().dir.clone();
    let verified = verify_dir(&dir).unwrap().unwrap();
    assert_eq!(verified.records, 4);
    let (status, _, body) = call(
        &state,
        "GET",
        "/api/v1/audit?limit=10",
        Some("tok-root"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let records = body["records"].as_array().unwrap();
    let seen: Vec<(String, &str, u64, &str)> = records
        .iter()
        .rev()
        .map(|r| {
            (
                r["subject"].as_str().unwrap_or("-").to_string(),
                r["route"].as_str().unwrap(),
                r["status"].as_u64().unwrap(),
                r["action"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("-".into(), "/api/v1/alerts", 401, "-"),
            ("reader".into(), "/api/v1/alerts/{id}/ack", 403, "alert_ack"),
            ("oncall".into(), "/api/v1/alerts/{id}/ack", 200, "alert_ack"),
            ("oncall".into(), "/api/v1/audit", 403, "-"),
        ]
    );
    assert_eq!(records[1]["role"], "responder");
    assert_eq!(records[3]["requestId"], "test-GET-/api/v1/alerts");
    assert_eq!(records[3]["prev"], vexfs_engine::audit::GENESIS);
    let (_, _, body) = call(
        &state,
        "GET",
        "/api/v1/audit?subject=reader&route=/api/v1/alerts/%7Bid%7D/ack",
        Some("tok-root"),
        "",
    )
    .await;
    assert_eq!(body["records"].as_array().map(Vec::len), Some(1));

    // A backup holds the audit files as they are, records up to the backup's own included.
    state.set_ready();
    let req = Request::get("/api/v1/admin/backup")
        .header(header::AUTHORIZATION, "Bearer tok-root")
        .body(Body::empty())
        .unwrap();
    let response = router(state.clone()).oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let archive = response.into_body().collect().await.unwrap().to_bytes();
    let path = dir.parent().unwrap().join("backup.tar.gz");
    std::fs::write(&path, &archive).unwrap();
    let (manifest, contents) = read_archive(&path).unwrap();
    assert_eq!(manifest.audit_files, 1);
    let lines = contents.audit[0]
        .1
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty());
    assert_eq!(lines.count(), 6);

    audit_layer::stop(&state).await;
    let all = verify_dir(&dir).unwrap().unwrap();
    assert_eq!(all.records, 7);
    let last = std::fs::read_to_string(dir.join(&contents.audit[0].0)).unwrap();
    assert!(
        last.lines()
            .last()
            .unwrap()
            .contains("\"action\":\"backup\""),
        "{last}"
    );
}
