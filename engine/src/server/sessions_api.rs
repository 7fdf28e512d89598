//! `GET /api/v1/sessions` and `GET /api/v1/sessions/{key}`: closed-session verdicts. In clustered
//! mode every replica judges every session with the same model and keeps the verdicts of the
//! sessions it owns, so the listing is the union of the replicas' (what one engine would list),
//! and a session's detail is looked up on the peers when the asked replica does not hold it.

use super::analytics_api::AnalyticsApiError;
use super::anomalies_api::{Failure, limit, with_analytics};
use super::endpoints::Endpoint;
use super::error::ApiError;
use super::fanout::{self, Answer, Coverage, FanoutError, Listing, Scope};
use super::query::bad;
use super::state::AppState;
use crate::core::analytics::Analytics;
use crate::core::analytics::sessions::SessionKey;
use crate::core::analytics::verdicts::{
    self, SessionPage, SessionQuery, SessionSort, SessionVerdict, Step, StepView, Verdict,
};
use crate::event::Event;
use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

/// The session endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/api/v1/sessions", get_sessions),
        Endpoint::get("/api/v1/sessions/{key}", get_session),
    ]
}

/// Query parameters of `GET /api/v1/sessions`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionsParams {
    /// `anomalous`, `normal`, `unscored` or `all` (default).
    verdict: Option<String>,
    /// `time` (default) or `severity`.
    sort: Option<String>,
    /// The `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size.
    limit: Option<usize>,
    /// `cluster` (default: every replica's verdicts) or `local` (this replica's only).
    scope: Option<String>,
}

impl SessionsParams {
    fn query(&self) -> Result<SessionQuery, ApiError> {
        let verdict = match self.verdict.as_deref() {
            None | Some("all") => None,
            Some(v) => Some(Verdict::parse(v).ok_or_else(|| {
                bad(
                    "verdict",
                    format!("`{v}` is not anomalous, normal, unscored or all"),
                )
            })?),
        };
        let sort = match self.sort.as_deref() {
            None | Some("time") => SessionSort::Time,
            Some("severity") => SessionSort::Severity,
            Some(other) => return Err(bad("sort", format!("`{other}` is not time or severity"))),
        };
        let offset = offset(self.cursor.as_deref())?;
        Ok(SessionQuery {
            verdict,
            sort,
            offset,
            limit: limit(self.limit, verdicts::DEFAULT_LIMIT, verdicts::MAX_LIMIT)?,
        })
    }
}

/// A replica's own cursor: an offset into its listing.
fn offset(cursor: Option<&str>) -> Result<usize, ApiError> {
    cursor
        .map(|c| {
            c.parse()
                .map_err(|_| bad("cursor", format!("`{c}` was not returned by this endpoint")))
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

/// `GET /api/v1/sessions`: every closed session's verdict.
#[utoipa::path(
    get,
    path = "/api/v1/sessions",
    tag = "analytics",
    params(SessionsParams),
    responses((status = 200, description = "One page of session verdicts", body = Object))
)]
async fn get_sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(params): Query<SessionsParams>,
) -> Result<Response, Failure> {
    let scope = Scope::parse(params.scope.as_deref())?;
    let cursor = params.cursor.clone();
    let q = SessionsParams {
        cursor: None,
        ..params
    }
    .query()?;
    let Some(peers) = state.fanout().filter(|_| scope == Scope::Cluster) else {
        let q = SessionQuery {
            offset: offset(cursor.as_deref())?,
            ..q
        };
        return with_analytics(&state, |a| a.sessions(&q)).map(|page| Json(page).into_response());
    };
    let local = |at: Option<&str>| -> Result<fanout::sessions::Report, FanoutError> {
        let q = SessionQuery {
            offset: at.and_then(|p| p.parse().ok()).unwrap_or(0),
            ..q.clone()
        };
        let page: SessionPage = with_analytics(&state, |a| a.sessions(&q))
            .map_err(|_| FanoutError::Task("analytics are disabled".into()))?;
        fanout::listing::as_received(&page)
    };
    with_analytics(&state, |_| ())?;
    let pairs = fanout::query_pairs(raw.as_deref());
    let listing = Listing {
        query: &pairs,
        cursor: cursor.as_deref(),
        limit: q.limit,
        auth: fanout::authorization(&headers),
    };
    let (page, coverage) = fanout::sessions::page(peers, listing, q.sort, local)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(Answer {
        body: page,
        coverage: Some(coverage),
    })
    .into_response())
}

