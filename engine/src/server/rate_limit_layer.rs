//! The rate-limit middleware: charges each request to its client address and subject in the
//! [`RateLimiter`] held by the handler state.

use super::auth_layer::AuthenticatedSubject;
use super::error::ApiError;
use super::rate_limit::PROBES;
#[cfg(doc)]
use super::rate_limit::RateLimiter;
use super::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::time::Instant;

/// Middleware: charges the request to its client address and, when authenticated, to its
/// subject. Runs after authentication; does nothing when no limiter is configured.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(limiter) = state.rate_limiter.as_deref() else {
        return next.run(req).await;
    };
    if PROBES.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let mut keys = Vec::with_capacity(2);
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        keys.push(format!("addr:{}", addr.ip()));
    }
    if let Some(AuthenticatedSubject(subject)) = req.extensions().get::<AuthenticatedSubject>() {
        keys.push(format!("sub:{subject}"));
    }
    match limiter.take(&keys, Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            state
                .metrics
                .ingest_requests
                .with_label_values(&["rate_limited"])
                .inc();
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::RateLimited(secs.max(1)).into_response()
        }
    }
}
