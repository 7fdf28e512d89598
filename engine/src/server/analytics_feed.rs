//! The analytics feed: acknowledged events reach the analytics hooks on their own thread.
//!
//! Consistency model. The log writer appends and commits a batch, then inserts it into the
//! retained events and the windows, and only then acknowledges it: an acknowledged event is at
//! once visible in `GET /api/v1/events` and counted in `GET /api/v1/stats`. The hooks (analytics)
//! see it later, in id order and exactly once, through a bounded queue of batches; they lag by at
//! most the queue's capacity plus the batch being applied. The lag is the gauge
//! `vexfs_analytics_lag_events` and `analyticsLagEvents` in `GET /api/v1/profile`; it rises under
//! the core lock with the windows and falls under the hooks' lock with the hooks, so a reader
//! holding both (core first, as [`crate::core::Engine::hook`] does) sees windows = hooks + lag.
//! A full queue blocks the writer, which lets the ingest queue fill so ingest answers 429:
//! nothing is dropped.
//!
//! The thread holds only the hooks' lock (inside the engine, see [`crate::core::HookHandle`])
//! while it applies events, never the core lock: the log writer admits, stores and acknowledges
//! the next batches meanwhile instead of waiting for the analytics. The core lock is taken
//! afterwards, briefly, to record the stage time in the profiler.

use super::shared::Shared;
use crate::core::HookHandle;
use crate::store::SharedBatch;
use parking_lot::Mutex;
use prometheus::IntGauge;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use thiserror::Error;

/// Events applied per hold of the hooks' lock (about 1 ms of analytics), so queries and ticks
/// wait at most this long; the lock is then handed fairly to whoever waits for it.
const CHUNK: usize = 256;

/// Why a batch could not be queued.
#[derive(Debug, Error)]
pub enum FeedError {
    /// The analytics thread is gone (it panicked); the batch is stored but not analysed.
    #[error("the analytics thread has stopped")]
    Stopped,
    /// The thread could not be started.
    #[error("cannot start the analytics thread: {0}")]
    Spawn(#[from] std::io::Error),
}

/// One queued batch and the time it was acknowledged at.
struct FeedBatch {
    events: SharedBatch,
    now_ns: i64,
}

/// The analytics thread and the sending side of its queue.
pub struct AnalyticsFeed {
    tx: SyncSender<FeedBatch>,
    lag: IntGauge,
    thread: JoinHandle<()>,
}

impl AnalyticsFeed {
    /// Starts the thread that applies queued batches to `shared`'s hooks; the queue holds at
    /// most `capacity` batches and `lag` counts the events queued or being applied.
    pub fn start(
        shared: Arc<Mutex<Shared>>,
        lag: IntGauge,
        capacity: usize,
    ) -> Result<AnalyticsFeed, FeedError> {
        let (tx, rx) = sync_channel(capacity.max(1));
        let gauge = lag.clone();
        let hooks = shared.lock().engine.hook_handle();
        let thread = std::thread::Builder::new()
            .name("vexfs-analytics".into())
            .spawn(move || drain(&rx, &hooks, &shared, &gauge))?;
        Ok(AnalyticsFeed { tx, lag, thread })
    }

    /// Counts `n` acknowledged events as lagging. Call it under the core lock, in the same hold
    /// that applies them to the windows, so a reader holding the lock sees windows = hooks + lag.
    pub fn admit(&self, n: usize) {
        self.lag.add(n as i64);
    }

    /// Queues admitted `events` (acknowledged at `now_ns`) for the hooks; blocks while the queue
    /// is full. Never call it under the core lock: the analytics thread needs that lock to drain.
    pub fn push(&self, events: SharedBatch, now_ns: i64) -> Result<(), FeedError> {
        if events.is_empty() {
            return Ok(());
        }
        let n = events.len() as i64;
        let batch = FeedBatch { events, now_ns };
        let sent = match self.tx.try_send(batch) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(batch)) => {
                tracing::debug!(
                    lag_events = self.lag.get(),
                    "analytics queue full; the log writer waits"
                );
                self.tx.send(batch).map_err(|_| FeedError::Stopped)
            }
            Err(TrySendError::Disconnected(_)) => Err(FeedError::Stopped),
        };
        if sent.is_err() {
            self.lag.sub(n);
        }
        sent
    }

    /// Closes the queue and waits until every queued batch is applied.
    pub fn finish(self) {
        drop(self.tx);
        if self.thread.join().is_err() {
            tracing::error!("the analytics thread panicked");
        }
    }
}

