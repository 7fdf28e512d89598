//! Handler errors, rendered in the engine's error shape (`{"error", "message", ...details}`, see
//! `error_shape`; `error_layer` adds `requestId`) with proper status codes.

use crate::event::DecodeError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use thiserror::Error;

/// Seconds a client refused a stream should wait before retrying.
const STREAM_RETRY_AFTER_SECS: u64 = 5;

/// Everything a handler can answer with instead of success.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The batch is malformed or invalid; nothing was stored.
    #[error("{0}; nothing from this batch was stored")]
    InvalidBatch(DecodeError),
    /// A query parameter is wrong.
    #[error("query parameter `{param}` {reason}")]
    BadQuery {
        /// Parameter name.
        param: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The ingest queue is full; retry after the given seconds.
    #[error("ingest queue is full, retry after {0} s")]
    Overloaded(u64),
    /// Replay has not finished, or the engine is shutting down.
    #[error("the engine is not ready: {0}")]
    Unavailable(&'static str),
    /// Storage failed.
    #[error("{0}")]
    Storage(String),
    /// The shared event log (clustered mode) did not acknowledge the batch; retry it.
    #[error("{0}; retry the batch (events with an idempotencyKey are stored once)")]
    LogUnavailable(String),
    /// The client or subject used up its request rate; retry after the given seconds.
    #[error("request rate limit reached, retry after {0} s")]
    RateLimited(u64),
    /// The client did not send the request body within `body_read_timeout_ms`.
    #[error("the request body was not received in time")]
    BodyTimeout,
    /// Every place for a server-sent-event stream is taken.
    #[error("all {0} event streams are open, retry later")]
    TooManyStreams(usize),
    /// The request body is larger than `[server] max_body_bytes` (after decompression).
    #[error(
        "the request body is larger than {0} bytes (`[server] max_body_bytes`, counted after decompression)"
    )]
    BodyTooLarge(usize),
    /// The request body could not be read (broken gzip, connection error).
    #[error("the request body cannot be read: {0}")]
    UnreadableBody(String),
    /// The request's `Content-Type` is not one the endpoint reads.
    #[error("content type `{given}` is not accepted; send one of: {}", accepted.join(", "))]
    UnsupportedMediaType {
        /// The type the client sent.
        given: String,
        /// The types the endpoint reads.
        accepted: &'static [&'static str],
    },
    /// Ingest over a connection without a client certificate while `[server.tls]
    /// client_ca_path` is set.
    #[error(
        "ingest requires a client certificate signed by the engine's client CA \
         ([server.tls] client_ca_path); this connection presented none"
    )]
    ClientCertificateRequired,
    /// The replicas answered a query across the cluster, but their shares do not merge
    /// (replicas of different builds, or a failed merge task).
    #[error("{0}")]
    Merge(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidBatch(DecodeError::TooLarge { .. }) | ApiError::BodyTooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::InvalidBatch(_) | ApiError::BadQuery { .. } | ApiError::UnreadableBody(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Overloaded(_) | ApiError::TooManyStreams(_) | ApiError::RateLimited(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Unavailable(_) | ApiError::LogUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Storage(_) | ApiError::Merge(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::ClientCertificateRequired => StatusCode::FORBIDDEN,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidBatch(DecodeError::TooLarge { .. }) => "event_too_large",
            ApiError::InvalidBatch(_) => "invalid_batch",
            ApiError::BadQuery { .. } => "invalid_query",
            ApiError::Overloaded(_) => "overloaded",
            ApiError::TooManyStreams(_) => "too_many_streams",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Storage(_) => "storage_error",
            ApiError::LogUnavailable(_) => "log_unavailable",
            ApiError::BodyTimeout => "body_timeout",
            ApiError::BodyTooLarge(_) => "body_too_large",
            ApiError::UnreadableBody(_) => "unreadable_body",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::ClientCertificateRequired => "client_certificate_required",
            ApiError::Merge(_) => "merge_failed",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.code(), "message": self.to_string()});
        match &self {
            ApiError::InvalidBatch(e) => {
                body["stored"] = json!(0);
                if let Some(line) = e.line() {
                    body["line"] = json!(line);
                }
                if let Some(field) = e.field() {
                    body["field"] = json!(field);
                }
                if let DecodeError::TooLarge { index, limit, .. } = e {
                    body["index"] = json!(index);
                    body["limit"] = json!(limit);
                }
            }
            ApiError::BadQuery { param, .. } => body["field"] = json!(param),
            ApiError::UnsupportedMediaType { accepted, .. } => body["accepted"] = json!(accepted),
            ApiError::BodyTooLarge(limit) => body["limit"] = json!(limit),
            _ => {}
        }
        let mut response = (self.status(), Json(body)).into_response();
        let retry_after = match self {
            ApiError::Overloaded(secs) | ApiError::RateLimited(secs) => Some(secs),
            ApiError::TooManyStreams(_) => Some(STREAM_RETRY_AFTER_SECS),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
