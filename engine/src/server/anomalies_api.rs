//! `GET /api/v1/anomalies` (records with filters, order, cursor and totals) and
//! `GET /api/v1/anomalies/stream` (new records as server-sent events); the session verdicts'
//! routes are in `sessions_api`.

use super::analytics_api::AnalyticsApiError;
use super::endpoints::Endpoint;
use super::error::ApiError;
use super::fanout::anomalies::Report;
use super::fanout::{self, Answer, FanoutError, Listing, Scope};
use super::query::{bad, parse_time};
use super::state::AppState;
use super::stream_gate::CredentialExpiry;
use crate::core::analytics::Analytics;
use crate::core::analytics::records::query::{self as rq, AnomalyQuery, Cursor, Sort};
use crate::core::analytics::records::{Detector, RecordKind};
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::stream::{Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use utoipa::IntoParams;

/// The record endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/api/v1/anomalies", get_anomalies),
        Endpoint::get("/api/v1/anomalies/stream", stream_anomalies),
    ]
}

/// Query parameters of `GET /api/v1/anomalies`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnomaliesParams {
    /// `event`, `series` or `session`.
    kind: Option<String>,
    /// `latency`, `size`, `forest`, `rate` or `sequence`.
    detector: Option<String>,
    /// The record's subject (path, series or session key).
    subject: Option<String>,
    /// RFC 3339 or nanoseconds; inclusive.
    since: Option<String>,
    /// RFC 3339 or nanoseconds; exclusive.
    until: Option<String>,
    /// Least severity, in [0, 1].
    min_severity: Option<f64>,
    /// `time` (default) or `severity`.
    sort: Option<String>,
    /// The `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size.
    limit: Option<usize>,
    /// `cluster` (default: every replica, united) or `local` (this replica's records only).
    scope: Option<String>,
}

pub(super) fn limit(value: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    let n = value.unwrap_or(default);
    if n == 0 || n > max {
        return Err(bad("limit", format!("must be between 1 and {max}")));
    }
    Ok(n)
}

impl AnomaliesParams {
    fn query(&self) -> Result<AnomalyQuery, ApiError> {
        let kind = self
            .kind
            .as_deref()
            .map(|k| {
                RecordKind::parse(k)
                    .ok_or_else(|| bad("kind", format!("`{k}` is not event, series or session")))
            })
            .transpose()?;
        let detector = self
            .detector
            .as_deref()
            .map(|d| {
                Detector::parse(d).ok_or_else(|| {
                    bad(
                        "detector",
                        format!("`{d}` is not latency, size, forest, rate or sequence"),
                    )
                })
            })
            .transpose()?;
        let sort = match self.sort.as_deref() {
            None | Some("time") => Sort::Time,
            Some("severity") => Sort::Severity,
            Some(other) => return Err(bad("sort", format!("`{other}` is not time or severity"))),
        };
        if let Some(m) = self.min_severity
            && !(0.0..=1.0).contains(&m)
        {
            return Err(bad("minSeverity", format!("{m} is not in [0, 1]")));
        }
        Ok(AnomalyQuery {
            kind,
            detector,
            subject: self.subject.clone(),
            since_ns: parse_time("since", &self.since)?,
            until_ns: parse_time("until", &self.until)?,
            min_severity: self.min_severity,
            sort,
            cursor: None,
            limit: limit(self.limit, rq::DEFAULT_LIMIT, rq::MAX_LIMIT)?,
        })
    }
}

fn record_cursor(text: &str) -> Result<Cursor, ApiError> {
    Cursor::parse(text).map_err(|e| bad("cursor", e.to_string()))
}

/// Either analytics are off, or the query is wrong.
#[derive(Debug)]
pub(super) enum Failure {
    Disabled(AnalyticsApiError),
    Bad(ApiError),
    NotFound(String),
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::Disabled(e) => e.into_response(),
            Failure::Bad(e) => e.into_response(),
            Failure::NotFound(key) => (
                axum::http::StatusCode::NOT_FOUND,
                Json(serde_json::json!({
                    "error": "session_not_found",
                    "message": format!("no closed session with key {key:?} is kept"),
                })),
            )
                .into_response(),
        }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Bad(e)
    }
}

pub(super) fn with_analytics<T>(
    state: &AppState,
    f: impl FnOnce(&Analytics) -> T,
) -> Result<T, Failure> {
    let shared = state.shared.lock();
    let analytics = shared
        .engine
        .hook::<Analytics>()
        .ok_or(Failure::Disabled(AnalyticsApiError::Disabled))?;
    Ok(f(&analytics))
}

/// `GET /api/v1/anomalies`: anomaly records with totals per kind and detector.
#[utoipa::path(
    get,
    path = "/api/v1/anomalies",
    tag = "analytics",
    params(AnomaliesParams),
    responses((status = 200, description = "One page of anomaly records and the totals", body = Object))
)]
async fn get_anomalies(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(params): Query<AnomaliesParams>,
) -> Result<Response, Failure> {
    let scope = Scope::parse(params.scope.as_deref())?;
    let q = params.query()?;
    if let (Scope::Cluster, Some(peers)) = (scope, state.fanout()) {
        let local = |cursor: Option<&str>| -> Result<Report, FanoutError> {
            let q = AnomalyQuery {
                cursor: cursor
                    .map(|c| Cursor::parse(c).map_err(|_| FanoutError::Cursor(c.to_owned())))
                    .transpose()?,
                ..q.clone()
            };
            let report = with_analytics(&state, |a| a.anomalies(&q))
                .map_err(|_| FanoutError::Task("analytics are disabled".into()))?;
            fanout::listing::as_received(&report)
        };
        with_analytics(&state, |_| ())?;
        let pairs = fanout::query_pairs(raw.as_deref());
        let listing = Listing {
            query: &pairs,
            cursor: params.cursor.as_deref(),
            limit: q.limit,
            auth: fanout::authorization(&headers),
        };
        let (report, coverage) = fanout::anomalies::page(peers, listing, q.sort, local)
            .await
            .map_err(ApiError::from)?;
        return Ok(Json(Answer {
            body: report,
            coverage: Some(coverage),
        })
        .into_response());
    }
    let q = AnomalyQuery {
        cursor: params.cursor.as_deref().map(record_cursor).transpose()?,
        ..q
    };
    with_analytics(&state, |a| a.anomalies(&q)).map(|r| Json(r).into_response())
}

/// `GET /api/v1/anomalies/stream`: new anomaly records as server-sent events.
#[utoipa::path(
    get,
    path = "/api/v1/anomalies/stream",
    tag = "analytics",
    responses((
        status = 200,
        description = "Server-sent events: `anomaly` with each new record",
        content_type = "text/event-stream",
        body = String
    ))
)]
async fn stream_anomalies(
    State(state): State<AppState>,
    expiry: Option<Extension<CredentialExpiry>>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, Failure> {
    with_analytics(&state, |_| ())?;
    let ticket = state.streams.admit()?;
    let records = BroadcastStream::new(state.anomaly_stream.subscribe()).map(|item| {
        Ok(match item {
            Ok(record) => SseEvent::default()
                .id(record.id.to_string())
                .event("anomaly")
                .json_data(&*record)
                .unwrap_or_else(|_| SseEvent::default().comment("unencodable record")),
            Err(BroadcastStreamRecvError::Lagged(n)) => {
                SseEvent::default().event("lagged").data(n.to_string())
            }
        })
    });
    let records = state
        .streams
        .bound(ticket, expiry.map(|Extension(e)| e), records);
    Ok(Sse::new(records).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[cfg(test)]
#[path = "anomalies_api_tests.rs"]
mod tests;
