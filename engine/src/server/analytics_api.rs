//! The analytics API over the [`Analytics`] hook (composed in `core::compose`):
//! `GET /api/v1/patterns` (merged across replicas in clustered mode, `fanout::patterns`) with
//! its second phase `POST /api/v1/patterns/support`, `/api/v1/correlations`,
//! `/api/v1/predictions`; the anomaly routes are in `anomalies_api`, the session routes in
//! `sessions_api`.

use super::endpoints::Endpoint;
use super::error::ApiError;
use super::fanout::patterns::SupportRequest;
use super::fanout::{self, Answer, FanoutError, Scope};
use super::state::AppState;
use crate::core::analytics::Analytics;
use crate::core::analytics::report::{CorrelationsReport, PredictionsReport};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use utoipa::IntoParams;

/// Errors of the analytics API.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsApiError {
    /// Every analytic is disabled in the configuration.
    #[error("analytics are disabled in the configuration")]
    Disabled,
    /// A wrong query, or a merge across replicas that failed.
    #[error(transparent)]
    Query(#[from] ApiError),
}

impl IntoResponse for AnalyticsApiError {
    fn into_response(self) -> Response {
        match self {
            AnalyticsApiError::Query(e) => e.into_response(),
            AnalyticsApiError::Disabled => (
                StatusCode::NOT_FOUND,
                Json(json!({"error": "analytics_disabled", "message": self.to_string()})),
            )
                .into_response(),
        }
    }
}

impl From<FanoutError> for AnalyticsApiError {
    fn from(e: FanoutError) -> Self {
        AnalyticsApiError::Query(e.into())
    }
}

/// The analytics endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/api/v1/patterns", patterns),
        Endpoint::post("/api/v1/patterns/support", pattern_support),
        Endpoint::get("/api/v1/correlations", correlations),
        Endpoint::get("/api/v1/predictions", predictions),
    ]
}

/// Query string of `GET /api/v1/patterns`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PatternsQuery {
    /// `cluster` (default: mined over every replica's sessions) or `local` (this replica's).
    pub scope: Option<String>,
    /// With `scope=local`: `candidates` answers the patterns of this replica's sessions at its
    /// proportional support threshold (phase 1 of a query across replicas).
    pub phase: Option<String>,
}

/// `GET /api/v1/patterns`: frequent sequential patterns per session and rules A→B.
#[utoipa::path(
    get,
    path = "/api/v1/patterns",
    tag = "analytics",
    params(PatternsQuery),
    responses((status = 200, description = "Patterns and rules with support and confidence \
        (clustered: with `partial` and `missingReplicas`)", body = Object))
)]
pub async fn patterns(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PatternsQuery>,
) -> Result<Response, AnalyticsApiError> {
    let scope = Scope::parse(q.scope.as_deref())?;
    let candidates = match q.phase.as_deref() {
        None => false,
        Some("candidates") if scope == Scope::Local => true,
        Some(other) => {
            return Err(ApiError::BadQuery {
                param: "phase",
                reason: format!("`{other}` is not candidates (with scope=local)"),
            }
            .into());
        }
    };
    let peers = state.fanout().filter(|_| scope == Scope::Cluster);
    let (report, snapshot) = {
        let shared = state.shared.lock();
        let analytics = shared
            .engine
            .hook::<Analytics>()
            .ok_or(AnalyticsApiError::Disabled)?;
        let snapshot = (candidates || peers.is_some()).then(|| analytics.mining_snapshot());
        (analytics.patterns(), snapshot)
    };
    let Some(snapshot) = snapshot.map(Arc::new) else {
        return Ok(Json(report).into_response());
    };
    if candidates {
        let candidates = state.pattern_phases.candidates(snapshot).await?;
        return Ok(Json(candidates.as_ref()).into_response());
    }
    match peers {
        Some(peers) if snapshot.settings.patterns => {
            let (report, coverage) = fanout::patterns::merged(
                peers,
                fanout::authorization(&headers),
                snapshot,
                &state.pattern_phases,
            )
            .await?;
            Ok(Json(Answer {
                body: report,
                coverage: Some(coverage),
            })
            .into_response())
        }
        _ => Ok(Json(report).into_response()),
    }
}

