//! `GET /api/v1/sessions` across the cluster: every replica keeps the verdicts of the sessions
//! it owns (all judged by the same session model, see `server::cluster::session_feed`), so the
//! listing is their union, in the endpoint's order, paged with the composite cursor of
//! [`super::lanes`]; totals are summed.
//!
//! A replica's own cursor is an offset into its listing, so a lane's items are numbered from
//! the offset it was asked at, and a replica's position after an item is that item's number.
//! Order: `time` is latest-starting first (start time, then key, both descending: the reverse
//! closing order every replica's own listing has), `severity` is highest first, then the same.

use super::lanes::{Lane, Positions, merge};
use super::listing::gather;
use super::{Coverage, FanoutError, Listing, Peers};
use crate::core::analytics::verdicts::{SessionSort, VerdictTotals};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cmp::Ordering;

/// `GET /api/v1/sessions` as a replica answers it (also the merged answer's shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Verdicts of this page.
    pub sessions: Vec<Value>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
    /// Sessions matching the filter (all pages, all replicas).
    pub total: usize,
    /// Kept sessions per verdict.
    pub totals: VerdictTotals,
}

/// The listing order of two verdicts (as JSON): smaller first.
fn order(sort: SessionSort, a: &Value, b: &Value) -> Ordering {
    fn time(v: &Value) -> (i64, Option<&str>) {
        (v["startNs"].as_i64().unwrap_or(0), v["key"].as_str())
    }
    let by_time = time(b).cmp(&time(a));
    match sort {
        SessionSort::Time => by_time,
        SessionSort::Severity => {
            let severity = |v: &Value| v["severity"].as_f64().unwrap_or(0.0);
            severity(b).total_cmp(&severity(a)).then(by_time)
        }
    }
}

/// The replicas' reports united (pure), each asked at its offset in `before`.
pub fn unite(
    reports: Vec<(u32, Report)>,
    before: &Positions,
    sort: SessionSort,
    limit: usize,
) -> Report {
    let mut total = 0;
    let mut totals = VerdictTotals::default();
    let mut lanes = Vec::new();
    for (ordinal, r) in reports {
        total += r.total;
        totals.normal += r.totals.normal;
        totals.anomalous += r.totals.anomalous;
        totals.unscored += r.totals.unscored;
        let from: usize = before.of(ordinal).and_then(|p| p.parse().ok()).unwrap_or(0);
        lanes.push(Lane {
            ordinal,
            items: (from + 1..).zip(r.sessions).collect(),
            next: r.next_cursor,
        });
    }
    let merged = merge(
        lanes,
        before,
        limit,
        |a: &(usize, Value), b: &(usize, Value)| order(sort, &a.1, &b.1),
        |(n, _)| n.to_string(),
    );
    Report {
        sessions: merged.items.into_iter().map(|(_, v)| v).collect(),
        next_cursor: merged.next.map(|p| p.render()),
        total,
        totals,
    }
}

/// One merged page of `listing` in `sort` order; `local` answers this replica's own report at
/// one of its offsets.
pub async fn page(
    peers: &Peers,
    listing: Listing<'_>,
    sort: SessionSort,
    local: impl FnOnce(Option<&str>) -> Result<Report, FanoutError>,
) -> Result<(Report, Coverage), FanoutError> {
    let limit = listing.limit;
    let offset = |p: &str| p.parse::<usize>().is_ok();
    let g = gather(peers, listing, "/api/v1/sessions", offset, local).await?;
    Ok((unite(g.pages, &g.positions, sort, limit), g.coverage))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Replica `ordinal`'s verdicts, newest first as its own listing gives them.
    fn verdicts(ordinal: usize, n: usize) -> Vec<Value> {
        (0..n)
            .rev()
            .map(|i| {
                let start = (i * 3 + ordinal) as i64;
                json!({"key": format!("s-{ordinal}-{i}"), "startNs": start,
                       "severity": ((i * 7 + ordinal) % 10) as f64 / 10.0})
            })
            .collect()
    }

    /// A replica's answer at `offset` in `sort` order.
    fn answer(all: &[Value], sort: SessionSort, offset: usize, limit: usize) -> Report {
        let mut hits = all.to_vec();
        if sort == SessionSort::Severity {
            hits.sort_by(|a, b| {
                b["severity"]
                    .as_f64()
                    .unwrap()
                    .total_cmp(&a["severity"].as_f64().unwrap())
            });
        }
        let page: Vec<Value> = hits.iter().skip(offset).take(limit).cloned().collect();
        let end = offset + page.len();
        Report {
            sessions: page,
            next_cursor: (end < hits.len()).then(|| end.to_string()),
            total: hits.len(),
            totals: VerdictTotals {
                normal: hits.len(),
                ..VerdictTotals::default()
            },
        }
    }

    #[test]
    fn paging_the_union_gives_every_verdict_once_in_order() {
        let replicas = [verdicts(0, 37), verdicts(1, 11), verdicts(2, 52)];
        for sort in [SessionSort::Time, SessionSort::Severity] {
            for limit in [1, 4, 25, 1_000] {
                let mut positions = Positions::start(3);
                let mut seen: Vec<Value> = Vec::new();
                loop {
                    let reports = (0..3u32)
                        .map(|o| {
                            let offset = positions.of(o).map_or(0, |p| p.parse().unwrap());
                            (o, answer(&replicas[o as usize], sort, offset, limit))
                        })
                        .collect();
                    let page = unite(reports, &positions, sort, limit);
                    assert_eq!((page.total, page.totals.normal), (100, 100));
                    seen.extend(page.sessions);
                    match page.next_cursor {
                        Some(c) => positions = Positions::parse(&c, 3).unwrap(),
                        None => break,
                    }
                }
                assert_eq!(seen.len(), 100, "{sort:?}, limit {limit}");
                assert!(
                    seen.windows(2)
                        .all(|w| order(sort, &w[0], &w[1]) != Ordering::Greater),
                    "{sort:?}, limit {limit}: in order"
                );
                let mut keys: Vec<&str> = seen.iter().map(|v| v["key"].as_str().unwrap()).collect();
                keys.sort_unstable();
                keys.dedup();
                assert_eq!(keys.len(), 100);
            }
        }
    }
}
