//! `GET /api/v1/events` across the cluster: every replica's page after its position, merged by
//! event time, then replica ordinal, then each replica's own (id) order, with the composite cursor of [`super::lanes`].

use super::lanes::{Lane, merge};
use super::listing::gather;
use super::{Coverage, FanoutError, Listing, Peers};
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
    let limit = listing.limit;
    let check = |p: &str| event_position(p).is_ok();
    let local = |at: Option<&str>| at.map(event_position).transpose().map(local);
    let g = gather(peers, listing, "/api/v1/events", check, local).await?;
    let lanes = g
        .pages
        .into_iter()
        .map(|(ordinal, p)| Lane {
            ordinal,
            items: p.events,
            next: p.next_cursor.map(|c| c.to_string()),
        })
        .collect();
    let merged = merge(
        lanes,
        &g.positions,
        limit,
        |a: &Event, b: &Event| a.timestamp_ns.cmp(&b.timestamp_ns),
        |e| e.id.to_string(),
    );
    Ok(ClusterPage {
        events: merged.items,
        next_cursor: merged.next.map(|p| p.render()),
        coverage: g.coverage,
    })
}
