//! HTTP tests of the router through `oneshot` (no sockets), with a real log in a temp dir.

use super::metrics::Metrics;
use super::runtime::{open_store, stop_writer};
use super::{AppState, router};
use crate::config::Config;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use flate2::Compression;
use flate2::write::GzEncoder;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use tower::ServiceExt;

struct Harness {
    state: AppState,
    writer: Option<std::thread::JoinHandle<()>>,
    dir: tempfile::TempDir,
}

impl Harness {
    fn start(config: Config) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        Harness::start_in(config, dir)
    }

    fn start_in(config: Config, dir: tempfile::TempDir) -> Harness {
        let (state, rx) = AppState::new(config, Arc::new(Metrics::new().unwrap()));
        let writer = open_store(&state, dir.path(), rx).unwrap();
        Harness {
            state,
            writer: Some(writer),
            dir,
        }
    }

    async fn stop(mut self) -> tempfile::TempDir {
        let writer = self.writer.take().unwrap();
        stop_writer(&self.state, writer).await.unwrap();
        self.dir
    }

    async fn call(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let resp = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let (status, _, body) = self
            .call(Request::get(uri).body(Body::empty()).unwrap())
            .await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// A GET on `state` after the harness has stopped.
    async fn get_with(state: &AppState, uri: &str) -> (StatusCode, Value) {
        let req = Request::get(uri).body(Body::empty()).unwrap();
        let resp = router(state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn post(&self, body: impl Into<Body>) -> (StatusCode, Value) {
        let req = Request::post("/api/v1/events").body(body.into()).unwrap();
        let (status, _, body) = self.call(req).await;
        (status, serde_json::from_slice(&body).unwrap())
    }
}

fn fs_event(path: &str, key: Option<&str>) -> Value {
    let mut e = json!({"type": "FilesystemWrite", "source": "node-a", "latencyNs": 2000,
        "context": {"filesystem": {"path": path}, "agentId": "agent-1"}});
    if let Some(k) = key {
        e["idempotencyKey"] = json!(k);
    }
    e
}

fn ndjson(events: &[Value]) -> String {
    events.iter().map(|e| e.to_string() + "\n").collect()
}

#[tokio::test]
async fn ingest_query_and_retry_without_duplicates() {
    let h = Harness::start(Config::default());
    let batch = ndjson(&[fs_event("/a/1", Some("k1")), fs_event("/b/2", Some("k2"))]);
    let (status, receipt) = h.post(batch.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        receipt,
        json!({"accepted": 2, "duplicates": 0, "ids": [1, 2]})
    );
    let (_, again) = h.post(batch).await;
    assert_eq!(
        again,
        json!({"accepted": 0, "duplicates": 2, "ids": [1, 2]})
    );
    let (_, page) = h.get("/api/v1/events?pathPrefix=/a/&agent=agent-1").await;
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    assert_eq!(page["events"][0]["id"], 1);
    let (_, page) = h.get("/api/v1/events?limit=1").await;
    assert_eq!(page["nextCursor"], 1);
    let (_, page) = h.get("/api/v1/events?cursor=1").await;
    assert_eq!(page["events"][0]["id"], 2);
    assert!(page.get("nextCursor").is_none());
    let (_, stats) = h.get("/api/v1/stats").await;
    assert_eq!(stats["retainedEvents"], 2);
    assert_eq!(stats["countWindow"]["byType"]["FilesystemWrite"], 2);
    h.stop().await;
}

#[tokio::test]
async fn an_invalid_event_rejects_the_whole_batch_naming_line_and_field() {
    let h = Harness::start(Config::default());
    let bad = json!({"type": "FilesystemWrite", "source": "n", "context": {"filesystem": {"path": "rel"}}});
    let body = ndjson(&[fs_event("/ok", None), bad]);
    let (status, err) = h.post(body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["line"], 2);
    assert_eq!(err["field"], "context.filesystem.path");
    assert_eq!(err["stored"], 0);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("nothing from this batch was stored")
    );
    let (_, page) = h.get("/api/v1/events").await;
    assert_eq!(page["events"].as_array().unwrap().len(), 0);
    let (status, err) = h.get("/api/v1/events?type=Nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["field"], "type");
    h.stop().await;
}

#[tokio::test]
async fn gzip_bodies_and_json_arrays_are_accepted() {
    let h = Harness::start(Config::default());
    let array = Value::Array(vec![
        fs_event("/z", None),
        json!({"type": 0x0501, "source": "s"}),
    ]);
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(array.to_string().as_bytes()).unwrap();
    let req = Request::post("/api/v1/events")
        .header(header::CONTENT_ENCODING, "gzip")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(gz.finish().unwrap()))
        .unwrap();
    let (status, _, body) = h.call(req).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let (_, page) = h.get("/api/v1/events?category=System").await;
    assert_eq!(page["events"][0]["type"], "SystemMount");
    h.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let mut config = Config::default();
    config.server.max_body_bytes = 1024;
    let h = Harness::start(config);
    let body = ndjson(&vec![fs_event("/big", None); 50]);
    let req = Request::post("/api/v1/events")
        .body(Body::from(body))
        .unwrap();
    let (status, _, _) = h.call(req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    h.stop().await;
}

#[tokio::test]
async fn oversized_events_and_payloads_are_refused_with_413_naming_the_event() {
    let mut config = Config::default();
    config.server.max_event_bytes = 400;
    config.server.max_payload_bytes = 64;
    let h = Harness::start(config);
    let mut big_payload = fs_event("/p", None);
    big_payload["payload"] = json!({"blob": "x".repeat(100)});
    let (status, body) = h.post(ndjson(&[fs_event("/ok", None), big_payload])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "event_too_large");
    assert_eq!(
        (body["index"].as_u64(), body["limit"].as_u64()),
        (Some(1), Some(64))
    );
    assert!(
        body["message"].as_str().unwrap().contains("payload"),
        "{body}"
    );
    let mut big_event = fs_event(&"/d".repeat(300), None);
    big_event["payload"] = json!(1);
    let (status, body) = h.post(ndjson(&[big_event])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(
        (body["index"].as_u64(), body["limit"].as_u64()),
        (Some(0), Some(400))
    );
    let (_, page) = h.get("/api/v1/events").await;
    assert_eq!(
        page["events"],
        json!([]),
        "nothing from refused batches is stored"
    );
    h.stop().await;
}

#[tokio::test]
async fn ingest_refuses_other_content_types_with_415() {
    let h = Harness::start(Config::default());
    let batch = ndjson(&[fs_event("/ct", None)]);
    for (content_type, want) in [
        ("text/plain", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (
            "application/x-www-form-urlencoded",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        ("application/x-ndjson", StatusCode::OK),
        ("application/json; charset=utf-8", StatusCode::OK),
    ] {
        let req = Request::post("/api/v1/events")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(batch.clone()))
            .unwrap();
        let (status, _, body) = h.call(req).await;
        assert_eq!(status, want, "{content_type}");
        if want != StatusCode::OK {
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["error"], "unsupported_media_type");
            assert_eq!(
                body["accepted"],
                json!(["application/x-ndjson", "application/json"])
            );
            assert!(body["message"].as_str().unwrap().contains(content_type));
        }
    }
    h.stop().await;
}

#[tokio::test]
async fn a_full_queue_answers_429_with_retry_after() {
    let mut config = Config::default();
    config.server.ingest_queue_batches = 1;
    let (state, _rx) = AppState::new(config, Arc::new(Metrics::new().unwrap()));
    state.set_ready(); // no writer drains the queue: fill its only slot
    let filler = super::pipeline::Command::Shutdown(tokio::sync::oneshot::channel().0);
    assert!(state.queue.try_send(filler).is_ok());
    let body = Body::from(ndjson(&[fs_event("/q", None)]));
    let resp = router(state.clone())
        .oneshot(Request::post("/api/v1/events").body(body).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
    let metrics = state.metrics.render();
    assert!(
        metrics.contains("vexfs_ingest_requests_total{outcome=\"throttled\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn events_survive_a_restart_and_ops_endpoints_answer() {
    let h = Harness::start(Config::default());
    let (status, _) = h.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.get("/readyz").await;
    assert_eq!(status, StatusCode::OK);
    h.post(ndjson(&[fs_event("/r", Some("once"))])).await;
    let (_, _, metrics) = h
        .call(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains("vexfs_events_ingested_total 1"),
        "{metrics}"
    );
    let (_, profile) = h.get("/api/v1/profile").await;
    assert!(
        profile["stages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["stage"] == "log" && s["events"] == 1)
    );
    let (status, _, html) = h
        .call(Request::get("/dashboard").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        String::from_utf8(html)
            .unwrap()
            .contains("dashboard/assets/app.js")
    );
    let (status, headers, archive) = h
        .call(
            Request::get("/api/v1/admin/backup")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-vexfs-event-count"], "1");
    assert!(archive.starts_with(&[0x1f, 0x8b]), "gzip magic");
    let dir = h.stop().await;
    let h = Harness::start_in(Config::default(), dir);
    let (_, again) = h.post(ndjson(&[fs_event("/r", Some("once"))])).await;
    assert_eq!(
        again["duplicates"], 1,
        "idempotency keys are rebuilt on replay"
    );
    let (_, page) = h.get("/api/v1/events").await;
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn not_ready_engines_refuse_ingest_with_503() {
    let (state, _rx) = AppState::new(Config::default(), Arc::new(Metrics::new().unwrap()));
    let resp = router(state.clone())
        .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let resp = router(state)
        .oneshot(
            Request::post("/api/v1/events")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn the_stream_delivers_matching_events_as_sse() {
    let h = Harness::start(Config::default());
    let resp = router(h.state.clone())
        .oneshot(
            Request::get("/api/v1/stream?type=VectorSearch")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = resp.into_body();
    let batch = ndjson(&[
        fs_event("/skip", None),
        json!({"type": "VectorSearch", "source": "v"}),
    ]);
    h.post(batch).await;
    let frame = tokio::time::timeout(std::time::Duration::from_secs(10), body.frame())
        .await
        .expect("an SSE frame")
        .unwrap()
        .unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert!(
        text.contains("event: event") && text.contains("id: 2"),
        "{text}"
    );
    assert!(
        text.contains("\"VectorSearch\"") && !text.contains("/skip"),
        "{text}"
    );
    drop(body);
    h.stop().await;
}

/// Events the profiler counted for `stage` in a `GET /api/v1/profile` body.
fn stage_events(profile: &Value, stage: &str) -> u64 {
    let stages = profile["stages"].as_array().unwrap();
    let found = stages.iter().find(|s| s["stage"] == stage);
    found.map_or(0, |s| s["events"].as_u64().unwrap())
}

#[tokio::test]
async fn acked_events_are_visible_at_once_and_analytics_catch_up_also_on_replay() {
    let h = Harness::start(Config::default());
    let events: Vec<Value> = (0..50)
        .map(|i| fs_event(&format!("/c/{i}"), None))
        .collect();
    let (status, receipt) = h.post(ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(receipt["accepted"], 50);
    let (_, page) = h.get("/api/v1/events?limit=100").await;
    assert_eq!(page["events"].as_array().unwrap().len(), 50);
    let (_, stats) = h.get("/api/v1/stats").await;
    assert_eq!(stats["countWindow"]["byType"]["FilesystemWrite"], 50);
    let (_, profile) = h.get("/api/v1/profile").await;
    assert_eq!(stage_events(&profile, "windows"), 50);
    let lag = profile["analyticsLagEvents"].as_i64().unwrap();
    assert_eq!(stage_events(&profile, "analytics") + lag as u64, 50);
    let (_, _, metrics) = h
        .call(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert!(
        String::from_utf8(metrics)
            .unwrap()
            .contains("vexfs_analytics_lag_events")
    );
    let state = h.state.clone();
    let dir = h.stop().await;
    let (_, profile) = Harness::get_with(&state, "/api/v1/profile").await;
    assert_eq!(
        profile["analyticsLagEvents"], 0,
        "stopping drains the analytics queue"
    );
    assert_eq!(stage_events(&profile, "analytics"), 50);

    let h = Harness::start_in(Config::default(), dir);
    let state = h.state.clone();
    h.stop().await;
    let (_, profile) = Harness::get_with(&state, "/api/v1/profile").await;
    assert_eq!(
        stage_events(&profile, "analytics"),
        50,
        "replay feeds the analytics"
    );
    assert_eq!(state.shared.lock().engine.windows.total(), 50);
}

#[tokio::test]
async fn dashboard_responses_carry_csp_and_frame_headers() {
    let h = Harness::start(Config::default());
    for uri in ["/dashboard", "/dashboard/assets/app.js"] {
        let (status, headers, _) = h.call(Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.starts_with("default-src 'self'"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{uri}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
    }
    h.stop().await;
}

#[tokio::test]
async fn the_stream_cap_answers_429_while_full() {
    let mut config = Config::default();
    config.server.max_stream_clients = 1;
    let h = Harness::start(config);
    let open = router(h.state.clone())
        .oneshot(Request::get("/api/v1/stream").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(open.status(), StatusCode::OK);
    let (status, headers, _) = h
        .call(Request::get("/api/v1/stream").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key(header::RETRY_AFTER));
    drop(open);
    h.state.streams.close();
    let (status, _, body) = h
        .call(Request::get("/api/v1/stream").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty(), "after close a new stream ends at once");
    h.stop().await;
}

#[tokio::test]
async fn a_stalled_request_body_times_out_with_408() {
    let mut config = Config::default();
    config.server.body_read_timeout_ms = 200;
    let h = Harness::start(config);
    let stalled = futures::stream::pending::<Result<Vec<u8>, std::io::Error>>();
    let req = Request::post("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from_stream(stalled))
        .unwrap();
    let (status, _, _) = h.call(req).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    h.stop().await;
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after_per_client_address() {
    let mut config = Config::default();
    config.server.rate_limit_per_second = 0.01;
    config.server.rate_limit_burst = 2;
    let h = Harness::start(config);
    let from = |ip: [u8; 4]| {
        let mut req = Request::get("/api/v1/stats").body(Body::empty()).unwrap();
        let addr = std::net::SocketAddr::from((ip, 4000));
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        req
    };
    for _ in 0..2 {
        assert_eq!(h.call(from([10, 0, 0, 1])).await.0, StatusCode::OK);
    }
    let (status, headers, body) = h.call(from([10, 0, 0, 1])).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::RETRY_AFTER], "100");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(
        h.call(from([10, 0, 0, 2])).await.0,
        StatusCode::OK,
        "another address"
    );
    let mut probe = Request::get("/healthz").body(Body::empty()).unwrap();
    let addr = std::net::SocketAddr::from(([10, 0, 0, 1], 4000));
    probe
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    assert_eq!(
        h.call(probe).await.0,
        StatusCode::OK,
        "probes are not limited"
    );
    h.stop().await;
}
