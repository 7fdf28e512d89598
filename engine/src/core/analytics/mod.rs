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
pub mod prefixspan;
pub mod rates;
pub mod report;
pub mod sessions;

use crate::core::EventHook;
use crate::core::profiler::Stage;
use crate::core::windows::Windows;
use crate::event::{Event, EventType};
use anomaly::detectors::{Anomaly, AnomalyKind, DetectorSettings, Detectors};
use anomaly::sequence::SequenceScorer;
use config::AnalyticsConfig;
use next_event::NextEventModel;
use prefixspan::MineParams;
use rates::RateRing;
use report::*;
use sessions::{OpenSession, SessionLimits, SessionTracker};

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
const PATTERN_LIMIT: usize = 5000;
/// Items of one session used for mining.
const MINED_ITEMS: usize = 64;
/// Seconds between forecast refits.
const FORECAST_EVERY_SECONDS: i64 = 10;
/// Longest season searched, in seconds.
const MAX_SEASON_SECONDS: usize = 900;
/// Every n-th event's next type is predicted before learning (the live backtest sample).
const BACKTEST_EVERY: u64 = 8;

fn name(item: u32) -> &'static str {
    EventType::ALL
        .get(item as usize)
        .map_or("Unknown", |t| t.name())
}

/// The analytics facade.
#[derive(Debug, Clone)]
pub struct Analytics {
    cfg: AnalyticsConfig,
    sessions: SessionTracker,
    model: NextEventModel,
    sequence: SequenceScorer,
    detectors: Option<Detectors>,
    rates: RateRing,
    patterns: PatternsReport,
    mined_generation: u64,
    forecast: Option<forecast::Fit>,
    forecast_second: i64,
    recent_history: Vec<u32>,
    observed: u64,
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
            })
        });
        Analytics {
            sessions: SessionTracker::new(cfg.session_key, limits),
            model: NextEventModel::new(next_event::MAX_ORDER, 200_000),
            sequence: SequenceScorer::new(30),
            detectors,
            rates: RateRing::new(RATE_SECONDS),
            patterns: PatternsReport::default(),
            mined_generation: 0,
            forecast: None,
            forecast_second: i64::MIN,
            recent_history: Vec::new(),
            observed: 0,
            cfg,
        }
    }

    /// Feeds one accepted event.
    pub fn observe(&mut self, event: &Event, _now_ns: i64) {
        self.observed += 1;
        let item = event.event_type.index() as u32;
        let closed_seconds = self.rates.add(item as usize, event.timestamp_ns);
        if let Some(d) = &mut self.detectors {
            for (second, counts) in &closed_seconds {
                d.observe_second(*second, counts);
            }
            d.observe(event);
        }
        let sample = self.observed.is_multiple_of(BACKTEST_EVERY);
        let model = &self.model;
        let probability = |h: &[u32]| {
            model.probability(&h[h.len().saturating_sub(next_event::MAX_ORDER)..], item)
        };
        let Some((history, closed)) = self.sessions.observe(event, item, probability) else {
            return;
        };
        let tail = &history[history.len().saturating_sub(next_event::MAX_ORDER)..];
        if sample {
            self.model.observe(tail, item);
        } else {
            self.model.learn(tail, item);
        }
        self.recent_history.clear();
        self.recent_history
            .extend_from_slice(&history[history.len().saturating_sub(next_event::MAX_ORDER - 1)..]);
        self.recent_history.push(item);
        if let Some(session) = closed {
            self.score_session(&session, event.timestamp_ns);
        }
    }

    /// Periodic work: closes expired sessions and seconds, refreshes the mined patterns.
    pub fn tick(&mut self, now_ns: i64) {
        for session in self.sessions.expire(now_ns) {
            self.score_session(&session, now_ns);
        }
        let closed = self.rates.advance_to(now_ns.div_euclid(1_000_000_000));
        if let Some(d) = &mut self.detectors {
            for (second, counts) in &closed {
                d.observe_second(*second, counts);
            }
        }
        let second = now_ns.div_euclid(1_000_000_000);
        if self.cfg.prediction
            && second >= self.forecast_second.saturating_add(FORECAST_EVERY_SECONDS)
        {
            let horizon = self.cfg.horizon_seconds as usize;
            self.forecast =
                forecast::forecast(&self.rates.total_series(), MAX_SEASON_SECONDS, horizon);
            self.forecast_second = second;
        }
        if self.cfg.patterns && self.sessions.generation() != self.mined_generation {
            self.patterns = self.mine();
            self.mined_generation = self.sessions.generation();
        }
    }

    fn score_session(&mut self, session: &OpenSession, ts: i64) {
        let Some(d) = &mut self.detectors else { return };
        let Some(s) = self.sequence.score(&session.probabilities) else {
            return;
        };
        let session = &session.items;
        let threshold = self.cfg.sequence_z();
        if s.z >= threshold {
            let from = name(session[s.worst_index - 1]);
            let to = name(session[s.worst_index]);
            d.record(Anomaly {
                kind: AnomalyKind::Sequence,
                timestamp_ns: ts,
                event_id: None,
                subject: Some(format!("session of {} events", session.len())),
                score: s.z,
                threshold,
                explanation: format!(
                    "mean surprisal {:.2} nats/event is {:.1} sd above past sessions; least likely step {from} -> {to} (p={:.4})",
                    s.mean_surprisal, s.z, s.worst_probability
                ),
            });
        }
    }

    fn mine(&self) -> PatternsReport {
        let db: Vec<Vec<u32>> = self
            .sessions
            .completed()
            .iter()
            .map(|s| s[..s.len().min(MINED_ITEMS)].to_vec())
            .collect();
        let min_support = ((self.cfg.min_support * db.len() as f64).ceil() as usize).max(2);
        let params = MineParams {
            min_support,
            min_len: 1,
            max_len: self.cfg.max_pattern_length,
            limit: PATTERN_LIMIT,
        };
        let bounded = prefixspan::mine_complete(&db, params);
        let mined = bounded.patterns;
        let rules = prefixspan::rules(&mined, self.cfg.confidence);
        let mut patterns: Vec<PatternView> = mined
            .iter()
            .filter(|p| p.items.len() >= self.cfg.min_pattern_length)
            .map(|p| PatternView {
                types: p.items.iter().map(|&i| name(i)).collect(),
                support: p.support,
                support_ratio: p.support as f64 / db.len().max(1) as f64,
            })
            .collect();
        patterns.sort_by(|a, b| {
            b.support
                .cmp(&a.support)
                .then(b.types.len().cmp(&a.types.len()))
        });
        PatternsReport {
            sessions: db.len(),
            open_sessions: self.sessions.open_count(),
            min_support,
            truncated: bounded.truncated,
            complete_up_to_length: bounded.complete_len,
            patterns,
            rules: rules
                .iter()
                .map(|r| RuleView {
                    antecedent: r.antecedent.iter().map(|&i| name(i)).collect(),
                    consequent: name(r.consequent),
                    support: r.support,
                    confidence: r.confidence,
                })
                .collect(),
        }
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

    /// Recent anomalies and detector state.
    pub fn anomalies(&self) -> AnomaliesReport {
        let Some(d) = &self.detectors else {
            return AnomaliesReport::default();
        };
        let f = d.forest();
        AnomaliesReport {
            total: d.detected(),
            recent: d.recent().iter().rev().take(100).cloned().collect(),
            forest: ForestView {
                trained: f.trained(),
                window: f.window_fill(),
                threshold: f.threshold(),
                scored: f.scored(),
                flagged: f.flagged(),
            },
        }
    }

    /// Rate forecast (refitted at most every 10 s by `tick`) and next-event predictions with their backtests.
    pub fn predictions(&self) -> PredictionsReport {
        if !self.cfg.prediction {
            return PredictionsReport::default();
        }
        let backtest = self.model.backtest();
        PredictionsReport {
            horizon_seconds: self.cfg.horizon_seconds,
            rate_forecast: self.forecast.clone(),
            next_events: self
                .model
                .ranked(&self.recent_history)
                .into_iter()
                .take(5)
                .map(|(i, p)| NextEventView {
                    event_type: name(i),
                    probability: p,
                })
                .collect(),
            next_event_backtest: backtest,
            next_event_accuracy: backtest.accuracy(),
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
