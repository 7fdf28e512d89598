//! Reading the audit log back: records matching a time range, subject and route, newest first,
//! holding at most `limit` records in memory.

use super::verify::audit_files;
use super::{AuditError, Record, day_of, parse_file_name};
use std::collections::VecDeque;
use std::io::BufRead;
use std::path::Path;

/// What `GET /api/v1/audit` asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditQuery {
    /// Records at or after this time (ns).
    pub since_ns: Option<i64>,
    /// Records before this time (ns).
    pub until_ns: Option<i64>,
    /// Only this subject.
    pub subject: Option<String>,
    /// Only this route (the matched path, e.g. `/api/v1/alerts/{id}/ack`).
    pub route: Option<String>,
    /// At most this many records.
    pub limit: usize,
}

impl AuditQuery {
    /// Whether `record` matches.
    pub fn matches(&self, record: &Record) -> bool {
        self.since_ns.is_none_or(|t| record.time_ns >= t)
            && self.until_ns.is_none_or(|t| record.time_ns < t)
            && self
                .subject
                .as_deref()
                .is_none_or(|s| record.subject.as_deref() == Some(s))
            && self.route.as_deref().is_none_or(|r| record.route == r)
    }
}

/// The newest `query.limit` matching records in `dir`, newest first. Lines that are not records
/// are skipped (`vexfs-engine audit verify` reports them).
pub fn query_dir(dir: &Path, query: &AuditQuery) -> Result<Vec<Record>, AuditError> {
    let first_day = query.since_ns.map(day_of);
    let last_day = query.until_ns.map(day_of);
    let mut out = Vec::new();
    for path in audit_files(dir)?.iter().rev() {
        if out.len() >= query.limit {
            break;
        }
        let Some(day) = path.file_name().and_then(|n| parse_file_name(n.to_str()?)) else {
            continue;
        };
        if first_day.is_some_and(|d| day < d) || last_day.is_some_and(|d| day > d) {
            continue;
        }
        let need = query.limit - out.len();
        let file = std::fs::File::open(path).map_err(|source| AuditError::Io {
            path: path.clone(),
            source,
        })?;
        let mut newest = VecDeque::with_capacity(need.min(1024));
        for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
            let Ok(record) = serde_json::from_str::<Record>(&line) else {
                continue;
            };
            if query.matches(&record) {
                if newest.len() == need {
                    newest.pop_front();
                }
                newest.push_back(record);
            }
        }
        out.extend(newest.into_iter().rev());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{AuditWriter, SystemClock};
    use super::*;

    const DAY_NS: i64 = 86_400_000_000_000;
    const START: i64 = 1_795_910_400_000_000_000;

    fn record(time_ns: i64, subject: &str, route: &str) -> Record {
        Record {
            seq: 0,
            time_ns,
            subject: Some(subject.into()),
            role: None,
            client: None,
            method: "GET".into(),
            route: route.into(),
            status: 200,
            bytes: None,
            request_id: format!("{time_ns}"),
            action: None,
            prev: String::new(),
        }
    }

    #[test]
    fn filters_by_time_subject_and_route_newest_first_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = AuditWriter::open(dir.path(), 90, Box::new(SystemClock)).unwrap();
        for i in 0..6 {
            let subject = if i % 2 == 0 { "alice" } else { "bob" };
            writer
                .append(record(START + i * DAY_NS / 2, subject, "/api/v1/stats"))
                .unwrap();
        }
        writer
            .append(record(START + 3 * DAY_NS, "alice", "/api/v1/admin/backup"))
            .unwrap();
        writer.flush(false).unwrap();
        let times = |q: &AuditQuery| -> Vec<i64> {
            query_dir(dir.path(), q)
                .unwrap()
                .iter()
                .map(|r| (r.time_ns - START) / (DAY_NS / 2))
                .collect()
        };
        let all = AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        };
        assert_eq!(times(&all), [6, 5, 4, 3, 2, 1, 0]);
        let alice = AuditQuery {
            subject: Some("alice".into()),
            route: Some("/api/v1/stats".into()),
            ..all.clone()
        };
        assert_eq!(times(&alice), [4, 2, 0]);
        let window = AuditQuery {
            since_ns: Some(START + DAY_NS / 2),
            until_ns: Some(START + 2 * DAY_NS),
            limit: 2,
            ..AuditQuery::default()
        };
        assert_eq!(times(&window), [3, 2]);
    }
}
