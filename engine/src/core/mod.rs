//! The synchronous, clock-free processing core: windows, profiler, and analytics/alert hooks.
//!
//! [`Engine`] applies accepted events in order. Time is passed in (`now_ns`); durations are
//! measured with a monotonic clock only to feed the profiler.

pub mod alerts;
pub mod analytics;
pub mod compose;
pub mod partition;
pub mod profiler;
pub mod stats;
pub mod windows;
pub mod windows_parts;
pub mod windows_report;

use crate::event::Event;
use parking_lot::{MappedMutexGuard, Mutex, MutexGuard};
use profiler::{Profiler, ProfilerSettings, Stage};
use std::any::Any;
use std::sync::Arc;
use std::time::Instant;
use windows::Windows;

/// A processing step after the windows: analytics and alerting plug in here.
///
/// Register one with [`Engine::add_hook`]; find it again (e.g. from an API handler) with
/// [`Engine::hook`] / [`Engine::hook_mut`], which hold the hooks' lock while borrowed.
pub trait EventHook: Any + Send + Sync {
    /// The profiler stage its time is accounted to.
    fn stage(&self) -> Stage;
    /// Sees one accepted event, in id order.
    fn observe(&mut self, event: &Event, now_ns: i64);
    /// Periodic work (once per profiler interval), with read access to the windows.
    fn tick(&mut self, _windows: &Windows, _now_ns: i64) {}
}

/// Core settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSettings {
    /// Count-window size (`sliding_window_size`).
    pub sliding_window_size: usize,
    /// Profiler settings.
    pub profiler: ProfilerSettings,
}

/// The registered hooks, in registration order.
type HookList = Vec<Box<dyn EventHook>>;

/// The processing core.
///
/// The hooks sit behind their own lock inside the engine, so a thread holding a
/// [`HookHandle`] can apply them while another thread holds the engine (windows, profiler)
/// under the server's core lock. Whoever needs both takes the engine first, then the hooks
/// ([`Engine::hook`], [`Engine::tick`]); a [`HookHandle`] user never takes the engine while it
/// holds the hooks.
pub struct Engine {
    /// Sliding windows.
    pub windows: Windows,
    /// Self-profiling state.
    pub profiler: Profiler,
    hooks: Arc<Mutex<HookList>>,
}

impl Engine {
    /// An engine with no hooks.
    pub fn new(settings: &EngineSettings) -> Self {
        Engine {
            windows: Windows::new(settings.sliding_window_size),
            profiler: Profiler::new(settings.profiler.clone()),
            hooks: Arc::default(),
        }
    }

    /// Appends a hook; hooks run in registration order.
    pub fn add_hook(&mut self, hook: Box<dyn EventHook>) {
        self.hooks.lock().push(hook);
    }

    /// The registered hook of type `T`, if any, holding the hooks' lock while borrowed.
    pub fn hook<T: EventHook>(&self) -> Option<MappedMutexGuard<'_, T>> {
        find_hook(&self.hooks)
    }

    /// The registered hook of type `T`, mutably (same as [`Engine::hook`]: the guard is `DerefMut`).
    pub fn hook_mut<T: EventHook>(&mut self) -> Option<MappedMutexGuard<'_, T>> {
        find_hook(&self.hooks)
    }

    /// Whether any hook is registered (when none, there is nothing to feed after the windows).
    pub fn has_hooks(&self) -> bool {
        !self.hooks.lock().is_empty()
    }

    /// A handle that applies the hooks without borrowing the engine (for the analytics thread).
    pub fn hook_handle(&self) -> HookHandle {
        HookHandle(Arc::clone(&self.hooks))
    }

    /// Applies a batch of accepted events through windows and hooks, timing each stage.
    pub fn apply(&mut self, events: &[Event], now_ns: i64) {
        self.apply_windows(events);
        self.apply_hooks(events, now_ns);
    }

    /// The windows part of [`Engine::apply`]: cheap, so the server runs it before acknowledging.
    pub fn apply_windows(&mut self, events: &[Event]) {
        let start = Instant::now();
        for e in events {
            self.windows.observe(e);
        }
        self.profiler.record(
            Stage::Windows,
            start.elapsed().as_nanos() as u64,
            events.len() as u64,
        );
    }

    /// The hooks part of [`Engine::apply`]: events must arrive in id order, each exactly once.
    pub fn apply_hooks(&mut self, events: &[Event], now_ns: i64) {
        let n = events.len() as u64;
        for (stage, ns) in self.hook_handle().apply(events, now_ns, || {}) {
            self.profiler.record(stage, ns, n);
        }
    }

    /// Periodic work for every hook.
    pub fn tick(&mut self, now_ns: i64) {
        for hook in self.hooks.lock().iter_mut() {
            hook.tick(&self.windows, now_ns);
        }
    }
}

