//! The audit log: one JSON line per API request, refusal and admin action, chained by hash.
//!
//! Each [`Record`] carries `prev`, the hex sha256 of the previous record's line as written, so
//! editing or removing a line breaks the chain at the next one ([`verify`]). Records go to one
//! file per UTC day (`audit-YYYY-MM-DD.jsonl`, the chain continuing across files); files older
//! than the retention are removed ([`expired`]). The pure parts live here and in [`verify`] and
//! [`query`]; [`writer`] does the file I/O, with an injected clock.

pub mod query;
pub mod verify;
pub mod writer;

pub use query::{AuditQuery, query_dir};
pub use verify::{Broken, Verified, verify_dir, verify_lines};
pub use writer::{AuditWriter, Clock, SystemClock};

use chrono::{DateTime, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use thiserror::Error;

/// `prev` of the very first record: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Audit log failures.
#[derive(Debug, Error)]
pub enum AuditError {
    /// A file or directory operation failed.
    #[error("audit log {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A record could not be encoded.
    #[error("cannot encode audit record: {0}")]
    Encode(String),
    /// The last line of the newest file is not a record, so the chain cannot be continued.
    #[error("audit log {path}: last line is not a record: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// One audit record. Field order is the canonical line order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Record {
    /// Position in the chain, from 0.
    pub seq: u64,
    /// When the request finished, nanoseconds since the Unix epoch.
    pub time_ns: i64,
    /// The authenticated (or refused) subject, when known.
    pub subject: Option<String>,
    /// The subject's roles, comma-separated, when known.
    pub role: Option<String>,
    /// The client's socket address, when known.
    pub client: Option<String>,
    /// HTTP method.
    pub method: String,
    /// The matched route (`/api/v1/alerts/{id}/ack`), else the path.
    pub route: String,
    /// Response status.
    pub status: u16,
    /// Response body bytes, when the response declared its length.
    pub bytes: Option<u64>,
    /// The request id (`x-request-id`).
    pub request_id: String,
    /// The admin action this request performed (`backup`, `alert_ack`, `auth_reload`), if any.
    pub action: Option<String>,
    /// Hex sha256 of the previous record's line ([`GENESIS`] for the first).
    pub prev: String,
}

impl Record {
    /// The record's canonical line (compact JSON, no newline).
    pub fn to_line(&self) -> Result<String, AuditError> {
        serde_json::to_string(self).map_err(|e| AuditError::Encode(e.to_string()))
    }
}

/// Hex sha256 of a record line (without its newline).
pub fn hash_line(line: &str) -> String {
    hex::encode(Sha256::digest(line.as_bytes()))
}

/// The UTC day of a time in nanoseconds since the epoch.
pub fn day_of(time_ns: i64) -> NaiveDate {
    DateTime::from_timestamp_nanos(time_ns).date_naive()
}

/// The file holding the records of `day`.
pub fn file_name(day: NaiveDate) -> String {
    format!("audit-{}.jsonl", day.format("%Y-%m-%d"))
}

/// The day of an audit file name, `None` for any other name.
pub fn parse_file_name(name: &str) -> Option<NaiveDate> {
    let day = name.strip_prefix("audit-")?.strip_suffix(".jsonl")?;
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// The days among `days` whose files are past retention on `today`: older than
/// `retention_days` full days (today's file is always kept).
pub fn expired(days: &[NaiveDate], today: NaiveDate, retention_days: u32) -> Vec<NaiveDate> {
    let keep_from = today - chrono::Days::new(u64::from(retention_days.max(1)) - 1);
    days.iter().copied().filter(|d| *d < keep_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn file_names_round_trip_and_others_are_ignored() {
        let d = day("2026-11-29");
        assert_eq!(file_name(d), "audit-2026-11-29.jsonl");
        assert_eq!(parse_file_name(&file_name(d)), Some(d));
        for other in ["anomalies.jsonl", "audit-2026-13-01.jsonl", "audit-x.jsonl"] {
            assert_eq!(parse_file_name(other), None, "{other}");
        }
    }

    #[test]
    fn retention_keeps_exactly_the_last_n_days() {
        let days: Vec<_> = ["2026-08-31", "2026-09-01", "2026-11-28", "2026-11-29"]
            .iter()
            .map(|d| day(d))
            .collect();
        // 90 days ending on 2026-11-29 start on 2026-09-01.
        assert_eq!(
            expired(&days, day("2026-11-29"), 90),
            vec![day("2026-08-31")]
        );
        assert_eq!(expired(&days, day("2026-11-29"), 1).len(), 3);
    }

    #[test]
    fn days_are_utc() {
        // 2026-11-29T23:59:59Z and one second later.
        let t = 1_795_996_799_000_000_000_i64;
        assert_eq!(day_of(t), day("2026-11-29"));
        assert_eq!(day_of(t + 1_000_000_000), day("2026-11-30"));
    }
}
