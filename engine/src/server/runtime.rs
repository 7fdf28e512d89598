//! Startup and shutdown: bind, replay the log (readiness false meanwhile), start the writer and
//! the profiler sampler, serve until the shutdown signal, then flush the log.

use super::analytics_feed::AnalyticsFeed;
use super::metrics::{Metrics, MetricsError};
use super::pipeline::{Command, Writer};
use super::procfs::read_counters;
use super::router;
use super::serve::{ConnectionLimits, serve};
use super::shared::{Shared, now_ns};
use super::state::AppState;
use crate::config::{ClusterMode, Config, TlsSection};
use crate::core::profiler::{ProcessCounters, Stage};
use crate::event::Event;
use crate::store::{ReplayStats, StoreError, Wal, WalOptions};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Duration;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Fatal server failures.
#[derive(Debug, Error)]
pub enum ServerError {
    /// Metrics could not be registered.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// The log could not be opened or replayed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Serving failed.
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
    /// The `[alerts]` section is invalid.
    #[error(transparent)]
    Alerts(#[from] crate::notify::setup::SetupError),
    /// The `[auth]` secret file is unusable.
    #[error(transparent)]
    Auth(#[from] super::auth_layer::AuthLoadError),
    /// The audit log cannot be started.
    #[error(transparent)]
    Audit(#[from] super::audit_layer::AuditStartError),
    /// The anomaly record file is unusable.
    #[error(transparent)]
    AnomalyLog(#[from] super::anomaly_log::AnomalyLogError),
    /// The analytics thread could not be started.
    #[error(transparent)]
    Feed(#[from] super::analytics_feed::FeedError),
    /// The `[server.tls]` certificate, key or client CA is unusable.
    #[error(transparent)]
    Tls(#[from] super::tls::TlsError),
    /// The HTTP client for the OIDC issuer cannot be built.
    #[error(transparent)]
    Oidc(#[from] super::oidc_keys::OidcFetchError),
    /// Clustered mode could not start.
    #[error(transparent)]
    Cluster(#[from] crate::server::cluster::ClusterError),
    /// A background task died.
    #[error("background task failed: {0}")]
    Task(String),
}

fn wal_options(config: &Config) -> WalOptions {
    WalOptions {
        fsync: config.storage.fsync,
        fsync_interval: Duration::from_millis(config.storage.fsync_interval_ms.max(1)),
        segment_size: config.storage.segment_size_bytes,
    }
}

/// Events per replayed batch: one core lock hold and one analytics queue entry.
const REPLAY_BATCH: usize = 4_096;

/// Collects replayed events and applies them in batches the way ingest does: retained set and
/// windows under the core lock, then the analytics feed.
struct ReplaySink<'a> {
    state: &'a AppState,
    feed: Option<&'a AnalyticsFeed>,
    pending: Vec<Event>,
    now: i64,
}

impl ReplaySink<'_> {
    fn add(&mut self, event: Event) {
        self.pending.push(event);
        if self.pending.len() >= REPLAY_BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let events = std::mem::replace(&mut self.pending, Vec::with_capacity(REPLAY_BATCH));
        let batch = {
            let mut guard = self.state.shared.lock();
            let Shared { retained, engine } = &mut *guard;
            if let Some(feed) = self.feed {
                feed.admit(events.len());
            }
            for event in &events {
                engine.windows.observe(event);
            }
            retained.restore(events)
        };
        if let Some(feed) = self.feed
            && let Err(e) = feed.push(batch, self.now)
        {
            tracing::error!(error = %e, "replayed batch not analysed");
        }
    }
}

fn replay(
    state: &AppState,
    dir: &Path,
    feed: Option<&AnalyticsFeed>,
) -> Result<(Wal, ReplayStats), StoreError> {
    let mut sink = ReplaySink {
        state,
        feed,
        pending: Vec::with_capacity(REPLAY_BATCH),
        now: now_ns(),
    };
    let opened = Wal::open(dir, wal_options(&state.config), &mut |e| sink.add(e));
    sink.flush();
    opened
}

/// Runs the engine on `listener` with its log in `data_dir` until `shutdown` resolves.
pub async fn run<F>(
    config: Config,
    data_dir: PathBuf,
    listener: TcpListener,
    shutdown: F,
) -> Result<(), ServerError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let prepared = match config.cluster.mode {
        ClusterMode::Nats => Some(crate::server::cluster::prepare(&config.cluster, &data_dir)?),
        ClusterMode::Standalone => None,
    };
    let metrics = Arc::new(Metrics::new()?);
    let (mut state, rx) = AppState::new(config, metrics);
    if let Some(prepared) = &prepared {
        crate::server::cluster::share_sessions(&state, prepared);
    }
    state.alerts = super::alerts_api::start(&state)?;
    state.audit = super::audit_layer::start(&state, &data_dir)?;
    state.oidc_keys = super::oidc_keys::start(&state.config).await?;
    state.auth =
        super::auth_layer::start(&state.config, state.audit.clone(), state.oidc_keys.clone())?;
    state.anomaly_log = super::anomaly_publish::open(&state, &data_dir)?
        .map(|log| Arc::new(parking_lot::Mutex::new(log)));
    let addr = listener.local_addr()?;
    let streams = state.streams.clone();
    let shutdown = async move {
        shutdown.await;
        streams.close();
    };
    let limits = ConnectionLimits {
        max_connections: state.config.server.max_connections,
        header_read_timeout: Duration::from_millis(state.config.server.header_read_timeout_ms),
    };
    let tls = TlsSection::active(state.config.server.tls.as_ref())
        .map(|section| super::tls::reload::start(section.clone()))
        .transpose()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let app = router(state.clone());
    let server = tokio::spawn(serve(listener, app, limits, tls, shutdown));
    tracing::info!(%addr, scheme, data_dir = %data_dir.display(), "listening; replaying the log");
    let replay_state = state.clone();
    let (writer, replayed) =
        tokio::task::spawn_blocking(move || open_store_with(&replay_state, &data_dir, rx))
            .await
            .map_err(|e| ServerError::Task(e.to_string()))??;
    let cluster = match prepared {
        Some(prepared) => {
            Some(crate::server::cluster::start(&state, prepared, &replayed.positions).await?)
        }
        None => None,
    };
    let sampler = tokio::spawn(sample_profile(state.clone()));
    server.await.map_err(|e| ServerError::Task(e.to_string()))?;
    sampler.abort();
    if let Some(cluster) = cluster {
        cluster.stop();
    }
    stop_writer(&state, writer).await?;
    super::anomaly_publish::publish(&state);
    super::audit_layer::stop(&state).await;
    Ok(())
}

/// Starts the analytics thread (when hooks are registered), replays the log in `data_dir`
/// into the state, starts the log writer on `rx` and marks the state ready. Blocking; returns
/// the writer thread (which stops the analytics thread when it stops).
pub fn open_store(
    state: &AppState,
    data_dir: &Path,
    rx: Receiver<Command>,
) -> Result<std::thread::JoinHandle<()>, ServerError> {
    open_store_with(state, data_dir, rx).map(|(writer, _)| writer)
}

/// [`open_store`], also returning what replay found. In clustered mode the state is not
/// marked ready here: readiness waits for the owned partitions to catch up.
pub fn open_store_with(
    state: &AppState,
    data_dir: &Path,
    rx: Receiver<Command>,
) -> Result<(std::thread::JoinHandle<()>, ReplayStats), ServerError> {
    let feed = if state.shared.lock().engine.has_hooks() {
        let lag = state.metrics.analytics_lag_events.clone();
        let capacity = state.config.server.ingest_queue_batches;
        Some(AnalyticsFeed::start(state.shared.clone(), lag, capacity)?)
    } else {
        None
    };
    let (wal, stats) = replay(state, data_dir, feed.as_ref())?;
    tracing::info!(
        events = stats.events,
        segments = stats.segments,
        truncated_bytes = stats.truncated_bytes,
        next_id = stats.next_id,
        partitions_recorded = stats.positions.len(),
        analytics_lag_events = state.metrics.analytics_lag_events.get(),
        "log replayed"
    );
    let writer = start_writer(state, wal, rx, feed)?;
    state
        .metrics
        .events_retained
        .set(state.shared.lock().retained.len() as i64);
    if state.config.cluster.mode == ClusterMode::Standalone {
        tracing::info!("ready");
        state.set_ready();
    }
    Ok((writer, stats))
}

fn start_writer(
    state: &AppState,
    wal: Wal,
    rx: Receiver<Command>,
    feed: Option<AnalyticsFeed>,
) -> Result<std::thread::JoinHandle<()>, ServerError> {
    let writer = Writer {
        wal,
        shared: state.shared.clone(),
        metrics: state.metrics.clone(),
        stream: state.stream.clone(),
        timings: state.timings.clone(),
        checkpoint_every: Duration::from_secs(
            state.config.storage.checkpoint_interval_seconds.max(1),
        ),
        feed,
    };
    Ok(std::thread::Builder::new()
        .name("vexfs-log-writer".into())
        .spawn(move || writer.run(rx))?)
}

/// Asks the log writer to flush, checkpoint and stop, and waits for it.
pub async fn stop_writer(
    state: &AppState,
    writer: std::thread::JoinHandle<()>,
) -> Result<(), ServerError> {
    let (ack, done) = oneshot::channel();
    let queue = state.queue.clone();
    tokio::task::spawn_blocking(move || queue.send(Command::Shutdown(ack)))
        .await
        .map_err(|e| ServerError::Task(e.to_string()))?
        .map_err(|_| ServerError::Task("log writer already stopped".into()))?;
    let _ = done.await;
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .map_err(|e| ServerError::Task(e.to_string()))?
        .map_err(|_| ServerError::Task("log writer panicked".into()))?;
    tracing::info!("log flushed; shut down cleanly");
    Ok(())
}

/// Samples process counters every `profiling_interval_ms` and runs hook ticks.
async fn sample_profile(state: AppState) {
    let period = Duration::from_millis(state.config.profiler.profiling_interval_ms);
    let mut interval = tokio::time::interval(period);
    loop {
        interval.tick().await;
        let counters = if state.config.profiler.enable_real_time_profiling {
            read_counters()
        } else {
            ProcessCounters::default()
        };
        let now = now_ns();
        let (slow, totals): (Vec<Stage>, _) = {
            let mut shared = state.shared.lock();
            let slow = shared
                .engine
                .profiler
                .sample(now, counters)
                .iter()
                .map(|b| b.stage)
                .collect();
            shared.engine.tick(now);
            (slow, shared.engine.profiler.stage_totals())
        };
        super::anomaly_publish::publish(&state);
        super::alerts_api::evaluate(&state, now);
        for stage in &slow {
            tracing::warn!(
                stage = stage.name(),
                "pipeline stage p95 exceeds the bottleneck threshold"
            );
        }
        state.metrics.publish_process(&counters, &slow);
        state.metrics.publish_stage_totals(&totals);
    }
}
