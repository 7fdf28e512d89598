//! Queries answered for the whole cluster: a replica asks every peer for its share
//! (`scope=local`, the caller's `Authorization` forwarded, all peers at once, each bounded by
//! `[cluster] peer_timeout_ms`) and merges the shares with its own.
//!
//! The merges are pure and live beside the calls: [`lanes`] (events and anomaly records, k-way
//! with a composite cursor), `core::windows_parts` (statistics) and
//! `core::analytics::pattern_merge` (sequential patterns, two phases). A replica that does not
//! answer is named in the answer's [`Coverage`]; no answer is ever silently smaller.

pub mod anomalies;
pub mod events;
pub mod lanes;
pub mod listing;
pub mod patterns;
mod peers;
pub mod sessions;
pub mod stats;
pub mod timeseries;

pub use peers::{PeerAnswers, PeerClientError, Peers};

use super::error::ApiError;
use serde::Serialize;

/// The `scope` query parameter: the whole cluster (default) or this replica's share only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Fan out to every replica and merge (in standalone mode: the engine's own answer).
    #[default]
    Cluster,
    /// This replica's share only (what peers ask each other for; never fans out).
    Local,
}

impl Scope {
    /// Parses `scope`; absent means [`Scope::Cluster`].
    pub fn parse(text: Option<&str>) -> Result<Scope, ApiError> {
        match text {
            None | Some("cluster") => Ok(Scope::Cluster),
            Some("local") => Ok(Scope::Local),
            Some(other) => Err(ApiError::BadQuery {
                param: "scope",
                reason: format!("`{other}` is not cluster or local"),
            }),
        }
    }
}

/// A replica whose share is missing from an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MissingReplica {
    /// Its ordinal.
    pub ordinal: u32,
    /// Its base URL (`[cluster] peers`); absent when no peers are configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Why it is missing: the connection error, the timeout or the status it answered.
    pub reason: String,
    /// The HTTP status it answered, when it answered one.
    #[serde(skip)]
    pub status: Option<u16>,
}

/// Which replicas an answer covers; clustered answers carry it, standalone ones do not.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// True when at least one replica's share is missing.
    pub partial: bool,
    /// The replicas whose share is missing.
    pub missing_replicas: Vec<MissingReplica>,
}

impl Coverage {
    /// The coverage of an answer lacking `missing`.
    pub fn lacking(mut missing: Vec<MissingReplica>) -> Coverage {
        missing.sort_by_key(|m| m.ordinal);
        missing.dedup_by_key(|m| m.ordinal);
        Coverage {
            partial: !missing.is_empty(),
            missing_replicas: missing,
        }
    }
}

/// An answer with, in clustered mode, the replicas it covers.
#[derive(Debug, Serialize)]
pub struct Answer<T> {
    /// The answer itself.
    #[serde(flatten)]
    pub body: T,
    /// `partial` and `missingReplicas` (clustered mode only).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

impl<T> Answer<T> {
    /// A standalone (or `scope=local`) answer: no coverage fields.
    pub fn alone(body: T) -> Answer<T> {
        Answer {
            body,
            coverage: None,
        }
    }
}

/// A listing request (events, anomaly records) as the caller sent it.
#[derive(Debug, Clone, Copy)]
pub struct Listing<'a> {
    /// The caller's query string, decoded (forwarded to the peers without `cursor`/`scope`).
    pub query: &'a [(String, String)],
    /// The caller's composite cursor.
    pub cursor: Option<&'a str>,
    /// The page size.
    pub limit: usize,
    /// The caller's credentials.
    pub auth: Option<&'a axum::http::HeaderValue>,
}

/// The pairs of a raw query string (`a=1&b=x%20y`), decoded, in order.
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|q| reqwest::Url::parse(&format!("http://query/?{q}")).ok())
        .map(|url| {
            url.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// `text` as one URL path segment: everything but unreserved characters percent-encoded.
pub fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The caller's `Authorization` header, forwarded to the peers so they authorise the same
/// subject (each replica checks it against its own `[auth]`, which must agree).
pub fn authorization(headers: &axum::http::HeaderMap) -> Option<&axum::http::HeaderValue> {
    headers.get(axum::http::header::AUTHORIZATION)
}

/// The caller's query string without the parameters the fan-out sets per replica (`cursor`,
/// `scope`).
pub fn forwarded(query: &[(String, String)]) -> Vec<(String, String)> {
    query
        .iter()
        .filter(|(k, _)| k != "cursor" && k != "scope")
        .cloned()
        .collect()
}

/// Why a merge failed (the replicas answered, but their shares do not fit together).
#[derive(Debug, thiserror::Error)]
pub enum FanoutError {
    /// A cursor that this cluster did not return (or from a cluster of another size).
    #[error("cursor {0:?} was not returned by this endpoint of this cluster")]
    Cursor(String),
    /// The replicas' statistics cannot be added up (different builds).
    #[error("the replicas' statistics do not merge: {0}")]
    Stats(#[from] crate::core::windows_parts::PartsError),
    /// The replicas' time series do not merge (different grids or builds).
    #[error("the replicas' time series do not merge: {0}")]
    Series(String),
    /// A local mining task failed.
    #[error("a pattern mining task failed: {0}")]
    Task(String),
}

impl From<FanoutError> for ApiError {
    fn from(e: FanoutError) -> Self {
        match e {
            FanoutError::Cursor(_) => ApiError::BadQuery {
                param: "cursor",
                reason: e.to_string(),
            },
            other => ApiError::Merge(other.to_string()),
        }
    }
}
