//! Shared server state: configuration, retained events and core behind one lock, queues, metrics.

use super::metrics::Metrics;
use super::pipeline::Command;
use crate::config::Config;
use crate::core::profiler::{ProfilerSettings, Stage};
use crate::core::{Engine, EngineSettings};
use crate::event::Event;
use crate::store::{Retained, Retention};
use parking_lot::Mutex;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use tokio::sync::broadcast;

/// Batches buffered for `/api/v1/stream` subscribers before slow ones lag.
const STREAM_BUFFER: usize = 1024;

/// One measured stage call: stage, duration (ns), events.
pub type StageTiming = (Stage, u64, u64);

/// What the writer and the query handlers share.
pub struct Shared {
    /// Retained events.
    pub retained: Retained,
    /// Windows, profiler and hooks.
    pub engine: Engine,
}

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
    pub stream: broadcast::Sender<Arc<[Event]>>,
    /// Stage timings measured by handlers, drained into the profiler by the log writer (so
    /// handlers never wait for the core lock).
    pub timings: Arc<Mutex<Vec<StageTiming>>>,
    /// Alerting, when `[alerts] enabled` (set by the runtime at startup).
    pub alerts: Option<Arc<crate::notify::AlertRuntime>>,
    /// API authentication, when `[auth]` is enabled (set by the runtime at startup).
    pub auth: Option<Arc<super::auth_layer::LiveGate>>,
}

impl AppState {
    /// Builds the state; the receiver goes to the log writer.
    pub fn new(config: Config, metrics: Arc<Metrics>) -> (AppState, Receiver<Command>) {
        let retention = Retention {
            max_events: config.analytics.max_event_history,
            max_age_ns: (config.storage.retention_age_seconds as i64).saturating_mul(1_000_000_000),
        };
        let shared = Shared {
            retained: Retained::new(retention, 1),
            engine: build_engine(&config),
        };
        let (queue, rx) = sync_channel(config.server.ingest_queue_batches.max(1));
        let (stream, _) = broadcast::channel(STREAM_BUFFER);
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
        };
        (state, rx)
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

/// The core settings derived from the configuration.
pub fn engine_settings(config: &Config) -> EngineSettings {
    EngineSettings {
        sliding_window_size: config.analytics.sliding_window_size,
        profiler: ProfilerSettings {
            max_history: config.profiler.max_profile_history,
            bottleneck_threshold_ms: config.profiler.bottleneck_threshold_ms,
            detect_bottlenecks: config.profiler.enable_bottleneck_detection,
        },
    }
}

/// Builds the core with its hooks. Analytics and alerting register their hooks here.
pub fn build_engine(config: &Config) -> Engine {
    let mut engine = Engine::new(&engine_settings(config));
    super::analytics_api::register(&mut engine, config);
    engine
}

/// Wall-clock time in nanoseconds since the epoch (the server is the clock's edge).
pub fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}
