//! HTTP side of `audit`: a middleware that records every API request (and every refusal) after
//! its response is known, and the writer thread that appends the records.
//!
//! The request path never waits for the disk. Records go through a bounded channel
//! (`[audit] queue_records`) to one writer thread, which appends them in batches, writes them
//! out after each batch and syncs them to disk at most once a second. When the channel is full
//! the request waits up to [`super::audit_sink::FULL_WAIT`] for room; after that its record is dropped, counted in
//! `vexfs_audit_dropped_total` and logged as a warning, so a gap is always visible.

use super::AppState;
use super::audit_sink::{AuditSink, Entry, new_request_id, run_writer};
use super::auth_layer::{AuthenticatedSubject, active};
use super::shared::now_ns;
use crate::audit::{AuditError, AuditWriter, Record, SystemClock};
use crate::auth::{Access, required};
use axum::body::HttpBody;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::IntCounter;
use std::net::SocketAddr;
use std::path::Path;
use tokio::sync::{mpsc, oneshot};

/// The request id header, read from the request or generated, and returned on the response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The directory under the data directory holding the audit files.
pub const AUDIT_DIR: &str = crate::store::audit_files::DIR;

/// Failures starting the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditStartError {
    /// The audit directory cannot be used.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// Its metrics could not be registered.
    #[error("audit metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The writer thread could not be started.
    #[error("cannot start the audit writer: {0}")]
    Thread(#[from] std::io::Error),
}

/// Starts the audit log in `data_dir/audit` when `[audit] enabled` (`None` otherwise).
pub fn start(
    state: &AppState,
    data_dir: &Path,
) -> Result<Option<std::sync::Arc<AuditSink>>, AuditStartError> {
    let section = &state.config.audit;
    if !section.enabled {
        tracing::info!("audit log disabled");
        return Ok(None);
    }
    let dir = data_dir.join(AUDIT_DIR);
    let writer = AuditWriter::open(&dir, section.audit_retention_days, Box::new(SystemClock))?;
    let written = IntCounter::new("vexfs_audit_records_total", "Audit records written")?;
    let dropped = IntCounter::new(
        "vexfs_audit_dropped_total",
        "Audit records dropped because the audit queue stayed full",
    )?;
    let failed = IntCounter::new(
        "vexfs_audit_write_errors_total",
        "Audit records that could not be written",
    )?;
    for counter in [&written, &dropped, &failed] {
        state.metrics.registry.register(Box::new(counter.clone()))?;
    }
    let (queue, rx) = mpsc::channel(section.queue_records.max(1));
    std::thread::Builder::new()
        .name("vexfs-audit-writer".into())
        .spawn(move || run_writer(writer, rx, &written, &failed))?;
    tracing::info!(dir = %dir.display(), retention_days = section.audit_retention_days, "audit log enabled");
    Ok(Some(std::sync::Arc::new(AuditSink {
        queue,
        dir,
        dropped,
    })))
}

/// Waits until every record queued so far is written and synced to disk.
pub async fn sync(state: &AppState) {
    send_sync(state, false).await;
}

/// Writes and syncs every queued record and stops the writer, waiting for it.
pub async fn stop(state: &AppState) {
    send_sync(state, true).await;
}

async fn send_sync(state: &AppState, stop: bool) {
    let Some(sink) = &state.audit else { return };
    let (ack, done) = oneshot::channel();
    if sink.queue.send(Entry::Sync { ack, stop }).await.is_ok() {
        let _ = done.await;
    }
}

/// The request id: the caller's `x-request-id` when it is short visible ASCII, else a new one.
pub(super) fn request_id(req: &Request) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(new_request_id, str::to_string)
}

/// The admin action a request performs, if any (the engine's own credentials reload,
/// `auth_reload`, is recorded by [`record_action`]).
fn action(method: &str, route: &str) -> Option<&'static str> {
    match (method, route) {
        ("GET", "/api/v1/admin/backup") => Some("backup"),
        ("POST", "/api/v1/alerts/{id}/ack") => Some("alert_ack"),
        _ => None,
    }
}

