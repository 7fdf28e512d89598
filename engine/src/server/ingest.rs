//! `POST /api/v1/events`: decode, validate, queue for the log writer, answer with a receipt.

use super::error::ApiError;
use super::pipeline::{Command, IngestRequest, PipelineError, Receipt};
use super::shared::now_ns;
use super::state::AppState;
use crate::core::profiler::Stage;
use crate::event::decode;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use std::sync::mpsc::TrySendError;
use std::time::Instant;
use tokio::sync::oneshot;

/// Seconds a throttled client should wait.
const RETRY_AFTER_SECS: u64 = 1;

fn outcome(state: &AppState, label: &str) {
    state
        .metrics
        .ingest_requests
        .with_label_values(&[label])
        .inc();
}

/// Accepts a JSON array or NDJSON body (gzip allowed). All or nothing per request.
pub async fn post_events(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Receipt>, ApiError> {
    if !state.is_ready() {
        outcome(&state, "unavailable");
        return Err(ApiError::Unavailable("replaying the log"));
    }
    let started = Instant::now();
    let decoded = decode(&body, now_ns(), state.config.server.max_batch_events);
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
    let (reply, answer) = oneshot::channel();
    let request = IngestRequest {
        events: decoded.events,
        reply,
    };
    match state.queue.try_send(Command::Ingest(request)) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            outcome(&state, "throttled");
            return Err(ApiError::Overloaded(RETRY_AFTER_SECS));
        }
        Err(TrySendError::Disconnected(_)) => {
            outcome(&state, "unavailable");
            return Err(ApiError::Unavailable("shutting down"));
        }
    }
    match answer.await {
        Ok(Ok(receipt)) => {
            outcome(&state, "accepted");
            state.metrics.batch_events.observe(n as f64);
            Ok(Json(receipt))
        }
        Ok(Err(PipelineError::Storage(e))) => {
            outcome(&state, "failed");
            Err(ApiError::Storage(e))
        }
        Err(_) => {
            outcome(&state, "unavailable");
            Err(ApiError::Unavailable("shutting down"))
        }
    }
}

fn reject(state: &AppState, e: crate::event::DecodeError) -> ApiError {
    outcome(state, "rejected");
    tracing::debug!(error = %e, "rejected ingest batch");
    ApiError::InvalidBatch(e)
}
