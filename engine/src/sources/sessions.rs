//! DeepLog's normal HDFS block sessions (one session per line, log keys 1..=28) as semantic events.
//!
//! The log keys are anonymous template numbers, so each key is given one fixed event type from
//! [`KEY_TYPES`]; every line becomes one transaction (`session-<line>`), its events spaced evenly in
//! time. This yields a realistic, strongly patterned stream for pattern mining and next-event demos.

use serde_json::{Value, json};

/// The event type given to log key `k` (1-based): `KEY_TYPES[k - 1]`.
pub const KEY_TYPES: [&str; 28] = [
    "FilesystemCreate",
    "FilesystemRead",
    "FilesystemWrite",
    "FilesystemRename",
    "SemanticTransactionBegin",
    "FilesystemChmod",
    "FilesystemChown",
    "FilesystemTruncate",
    "SystemSync",
    "FilesystemMkdir",
    "SemanticTransactionEnd",
    "FilesystemRmdir",
    "FilesystemSymlink",
    "FilesystemHardlink",
    "SystemCheckpoint",
    "SystemRecovery",
    "SystemOptimization",
    "VectorCreate",
    "VectorIndex",
    "VectorSearch",
    "FilesystemDelete",
    "SemanticIntentCapture",
    "ObservabilityHealthCheck",
    "ObservabilityErrorReported",
    "GraphNodeCreate",
    "SemanticCausalityLink",
    "GraphEdgeCreate",
    "ObservabilityAuditEvent",
];

/// Why a sessions file could not be converted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SessionsError {
    /// A token is not a log key in `1..=28`.
    #[error("line {line}: {token:?} is not a log key in 1..=28")]
    BadKey {
        /// 1-based line number.
        line: usize,
        /// The offending token.
        token: String,
    },
}

/// How converted sessions are laid out in time.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Timestamp of the first event, nanoseconds since the Unix epoch.
    pub start_ns: i64,
    /// Gap between two sessions' first events.
    pub session_gap_ns: i64,
    /// Gap between two events of one session.
    pub event_gap_ns: i64,
}

/// Converts up to `max_sessions` lines into events, session by session.
pub fn convert_sessions(
    text: &str,
    max_sessions: usize,
    timing: Timing,
) -> Result<Vec<Value>, SessionsError> {
    let mut events = Vec::new();
    for (index, line) in text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(max_sessions)
        .enumerate()
    {
        let session_start = timing.start_ns + index as i64 * timing.session_gap_ns;
        for (position, token) in line.split_whitespace().enumerate() {
            let key: usize = token
                .parse()
                .ok()
                .filter(|k| (1..=KEY_TYPES.len()).contains(k))
                .ok_or_else(|| SessionsError::BadKey {
                    line: index + 1,
                    token: token.to_string(),
                })?;
            let at = session_start + position as i64 * timing.event_gap_ns;
            let mut context = json!({"transactionId": format!("session-{}", index + 1)});
            if KEY_TYPES[key - 1].starts_with("Filesystem") {
                context["filesystem"] =
                    json!({"path": format!("/hdfs/blocks/session-{}", index + 1)});
            }
            events.push(json!({
                "type": KEY_TYPES[key - 1],
                "timestamp": rfc3339(at),
                "source": format!("datanode-{}", index % 8),
                "idempotencyKey": format!("hdfs-session-{}-{position}", index + 1),
                "context": context,
                "payload": {"logKey": key},
            }));
        }
    }
    Ok(events)
}

fn rfc3339(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns)
        .format("%Y-%m-%dT%H:%M:%S%.9fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMING: Timing = Timing {
        start_ns: 1_700_000_000_000_000_000,
        session_gap_ns: 1_000_000_000,
        event_gap_ns: 1_000_000,
    };

    #[test]
    fn each_line_is_one_transaction_in_order() {
        let events = convert_sessions("5 5 22\n11 9\n", 10, TIMING).expect("converts");
        let types: Vec<_> = events
            .iter()
            .map(|e| e["type"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            types,
            [
                "SemanticTransactionBegin",
                "SemanticTransactionBegin",
                "SemanticIntentCapture",
                "SemanticTransactionEnd",
                "SystemSync"
            ]
        );
        assert_eq!(events[0]["context"]["transactionId"], "session-1");
        assert_eq!(events[3]["context"]["transactionId"], "session-2");
        assert_eq!(events[1]["timestamp"], "2023-11-14T22:13:20.001000000Z");
        assert_eq!(events[3]["timestamp"], "2023-11-14T22:13:21.000000000Z");
    }

    #[test]
    fn max_sessions_bounds_the_output() {
        let events = convert_sessions("1\n2\n3\n", 2, TIMING).expect("converts");
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn bad_keys_name_line_and_token() {
        let err = convert_sessions("1 2\n3 29\n", 10, TIMING).unwrap_err();
        assert_eq!(
            err,
            SessionsError::BadKey {
                line: 2,
                token: "29".into()
            }
        );
    }
}
