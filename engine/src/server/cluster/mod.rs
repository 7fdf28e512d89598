//! Clustered mode (`[cluster] mode = "nats"`): engine replicas share one NATS JetStream stream.
//!
//! - Ingest: any replica publishes a validated batch to the stream, each event to the subject
//!   of its partition (FNV-1a of the session key, see [`partition`]), and answers once every
//!   message is acknowledged ([`publish::NatsLog`], the clustered [`EventLog`]).
//! - Consumption: replica *i* of *n* owns the partitions `p % n == i` and applies each through
//!   its local log writer in stream order ([`consume`]); the local write-ahead log records the
//!   last sequence applied per partition in the same record as the events
//!   ([`crate::store::LogPosition`]), so a restart resumes where it stopped ([`resume`]).
//! - Sessions: every replica follows the whole stream for the session model and keeps the
//!   verdicts of the sessions it owns ([`session_feed`]), so verdicts are one engine's.
//! - Takeover: a data directory built for another share of the stream is rebuilt from the
//!   stream ([`takeover`]).
//! - Status: ownership, applied sequences and lag for `GET /api/v1/cluster`, `/metrics` and
//!   readiness ([`ClusterStatus`]).
//!
//! [`EventLog`]: crate::server::event_log::EventLog

pub mod candidates;
pub mod connect;
pub mod consume;
pub mod partition;
pub mod publish;
pub mod resume;
pub mod session_feed;
pub mod takeover;

pub use super::cluster_status::{ClusterReport, ClusterStatus, PartitionProgress};
pub use publish::NatsLog;

use crate::config::{ClusterSection, ConfigError};
use crate::core::analytics::Analytics;
use crate::core::analytics::sessions::SessionKey;
use crate::core::partition::Share;
use crate::server::event_log::EventLog;
use crate::server::state::AppState;
use crate::store::Positions;
use async_nats::jetstream::stream::LastRawMessageErrorKind;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use takeover::{Decision, Ownership};
use thiserror::Error;
use tokio::task::JoinHandle;

/// How often consumer lag is refreshed while no message arrives.
const MONITOR_PERIOD: Duration = Duration::from_secs(2);