/// `POST /api/v1/patterns/support`: the support of each given pattern among this replica's
/// completed sessions (phase 2 of a pattern query across replicas; reads, so it needs
/// `analytics:read`).
#[utoipa::path(
    post,
    path = "/api/v1/patterns/support",
    tag = "analytics",
    request_body(content = Object, description = "`{\"patterns\": [[item, ...], ...]}`: \
        patterns as event type indexes"),
    responses((status = 200, description = "Sessions, generation and the support of each \
        pattern, in the order given", body = Object))
)]
pub async fn pattern_support(
    State(state): State<AppState>,
    Json(body): Json<SupportRequest>,
) -> Result<Response, AnalyticsApiError> {
    let snapshot = {
        let shared = state.shared.lock();
        let analytics = shared
            .engine
            .hook::<Analytics>()
            .ok_or(AnalyticsApiError::Disabled)?;
        analytics.mining_snapshot()
    };
    let most = fanout::patterns::CANDIDATE_LIMIT * state.config.cluster.replicas.max(1) as usize;
    let longest = snapshot.settings.max_pattern_length;
    if body.patterns.len() > most {
        return Err(bad_body(format!(
            "holds {} patterns; the candidates of {} replicas are at most {most}",
            body.patterns.len(),
            state.config.cluster.replicas.max(1)
        )));
    }
    if let Some(p) = body.patterns.iter().find(|p| p.len() > longest) {
        return Err(bad_body(format!(
            "holds a pattern of {} items; max_pattern_length is {longest}",
            p.len()
        )));
    }
    let supports = state
        .pattern_phases
        .supports(Arc::new(snapshot), Arc::new(body.patterns))
        .await?;
    Ok(Json(supports.as_ref()).into_response())
}

/// `GET /api/v1/correlations`: lagged Pearson correlations between per-type rates.
#[utoipa::path(
    get,
    path = "/api/v1/correlations",
    tag = "analytics",
    responses((status = 200, description = "Correlated type pairs with lag and coefficient", body = Object))
)]
pub async fn correlations(
    state: State<AppState>,
) -> Result<Json<CorrelationsReport>, AnalyticsApiError> {
    report(state, Analytics::correlations).await
}

/// `GET /api/v1/predictions`: rate forecasts with intervals and backtests, next-event candidates.
#[utoipa::path(
    get,
    path = "/api/v1/predictions",
    tag = "analytics",
    responses((status = 200, description = "Forecasts and next-event candidates", body = Object))
)]
pub async fn predictions(
    state: State<AppState>,
) -> Result<Json<PredictionsReport>, AnalyticsApiError> {
    report(state, Analytics::predictions).await
}

fn bad_body(reason: String) -> AnalyticsApiError {
    ApiError::BadQuery {
        param: "patterns",
        reason,
    }
    .into()
}

#[allow(clippy::unused_async)] // an axum handler is an async fn even when it never waits
async fn report<T: Serialize>(
    State(state): State<AppState>,
    query: fn(&Analytics) -> T,
) -> Result<Json<T>, AnalyticsApiError> {
    let shared = state.shared.lock();
    let analytics = shared
        .engine
        .hook::<Analytics>()
        .ok_or(AnalyticsApiError::Disabled)?;
    Ok(Json(query(&analytics)))
}

#[cfg(test)]
mod tests {
    use super::super::metrics::Metrics;
    use super::super::{AppState, router};
    use crate::config::Config;
    use crate::event::{Event, EventType};
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use serde_json::Value;
    use std::sync::Arc;
    use tower::ServiceExt;

    async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
        let resp = router(state.clone())
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await;
        let resp = resp.expect("response");
        let status = resp.status();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn serves_the_four_reports() {
        let (state, _rx) = AppState::new(
            Config::default(),
            Arc::new(Metrics::new().expect("metrics")),
        );
        {
            let mut shared = state.shared.lock();
            let sec = 1_000_000_000;
            let events: Vec<Event> = (0..600)
                .map(|i| {
                    let mut e = Event::new(
                        EventType::ALL[(i % 3) as usize],
                        1_000 * sec + i * sec / 10,
                        "n",
                    );
                    e.context.transaction_id = Some(format!("tx-{}", i / 3).into());
                    e
                })
                .collect();
            shared.engine.apply(&events, 1_100 * sec);
            shared.engine.tick(1_500 * sec);
            shared.engine.tick(1_600 * sec);
        }
        let (status, patterns) = get(&state, "/api/v1/patterns").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(patterns["sessions"], 200);
        assert!(
            patterns["patterns"]
                .as_array()
                .is_some_and(|p| !p.is_empty())
        );
        let (status, c) = get(&state, "/api/v1/correlations").await;
        assert_eq!(status, StatusCode::OK);
        assert!(c["pairs"].is_array());
        let (status, a) = get(&state, "/api/v1/anomalies").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(a["forest"]["trained"], true);
        let (status, p) = get(&state, "/api/v1/predictions").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(p["horizonSeconds"], 300);
        assert!(
            p["nextEventBacktest"]["predictions"]
                .as_u64()
                .is_some_and(|n| n > 0)
        );
    }

    #[tokio::test]
    async fn disabled_analytics_answer_404() {
        let mut config = Config::default();
        config.analytics.enable_pattern_discovery = false;
        config.analytics.enable_anomaly_detection = false;
        config.analytics.enable_predictive_analytics = false;
        let (state, _rx) = AppState::new(config, Arc::new(Metrics::new().expect("metrics")));
        let (status, body) = get(&state, "/api/v1/patterns").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], "analytics_disabled");
    }
}
