//! Operational endpoints: `/healthz`, `/readyz`, `/metrics`, `/api/v1/admin/backup`.

use super::error::ApiError;
use super::shared::now_ns;
use super::state::AppState;
use crate::store::audit_files;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use utoipa::ToSchema;

/// Body of the probes: `ok` (liveness) or `ready` (readiness).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProbeStatus {
    /// `ok` or `ready`.
    #[schema(example = "ready")]
    pub status: &'static str,
}

/// Liveness: the process serves requests.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The process serves requests", body = ProbeStatus))
)]
pub async fn healthz() -> Json<ProbeStatus> {
    Json(ProbeStatus { status: "ok" })
}

/// Readiness: log replay finished and ingest is open (503 with `status: replaying` before).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Log replay finished; ingest is open", body = ProbeStatus),
        (status = 503, description = "Log replay has not finished (`status: replaying`)", body = super::error_shape::ErrorBody)
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.is_ready() {
        Json(ProbeStatus { status: "ready" }).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "replaying",
                "error": "not_ready",
                "message": "log replay has not finished",
            })),
        )
            .into_response()
    }
}

/// Prometheus text exposition.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Every engine metric", content_type = "text/plain", body = String))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// A consistent snapshot of the retained events, anomaly records and audit files as a backup
/// archive (`application/gzip`).
#[utoipa::path(
    get,
    path = "/api/v1/admin/backup",
    tag = "operations",
    responses((
        status = 200,
        description = "A gzip-compressed tar archive; `x-vexfs-event-count` gives its events",
        content_type = "application/gzip",
        body = String
    ))
)]
pub async fn backup(State(state): State<AppState>) -> Result<Response, ApiError> {
    if !state.is_ready() {
        return Err(ApiError::Unavailable("replaying the log"));
    }
    let (events, records, next_id) = {
        let shared = state.shared.lock();
        let events: Vec<_> = shared.retained.iter().cloned().collect();
        let records = super::anomaly_log::kept(&shared.engine);
        (events, records, shared.retained.next_id())
    };
    let now = now_ns();
    // Every audit record queued before this request is in the archive.
    super::audit_layer::sync(&state).await;
    let audit_root = state
        .audit
        .as_ref()
        .and_then(|a| a.dir.parent().map(Path::to_path_buf));
    let files = tokio::task::spawn_blocking(move || {
        let anomalies = super::anomaly_log::to_jsonl(&records);
        let audit = match &audit_root {
            Some(root) => audit_files::read(root)?,
            None => Vec::new(),
        };
        Ok::<_, crate::store::StoreError>((anomalies, audit))
    })
    .await
    .map_err(|e| ApiError::Storage(e.to_string()))?;
    let (anomalies, audit) = files.map_err(|e| ApiError::Storage(e.to_string()))?;
    let event_count = events.len();
    let body = super::backup_stream::stream(super::backup_stream::Snapshot {
        events,
        anomalies,
        audit,
        next_id,
        now_ns: now,
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip".to_string()),
            (
                HeaderName::from_static("x-vexfs-event-count"),
                event_count.to_string(),
            ),
        ],
        body,
    )
        .into_response())
}
