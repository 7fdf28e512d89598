//! API authentication through the real router (`oneshot`, no sockets): 401 with a challenge,
//! 403 naming the permission, 200 with it, for static tokens and HS256 JWTs.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::auth::{Role, Subject, auth_toml};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tower::ServiceExt;
use vexfs_engine::auth::{Claims, JwtVerifier};
use vexfs_engine::config::Config;
use vexfs_engine::server::metrics::Metrics;
use vexfs_engine::server::runtime::{open_store, stop_writer};
use vexfs_engine::server::{AppState, auth_layer, router};

const TOKENS: &str = "alice:tok-alice\nreader:tok-reader\ngrafana:tok-grafana\n";
const JWT_SECRET: &str = "jwt-signing-secret-for-the-engine-tests";

struct Harness {
    state: AppState,
    writer: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// Roles: `ingest` writes and reads events, `reader` reads them, `viewer` reads dashboards.
const ROLES: &[Role] = &[
    ("ingest", &["analytics:read", "analytics:write"]),
    ("reader", &["analytics:read"]),
    ("viewer", &["dashboard:read"]),
];

/// Subjects: the users `alice` (ingest) and `reader`, and the service account `grafana` (viewer).
const SUBJECTS: &[Subject] = &[
    ("user", "alice", "ingest"),
    ("user", "reader", "reader"),
    ("service_account", "grafana", "viewer"),
];

impl Harness {
    /// Starts the engine state with `[auth]` for `method` and its secret written to a file.
    fn start(method: &str, enabled: bool, load_gate: bool) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("auth-secret");
        let content = if method == "jwt" { JWT_SECRET } else { TOKENS };
        std::fs::write(&secret, content).unwrap();
        let text = auth_toml(method, enabled, &secret, ROLES, SUBJECTS);
        let config = Config::from_toml(&text, "auth test").unwrap();
        let (mut state, rx) = AppState::new(config, Arc::new(Metrics::new().unwrap()));
        if load_gate {
            state.auth = auth_layer::load(&state.config).unwrap();
        }
        let data = dir.path().join("data");
        let writer = open_store(&state, &data, rx).unwrap();
        Harness {
            state,
            writer: Some(writer),
            _dir: dir,
        }
    }

    async fn stop(mut self) {
        let writer = self.writer.take().unwrap();
        stop_writer(&self.state, writer).await.unwrap();
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        bearer: Option<&str>,
    ) -> (StatusCode, Option<String>, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(credential) = bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {credential}"));
        }
        let body = if method == "POST" && uri == "/api/v1/events" {
            let event = json!([{"type": "FilesystemWrite", "source": "node-a", "latencyNs": 2000,
                "context": {"filesystem": {"path": "/data/a.bin"}}}]);
            Body::from(event.to_string())
        } else {
            Body::empty()
        };
        let resp = router(self.state.clone())
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let challenge = resp
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            challenge,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn jwt(sub: &str, exp_offset: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let verifier = JwtVerifier::new(JWT_SECRET.as_bytes(), 0).unwrap();
    verifier.sign(&Claims {
        sub: sub.into(),
        exp: now + exp_offset,
        nbf: None,
    })
}

#[tokio::test]
async fn no_token_is_401_with_a_bearer_challenge() {
    let h = Harness::start("token", true, true);
    let (status, challenge, body) = h.call("GET", "/api/v1/stats", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge.as_deref(), Some("Bearer realm=\"vexfs\""));
    assert_eq!(body["error"], "unauthorized");
    let (status, challenge, _) = h.call("GET", "/api/v1/stats", Some("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.unwrap().contains("invalid_token"));
    h.stop().await;
}

#[tokio::test]
async fn a_token_without_the_permission_is_403_naming_it() {
    let h = Harness::start("token", true, true);
    let (status, challenge, body) = h.call("POST", "/api/v1/events", Some("tok-reader")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["permission"], "analytics:write");
    assert!(body["message"].as_str().unwrap().contains("reader"));
    assert!(challenge.unwrap().contains("insufficient_scope"));
    let cases = [
        ("GET", "/api/v1/stats", "tok-grafana", "analytics:read"),
        (
            "POST",
            "/api/v1/alerts/1/ack",
            "tok-grafana",
            "dashboard:write",
        ),
        ("GET", "/api/v1/profile", "tok-alice", "profiler:read"),
        (
            "GET",
            "/api/v1/admin/backup",
            "tok-alice",
            "production:write",
        ),
        ("GET", "/api/v1/whoami", "tok-alice", "dashboard:read"),
        ("GET", "/api/v1/timeseries", "tok-grafana", "analytics:read"),
    ];
    for (method, uri, token, permission) in cases {
        let (status, _, body) = h.call(method, uri, Some(token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}");
        assert_eq!(body["permission"], permission, "{method} {uri}");
    }
    h.stop().await;
}

#[tokio::test]
async fn a_token_with_the_permission_is_served() {
    let h = Harness::start("token", true, true);
    let (status, _, body) = h.call("POST", "/api/v1/events", Some("tok-alice")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = h.call("GET", "/api/v1/stats", Some("tok-reader")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = h.call("GET", "/api/v1/whoami", Some("tok-grafana")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"authEnabled": true, "subject": "grafana"}));
    h.stop().await;
}

#[tokio::test]
async fn probes_metrics_the_dashboard_shell_and_the_api_document_stay_open() {
    let h = Harness::start("token", true, true);
    for uri in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/dashboard",
        "/dashboard/assets/app.js",
        "/api/v1/openapi.json",
    ] {
        let (status, _, _) = h.call("GET", uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    h.stop().await;
}

#[tokio::test]
async fn jwt_valid_is_served_and_expired_is_401() {
    let h = Harness::start("jwt", true, true);
    let (status, _, body) = h
        .call("GET", "/api/v1/stats", Some(&jwt("reader", 300)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let expired = jwt("reader", -3600);
    let (status, challenge, body) = h.call("GET", "/api/v1/stats", Some(&expired)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    assert!(challenge.unwrap().contains("invalid_token"));
    let (status, _, body) = h
        .call("POST", "/api/v1/events", Some(&jwt("reader", 300)))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["permission"], "analytics:write");
    h.stop().await;
}

#[tokio::test]
async fn disabled_auth_leaves_the_api_open() {
    let h = Harness::start("token", false, true);
    assert!(h.state.auth.is_none());
    let (status, _, body) = h.call("GET", "/api/v1/stats", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    h.stop().await;
}

#[tokio::test]
async fn enabled_auth_without_a_loaded_gate_fails_closed() {
    let h = Harness::start("token", true, false);
    let (status, _, _) = h.call("GET", "/api/v1/stats", Some("tok-alice")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _, _) = h.call("GET", "/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    h.stop().await;
}

#[tokio::test]
async fn a_stream_opened_with_a_jwt_ends_when_the_token_expires() {
    let h = Harness::start("jwt", true, true);
    let req = Request::get("/api/v1/stream")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", jwt("reader", 2)),
        )
        .body(Body::empty())
        .unwrap();
    let resp = router(h.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let ended = tokio::time::timeout(
        std::time::Duration::from_secs(15),
        resp.into_body().collect(),
    )
    .await;
    assert!(ended.is_ok(), "the stream ends once the JWT expires");
    assert_eq!(h.state.streams.open_streams(), 0, "its place is released");
    h.stop().await;
}