/// `GET /api/v1/sessions/{key}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionDetail {
    /// The session key.
    pub key: String,
    /// The verdict (as listed by `GET /api/v1/sessions`).
    #[schema(value_type = Object)]
    pub verdict: SessionVerdict,
    /// The session's events still retained, in session order.
    pub events: Vec<Event>,
    /// Every step with its probability and surprisal (empty when unscored).
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<Step>,
    /// The least likely step.
    #[schema(value_type = Option<Object>)]
    pub least_likely_step: Option<StepView>,
}

/// Query string of `GET /api/v1/sessions/{key}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionParams {
    /// `cluster` (default: looked up on the peers when this replica does not hold the session)
    /// or `local` (this replica only).
    scope: Option<String>,
}

/// `GET /api/v1/sessions/{key}`: one session's events, step probabilities and least likely step.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{key}",
    tag = "analytics",
    params(("key" = String, Path, description = "The session key"), SessionParams),
    responses((status = 200, description = "The session (clustered: from the replica holding \
        it)", body = SessionDetail))
)]
async fn get_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(params): Query<SessionParams>,
) -> Result<Response, Failure> {
    let scope = Scope::parse(params.scope.as_deref())?;
    if let Some(detail) = local_session(&state, &key)? {
        return Ok(Json(detail).into_response());
    }
    let Some(peers) = state.fanout().filter(|_| scope == Scope::Cluster) else {
        return Err(Failure::NotFound(key));
    };
    let path = format!("/api/v1/sessions/{}", fanout::path_segment(&key));
    let answers = peers
        .get::<serde_json::Value>(&path, |_| Vec::new(), fanout::authorization(&headers))
        .await;
    if let Some((_, detail)) = answers.answers.into_iter().next() {
        return Ok(Json(detail).into_response());
    }
    // A peer answering 404 does not hold the session; any other failure might.
    let missing: Vec<_> = answers
        .missing
        .into_iter()
        .filter(|m| m.status != Some(404))
        .collect();
    if missing.is_empty() {
        return Err(Failure::NotFound(key));
    }
    let coverage = Coverage::lacking(missing);
    Ok((
        StatusCode::NOT_FOUND,
        Json(json!({
            "error": "session_not_found",
            "message": format!(
                "no replica that answered keeps a closed session with key {key:?}; \
                 {} replica(s) did not answer",
                coverage.missing_replicas.len()
            ),
            "partial": true,
            "missingReplicas": coverage.missing_replicas,
        })),
    )
        .into_response())
}

/// This replica's detail of session `key`, if it keeps it.
fn local_session(state: &AppState, key: &str) -> Result<Option<SessionDetail>, Failure> {
    let shared = state.shared.lock();
    let analytics = shared
        .engine
        .hook::<Analytics>()
        .ok_or(Failure::Disabled(AnalyticsApiError::Disabled))?;
    let Some(verdict) = analytics.session(key).cloned() else {
        return Ok(None);
    };
    let events = if state.cluster.get().is_some() {
        // Clustered: the verdict's ids are stream sequences; the events are found by key.
        let policy = SessionKey::parse(&state.config.pattern_discovery.session_key)
            .unwrap_or(SessionKey::Auto);
        shared
            .retained
            .iter()
            .filter(|e| {
                (verdict.start_ns..=verdict.end_ns).contains(&e.timestamp_ns)
                    && policy.of(e).is_some_and(|k| &**k == key)
            })
            .take(verdict.events)
            .cloned()
            .collect()
    } else {
        verdict
            .event_ids
            .iter()
            .filter_map(|&id| shared.retained.get(id).cloned())
            .collect()
    };
    Ok(Some(SessionDetail {
        key: key.to_owned(),
        steps: verdict.steps(),
        least_likely_step: verdict.least_likely_step.clone(),
        verdict,
        events,
    }))
}
