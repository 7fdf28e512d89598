//! What the server's threads and tasks share, below every other server module: the retained
//! events and core behind one lock, the stage timings handed from handlers to the writer, the
//! wall clock, and the shutdown signal.

use crate::core::Engine;
use crate::core::profiler::Stage;
use crate::store::Retained;

/// One measured stage call: stage, duration (ns), events.
pub type StageTiming = (Stage, u64, u64);

/// What the writer, the analytics thread and the query handlers share (behind one lock).
pub struct Shared {
    /// Retained events.
    pub retained: Retained,
    /// Windows, profiler and hooks.
    pub engine: Engine,
}

/// Wall-clock time in nanoseconds since the epoch (the server is the clock's edge).
pub fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}

/// Resolves on the first Ctrl-C or SIGTERM: the signal to drain and stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutdown signal received");
}
