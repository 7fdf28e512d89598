//! `GET /api/v1/events` across the cluster: every replica's page after its position, merged by
//! event time, then replica ordinal, then each replica's own (id) order, with the composite cursor of [`super::lanes`].

use super::lanes::{Lane, Positions, merge};
use super::{Coverage, FanoutError, Listing, Peers, forwarded};
use crate::event::Event;
use serde::Deserialize;

/// A replica's page as `GET /api/v1/events?scope=local` answers it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalPage {
    /// Its events, in id order.
    pub events: Vec<Event>,
    /// Its own cursor (an event id); absent at its end.
    #[serde(default)]
    pub next_cursor: Option<u64>,
}

/// A merged page.
#[derive(Debug)]
pub struct ClusterPage {
    /// The events, by (time, ordinal, id).
    pub events: Vec<Event>,
    /// The composite cursor of the next page.
    pub next_cursor: Option<String>,
    /// The replicas it covers.
    pub coverage: Coverage,
}

fn event_position(text: &str) -> Result<u64, FanoutError> {
    text.parse()
        .map_err(|_| FanoutError::Cursor(text.to_owned()))
}

/// One merged page of `listing`; `local` answers this replica's own page after an id.
pub async fn page(
    peers: &Peers,
    listing: Listing<'_>,
    local: impl FnOnce(Option<u64>) -> LocalPage,
) -> Result<ClusterPage, FanoutError> {
    let positions = match listing.cursor {
        Some(text) => Positions::parse(text, peers.replicas())?,
        None => Positions::start(peers.replicas()),
    };
    let own = positions
        .of(peers.ordinal())
        .map(event_position)
        .transpose()?;
    for o in 0..peers.replicas() {
        if let Some(p) = positions.of(o) {
            event_position(p)?;
        }
    }
    let mine = local(own);
    let base = forwarded(listing.query);
    let answers = peers
        .get::<LocalPage>(
            "/api/v1/events",
            |ordinal| positions.query_for(&base, ordinal),
            listing.auth,
        )
        .await;
    let lanes = std::iter::once((peers.ordinal(), mine))
        .chain(answers.answers)
        .map(|(ordinal, p)| Lane {
            ordinal,
            items: p.events,
            next: p.next_cursor.map(|c| c.to_string()),
        })
        .collect();
    let merged = merge(
        lanes,
        &positions,
        listing.limit,
        |a: &Event, b: &Event| a.timestamp_ns.cmp(&b.timestamp_ns),
        |e| e.id.to_string(),
    );
    Ok(ClusterPage {
        events: merged.items,
        next_cursor: merged.next.map(|p| p.render()),
        coverage: Coverage::lacking(answers.missing),
    })
}
