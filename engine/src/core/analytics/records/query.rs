//! Filtering, ordering and paging of anomaly records (`GET /api/v1/anomalies`).

use super::{AnomalyRecord, Detector, RecordId, RecordKind};
use serde::Serialize;
use std::cmp::Ordering;

/// Records per page unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page.
pub const MAX_LIMIT: usize = 1000;

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest event time first.
    #[default]
    Time,
    /// Highest severity first.
    Severity,
}

/// Where the previous page ended: the last record's sort key and id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    key: f64,
    id: RecordId,
}

/// Why a cursor could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cursor {0:?} was not returned by this endpoint (expected <key>:<id>)")]
pub struct CursorError(pub String);

impl Cursor {
    /// Parses a `nextCursor` value.
    pub fn parse(s: &str) -> Result<Cursor, CursorError> {
        let bad = || CursorError(s.to_owned());
        let (key, id) = s.split_once(':').ok_or_else(bad)?;
        Ok(Cursor {
            key: key.parse().map_err(|_| bad())?,
            id: RecordId(id.parse().map_err(|_| bad())?),
        })
    }

    fn render(&self) -> String {
        format!("{}:{}", self.key, self.id.0)
    }

    /// The cursor continuing after `record` in `sort` order (what `nextCursor` holds).
    pub fn after(sort: Sort, record: &AnomalyRecord) -> String {
        Cursor {
            key: sort.key(record),
            id: record.id,
        }
        .render()
    }
}

impl Sort {
    /// A record's sort key: event time, or severity (both descending).
    pub fn key(self, r: &AnomalyRecord) -> f64 {
        match self {
            Sort::Time => r.event_time_ns as f64,
            Sort::Severity => r.severity,
        }
    }
}

/// Filters, order and page of a query. Every filter is optional.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnomalyQuery {
    /// Only this kind.
    pub kind: Option<RecordKind>,
    /// Only this detector.
    pub detector: Option<Detector>,
    /// Only this subject (exact).
    pub subject: Option<String>,
    /// Event time at or after (ns).
    pub since_ns: Option<i64>,
    /// Event time at or before (ns).
    pub until_ns: Option<i64>,
    /// Severity at least.
    pub min_severity: Option<f64>,
    /// Result order.
    pub sort: Sort,
    /// Continue after this cursor.
    pub cursor: Option<Cursor>,
    /// Page size (1..=[`MAX_LIMIT`]).
    pub limit: usize,
}

/// One page of matching records.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyPage {
    /// Records of this page, in the requested order.
    pub anomalies: Vec<AnomalyRecord>,
    /// Cursor of the next page, `None` on the last.
    pub next_cursor: Option<String>,
    /// Records matching the filters (all pages).
    pub total: usize,
}

impl AnomalyQuery {
    fn matches(&self, r: &AnomalyRecord) -> bool {
        self.kind.is_none_or(|k| r.kind == k)
            && self.detector.is_none_or(|d| r.detector == d)
            && self.subject.as_ref().is_none_or(|s| &r.subject == s)
            && self.since_ns.is_none_or(|t| r.event_time_ns >= t)
            && self.until_ns.is_none_or(|t| r.event_time_ns <= t)
            && self.min_severity.is_none_or(|m| r.severity >= m)
    }

    fn key(&self, r: &AnomalyRecord) -> f64 {
        self.sort.key(r)
    }

    /// Descending by key, then by id.
    fn order(a: (f64, RecordId), b: (f64, RecordId)) -> Ordering {
        b.0.total_cmp(&a.0).then(b.1.cmp(&a.1))
    }

    /// Runs the query over `records`.
    pub fn run<'a>(&self, records: impl Iterator<Item = &'a AnomalyRecord>) -> AnomalyPage {
        let mut hits: Vec<&AnomalyRecord> = records.filter(|r| self.matches(r)).collect();
        let total = hits.len();
        hits.sort_by(|a, b| Self::order((self.key(a), a.id), (self.key(b), b.id)));
        let start = self.cursor.map_or(0, |c| {
            hits.partition_point(|r| Self::order((self.key(r), r.id), (c.key, c.id)).is_le())
        });
        let limit = self.limit.clamp(1, MAX_LIMIT);
        let page: Vec<AnomalyRecord> = hits
            .iter()
            .skip(start)
            .take(limit)
            .map(|r| (*r).clone())
            .collect();
        let next_cursor = (start + page.len() < hits.len())
            .then(|| page.last())
            .flatten()
            .map(|r| {
                Cursor {
                    key: self.key(r),
                    id: r.id,
                }
                .render()
            });
        AnomalyPage {
            anomalies: page,
            next_cursor,
            total,
        }
    }
}
