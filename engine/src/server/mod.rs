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
mod backup_stream;
pub mod cluster;
pub mod cluster_api;
pub mod cluster_status;
pub mod dashboard;
pub mod endpoints;
pub mod error;
pub mod error_layer;
pub mod error_shape;
pub mod event_log;
pub mod fanout;
pub mod ingest;
pub mod metrics;
pub mod oidc_keys;
pub mod openapi;
pub mod ops;
pub mod pipeline;
pub mod procfs;
pub mod query;
pub mod rate_limit;
pub mod rate_limit_layer;
pub mod runtime;
pub mod serve;
pub mod sessions_api;
pub mod shared;
pub mod state;
pub mod stream;
pub mod stream_gate;
pub mod timeseries;
pub mod timeseries_api;
pub mod timeseries_parts;
pub mod tls;

pub use runtime::{ServerError, run};
pub use shared::{now_ns, shutdown_signal};
pub use state::AppState;

use crate::config::ServerSection;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use endpoints::{Endpoint, router_of};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// The engine's router: [`endpoints`] behind the rate limit, authentication and audit layers,
/// with every error answer in one shape (`error_layer`).
pub fn router(state: AppState) -> Router {
    let auth = axum::middleware::from_fn_with_state(state.clone(), auth_layer::require);
    let audit = axum::middleware::from_fn_with_state(state.clone(), audit_layer::record);
    let rate = axum::middleware::from_fn_with_state(state.clone(), rate_limit_layer::limit);
    router_of(endpoints(&state.config.server))
        .route_layer(rate)
        .route_layer(auth)
        .route_layer(audit)
        .with_state(state)
        .layer(axum::middleware::from_fn(error_layer::uniform))
}

/// Every endpoint of the engine; `server` sets the ingest body limits. Feature APIs
/// (analytics, alerts, audit, dashboard, time series) contribute theirs.
pub fn endpoints(server: &ServerSection) -> Vec<Endpoint> {
    let limit = server.max_body_bytes;
    let body_timeout = Duration::from_millis(server.body_read_timeout_ms);
    let mtls = tls::ingest_requires_client_certificate(server.tls.as_ref());
    let mut all = vec![
        Endpoint::post("/api/v1/events", ingest::post_events).layered(|route| {
            // Outermost first: the client certificate (before any byte of the body is read),
            // decompress, then time the body read, then limit its size.
            let route = route.layer(
                ServiceBuilder::new()
                    .layer(RequestDecompressionLayer::new())
                    .layer(RequestBodyTimeoutLayer::new(body_timeout))
                    .layer(DefaultBodyLimit::max(limit)),
            );
            if mtls {
                route.layer(axum::middleware::from_fn(tls::require_client_certificate))
            } else {
                route
            }
        }),
        Endpoint::get("/api/v1/events", query::get_events),
        Endpoint::get("/api/v1/stats", query::get_stats),
        Endpoint::get("/api/v1/profile", query::get_profile),
        Endpoint::get("/api/v1/stream", stream::get_stream),
        Endpoint::get("/api/v1/admin/backup", ops::backup),
        Endpoint::get("/api/v1/openapi.json", openapi::document),
        Endpoint::get("/metrics", ops::metrics),
        Endpoint::get("/healthz", ops::healthz),
        Endpoint::get("/readyz", ops::readyz),
    ];
    all.extend(alerts_api::endpoints());
    all.extend(analytics_api::endpoints());
    all.extend(anomalies_api::endpoints());
    all.extend(audit_api::endpoints());
    all.extend(cluster_api::endpoints());
    all.extend(dashboard::endpoints());
    all.extend(sessions_api::endpoints());
    all.extend(timeseries_api::endpoints());
    all
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod local_scope_tests;
