//! Startup and shutdown: bind, replay the log (readiness false meanwhile), start the writer and
//! the profiler sampler, serve until the shutdown signal, then flush the log.

use super::metrics::{Metrics, MetricsError};
use super::pipeline::{Command, Writer};
use super::procfs::read_counters;
use super::router;
use super::state::{AppState, Shared, now_ns};
use crate::config::Config;
use crate::core::profiler::Stage;
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

fn replay(state: &AppState, dir: &Path) -> Result<(Wal, ReplayStats), StoreError> {
    let mut guard = state.shared.lock();
    let Shared { retained, engine } = &mut *guard;
    let now = now_ns();
    Wal::open(dir, wal_options(&state.config), &mut |e| {
        engine.replay(&e, now);
        retained.restore(e);
    })
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
    let metrics = Arc::new(Metrics::new()?);
    let (mut state, rx) = AppState::new(config, metrics);
    state.alerts = super::alerts_api::start(&state)?;
    state.auth = super::auth_layer::start(&state.config)?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(
        axum::serve(listener, router(state.clone()))
            .with_graceful_shutdown(shutdown)
            .into_future(),
    );
    tracing::info!(%addr, data_dir = %data_dir.display(), "listening; replaying the log");
    let replay_state = state.clone();
    let writer = tokio::task::spawn_blocking(move || open_store(&replay_state, &data_dir, rx))
        .await
        .map_err(|e| ServerError::Task(e.to_string()))??;
    let sampler = tokio::spawn(sample_profile(state.clone()));
    let served = server.await.map_err(|e| ServerError::Task(e.to_string()))?;
    sampler.abort();
    stop_writer(&state, writer).await?;
    served.map_err(ServerError::from)
}

/// Replays the log in `data_dir` into the state, starts the log writer on `rx` and marks the
/// state ready. Blocking; returns the writer thread.
pub fn open_store(
    state: &AppState,
    data_dir: &Path,
    rx: Receiver<Command>,
) -> Result<std::thread::JoinHandle<()>, ServerError> {
    let (wal, stats) = replay(state, data_dir)?;
    tracing::info!(
        events = stats.events,
        segments = stats.segments,
        truncated_bytes = stats.truncated_bytes,
        next_id = stats.next_id,
        "log replayed; ready"
    );
    let writer = start_writer(state, wal, rx)?;
    state
        .metrics
        .events_retained
        .set(state.shared.lock().retained.len() as i64);
    state.set_ready();
    Ok(writer)
}

fn start_writer(
    state: &AppState,
    wal: Wal,
    rx: Receiver<Command>,
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
            Default::default()
        };
        let now = now_ns();
        let slow: Vec<Stage> = {
            let mut shared = state.shared.lock();
            let slow = shared
                .engine
                .profiler
                .sample(now, counters)
                .iter()
                .map(|b| b.stage)
                .collect();
            shared.engine.tick(now);
            slow
        };
        super::alerts_api::evaluate(&state, now);
        for stage in &slow {
            tracing::warn!(
                stage = stage.name(),
                "pipeline stage p95 exceeds the bottleneck threshold"
            );
        }
        state.metrics.publish_process(&counters, &slow);
    }
}
