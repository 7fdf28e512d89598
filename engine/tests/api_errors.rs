//! Every way the engine API answers an error, through the real router (`oneshot`, no sockets):
//! handler errors, extractor rejections, the body layers, authentication (401/403), the rate
//! limit (429), unknown routes (404) and wrong methods (405). Each answer must have the one
//! documented shape: `Content-Type: application/json` and `{"error": CODE, "message": TEXT,
//! "requestId": ID}` with `ID` equal to the `x-request-id` header.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use common::auth::{Role, Subject, auth_toml};
use http_body_util::BodyExt;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;
use vexfs_engine::config::Config;
use vexfs_engine::server::metrics::Metrics;
use vexfs_engine::server::runtime::{open_store, stop_writer};
use vexfs_engine::server::{AppState, auth_layer, router};

const TOKENS: &str = "alice:tok-alice\n";
const ROLES: &[Role] = &[(
    "operator",
    &[
        "analytics:read",
        "analytics:write",
        "dashboard:read",
        "dashboard:write",
    ],
)];
const SUBJECTS: &[Subject] = &[("user", "alice", "operator")];
/// `[server] max_body_bytes` of the engines under test.
const BODY_LIMIT: usize = 1024;

/// Which engine a case is sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    /// Authentication on, a small body limit.
    Guarded,
    /// A rate limit of one request per client address, authentication off.
    Limited,
    /// Still replaying its log (never opened a store).
    Replaying,
}

struct Harness {
    state: AppState,
    writer: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn start(engine: Engine) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("auth-secret");
        std::fs::write(&secret, TOKENS).unwrap();
        let text = auth_toml("token", engine == Engine::Guarded, &secret, ROLES, SUBJECTS);
        let mut config = Config::from_toml(&text, "error shape test").unwrap();
        config.server.max_body_bytes = BODY_LIMIT;
        if engine == Engine::Limited {
            config.server.rate_limit_per_second = 0.01;
            config.server.rate_limit_burst = 1;
        }
        let (mut state, rx) = AppState::new(config, Arc::new(Metrics::new().unwrap()));
        state.auth = auth_layer::load(&state.config).unwrap();
        let writer = if engine == Engine::Replaying {
            drop(rx);
            None
        } else {
            Some(open_store(&state, &dir.path().join("data"), rx).unwrap())
        };
        Harness {
            state,
            writer,
            _dir: dir,
        }
    }

    async fn stop(mut self) {
        if let Some(writer) = self.writer.take() {
            stop_writer(&self.state, writer).await.unwrap();
        }
    }

    async fn call(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let resp = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body.to_vec())
    }
}

/// A request from a fixed client address, with alice's token when `token`.
fn request(method: &str, uri: &str, token: bool) -> axum::http::request::Builder {
    let mut builder = Request::builder().method(method).uri(uri);
    if token {
        builder = builder.header(header::AUTHORIZATION, "Bearer tok-alice");
    }
    builder.extension(axum::extract::ConnectInfo(SocketAddr::from((
        [10, 0, 0, 1],
        4000,
    ))))
}

fn empty(method: &str, uri: &str, token: bool) -> Request<Body> {
    request(method, uri, token).body(Body::empty()).unwrap()
}

/// One bad request: which engine, the request, and the status and code it must get.
struct Case {
    what: &'static str,
    engine: Engine,
    request: fn() -> Request<Body>,
    status: StatusCode,
    code: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            what: "a handler's parameter check",
            engine: Engine::Guarded,
            request: || empty("GET", "/api/v1/events?limit=0", true),
            status: StatusCode::BAD_REQUEST,
            code: "invalid_query",
        },
        Case {
            what: "the query-string extractor",
            engine: Engine::Guarded,
            request: || empty("GET", "/api/v1/events?bogus=1", true),
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
        },
        Case {
            what: "the path extractor",
            engine: Engine::Guarded,
            request: || empty("GET", "/api/v1/alerts/not-a-number", true),
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
        },
        Case {
            what: "an invalid event",
            engine: Engine::Guarded,
            request: || {
                request("POST", "/api/v1/events", true)
                    .body(Body::from("{\"type\":\"NoSuchType\"}"))
                    .unwrap()
            },
            status: StatusCode::BAD_REQUEST,
            code: "invalid_batch",
        },
        Case {
            what: "no credentials",
            engine: Engine::Guarded,
            request: || empty("GET", "/api/v1/stats", false),
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
        },
        Case {
            what: "a missing permission",
            engine: Engine::Guarded,
            request: || empty("GET", "/api/v1/audit", true),
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
        },
        Case {
            what: "a feature turned off",
            engine: Engine::Guarded,
            request: || empty("GET", "/api/v1/alerts/7", true),
            status: StatusCode::NOT_FOUND,
            code: "alerting_disabled",
        },
        Case {
            what: "an unknown route",
            engine: Engine::Guarded,
            request: || empty("GET", "/api/v1/no-such-route", true),
            status: StatusCode::NOT_FOUND,
            code: "not_found",
        },
        Case {
            what: "a wrong method",
            engine: Engine::Guarded,
            request: || empty("DELETE", "/api/v1/stats", true),
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
        },
        Case {
            what: "a body past max_body_bytes",
            engine: Engine::Guarded,
            request: || {
                request("POST", "/api/v1/events", true)
                    .body(Body::from(vec![b' '; BODY_LIMIT + 1]))
                    .unwrap()
            },
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "body_too_large",
        },
        Case {
            what: "an unsupported content type",
            engine: Engine::Guarded,
            request: || {
                request("POST", "/api/v1/events", true)
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from("[]"))
                    .unwrap()
            },
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
        },
        Case {
            what: "an unsupported content encoding (the decompression layer)",
            engine: Engine::Guarded,
            request: || {
                request("POST", "/api/v1/events", true)
                    .header(header::CONTENT_ENCODING, "br")
                    .body(Body::from("[]"))
                    .unwrap()
            },
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
        },
        Case {
            what: "a broken gzip body",
            engine: Engine::Guarded,
            request: || {
                request("POST", "/api/v1/events", true)
                    .header(header::CONTENT_ENCODING, "gzip")
                    .body(Body::from("not gzip"))
                    .unwrap()
            },
            status: StatusCode::BAD_REQUEST,
            code: "unreadable_body",
        },
        Case {
            what: "the rate limit",
            engine: Engine::Limited,
            request: || empty("GET", "/api/v1/stats", false),
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
        },
        Case {
            what: "ingest before log replay finished",
            engine: Engine::Replaying,
            request: || {
                request("POST", "/api/v1/events", false)
                    .body(Body::from("[]"))
                    .unwrap()
            },
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "unavailable",
        },
        Case {
            what: "readiness before log replay finished",
            engine: Engine::Replaying,
            request: || empty("GET", "/readyz", false),
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "not_ready",
        },
    ]
}

