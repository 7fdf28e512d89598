//! `GET /api/v1/anomalies` across the cluster: the records of every replica united, in the
//! endpoint's order (sort key descending, then replica ordinal, then each replica's order) with
//! the composite cursor of [`super::lanes`]; totals summed.

use super::lanes::{Lane, Positions, merge};
use super::{Coverage, FanoutError, Peers, forwarded};
use crate::core::analytics::records::AnomalyRecord;
use crate::core::analytics::records::query::{Cursor, Sort};
use axum::http::HeaderValue;
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

/// One merged page after `cursor`; `query` is the caller's query string, `local` answers this
/// replica's own report after one of its cursors.
pub async fn page(
    peers: &Peers,
    query: &[(String, String)],
    cursor: Option<&str>,
    sort: Sort,
    limit: usize,
    auth: Option<&HeaderValue>,
    local: impl FnOnce(Option<&str>) -> Result<Report, FanoutError>,
) -> Result<(Report, Coverage), FanoutError> {
    let positions = match cursor {
        Some(text) => Positions::parse(text, peers.replicas())?,
        None => Positions::start(peers.replicas()),
    };
    for o in 0..peers.replicas() {
        if let Some(p) = positions.of(o) {
            Cursor::parse(p).map_err(|_| FanoutError::Cursor(p.to_owned()))?;
        }
    }
    let mine = local(positions.of(peers.ordinal()))?;
    let base = forwarded(query);
    let answers = peers
        .get::<Report>(
            "/api/v1/anomalies",
            |ordinal| {
                let mut q = base.clone();
                if let Some(p) = positions.of(ordinal) {
                    q.push(("cursor".into(), p.to_owned()));
                }
                q
            },
            auth,
        )
        .await;
    let reports = std::iter::once((peers.ordinal(), mine))
        .chain(answers.answers)
        .collect();
    Ok((
        unite(reports, &positions, sort, limit),
        Coverage::lacking(answers.missing),
    ))
}
