//! `GET /api/v1/timeseries`: retained events bucketed by event time, for the dashboard's
//! overview charts (events per category and type, latency percentiles per type).
//!
//! `since`/`until` take RFC 3339 or integer ns; without them the range is "all data", from the
//! oldest to the newest retained event. `points` caps the buckets (default and ceiling:
//! `[charts] max_data_points`).

use super::endpoints::Endpoint;
use super::error::ApiError;
use super::query::{bad, parse_time};
use super::state::AppState;
use super::timeseries::{Grid, Series, bucket};
use axum::Json;
use axum::extract::{Query, State};
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
    responses((status = 200, description = "The range, its series and the retained extent", body = SeriesBody))
)]
pub async fn get_series(
    State(state): State<AppState>,
    Query(q): Query<SeriesQuery>,
) -> Result<Json<SeriesBody>, ApiError> {
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
    let shared = state.shared.lock();
    let (first, last) = shared.retained.iter().map(|e| e.timestamp_ns).fold(
        (None, None),
        |(lo, hi): (Option<i64>, Option<i64>), t| {
            (
                Some(lo.map_or(t, |v| v.min(t))),
                Some(hi.map_or(t, |v| v.max(t))),
            )
        },
    );
    let until_ns = until.unwrap_or_else(|| last.map_or(1, |t| t + 1));
    let since_ns = since
        .unwrap_or_else(|| first.unwrap_or(until_ns - 1))
        .min(until_ns - 1);
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
    }))
}
