//! `GET /api/v1/timeseries` across the cluster: the retained extent of every replica (when the
//! range is not given), then every replica's buckets on the one grid covering the range, as
//! parts (`timeseries_parts`), added up.

use super::{Coverage, FanoutError, MissingReplica, Peers};
use crate::server::timeseries::{Series, range};
use crate::server::timeseries_parts::SeriesParts;
use axum::http::HeaderValue;
use serde::{Deserialize, Serialize};

/// What `GET /api/v1/timeseries?scope=local` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalSeries {
    /// Oldest retained event time, ns.
    pub first_event_ns: Option<i64>,
    /// Newest retained event time, ns.
    pub last_event_ns: Option<i64>,
    /// Range start, ns.
    pub since_ns: i64,
    /// Range end, ns.
    pub until_ns: i64,
    /// The replica's buckets.
    pub parts: SeriesParts,
}

/// The merged series.
#[derive(Debug)]
pub struct ClusterSeries {
    /// Oldest retained event time over the replicas, ns.
    pub first_event_ns: Option<i64>,
    /// Newest retained event time over the replicas, ns.
    pub last_event_ns: Option<i64>,
    /// Range start, ns.
    pub since_ns: i64,
    /// Range end, ns.
    pub until_ns: i64,
    /// The buckets of every replica that answered.
    pub series: Series,
    /// The replicas it covers.
    pub coverage: Coverage,
}

fn pairs(since: Option<i64>, until: Option<i64>, points: usize) -> Vec<(String, String)> {
    let mut q = vec![("points".to_owned(), points.to_string())];
    q.extend(since.map(|s| ("since".to_owned(), s.to_string())));
    q.extend(until.map(|u| ("until".to_owned(), u.to_string())));
    q
}

fn extent(all: &[&LocalSeries]) -> (Option<i64>, Option<i64>) {
    (
        all.iter().filter_map(|l| l.first_event_ns).min(),
        all.iter().filter_map(|l| l.last_event_ns).max(),
    )
}

/// The series of `[since, until)` (default: every replica's retained extent) in at most `points`
/// buckets; `local` answers this replica's share for a range and a point count.
pub async fn merged(
    peers: &Peers,
    auth: Option<&HeaderValue>,
    (since, until, points): (Option<i64>, Option<i64>, usize),
    local: impl Fn(Option<i64>, Option<i64>, usize) -> LocalSeries,
) -> Result<ClusterSeries, FanoutError> {
    let mut missing: Vec<MissingReplica> = Vec::new();
    let mut answered_extent = None;
    let (first, last) = if since.is_some() && until.is_some() {
        (None, None)
    } else {
        let mine = local(None, None, 1);
        let theirs = peers
            .get::<LocalSeries>("/api/v1/timeseries", |_| pairs(None, None, 1), auth)
            .await;
        missing.extend(theirs.missing);
        let all: Vec<&LocalSeries> = std::iter::once(&mine)
            .chain(theirs.answers.iter().map(|(_, l)| l))
            .collect();
        let e = extent(&all);
        answered_extent = Some(e);
        e
    };
    let (since_ns, until_ns) = range(since, until, first, last);
    let mine = local(Some(since_ns), Some(until_ns), points);
    let theirs = peers
        .get::<LocalSeries>(
            "/api/v1/timeseries",
            |_| pairs(Some(since_ns), Some(until_ns), points),
            auth,
        )
        .await;
    missing.extend(theirs.missing);
    let all: Vec<&LocalSeries> = std::iter::once(&mine)
        .chain(theirs.answers.iter().map(|(_, l)| l))
        .collect();
    let parts: Vec<SeriesParts> = all.iter().map(|l| l.parts.clone()).collect();
    let series = SeriesParts::merge(&parts)
        .and_then(|p| p.series())
        .map_err(|e| FanoutError::Series(e.to_string()))?;
    let (first_event_ns, last_event_ns) = answered_extent.unwrap_or_else(|| extent(&all));
    Ok(ClusterSeries {
        first_event_ns,
        last_event_ns,
        since_ns,
        until_ns,
        series,
        coverage: Coverage::lacking(missing),
    })
}