/// Checks the shape of one answer; returns what is wrong.
fn check(case: &Case, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Vec<String> {
    let mut wrong = Vec::new();
    if status != case.status {
        wrong.push(format!("status {status}, want {}", case.status));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()));
    if content_type.as_deref() != Some("application/json") {
        wrong.push(format!("content type {content_type:?}"));
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        wrong.push(format!(
            "body is not a JSON object: {:?}",
            String::from_utf8_lossy(body)
        ));
        return wrong;
    };
    if body.get("error").and_then(Value::as_str) != Some(case.code) {
        wrong.push(format!(
            "error {:?}, want {:?}",
            body.get("error"),
            case.code
        ));
    }
    if body
        .get("message")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        wrong.push(format!("message {:?}", body.get("message")));
    }
    let header_id = headers.get("x-request-id").and_then(|v| v.to_str().ok());
    let body_id = body.get("requestId").and_then(Value::as_str);
    if header_id.is_none() || header_id != body_id {
        wrong.push(format!("requestId {body_id:?}, header {header_id:?}"));
    }
    wrong
}

#[tokio::test]
async fn every_error_answer_has_the_one_shape() {
    let guarded = Harness::start(Engine::Guarded);
    let limited = Harness::start(Engine::Limited);
    let replaying = Harness::start(Engine::Replaying);
    // The limited engine's one request of the burst; the case's request is the next.
    assert_eq!(
        limited.call(empty("GET", "/api/v1/stats", false)).await.0,
        StatusCode::OK
    );
    let mut failures = Vec::new();
    for case in cases() {
        let engine = match case.engine {
            Engine::Guarded => &guarded,
            Engine::Limited => &limited,
            Engine::Replaying => &replaying,
        };
        let (status, headers, body) = engine.call((case.request)()).await;
        let wrong = check(&case, status, &headers, &body);
        if !wrong.is_empty() {
            failures.push(format!("{}: {}", case.what, wrong.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    guarded.stop().await;
    limited.stop().await;
    replaying.stop().await;
}

#[tokio::test]
async fn details_and_headers_of_the_refusals_are_kept() {
    let guarded = Harness::start(Engine::Guarded);
    let (_, headers, body) = guarded.call(empty("DELETE", "/api/v1/stats", true)).await;
    let allow = headers[header::ALLOW].to_str().unwrap();
    assert!(allow.contains("GET"), "{allow}");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("DELETE"),
        "{body}"
    );

    let (_, headers, body) = guarded.call(empty("GET", "/api/v1/stats", false)).await;
    assert!(headers.contains_key(header::WWW_AUTHENTICATE));
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "unauthorized");

    let (_, _, body) = guarded.call(empty("GET", "/api/v1/audit", true)).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["permission"], "production:write");

    let (_, _, body) = guarded
        .call(empty("GET", "/api/v1/events?limit=0", true))
        .await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["field"], "limit");

    let mut req = empty("GET", "/api/v1/no-such-route", true);
    req.headers_mut()
        .insert("x-request-id", "caller-id-1".parse().unwrap());
    let (_, headers, body) = guarded.call(req).await;
    assert_eq!(headers["x-request-id"], "caller-id-1");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["requestId"], "caller-id-1");
    guarded.stop().await;

    let limited = Harness::start(Engine::Limited);
    limited.call(empty("GET", "/api/v1/stats", false)).await;
    let (status, headers, _) = limited.call(empty("GET", "/api/v1/stats", false)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::RETRY_AFTER], "100");
    limited.stop().await;
}
