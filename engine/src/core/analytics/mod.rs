//! Streaming analytics: sequential patterns, correlations, anomaly detection, forecasts and next-event prediction.
//!
//! [`Analytics`] is the facade the engine's pipeline calls (`observe` per event, `tick` periodically);
//! every part is bounded in memory and takes time as an argument. The algorithms underneath work on
//! plain item ids and numeric series so the benchmark harnesses drive exactly the same code.

pub mod anomaly;
pub mod config;
pub mod correlation;
pub mod forecast;
pub mod next_event;
pub mod pattern_merge;
pub mod pattern_report;
pub mod prefixspan;
pub mod rates;
pub mod records;
pub mod report;
pub mod sessions;
pub mod verdicts;

mod judge;
mod queries;

use crate::core::EventHook;
use crate::core::partition::Share;
use crate::core::profiler::Stage;
use crate::core::windows::Windows;
use crate::event::{Event, EventType};
use anomaly::detectors::{DetectorSettings, Detectors};
use anomaly::profile::CountProfile;
use anomaly::sequence::SessionModel;
use anomaly::shift::ShiftGuard;
use config::AnalyticsConfig;
use next_event::NextEventModel;
use prefixspan::MineParams;
use rates::RateRing;
use records::Finding;
use records::store::{AnomalyStore, StoreLimits};
use report::{CorrelationView, CorrelationsReport, PatternsReport, SeriesForecast};
use sessions::{SessionLimits, SessionTracker};
use verdicts::SessionLog;

/// Seconds of per-type rates kept (forecast history).
const RATE_SECONDS: usize = 3600;
/// Seconds of rates correlated.
const CORRELATION_SECONDS: usize = 600;
/// Largest lag searched, in seconds.
const MAX_LAG: usize = 10;
/// Smallest |r| reported.
const MIN_CORRELATION: f64 = 0.5;
/// Types correlated at most (the most active ones).
const CORRELATED_TYPES: usize = 12;
/// Patterns mined at most per refresh.
pub const PATTERN_LIMIT: usize = 5000;
/// Items of one session used for mining.
const MINED_ITEMS: usize = 64;
/// Seconds between forecast refits.
const FORECAST_EVERY_SECONDS: i64 = 10;
/// Longest season searched, in seconds.
const MAX_SEASON_SECONDS: usize = 900;
/// Every n-th event's next type is predicted before learning (the live backtest sample).
const BACKTEST_EVERY: u64 = 8;

fn name(item: u32) -> &'static str {
    match item {
        anomaly::sequence::START => "(start)",
        anomaly::sequence::END => "(end)",
        _ => EventType::ALL
            .get(item as usize)
            .map_or("Unknown", |t| t.name()),
    }
}

/// The sessions patterns are mined from, and the settings they are mined with.
#[derive(Debug, Clone)]
pub struct MiningSnapshot {
    /// Completed sessions as item sequences.
    pub db: Vec<Vec<u32>>,
    /// Changes whenever a session completes.
    pub generation: u64,
    /// Sessions still open.
    pub open_sessions: usize,
    /// The analytics settings (support ratio, lengths, confidence).
    pub settings: AnalyticsConfig,
}

/// The analytics facade.
#[derive(Debug, Clone)]
pub struct Analytics {
    cfg: AnalyticsConfig,
    sessions: SessionTracker,
    model: NextEventModel,
    session_model: SessionModel,
    profile: CountProfile,
    shift: ShiftGuard,
    verdicts: SessionLog,
    detectors: Option<Detectors>,
    store: AnomalyStore,
    findings: Vec<Finding>,
    rates: RateRing,
    patterns: PatternsReport,
    mined_generation: u64,
    forecasts: Vec<SeriesForecast>,
    forecast_second: i64,
    recent_history: Vec<u32>,
    observed: u64,
    observed_at_tick: u64,
    last_active_ns: i64,
    idle_flushed: bool,
    clustered: bool,
}

