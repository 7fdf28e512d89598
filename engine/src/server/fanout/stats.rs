//! `GET /api/v1/stats` across the cluster: every replica's windows as parts
//! (`core::windows_parts`, asked for at this replica's clock so the time windows line up),
//! added up and reported once.

use super::{Coverage, FanoutError, Peers};
use crate::core::windows_parts::StatsParts;
use crate::core::windows_report::StatsReport;
use axum::http::HeaderValue;
use serde::{Deserialize, Serialize};

/// What `GET /api/v1/stats?scope=local` answers: the replica's share in mergeable form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalStats {
    /// Events the replica retains.
    pub retained_events: usize,
    /// Its windows as parts, as of the requested time.
    pub parts: StatsParts,
}

/// The merged statistics.
#[derive(Debug)]
pub struct ClusterStats {
    /// Events retained by the replicas that answered.
    pub retained_events: usize,
    /// The windows' report over every answering replica.
    pub report: StatsReport,
    /// The replicas it covers.
    pub coverage: Coverage,
}

/// Merges `mine` with every peer's share as of `at_ns`.
pub async fn merged(
    peers: &Peers,
    at_ns: i64,
    auth: Option<&HeaderValue>,
    mine: LocalStats,
) -> Result<ClusterStats, FanoutError> {
    let answers = peers
        .get::<LocalStats>(
            "/api/v1/stats",
            |_| vec![("at".into(), at_ns.to_string())],
            auth,
        )
        .await;
    let mut retained_events = mine.retained_events;
    let mut parts = vec![mine.parts];
    for (_, a) in answers.answers {
        retained_events += a.retained_events;
        parts.push(a.parts);
    }
    let report = StatsParts::merge(&parts)?.report()?;
    Ok(ClusterStats {
        retained_events,
        report,
        coverage: Coverage::lacking(answers.missing),
    })
}
