//! The session feed of a clustered replica: every event of the stream, in stream order, goes to
//! the sessions ([`Analytics::observe_session`]), so every replica judges every session the way
//! one engine would and keeps the verdicts of the sessions it owns. The owned partitions'
//! consumers feed everything else.
//!
//! An ordered consumer (ephemeral, flow-controlled and recreated by the client on a gap) reads
//! the whole stream from its first sequence at start: session state is not checkpointed, it is
//! rebuilt from the stream, as a standalone engine rebuilds its analytics from its log. After
//! an error the consumer is recreated after the last sequence applied, so nothing is seen twice.
//! A step's `eventId` in a clustered verdict is the event's stream sequence (the id its ingest
//! receipt gave).
//!
//! The cost is reading and decoding the whole stream on every replica; the session model itself
//! is cheap per event (see BENCHMARKS.md, clustered ingest).

use crate::core::HookHandle;
use crate::core::analytics::Analytics;
use crate::event::Event;
use crate::server::cluster_status::ClusterStatus;
use crate::server::shared::now_ns;
use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use async_nats::jetstream::stream::Stream;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// Messages applied per hold of the hooks' lock at most.
const CHUNK: usize = 512;
/// Pause before recreating the consumer after an error.
const RETRY: Duration = Duration::from_secs(1);

/// Errors of one pass of the feed (the consumer is recreated after each).
#[derive(Debug, Error)]
pub enum SessionFeedError {
    /// The consumer could not be created or its message stream failed.
    #[error("session feed consumer: {0}")]
    Consumer(String),
    /// The analytics are not registered (every analytic disabled): nothing to feed.
    #[error("no analytics to feed")]
    NoAnalytics,
}

/// What the feed needs.
pub struct SessionFeed {
    /// The stream.
    pub stream: Stream,
    /// The whole stream's subjects (`<prefix>.*`).
    pub subjects: String,
    /// The analytics.
    pub hooks: HookHandle,
    /// Progress and readiness.
    pub status: Arc<ClusterStatus>,
    /// Called when everything has caught up.
    pub on_caught_up: Arc<dyn Fn() + Send + Sync>,
}

/// Follows the stream until the engine stops, recreating the consumer after errors.
pub async fn run(feed: SessionFeed) {
    loop {
        match follow(&feed).await {
            Err(SessionFeedError::NoAnalytics) => return,
            Err(e) => tracing::warn!(error = %e, "session feed restarts"),
            Ok(()) => {}
        }
        tokio::time::sleep(RETRY).await;
    }
}

fn failed(e: &dyn std::fmt::Display) -> SessionFeedError {
    SessionFeedError::Consumer(e.to_string())
}

async fn follow(feed: &SessionFeed) -> Result<(), SessionFeedError> {
    let mut applied = feed.status.sessions_applied_sequence();
    let consumer = feed
        .stream
        .create_consumer(OrderedConfig {
            filter_subject: feed.subjects.clone(),
            deliver_policy: DeliverPolicy::ByStartSequence {
                start_sequence: applied + 1,
            },
            ..OrderedConfig::default()
        })
        .await
        .map_err(|e| failed(&e))?;
    tracing::info!(
        from_sequence = applied + 1,
        "session feed following the stream"
    );
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| failed(&e))?
        .ready_chunks(CHUNK);
    while let Some(chunk) = messages.next().await {
        let mut events = Vec::with_capacity(chunk.len());
        let mut last = applied;
        for message in chunk {
            let message = message.map_err(|e| failed(&e))?;
            let sequence = message.info().map_err(|e| failed(&e))?.stream_sequence;
            if sequence <= last {
                continue;
            }
            last = sequence;
            // What is not an event is logged by the partition consumer that owns it.
            if let Ok(mut event) = serde_json::from_slice::<Event>(&message.payload) {
                event.id = sequence;
                events.push(event);
            }
        }
        if last == applied {
            continue;
        }
        let hooks = feed.hooks.clone();
        tokio::task::spawn_blocking(move || {
            let now = now_ns();
            hooks.with(|analytics: &mut Analytics| {
                for event in &events {
                    analytics.observe_session(event, now);
                }
            })
        })
        .await
        .map_err(|e| failed(&e))?
        .ok_or(SessionFeedError::NoAnalytics)?;
        applied = last;
        if feed.status.sessions_applied(applied) {
            (feed.on_caught_up)();
        }
    }
    Err(failed(&"the message stream ended"))
}