impl Analytics {
    /// Analytics with the given settings.
    pub fn new(cfg: AnalyticsConfig) -> Analytics {
        let limits = SessionLimits {
            window_ns: cfg.temporal_window_ns,
            retained: cfg.session_window,
            max_items: 256,
            max_open: 20_000,
        };
        let detectors = cfg.anomalies.map(|choice| {
            Detectors::new(DetectorSettings {
                forest: choice.forest,
                statistical: choice.statistical,
                window_size: cfg.window_size,
                min_samples: cfg.min_samples,
                contamination: cfg.contamination,
                series_threshold: cfg.series_threshold(),
                report_tail: cfg.report_tail(),
            })
        });
        let store = AnomalyStore::new(StoreLimits {
            max_records: cfg.max_records,
            max_age_ns: cfg.max_record_age_ns,
        });
        Analytics {
            sessions: SessionTracker::new(cfg.session_key, limits),
            model: NextEventModel::new(next_event::MAX_ORDER, 200_000),
            session_model: SessionModel::new(EventType::COUNT),
            profile: CountProfile::default(),
            shift: ShiftGuard::default(),
            verdicts: SessionLog::new(cfg.max_session_verdicts),
            detectors,
            store,
            findings: Vec::new(),
            rates: RateRing::new(RATE_SECONDS),
            patterns: PatternsReport::default(),
            mined_generation: 0,
            forecasts: Vec::new(),
            forecast_second: i64::MIN,
            recent_history: Vec::new(),
            observed: 0,
            observed_at_tick: 0,
            last_active_ns: i64::MIN,
            idle_flushed: true,
            clustered: false,
            cfg,
        }
    }

    /// Clustered mode: sessions come from [`Analytics::observe_session`] (every event of the
    /// stream, in stream order) and only those of `share` are this replica's; [`EventHook`]
    /// events (the owned partitions) feed everything else. Set before any event.
    pub fn set_share(&mut self, share: Share) {
        self.sessions.set_share(share);
        self.clustered = true;
    }

    /// Feeds one accepted event, acknowledged at wall-clock `now_ns` (in clustered mode, one of
    /// the owned partitions: its sessions come through [`Analytics::observe_session`]).
    pub fn observe(&mut self, event: &Event, now_ns: i64) {
        self.observed += 1;
        self.idle_flushed = false;
        let item = event.event_type.index() as u32;
        let closed_seconds = self.rates.add(item as usize, event.timestamp_ns);
        if let Some(d) = &mut self.detectors {
            for (second, counts) in &closed_seconds {
                d.observe_second(*second, counts, &mut self.findings);
            }
            d.observe(event, &mut self.findings);
        }
        if !self.clustered {
            self.track(event, item);
            self.judge_closed(now_ns);
        }
        self.keep_findings(now_ns);
    }

    /// Clustered mode: feeds one event of the whole stream, in stream order, to the sessions.
    /// Every replica judges every session, so its session model is the one a single engine
    /// would have; verdicts and findings are kept only for the sessions this replica owns.
    pub fn observe_session(&mut self, event: &Event, now_ns: i64) {
        self.observed += 1;
        self.idle_flushed = false;
        self.track(event, event.event_type.index() as u32);
        self.judge_closed(now_ns);
    }

    /// Appends the event to its session and, for an owned session, teaches the next-event model.
    fn track(&mut self, event: &Event, item: u32) {
        let sample = self.observed.is_multiple_of(BACKTEST_EVERY);
        if let Some(history) = self.sessions.observe(event, item) {
            let tail = &history[history.len().saturating_sub(next_event::MAX_ORDER)..];
            if sample {
                self.model.observe(tail, item);
            } else {
                self.model.learn(tail, item);
            }
            self.recent_history.clear();
            self.recent_history.extend_from_slice(
                &history[history.len().saturating_sub(next_event::MAX_ORDER - 1)..],
            );
            self.recent_history.push(item);
        }
    }

    /// Periodic work at wall-clock `now_ns`: closes every open session (and the current second)
    /// once no event has arrived between ticks for the idle time, expires old records, refits
    /// the forecasts and refreshes the mined patterns. Activity is judged by what reached the
    /// analytics since the last tick, so a backlog being worked off never counts as quiet.
    pub fn tick(&mut self, now_ns: i64) {
        if self.observed != self.observed_at_tick {
            self.observed_at_tick = self.observed;
            self.last_active_ns = now_ns;
        }
        let quiet = now_ns.saturating_sub(self.last_active_ns) >= self.cfg.session_idle_ns;
        if quiet && !self.idle_flushed {
            self.idle_flushed = true;
            self.sessions.flush();
            self.judge_closed(now_ns);
            if let Some(newest) = self.rates.newest() {
                let closed = self.rates.advance_to(newest + 1);
                if let Some(d) = &mut self.detectors {
                    for (second, counts) in &closed {
                        d.observe_second(*second, counts, &mut self.findings);
                    }
                }
            }
            self.keep_findings(now_ns);
        }
        self.store.expire(now_ns);
        let second = now_ns.div_euclid(1_000_000_000);
        if self.cfg.prediction
            && second >= self.forecast_second.saturating_add(FORECAST_EVERY_SECONDS)
        {
            self.refit_forecasts();
            self.forecast_second = second;
        }
        if self.cfg.patterns && self.sessions.generation() != self.mined_generation {
            self.patterns = self.mine();
            self.mined_generation = self.sessions.generation();
        }
    }

