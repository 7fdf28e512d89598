//! The operator's HTTP endpoints: `/metrics`, `/healthz` (process alive), `/readyz` (caches synced).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use chrono::Utc;

use crate::backup::freshness::freshness;
use crate::controller::run::Shared;
use crate::metrics::Metrics;

/// State behind the endpoints.
#[derive(Clone)]
pub struct HttpState {
    /// Operator metrics.
    pub metrics: Metrics,
    /// Readiness flag and object caches.
    pub shared: Arc<Shared>,
}

/// The router serving the three endpoints.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn metrics(State(state): State<HttpState>) -> Response {
    state.metrics.set_ready_counts(state.shared.ready_states());
    let now = Utc::now();
    let fresh: Vec<_> = state
        .shared
        .semantics()
        .iter()
        .filter_map(|cr| freshness(cr, now))
        .collect();
    state.metrics.backup.set_freshness(&fresh);
    match state.metrics.render() {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn readyz(State(state): State<HttpState>) -> Response {
    if state.shared.ready.load(Ordering::SeqCst) {
        "ok".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches not synced").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn call(router: Router, path: &str) -> (StatusCode, String) {
        let response = router
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn readyz_follows_cache_sync_and_metrics_render() {
        let state = HttpState {
            metrics: Metrics::new().expect("metrics"),
            shared: Arc::new(Shared::default()),
        };
        let app = router(state.clone());
        assert_eq!(call(app.clone(), "/healthz").await.0, StatusCode::OK);
        assert_eq!(
            call(app.clone(), "/readyz").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        state.shared.ready.store(true, Ordering::SeqCst);
        assert_eq!(call(app.clone(), "/readyz").await.0, StatusCode::OK);
        let (status, text) = call(app, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            text.contains(r#"vexfs_operator_objects{ready="True"} 0"#),
            "{text}"
        );
    }
}
