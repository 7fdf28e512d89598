//! The HTTP server: axum router over shared state, the log writer pipeline, and the runtime.

pub mod alerts_api;
pub mod analytics_api;
pub mod analytics_feed;
pub mod anomalies_api;
pub mod anomaly_log;
pub mod anomaly_publish;
pub mod audit_api;
pub mod audit_layer;
pub mod audit_sink;
pub mod auth_layer;
pub mod dashboard;
pub mod error;
pub mod ingest;
pub mod metrics;
pub mod oidc_keys;
pub mod ops;
pub mod pipeline;
pub mod procfs;
pub mod query;
pub mod rate_limit;
pub mod rate_limit_layer;
pub mod runtime;
pub mod serve;
pub mod shared;
pub mod state;
pub mod stream;
pub mod stream_gate;
pub mod timeseries;
pub mod timeseries_api;
pub mod tls;

pub use runtime::{ServerError, run};
pub use shared::{now_ns, shutdown_signal};
pub use state::AppState;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::time::Duration;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// The engine's routes. Feature APIs (analytics, alerts) are merged in [`feature_routes`].
pub fn router(state: AppState) -> Router {
    let limit = state.config.server.max_body_bytes;
    let body_timeout = Duration::from_millis(state.config.server.body_read_timeout_ms);
    let auth = axum::middleware::from_fn_with_state(state.clone(), auth_layer::require);
    let audit = axum::middleware::from_fn_with_state(state.clone(), audit_layer::record);
    let rate = axum::middleware::from_fn_with_state(state.clone(), rate_limit_layer::limit);
    let client_cert =
        axum::middleware::from_fn_with_state(state.clone(), tls::require_client_certificate);
    let ingest = Router::new()
        .route(
            "/api/v1/events",
            post(ingest::post_events).get(query::get_events),
        )
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(RequestDecompressionLayer::new())
        .route_layer(client_cert);
    Router::new()
        .merge(ingest)
        .route("/api/v1/stats", get(query::get_stats))
        .route("/api/v1/profile", get(query::get_profile))
        .route("/api/v1/stream", get(stream::get_stream))
        .route("/api/v1/admin/backup", get(ops::backup))
        .route("/metrics", get(ops::metrics))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .merge(feature_routes())
        .route_layer(rate)
        .route_layer(auth)
        .route_layer(audit)
        .with_state(state)
}

/// Routes contributed by the feature modules (analytics, alerts, audit, dashboard, time series).
fn feature_routes() -> Router<AppState> {
    Router::new()
        .merge(alerts_api::routes())
        .merge(analytics_api::routes())
        .merge(anomalies_api::routes())
        .merge(audit_api::routes())
        .merge(dashboard::routes())
        .merge(timeseries_api::routes())
}

#[cfg(test)]
mod tests;
