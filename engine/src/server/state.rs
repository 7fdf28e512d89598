//! Shared server state: configuration, retained events and core behind one lock, queues, metrics.

use super::cluster_status::ClusterStatus;
use super::event_log::{EventLog, WalLog};
use super::fanout::Peers;
use super::fanout::patterns::PhaseCache;
use super::metrics::Metrics;
use super::pipeline::Command;
use super::rate_limit::RateLimiter;
use super::shared::{Shared, StageTiming};
use super::stream_gate::StreamGate;
use crate::config::{ClusterMode, Config};
use crate::core::analytics::records::AnomalyRecord;
use crate::core::compose::build_engine;
use crate::store::{Retained, Retention, SharedBatch};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, OnceLock};
use tokio::sync::broadcast;

/// Batches buffered for `/api/v1/stream` subscribers before slow ones lag.
const STREAM_BUFFER: usize = 1024;

/// State handed to every handler (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The effective configuration.
    pub config: Arc<Config>,
    /// Events and core.
    pub shared: Arc<Mutex<Shared>>,
    /// The bounded queue to the log writer.
    pub queue: SyncSender<Command>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// True once replay finished.
    pub ready: Arc<AtomicBool>,
    /// Accepted batches for stream subscribers.
    pub stream: broadcast::Sender<SharedBatch>,
    /// Stage timings measured by handlers, drained into the profiler by the log writer (so
    /// handlers never wait for the core lock).
    pub timings: Arc<Mutex<Vec<StageTiming>>>,
    /// Alerting, when `[alerts] enabled` (set by the runtime at startup).
    pub alerts: Option<Arc<crate::notify::AlertRuntime>>,
    /// API authentication, when `[auth]` is enabled (set by the runtime at startup).
    pub auth: Option<Arc<super::auth_layer::LiveGate>>,
    /// The OIDC issuer's keys, when `[auth] method = "oidc"` (set by the runtime at startup).
    pub oidc_keys: Option<Arc<super::oidc_keys::OidcKeys>>,
    /// The audit log, when `[audit] enabled` (set by the runtime at startup).
    pub audit: Option<Arc<super::audit_sink::AuditSink>>,
    /// New anomaly records for `GET /api/v1/anomalies/stream` subscribers.
    pub anomaly_stream: broadcast::Sender<Arc<AnomalyRecord>>,
    /// The anomaly record file, when serving from a data directory (set by the runtime).
    pub anomaly_log: Option<Arc<Mutex<super::anomaly_log::AnomalyLog>>>,
    /// Request rate limits, when `[server] rate_limit_per_second` is above 0.
    pub rate_limiter: Option<Arc<RateLimiter>>,
    /// Admits and bounds the server-sent-event streams.
    pub streams: Arc<StreamGate>,
    /// Where ingest stores batches: the local log writer (standalone, set here) or the shared
    /// stream (clustered, set by the runtime once connected).
    pub log: Arc<OnceLock<Arc<dyn EventLog>>>,
    /// Clustered mode: partition ownership, applied sequences and lag (set by the runtime).
    pub cluster: Arc<OnceLock<Arc<ClusterStatus>>>,
    /// Clustered mode with more than one replica: the peers queries fan out to (set by the
    /// runtime once the ordinal is known).
    pub peers: Arc<OnceLock<Arc<Peers>>>,
    /// This replica's last answers to both phases of a pattern query across replicas.
    pub pattern_phases: Arc<PhaseCache>,
}

impl AppState {
    /// Builds the state; the receiver goes to the log writer.
    pub fn new(config: Config, metrics: Arc<Metrics>) -> (AppState, Receiver<Command>) {
        let retention = Retention {
            max_events: config.analytics.max_event_history,
            max_age_ns: (config.storage.retention_age_seconds as i64).saturating_mul(1_000_000_000),
            max_bytes: config.storage.retention_bytes,
        };
        let config_streams = config.server.max_stream_clients;
        let rate_limiter = (config.server.rate_limit_per_second > 0.0).then(|| {
            Arc::new(RateLimiter::new(
                config.server.rate_limit_per_second,
                config.server.rate_limit_burst,
            ))
        });
        let shared = Shared {
            retained: Retained::new(retention, 1),
            engine: build_engine(&config),
        };
        let (queue, rx) = sync_channel(config.server.ingest_queue_batches.max(1));
        let log = Arc::new(OnceLock::new());
        if config.cluster.mode == ClusterMode::Standalone {
            let wal: Arc<dyn EventLog> = Arc::new(WalLog::new(queue.clone()));
            let _ = log.set(wal);
        }
        let (stream, _) = broadcast::channel(STREAM_BUFFER);
        let (anomaly_stream, _) = broadcast::channel(STREAM_BUFFER);
        metrics
            .latency_target_seconds
            .set(config.analytics.processing_latency_target_ns as f64 / 1e9);
        let state = AppState {
            config: Arc::new(config),
            shared: Arc::new(Mutex::new(shared)),
            queue,
            metrics,
            ready: Arc::new(AtomicBool::new(false)),
            stream,
            timings: Arc::new(Mutex::new(Vec::new())),
            alerts: None,
            auth: None,
            oidc_keys: None,
            audit: None,
            anomaly_stream,
            anomaly_log: None,
            streams: Arc::new(StreamGate::new(config_streams)),
            rate_limiter,
            log,
            cluster: Arc::new(OnceLock::new()),
            peers: Arc::new(OnceLock::new()),
            pattern_phases: Arc::new(PhaseCache::default()),
        };
        (state, rx)
    }

    /// The peers to fan a query out to: `None` in standalone mode, with one replica, and for
    /// `scope=local` requests (the caller decides that).
    pub fn fanout(&self) -> Option<&Peers> {
        self.peers.get().map(AsRef::as_ref)
    }

    /// Whether replay finished and ingest is open.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Marks replay as finished.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
        self.metrics.ready.set(1);
    }
}