/// The hook of type `T` in `hooks`, with their lock held while it is borrowed.
fn find_hook<T: EventHook>(hooks: &Mutex<HookList>) -> Option<MappedMutexGuard<'_, T>> {
    MutexGuard::try_map(hooks.lock(), |list| {
        list.iter_mut().find_map(|h| {
            let any: &mut dyn Any = h.as_mut();
            any.downcast_mut::<T>()
        })
    })
    .ok()
}

/// Shared access to an engine's hooks, independent of the engine's own lock.
#[derive(Clone)]
pub struct HookHandle(Arc<Mutex<HookList>>);

impl HookHandle {
    /// Applies `events` (in id order, each exactly once) to every hook, calls `applied` before
    /// the hooks' lock is released (fairly, so a waiting reader goes next), and returns each
    /// hook's stage and time in nanoseconds for the profiler.
    pub fn apply(
        &self,
        events: &[Event],
        now_ns: i64,
        applied: impl FnOnce(),
    ) -> Vec<(Stage, u64)> {
        let mut hooks = self.0.lock();
        let timings = hooks
            .iter_mut()
            .map(|hook| {
                let start = Instant::now();
                for e in events {
                    hook.observe(e, now_ns);
                }
                (hook.stage(), start.elapsed().as_nanos() as u64)
            })
            .collect();
        applied();
        MutexGuard::unlock_fair(hooks);
        timings
    }

    /// Runs `f` on the registered hook of type `T` under the hooks' lock (released fairly);
    /// `None` when there is no such hook.
    pub fn with<T: EventHook, R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut hook = find_hook::<T>(&self.0)?;
        let answer = f(&mut hook);
        MappedMutexGuard::unlock_fair(hook);
        Some(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventType;

    struct Counter(u64);
    impl EventHook for Counter {
        fn stage(&self) -> Stage {
            Stage::Analytics
        }
        fn observe(&mut self, _: &Event, _: i64) {
            self.0 += 1;
        }
    }

    fn settings() -> EngineSettings {
        EngineSettings {
            sliding_window_size: 10,
            profiler: ProfilerSettings {
                max_history: 10,
                bottleneck_threshold_ms: 100.0,
                detect_bottlenecks: true,
            },
        }
    }

    #[test]
    fn batches_flow_through_windows_hooks_and_profiler() {
        let mut engine = Engine::new(&settings());
        engine.add_hook(Box::new(Counter(0)));
        let batch: Vec<Event> = (0..4)
            .map(|i| Event::new(EventType::AgentQuery, i, "n"))
            .collect();
        engine.apply(&batch, 10);
        engine.apply_windows(&batch[..2]);
        assert_eq!(engine.windows.total(), 6);
        assert_eq!(engine.hook::<Counter>().map(|c| c.0), Some(4));
        engine.apply_hooks(&batch[..2], 10);
        assert_eq!(engine.hook::<Counter>().map(|c| c.0), Some(6));
        assert!(engine.has_hooks());
        let report = engine.profiler.report();
        let analytics = report.stages.iter().find(|s| s.stage == Stage::Analytics);
        assert_eq!(analytics.map(|s| s.events), Some(6));
        engine.hook_mut::<Counter>().unwrap().0 = 0;
        assert_eq!(engine.hook::<Counter>().unwrap().0, 0);
    }
}
