//! Helpers shared by the alert receiver tests: a recording HTTP server on loopback and rules.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use parking_lot::Mutex;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use vexfs_engine::core::alerts::{AlertRule, RuleSpec};

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
}

/// Shared state of the recording server.
pub struct Recorder {
    pub requests: Mutex<Vec<Recorded>>,
    /// Per path: status to answer and how many times still to answer it.
    pub failures: Mutex<HashMap<String, (u16, usize)>>,
    /// When set, `/hook/slow` waits for a permit before answering.
    pub gate: Semaphore,
    /// Signalled whenever a request arrives.
    pub arrived: Notify,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            requests: Mutex::default(),
            failures: Mutex::default(),
            gate: Semaphore::new(0),
            arrived: Notify::new(),
        }
    }
}

impl Recorder {
    pub fn fail(&self, path: &str, status: u16, times: usize) {
        self.failures
            .lock()
            .insert(path.to_owned(), (status, times));
    }

    pub fn bodies(&self, path: &str) -> Vec<Value> {
        let requests = self.requests.lock();
        requests
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.body.clone())
            .collect()
    }
}

async fn record(
    State(rec): State<Arc<Recorder>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let path = format!("/hook/{name}");
    rec.requests.lock().push(Recorded {
        path: path.clone(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
    });
    rec.arrived.notify_one();
    if name == "slow" {
        let _permit = rec.gate.acquire().await.expect("gate open");
    }
    let mut failures = rec.failures.lock();
    match failures.get_mut(&path) {
        Some((status, left)) if *left > 0 => {
            *left -= 1;
            StatusCode::from_u16(*status).expect("valid status")
        }
        _ => StatusCode::OK,
    }
}

/// Starts the recording server on 127.0.0.1 and returns its base URL.
pub async fn start_http() -> (String, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    let app = Router::new()
        .route("/hook/{name}", post(record))
        .with_state(Arc::clone(&rec));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}"), rec)
}

/// A zero-hold rule on `event_rate > threshold` for the given receivers.
pub fn rate_rule(name: &str, severity: &str, threshold: f64, receivers: &[String]) -> AlertRule {
    AlertRule::parse(RuleSpec {
        name,
        severity,
        condition: "event_rate >",
        threshold: Some(threshold),
        for_seconds: 0,
        receivers,
    })
    .expect("valid rule")
}
