//! The I/O step every paged listing across the cluster shares (events, anomaly records, session
//! verdicts): read the caller's composite cursor, check every replica's position in it, answer
//! this replica's own page at its position and ask every peer for its page at its own. The
//! merge itself is pure ([`super::lanes`]) and per endpoint.

use super::lanes::Positions;
use super::{Coverage, FanoutError, Listing, Peers, forwarded};
use serde::de::DeserializeOwned;

/// Every replica's page of a listing, with the positions they were asked at.
pub struct Gathered<R> {
    /// The positions of the caller's cursor (from the start without one).
    pub positions: Positions,
    /// Each answering replica's page, this one's first.
    pub pages: Vec<(u32, R)>,
    /// The replicas that did not answer.
    pub coverage: Coverage,
}

/// Gathers the pages of `listing` at `path`: `check` validates a replica's position (its own
/// cursor format), `local` answers this replica's page at its position.
pub async fn gather<R: DeserializeOwned>(
    peers: &Peers,
    listing: Listing<'_>,
    path: &str,
    check: impl Fn(&str) -> bool,
    local: impl FnOnce(Option<&str>) -> Result<R, FanoutError>,
) -> Result<Gathered<R>, FanoutError> {
    let positions = match listing.cursor {
        Some(text) => Positions::parse(text, peers.replicas())?,
        None => Positions::start(peers.replicas()),
    };
    for o in 0..peers.replicas() {
        if let Some(p) = positions.of(o).filter(|p| !check(p)) {
            return Err(FanoutError::Cursor(p.to_owned()));
        }
    }
    let mine = local(positions.of(peers.ordinal()))?;
    let base = forwarded(listing.query);
    let answers = peers
        .get::<R>(
            path,
            |ordinal| positions.query_for(&base, ordinal),
            listing.auth,
        )
        .await;
    let pages = std::iter::once((peers.ordinal(), mine))
        .chain(answers.answers)
        .collect();
    Ok(Gathered {
        positions,
        pages,
        coverage: Coverage::lacking(answers.missing),
    })
}

/// `value` re-read as `T` through JSON: a replica's own answer in the shape its peers' answers
/// arrive in, so both merge the same way.
pub fn as_received<T: DeserializeOwned>(value: &impl serde::Serialize) -> Result<T, FanoutError> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| FanoutError::Task(e.to_string()))
}