/// The thread body: applies batches in order, a chunk per hold of the hooks' lock, until the
/// queue closes. The lag drops in the same hold that applies the chunk; the stage time is
/// recorded under the core lock after the hooks' lock is released (never both at once here).
fn drain(rx: &Receiver<FeedBatch>, hooks: &HookHandle, shared: &Mutex<Shared>, lag: &IntGauge) {
    for batch in rx {
        for chunk in batch.events.chunks(CHUNK) {
            let n = chunk.len();
            let timings = hooks.apply(chunk, batch.now_ns, || lag.sub(n as i64));
            let mut guard = shared.lock();
            for (stage, ns) in timings {
                guard.engine.profiler.record(stage, ns, n as u64);
            }
        }
    }
    tracing::info!("analytics feed drained and stopped");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::profiler::{ProfilerSettings, Stage};
    use crate::core::{Engine, EngineSettings, EventHook};
    use crate::event::Event;
    use crate::store::{Retained, Retention, test_batch};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Records the ids it sees; each event first counts itself in `entered`, then takes the
    /// gate, so a test can hold it back and know it is waiting.
    struct Recorder {
        seen: Vec<u64>,
        gate: Arc<Mutex<()>>,
        entered: Arc<AtomicUsize>,
    }

    impl EventHook for Recorder {
        fn stage(&self) -> Stage {
            Stage::Analytics
        }
        fn observe(&mut self, event: &Event, _: i64) {
            self.entered.fetch_add(1, Ordering::SeqCst);
            drop(self.gate.lock());
            self.seen.push(event.id);
        }
    }

    fn shared(gate: Arc<Mutex<()>>, entered: Arc<AtomicUsize>) -> Arc<Mutex<Shared>> {
        let settings = EngineSettings {
            sliding_window_size: 10,
            profiler: ProfilerSettings {
                max_history: 10,
                bottleneck_threshold_ms: 100.0,
                detect_bottlenecks: false,
            },
        };
        let mut engine = Engine::new(&settings);
        engine.add_hook(Box::new(Recorder {
            seen: Vec::new(),
            gate,
            entered,
        }));
        let retention = Retention {
            max_events: 10,
            max_age_ns: i64::MAX,
            max_bytes: 0,
        };
        let retained = Retained::new(retention, 1);
        Arc::new(Mutex::new(Shared { retained, engine }))
    }

    #[test]
    fn lag_counts_queued_events_until_the_hooks_have_seen_them_in_order() {
        let gate = Arc::new(Mutex::new(()));
        let entered = Arc::new(AtomicUsize::new(0));
        let shared = shared(gate.clone(), entered.clone());
        let lag = IntGauge::new("lag", "lag").unwrap();
        let feed = AnalyticsFeed::start(shared.clone(), lag.clone(), 4).unwrap();
        let held = gate.lock();
        for events in [
            test_batch(1..1_001),
            test_batch(1_001..1_004),
            test_batch(0..0),
        ] {
            feed.admit(events.len());
            feed.push(events, 5).unwrap();
        }
        assert_eq!(lag.get(), 1_003, "nothing applied while the gate is held");
        while entered.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        let core = shared.try_lock_for(Duration::from_secs(5));
        assert!(
            core.is_some(),
            "the core lock is free while the hooks are being applied"
        );
        drop(core);
        drop(held);
        feed.finish();
        assert_eq!(lag.get(), 0);
        let guard = shared.lock();
        let recorder = guard.engine.hook::<Recorder>().unwrap();
        assert_eq!(recorder.seen, (1..1_004).collect::<Vec<_>>());
        assert_eq!(
            guard.engine.windows.total(),
            0,
            "windows are the writer's job"
        );
    }

    #[test]
    fn a_stopped_feed_refuses_batches_and_keeps_the_lag_honest() {
        let (tx, rx) = sync_channel(1);
        drop(rx);
        let lag = IntGauge::new("lag", "lag").unwrap();
        let feed = AnalyticsFeed {
            tx,
            lag: lag.clone(),
            thread: std::thread::spawn(|| {}),
        };
        feed.admit(2);
        assert!(matches!(
            feed.push(test_batch(1..3), 0),
            Err(FeedError::Stopped)
        ));
        assert_eq!(lag.get(), 0);
        feed.finish();
    }
}
