//! `GET /api/v1/timeseries`: retained events bucketed by event time, for the dashboard's
//! overview charts (events per category and type, latency percentiles per type); in clustered
//! mode every replica's buckets, added up (`fanout::timeseries`).
//!
//! `since`/`until` take RFC 3339 or integer ns; without them the range is "all data", from the
//! oldest to the newest retained event. `points` caps the buckets (default and ceiling:
//! `[charts] max_data_points`).

use super::endpoints::Endpoint;
use super::error::ApiError;
use super::fanout::timeseries::LocalSeries;
use super::fanout::{self, Coverage, Scope};
use super::query::{bad, parse_time};
use super::shared::Shared;
use super::state::AppState;
use super::timeseries::{Grid, Series, bucket, range};
use super::timeseries_parts::SeriesParts;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query string of `GET /api/v1/timeseries`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// Range start, RFC 3339 or ns (inclusive); default: the oldest retained event.
    pub since: Option<String>,
    /// Range end, RFC 3339 or ns (exclusive); default: just after the newest retained event.
    pub until: Option<String>,
    /// Most buckets (1..=`max_data_points`).
    pub points: Option<usize>,
    /// `cluster` (default: every replica, counts summed, percentiles from merged histograms) or
    /// `local` (this replica's buckets as mergeable parts).
    pub scope: Option<String>,
}

/// The response: the range, the series, and the retained event-time extent (so the page can
/// offer "all data" and place the live edge of replayed history).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeriesBody {
    /// Range start, ns.
    pub since_ns: i64,
    /// Range end, ns.
    pub until_ns: i64,
    /// Oldest retained event time, ns (absent when nothing is retained).
    pub first_event_ns: Option<i64>,
    /// Newest retained event time, ns.
    pub last_event_ns: Option<i64>,
    /// The buckets.
    #[serde(flatten)]
    pub series: Series,
    /// Clustered mode: `partial` and `missingReplicas`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

/// The time-series endpoint.
pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::get("/api/v1/timeseries", get_series)]
}

/// `GET /api/v1/timeseries`: retained events bucketed by event time.
#[utoipa::path(
    get,
    path = "/api/v1/timeseries",
    tag = "analytics",
    params(SeriesQuery),
    responses((status = 200, description = "The range, its series and the retained extent \
        (clustered: with `partial` and `missingReplicas`; `scope=local`: this replica's buckets \
        as mergeable parts)", body = SeriesBody))
)]
pub async fn get_series(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SeriesQuery>,
) -> Result<Response, ApiError> {
    let scope = Scope::parse(q.scope.as_deref())?;
    let max = state.config.charts.max_data_points;
    let points = q.points.unwrap_or(max);
    if points == 0 || points > max {
        return Err(bad("points", format!("must be between 1 and {max}")));
    }
    let since = parse_time("since", &q.since)?;
    let until = parse_time("until", &q.until)?;
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(bad("until", "must be after `since`"));
    }
    if scope == Scope::Local {
        return Ok(Json(local_series(&state, since, until, points)).into_response());
    }
    if let Some(peers) = state.fanout() {
        let merged = fanout::timeseries::merged(
            peers,
            fanout::authorization(&headers),
            (since, until, points),
            |s, u, p| local_series(&state, s, u, p),
        )
        .await?;
        return Ok(Json(SeriesBody {
            since_ns: merged.since_ns,
            until_ns: merged.until_ns,
            first_event_ns: merged.first_event_ns,
            last_event_ns: merged.last_event_ns,
            series: merged.series,
            coverage: Some(merged.coverage),
        })
        .into_response());
    }
    let shared = state.shared.lock();
    let (first, last) = extent(&shared);
    let (since_ns, until_ns) = range(since, until, first, last);
    let grid = Grid::covering(since_ns, until_ns, points);
    let series = bucket(
        grid,
        shared
            .retained
            .iter()
            .filter(|e| e.timestamp_ns >= since_ns && e.timestamp_ns < until_ns),
    );
    Ok(Json(SeriesBody {
        since_ns,
        until_ns,
        first_event_ns: first,
        last_event_ns: last,
        series,
        coverage: None,
    })
    .into_response())
}

/// The oldest and newest retained event times.
fn extent(shared: &Shared) -> (Option<i64>, Option<i64>) {
    shared.retained.iter().map(|e| e.timestamp_ns).fold(
        (None, None),
        |(lo, hi): (Option<i64>, Option<i64>), t| {
            (
                Some(lo.map_or(t, |v| v.min(t))),
                Some(hi.map_or(t, |v| v.max(t))),
            )
        },
    )
}

/// This replica's buckets of the range as mergeable parts (`scope=local`).
fn local_series(
    state: &AppState,
    since: Option<i64>,
    until: Option<i64>,
    points: usize,
) -> LocalSeries {
    let shared = state.shared.lock();
    let (first, last) = extent(&shared);
    let (since_ns, until_ns) = range(since, until, first, last);
    let grid = Grid::covering(since_ns, until_ns, points);
    LocalSeries {
        first_event_ns: first,
        last_event_ns: last,
        since_ns,
        until_ns,
        parts: SeriesParts::of(
            grid,
            shared
                .retained
                .iter()
                .filter(|e| e.timestamp_ns >= since_ns && e.timestamp_ns < until_ns),
        ),
    }
}
