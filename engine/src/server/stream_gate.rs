//! Limits on long-lived server-sent-event streams: a cap on concurrent clients (429 when
//! full), an end when the client's credential expires, and an end when the server shuts down
//! (an open stream would otherwise hold graceful shutdown forever).

use super::error::ApiError;
use futures::stream::{Stream, StreamExt};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// When the credential that opened a request stops being valid, in seconds since the Unix
/// epoch; added to the request's extensions by the auth layer for expiring credentials (JWT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialExpiry(pub i64);

/// Admits and bounds SSE streams. One per server, shared by every stream endpoint.
pub struct StreamGate {
    permits: Arc<Semaphore>,
    limit: usize,
    closing: watch::Sender<bool>,
}

/// A place among the concurrent streams; released when the stream is dropped.
pub struct StreamTicket {
    _permit: OwnedSemaphorePermit,
}

impl StreamGate {
    /// A gate admitting at most `limit` concurrent streams.
    pub fn new(limit: usize) -> Self {
        StreamGate {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            closing: watch::Sender::new(false),
        }
    }

    /// A place for one more stream, or [`ApiError::TooManyStreams`] when all are taken.
    pub fn admit(&self) -> Result<StreamTicket, ApiError> {
        self.permits
            .clone()
            .try_acquire_owned()
            .map(|permit| StreamTicket { _permit: permit })
            .map_err(|_| ApiError::TooManyStreams(self.limit))
    }

    /// Ends every open stream and every stream opened from now on (shutdown has begun).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Streams open now.
    pub fn open_streams(&self) -> usize {
        self.limit - self.permits.available_permits()
    }

    /// `stream` until the gate closes or `expiry` passes, holding `ticket` while it runs.
    pub fn bound<S>(
        &self,
        ticket: StreamTicket,
        expiry: Option<CredentialExpiry>,
        stream: S,
    ) -> impl Stream<Item = S::Item> + use<S>
    where
        S: Stream,
    {
        let mut closing = self.closing.subscribe();
        let remaining = expiry.map(|CredentialExpiry(exp)| seconds_until(exp));
        let end = async move {
            let expired = async {
                match remaining {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = closing.wait_for(|closed| *closed) => {}
                () = expired => {}
            }
        };
        stream.take_until(end).map(move |item| {
            let _held = &ticket;
            item
        })
    }
}

/// Time from now until `unix_secs` (zero when it has passed).
fn seconds_until(unix_secs: i64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let exp = u64::try_from(unix_secs).unwrap_or(0);
    Duration::from_secs(exp.saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::stream;

    fn unix_now() -> i64 {
        i64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn the_cap_refuses_extra_streams_until_one_ends() {
        let gate = StreamGate::new(2);
        let a = gate.bound(gate.admit().unwrap(), None, stream::pending::<()>());
        let _b = gate.admit().unwrap();
        assert!(matches!(gate.admit(), Err(ApiError::TooManyStreams(2))));
        assert_eq!(gate.open_streams(), 2);
        drop(a);
        assert!(gate.admit().is_ok(), "a dropped stream frees its place");
    }

    #[tokio::test]
    async fn closing_ends_open_and_later_streams() {
        let gate = StreamGate::new(4);
        let open = gate.bound(gate.admit().unwrap(), None, stream::pending::<()>());
        let task = tokio::spawn(open.collect::<Vec<_>>());
        gate.close();
        let ended = tokio::time::timeout(Duration::from_secs(5), task).await;
        assert!(ended.is_ok(), "an open stream ends when the gate closes");
        let later = gate.bound(gate.admit().unwrap(), None, stream::pending::<()>());
        assert_eq!(later.collect::<Vec<_>>().await, Vec::<()>::new());
    }

    #[tokio::test]
    async fn streams_end_at_credential_expiry() {
        let gate = StreamGate::new(4);
        let expired = CredentialExpiry(unix_now() - 1);
        let s = gate.bound(
            gate.admit().unwrap(),
            Some(expired),
            stream::pending::<()>(),
        );
        assert_eq!(s.collect::<Vec<_>>().await, Vec::<()>::new());
        let soon = CredentialExpiry(unix_now() + 1);
        let s = gate.bound(gate.admit().unwrap(), Some(soon), stream::pending::<()>());
        let ended = tokio::time::timeout(Duration::from_secs(10), s.collect::<Vec<_>>()).await;
        assert!(ended.is_ok(), "the stream ends once the credential expires");
        let later = CredentialExpiry(unix_now() + 3600);
        let mut s =
            std::pin::pin!(gate.bound(gate.admit().unwrap(), Some(later), stream::iter([1, 2])));
        assert_eq!(s.next().await, Some(1), "a valid credential streams");
    }
}