    /// Numbers and keeps the pending findings.
    fn keep_findings(&mut self, now_ns: i64) {
        for f in self.findings.drain(..) {
            self.store.record(f, now_ns);
        }
    }

    fn mine(&self) -> PatternsReport {
        let db = self.mining_db();
        let min_support = pattern_merge::global_min_support(self.cfg.min_support, db.len());
        let params = MineParams {
            min_support,
            min_len: 1,
            max_len: self.cfg.max_pattern_length,
            limit: PATTERN_LIMIT,
        };
        let bounded = prefixspan::mine_complete(&db, params);
        pattern_report::build(
            &bounded,
            db.len(),
            self.sessions.open_count(),
            min_support,
            &self.cfg,
        )
    }

    /// The completed sessions as the miner sees them (each cut to its first items), with the
    /// window's generation and the open session count: what a replica mines and counts
    /// patterns on for a merge across replicas (`pattern_merge`).
    pub fn mining_snapshot(&self) -> MiningSnapshot {
        MiningSnapshot {
            db: self.mining_db(),
            generation: self.sessions.generation(),
            open_sessions: self.sessions.open_count(),
            settings: self.cfg.clone(),
        }
    }

    /// The session window's generation and size: what a [`MiningSnapshot`] would carry, without
    /// copying the sessions.
    pub fn mining_generation(&self) -> (u64, usize) {
        (self.sessions.generation(), self.sessions.completed().len())
    }

    fn mining_db(&self) -> Vec<Vec<u32>> {
        self.sessions
            .completed()
            .iter()
            .map(|s| s[..s.len().min(MINED_ITEMS)].to_vec())
            .collect()
    }

    /// Frequent patterns and rules as of the last tick.
    pub fn patterns(&self) -> PatternsReport {
        PatternsReport {
            open_sessions: self.sessions.open_count(),
            ..self.patterns.clone()
        }
    }

    /// Correlated event-type rates over the recent seconds.
    pub fn correlations(&self) -> CorrelationsReport {
        if !self.cfg.correlations {
            return CorrelationsReport::default();
        }
        let totals = self.rates.type_totals();
        let mut active: Vec<usize> = (0..EventType::COUNT).filter(|&t| totals[t] > 0).collect();
        active.sort_by_key(|&t| std::cmp::Reverse(totals[t]));
        active.truncate(CORRELATED_TYPES);
        let series: Vec<Vec<f64>> = active
            .iter()
            .map(|&t| {
                let s = self.rates.type_series(t);
                s[s.len().saturating_sub(CORRELATION_SECONDS)..].to_vec()
            })
            .collect();
        let mut pairs = Vec::new();
        for i in 0..active.len() {
            for j in i + 1..active.len() {
                if let Some(c) = correlation::best_lag(&series[i], &series[j], MAX_LAG)
                    && c.coefficient.abs() >= MIN_CORRELATION
                {
                    pairs.push(CorrelationView {
                        a: name(active[i] as u32),
                        b: name(active[j] as u32),
                        coefficient: c.coefficient,
                        lag_seconds: c.lag,
                    });
                }
            }
        }
        pairs.sort_by(|a, b| b.coefficient.abs().total_cmp(&a.coefficient.abs()));
        CorrelationsReport {
            seconds: series.first().map_or(0, Vec::len),
            pairs,
        }
    }
}

impl EventHook for Analytics {
    fn stage(&self) -> Stage {
        Stage::Analytics
    }

    fn observe(&mut self, event: &Event, now_ns: i64) {
        Analytics::observe(self, event, now_ns);
    }

    fn tick(&mut self, _windows: &Windows, now_ns: i64) {
        Analytics::tick(self, now_ns);
    }
}

#[cfg(test)]
mod tests;
