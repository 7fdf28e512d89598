//! `GET /api/v1/stream`: accepted events as server-sent events, optionally filtered.

use super::error::ApiError;
use super::query::EventsQuery;
use super::state::AppState;
use super::stream_gate::CredentialExpiry;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// Streams every accepted event matching the same filters as `GET /api/v1/events`
/// (`cursor` and `limit` are ignored). A slow client receives a `lagged` event with the number
/// of batches it missed.
#[utoipa::path(
    get,
    path = "/api/v1/stream",
    tag = "events",
    params(super::query::EventsQuery),
    responses((
        status = 200,
        description = "Server-sent events: `event` with each accepted event, `lagged` with the \
            number of batches a slow client missed",
        content_type = "text/event-stream",
        body = String
    ))
)]
pub async fn get_stream(
    State(state): State<AppState>,
    expiry: Option<Extension<CredentialExpiry>>,
    Query(q): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let filter = q.filter()?;
    let ticket = state.streams.admit()?;
    let gauge = state.metrics.stream_clients.clone();
    gauge.inc();
    let guard = ClientGuard(gauge);
    let events = BroadcastStream::new(state.stream.subscribe()).flat_map(move |item| {
        let _keep = &guard;
        let out: Vec<SseEvent> = match item {
            Ok(batch) => batch
                .iter()
                .filter(|e| filter.matches(e))
                .filter_map(|e| {
                    SseEvent::default()
                        .id(e.id.to_string())
                        .event("event")
                        .json_data(e)
                        .ok()
                })
                .collect(),
            Err(BroadcastStreamRecvError::Lagged(n)) => {
                vec![SseEvent::default().event("lagged").data(n.to_string())]
            }
        };
        stream::iter(out.into_iter().map(Ok))
    });
    let events = state
        .streams
        .bound(ticket, expiry.map(|Extension(e)| e), events);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Decrements the client gauge when the stream is dropped.
struct ClientGuard(prometheus::Gauge);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
