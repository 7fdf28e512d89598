//! `GET /api/v1/anomalies` across the cluster: the records of every replica united, in the
//! endpoint's order (sort key descending, then replica ordinal, then each replica's order) with
//! the composite cursor of [`super::lanes`]; totals summed.

use super::lanes::{Lane, Positions, merge};
use super::listing::gather;
use super::{Coverage, FanoutError, Listing, Peers};
use crate::core::analytics::records::AnomalyRecord;
use crate::core::analytics::records::query::{Cursor, Sort};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Kept records per kind and detector, as the endpoint reports them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Per kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Per detector.
    pub by_detector: BTreeMap<String, u64>,
}

/// The isolation forest's state; merged: summed over the replicas' forests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Forest {
    /// Every replica's forest is trained.
    pub trained: bool,
    /// Samples in the training windows.
    pub window: usize,
    /// The score threshold; each replica has its own, so a merged answer has none.
    pub threshold: Option<f64>,
    /// Events scored.
    pub scored: u64,
    /// Events scoring above the threshold.
    pub flagged: u64,
}

/// `GET /api/v1/anomalies` as a replica answers it (also the merged answer's shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Records of this page.
    pub anomalies: Vec<AnomalyRecord>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
    /// Records matching the filters (all pages, all replicas).
    pub total: usize,
    /// Kept records per kind and detector.
    pub totals: Totals,
    /// Isolation forest state.
    pub forest: Forest,
}

fn add(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, n) in from {
        *into.entry(k.clone()).or_default() += n;
    }
}

/// The replicas' reports united (pure): records merged into one page, totals summed.
pub fn unite(reports: Vec<(u32, Report)>, before: &Positions, sort: Sort, limit: usize) -> Report {
    let mut total = 0;
    let mut totals = Totals::default();
    let mut forest = Forest {
        trained: !reports.is_empty(),
        ..Forest::default()
    };
    let mut lanes = Vec::new();
    for (ordinal, r) in reports {
        total += r.total;
        add(&mut totals.by_kind, &r.totals.by_kind);
        add(&mut totals.by_detector, &r.totals.by_detector);
        forest.trained &= r.forest.trained;
        forest.window += r.forest.window;
        forest.scored += r.forest.scored;
        forest.flagged += r.forest.flagged;
        lanes.push(Lane {
            ordinal,
            items: r.anomalies,
            next: r.next_cursor,
        });
    }
    let merged = merge(
        lanes,
        before,
        limit,
        |a: &AnomalyRecord, b: &AnomalyRecord| sort.key(b).total_cmp(&sort.key(a)),
        |r| Cursor::after(sort, r),
    );
    Report {
        anomalies: merged.items,
        next_cursor: merged.next.map(|p| p.render()),
        total,
        totals,
        forest,
    }
}

/// One merged page of `listing` in `sort` order; `local` answers this replica's own report
/// after one of its cursors.
pub async fn page(
    peers: &Peers,
    listing: Listing<'_>,
    sort: Sort,
    local: impl FnOnce(Option<&str>) -> Result<Report, FanoutError>,
) -> Result<(Report, Coverage), FanoutError> {
    let limit = listing.limit;
    let cursor = |p: &str| Cursor::parse(p).is_ok();
    let g = gather(peers, listing, "/api/v1/anomalies", cursor, local).await?;
    Ok((unite(g.pages, &g.positions, sort, limit), g.coverage))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::analytics::records::query::AnomalyQuery;
    use serde_json::json;

    /// `n` records of replica `ordinal` with severities of 17 significant digits (a JSON reader
    /// that is off by one unit in the last place on some of them would repeat records) and ties.
    fn records(ordinal: u64, n: u64) -> Vec<AnomalyRecord> {
        let mut x = ordinal + 1;
        (1..=n)
            .map(|i| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let severity = if i % 5 == 0 {
                    1.0
                } else {
                    (x >> 11) as f64 / (1u64 << 53) as f64
                };
                serde_json::from_value(json!({
                    "id": format!("a-{i:09}"), "kind": "event", "detector": "latency",
                    "subject": format!("{i}"), "eventTimeNs": 1_000 + i * 10 + ordinal,
                    "eventTime": "", "recordedAtNs": 0, "severity": severity,
                    "score": 1.0, "threshold": 1.0, "contributions": [], "explanation": "",
                }))
                .expect("record")
            })
            .collect()
    }

    /// A replica's answer as it travels: its own paging, through JSON text.
    fn answer(all: &[AnomalyRecord], sort: Sort, cursor: Option<&str>, limit: usize) -> Report {
        let q = AnomalyQuery {
            sort,
            cursor: cursor.map(|c| Cursor::parse(c).expect("own cursor")),
            limit,
            ..AnomalyQuery::default()
        };
        let page = q.run(all.iter());
        let text = json!({
            "anomalies": page.anomalies, "nextCursor": page.next_cursor, "total": page.total,
            "totals": {"byKind": {"event": all.len()}, "byDetector": {"latency": all.len()}},
            "forest": {"trained": true, "window": 10, "threshold": 0.5, "scored": 5, "flagged": 1},
        })
        .to_string();
        serde_json::from_str(&text).expect("report")
    }

    #[test]
    fn paging_the_union_never_skips_or_repeats_a_record() {
        let replicas = [records(0, 370), records(1, 110), records(2, 520)];
        for sort in [Sort::Severity, Sort::Time] {
            for limit in [3, 7, 50, 1_000] {
                let mut positions = Positions::start(3);
                let mut seen = Vec::new();
                loop {
                    let reports = (0..3u32)
                        .map(|o| {
                            (
                                o,
                                answer(&replicas[o as usize], sort, positions.of(o), limit),
                            )
                        })
                        .collect();
                    let page = unite(reports, &positions, sort, limit);
                    assert_eq!(page.total, 1_000);
                    assert_eq!(page.totals.by_kind["event"], 1_000);
                    assert_eq!((page.forest.window, page.forest.threshold), (30, None));
                    let keys: Vec<f64> = page.anomalies.iter().map(|r| sort.key(r)).collect();
                    assert!(keys.windows(2).all(|w| w[0] >= w[1]), "{sort:?} descending");
                    seen.extend(page.anomalies.iter().map(|r| (r.event_time_ns, r.id)));
                    match page.next_cursor {
                        Some(c) => positions = Positions::parse(&c, 3).expect("own cursor"),
                        None => break,
                    }
                }
                let n = seen.len();
                seen.sort_unstable();
                seen.dedup();
                assert_eq!((n, seen.len()), (1_000, 1_000), "{sort:?}, limit {limit}");
            }
        }
    }
}