/// The roles `[auth]` gives `subject`, comma-separated.
fn roles(state: &AppState, subject: &str) -> Option<String> {
    let section = active(&state.config)?;
    let entry = section.subjects.iter().find(|s| s.name == subject)?;
    Some(entry.roles.join(","))
}

/// Middleware: gives the request an id, runs it, and records it unless its route is open
/// (probes, metrics, the dashboard shell) and it was not refused.
pub async fn record(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = request_id(&req);
    let header = HeaderValue::from_str(&id).ok();
    if let Some(value) = &header {
        req.headers_mut().insert(REQUEST_ID, value.clone());
    }
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_string(), |m| m.as_str().to_string());
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let mut response = next.run(req).await;
    if let Some(value) = header {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let Some(sink) = &state.audit else {
        return response;
    };
    let status = response.status();
    let refused = matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
    );
    if !refused && required(&method, &route) == Access::Open {
        return response;
    }
    let subject = response
        .extensions()
        .get::<AuthenticatedSubject>()
        .map(|s| s.0.clone());
    let record = Record {
        seq: 0,
        time_ns: now_ns(),
        role: subject.as_deref().and_then(|s| roles(&state, s)),
        subject,
        client,
        action: action(&method, &route).map(str::to_string),
        method,
        route,
        status: status.as_u16(),
        bytes: response.body().size_hint().exact(),
        request_id: id,
        prev: String::new(),
    };
    sink.submit(record).await;
    response
}

#[cfg(test)]
mod tests {
    use super::super::audit_sink::{FULL_WAIT, record_action};
    use super::*;
    use std::path::PathBuf;
    use std::time::Instant;

    fn record() -> Record {
        Record {
            seq: 0,
            time_ns: 0,
            subject: None,
            role: None,
            client: None,
            method: "GET".into(),
            route: "/api/v1/stats".into(),
            status: 200,
            bytes: None,
            request_id: "r".into(),
            action: None,
            prev: String::new(),
        }
    }

    #[tokio::test]
    async fn a_record_that_finds_the_queue_full_is_dropped_and_counted() {
        let (queue, mut rx) = mpsc::channel(1);
        let sink = AuditSink {
            queue,
            dir: PathBuf::new(),
            dropped: IntCounter::new("dropped", "test").unwrap(),
        };
        sink.submit(record()).await;
        let started = Instant::now();
        sink.submit(record()).await;
        assert!(started.elapsed() >= FULL_WAIT, "waited for room first");
        assert_eq!(sink.dropped.get(), 1);
        assert!(matches!(rx.recv().await, Some(Entry::Record(_))));
        sink.submit(record()).await;
        assert_eq!(sink.dropped.get(), 1, "room again: queued");
    }

    #[tokio::test]
    async fn engine_actions_are_recorded_with_their_outcome() {
        let (queue, mut rx) = mpsc::channel(2);
        let sink = AuditSink {
            queue,
            dir: PathBuf::new(),
            dropped: IntCounter::new("dropped", "test").unwrap(),
        };
        record_action(&sink, "auth_reload", "auth.secret_file", true).await;
        record_action(&sink, "auth_reload", "auth.secret_file", false).await;
        for want in [200, 500] {
            let Some(Entry::Record(r)) = rx.recv().await else {
                panic!("a record")
            };
            assert_eq!(
                (r.action.as_deref(), r.route.as_str(), r.status),
                (Some("auth_reload"), "auth.secret_file", want)
            );
        }
    }

    #[test]
    fn caller_request_ids_are_kept_only_when_sane() {
        let with = |id: &str| {
            let req = Request::builder()
                .header(REQUEST_ID, id)
                .body(axum::body::Body::empty())
                .unwrap();
            request_id(&req)
        };
        assert_eq!(with("abc-123"), "abc-123");
        assert_eq!(with(&"x".repeat(129)).len(), 32);
        assert_eq!(with("a b").len(), 32);
    }
}
