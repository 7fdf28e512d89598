//! `POST /api/v1/events`: decode, validate, store through the event log, answer with a receipt.

use super::error::ApiError;
use super::event_log::LogError;
use super::shared::now_ns;
use super::state::AppState;
use crate::core::profiler::Stage;
use crate::event::{BatchLimits, decode_limited};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tower_http::timeout::TimeoutError;

/// Seconds a throttled client should wait.
const RETRY_AFTER_SECS: u64 = 1;

/// Media types `POST /api/v1/events` reads (parameters such as `charset` are ignored).
pub const INGEST_TYPES: &[&str] = &["application/x-ndjson", "application/json"];

/// Refuses a `Content-Type` other than [`INGEST_TYPES`]; a request without one is read as
/// NDJSON, as before the header was checked.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let given = String::from_utf8_lossy(value.as_bytes()).into_owned();
    let essence = given.split(';').next().unwrap_or("").trim();
    if INGEST_TYPES.iter().any(|t| t.eq_ignore_ascii_case(essence)) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType {
            given,
            accepted: INGEST_TYPES,
        })
    }
}

fn outcome(state: &AppState, label: &str) {
    state
        .metrics
        .ingest_requests
        .with_label_values(&[label])
        .inc();
}

/// Accepts a JSON array or NDJSON body (gzip allowed). All or nothing per request.
///
/// The answer comes once the batch is durable: in the write-ahead log (standalone), or
/// acknowledged by the JetStream stream (clustered mode, where a failed publish answers 503
/// `log_unavailable` and receipt ids are stream sequences); a batch with one invalid event
/// stores nothing (400 naming the line and field); a full ingest queue answers 429 with
/// `Retry-After`; events with an `idempotencyKey` already stored are counted as duplicates.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    tag = "events",
    request_body(
        description = "Events as a JSON array, or NDJSON (one event per line); \
            `Content-Encoding: gzip` accepted",
        content(
            (Vec<crate::event::Event> = "application/json"),
            (crate::event::Event = "application/x-ndjson")
        )
    ),
    responses((status = 200, description = "The batch is stored", body = super::pipeline::Receipt))
)]
pub async fn post_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if let Err(e) = check_content_type(&headers) {
        outcome(&state, "rejected");
        return Err(e);
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if timed_out(&rejection) => {
            outcome(&state, "rejected");
            return Err(ApiError::BodyTimeout);
        }
        Err(rejection) => {
            outcome(&state, "rejected");
            return Err(if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge(state.config.server.max_body_bytes)
            } else {
                ApiError::UnreadableBody(rejection.body_text())
            });
        }
    };
    let Some(log) = state.log.get().cloned() else {
        outcome(&state, "unavailable");
        return Err(ApiError::Unavailable("connecting to the event log"));
    };
    if !log.open_before_ready() && !state.is_ready() {
        outcome(&state, "unavailable");
        return Err(ApiError::Unavailable("replaying the log"));
    }
    let started = Instant::now();
    let server = &state.config.server;
    let limits = BatchLimits {
        max_events: server.max_batch_events,
        max_event_bytes: server.max_event_bytes,
        max_payload_bytes: server.max_payload_bytes,
    };
    let decoded = decode_limited(&body, now_ns(), &limits);
    let decode_ns = started.elapsed().as_nanos() as u64;
    let decoded = decoded.map_err(|e| reject(&state, e))?;
    let started = Instant::now();
    decoded.validate().map_err(|e| reject(&state, e))?;
    let validate_ns = started.elapsed().as_nanos() as u64;
    let n = decoded.events.len() as u64;
    state.timings.lock().extend([
        (Stage::Decode, decode_ns, n),
        (Stage::Validate, validate_ns, n),
    ]);
    state.metrics.stage(Stage::Decode, decode_ns);
    state.metrics.stage(Stage::Validate, validate_ns);
    match log.append(decoded.events).await {
        Ok(receipt) => {
            outcome(&state, "accepted");
            state.metrics.batch_events.observe(n as f64);
            Ok(Json(receipt).into_response())
        }
        Err(LogError::Overloaded) => {
            outcome(&state, "throttled");
            Err(ApiError::Overloaded(RETRY_AFTER_SECS))
        }
        Err(LogError::ShuttingDown) => {
            outcome(&state, "unavailable");
            Err(ApiError::Unavailable("shutting down"))
        }
        Err(LogError::Storage(e)) => {
            outcome(&state, "failed");
            Err(ApiError::Storage(e.to_string()))
        }
        Err(e @ LogError::Unacknowledged(_)) => {
            outcome(&state, "failed");
            Err(ApiError::LogUnavailable(e.to_string()))
        }
    }
}

/// Whether reading the body failed because the client stopped sending it in time.
fn timed_out(rejection: &BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(e) = source {
        if e.is::<TimeoutError>() {
            return true;
        }
        source = e.source();
    }
    false
}

fn reject(state: &AppState, e: crate::event::DecodeError) -> ApiError {
    outcome(state, "rejected");
    tracing::debug!(error = %e, "rejected ingest batch");
    ApiError::InvalidBatch(e)
}