/// Why clustered mode could not start.
#[derive(Debug, Error)]
pub enum ClusterError {
    /// The ordinal could not be resolved.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data directory's share could not be checked or rebuilt.
    #[error(transparent)]
    Takeover(#[from] takeover::TakeoverError),
    /// NATS or the stream are unusable.
    #[error(transparent)]
    Connect(#[from] connect::ConnectError),
    /// `[pattern_discovery] session_key` is unknown.
    #[error("pattern_discovery.session_key: {0}")]
    SessionKey(#[from] crate::core::analytics::sessions::SessionError),
    /// A partition's last sequence could not be read.
    #[error("cannot read the last sequence of subject {subject}: {reason}")]
    Target {
        /// The partition's subject.
        subject: String,
        /// Why.
        reason: String,
    },
    /// The cluster gauges could not be registered.
    #[error("cluster metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The client for the peers' queries cannot be built (`peer_ca_file`).
    #[error(transparent)]
    Peers(#[from] super::fanout::PeerClientError),
}

/// What was decided about the data directory before replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepared {
    /// This replica's ordinal.
    pub ordinal: u32,
    /// Resume, fresh start or rebuild.
    pub decision: Decision,
}

/// The host name (`HOSTNAME`, else the kernel's).
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Resolves the ordinal and applies the takeover rule to `data_dir` (before replay: a rebuild
/// removes the local log).
pub fn prepare(section: &ClusterSection, data_dir: &Path) -> Result<Prepared, ClusterError> {
    let ordinal = section.resolve_ordinal(&hostname())?;
    let share = Ownership {
        stream: section.stream.clone(),
        partitions: section.partitions,
        replicas: section.replicas,
        ordinal,
    };
    let decision = takeover::prepare(data_dir, &share)?;
    if decision == Decision::Rebuild {
        tracing::warn!(
            ordinal,
            replicas = section.replicas,
            "the owned partitions changed: local state discarded, rebuilding from the stream"
        );
    }
    Ok(Prepared { ordinal, decision })
}

/// Attempts at opening the stream before giving up (JetStream may still be electing a leader
/// when the engine starts with it).
const STREAM_ATTEMPTS: u32 = 30;

/// [`connect::ensure_stream`], retried once a second while JetStream does not answer; a
/// mismatched stream is refused at once.
async fn open_stream(
    js: &async_nats::jetstream::Context,
    section: &ClusterSection,
) -> Result<async_nats::jetstream::stream::Stream, ClusterError> {
    let mut attempt = 1;
    loop {
        match connect::ensure_stream(js, section).await {
            Ok(stream) => return Ok(stream),
            Err(e @ connect::ConnectError::Stream { .. }) if attempt < STREAM_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "JetStream not answering yet; retrying");
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The running consumers; [`Running::stop`] ends them before the log writer stops.
pub struct Running {
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops every consumer (a chunk being applied is redelivered and skipped at restart).
    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// Makes the analytics keep only the verdicts of this replica's sessions; their events come from
/// the session feed (call before replay: the local log holds only the owned partitions).
pub fn share_sessions(state: &AppState, prepared: &Prepared) {
    let section = &state.config.cluster;
    let share = Share {
        partitions: section.partitions,
        replicas: section.replicas,
        ordinal: prepared.ordinal,
    };
    if let Some(mut analytics) = state.shared.lock().engine.hook_mut::<Analytics>() {
        analytics.set_share(share);
    }
}

/// Connects, opens the stream, installs the NATS log for ingest and the status, and starts one
/// consumer per owned partition from `positions` (recovered by replay).
pub async fn start(
    state: &AppState,
    prepared: Prepared,
    positions: &Positions,
) -> Result<Running, ClusterError> {
    let section = &state.config.cluster;
    let ordinal = prepared.ordinal;
    let client = connect::connect(section, ordinal).await?;
    let server = &state.config.server;
    let js = connect::context(
        client,
        server
            .ingest_queue_batches
            .saturating_mul(server.max_batch_events),
    );
    let stream = open_stream(&js, section).await?;
    let key = SessionKey::parse(&state.config.pattern_discovery.session_key)?;
    let log: Arc<dyn EventLog> = Arc::new(NatsLog::new(
        js,
        section.subject_prefix.clone(),
        section.partitions,
        key,
        state.config.server.ingest_queue_batches,
    ));
    let _ = state.log.set(log);
    let owned =
        crate::core::partition::owned_partitions(section.partitions, section.replicas, ordinal);
    let report = ClusterReport {
        mode: "nats",
        stream: section.stream.clone(),
        partitions: section.partitions,
        replicas: section.replicas,
        ordinal,
        peers: section.peers.clone(),
        owned: owned.clone(),
        rebuilt: prepared.decision == Decision::Rebuild,
        resumed_from: positions.clone(),
        caught_up: false,
        progress: super::cluster_status::initial_progress(&owned, positions),
        sessions: super::cluster_status::SessionFeedProgress::UNREAD,
    };
    let status = Arc::new(ClusterStatus::new(report, &state.metrics.registry)?);
    let _ = state.cluster.set(status.clone());
    if section.replicas > 1 {
        let _ = state
            .peers
            .set(Arc::new(super::fanout::Peers::new(section, ordinal)?));
    }
    let ready = state.clone();
    let on_caught_up: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        if !ready.is_ready() {
            tracing::info!("every owned partition caught up; ready");
            ready.set_ready();
        }
    });
    for p in &owned {
        let subject = partition::subject(&section.subject_prefix, *p);
        let target = last_sequence(&stream, subject).await?;
        if status.target(*p, target) {
            on_caught_up();
        }
    }
    let subjects = partition::stream_subjects(&section.subject_prefix);
    // Without analytics there are no sessions to feed: nothing to wait for.
    let sessions = state.shared.lock().engine.has_hooks();
    let sessions_target = if sessions {
        stream_last_sequence(&stream, &subjects).await?
    } else {
        0
    };
    if status.sessions_target(sessions_target) {
        on_caught_up();
    }
    tracing::info!(
        ordinal,
        replicas = section.replicas,
        owned = ?owned,
        decision = ?prepared.decision,
        resumed_from = ?positions,
        "clustered mode: consuming the owned partitions from the local checkpoint"
    );
    // Consumers this ordinal had for partitions it no longer owns (the replica count changed).
    for p in (0..section.partitions).filter(|p| !owned.contains(p)) {
        let _ = stream
            .delete_consumer(&partition::consumer_name(ordinal, p))
            .await;
    }
    let mut tasks = Vec::with_capacity(owned.len() + 1);
    for p in &owned {
        tasks.push(tokio::spawn(consume::run(consume::Partition {
            partition: *p,
            ordinal,
            subject: partition::subject(&section.subject_prefix, *p),
            stream: stream.clone(),
            queue: state.queue.clone(),
            status: status.clone(),
            on_caught_up: on_caught_up.clone(),
        })));
    }
    if sessions {
        tasks.push(tokio::spawn(session_feed::run(session_feed::SessionFeed {
            stream: stream.clone(),
            subjects,
            hooks: state.shared.lock().engine.hook_handle(),
            status: status.clone(),
            on_caught_up: on_caught_up.clone(),
        })));
    }
    if section.replicas > 1 {
        tasks.push(tokio::spawn(candidates::keep_warm(state.clone())));
    }
    tasks.push(tokio::spawn(consume::monitor(
        stream,
        ordinal,
        owned,
        status,
        MONITOR_PERIOD,
    )));
    Ok(Running { tasks })
}

/// The stream's last sequence (the session feed's start target), retried like
/// [`last_sequence`].
async fn stream_last_sequence(
    stream: &async_nats::jetstream::stream::Stream,
    subjects: &str,
) -> Result<u64, ClusterError> {
    let deadline = tokio::time::Instant::now() + LAST_SEQUENCE_PATIENCE;
    loop {
        match stream.get_info().await {
            Ok(info) => return Ok(info.state.last_sequence),
            Err(e) if tokio::time::Instant::now() < deadline => {
                tracing::warn!(error = %e, "reading the stream's last sequence; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            Err(e) => {
                return Err(ClusterError::Target {
                    subject: subjects.to_string(),
                    reason: e.to_string(),
                });
            }
        }
    }
}

/// How long reading a partition's last sequence is retried at start: a stream another replica
/// has just created answers only once its raft group has elected a leader.
const LAST_SEQUENCE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// The last stream sequence of `subject` (0 when it holds nothing), retrying timeouts and
/// JetStream errors for [`LAST_SEQUENCE_PATIENCE`]; an invalid subject fails at once.
async fn last_sequence(
    stream: &async_nats::jetstream::stream::Stream,
    subject: String,
) -> Result<u64, ClusterError> {
    let deadline = tokio::time::Instant::now() + LAST_SEQUENCE_PATIENCE;
    loop {
        match stream.get_last_raw_message_by_subject(&subject).await {
            Ok(message) => return Ok(message.sequence),
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => return Ok(0),
            Err(e)
                if e.kind() != LastRawMessageErrorKind::InvalidSubject
                    && tokio::time::Instant::now() < deadline =>
            {
                tracing::warn!(%subject, error = %e, "reading the last sequence; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            Err(e) => {
                return Err(ClusterError::Target {
                    subject,
                    reason: e.to_string(),
                });
            }
        }
    }
}
