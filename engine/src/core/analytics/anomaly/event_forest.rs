//! Per-event isolation-forest detection over a sliding training window of event features.
//!
//! Features are `ln(1 + latencyNs)` and `ln(1 + sizeBytes)`: what an event cost, whatever its
//! type. The event type is deliberately not a feature, so a rare type with ordinary measures is
//! never isolated for its rarity alone. `contamination` keeps its meaning (the share of training
//! events above the forest's threshold); whether a hit is reported is decided by its tail
//! probability, estimated by an exponential model of the training scores above the threshold.
//!
//! While the window fills, the forest is retrained as it doubles. Once it is full, a model is
//! kept for as long as the data still fits it, in the manner of iForestASD (Ding and Fei, 2013):
//! at each turnover of the window the share of its events the model flagged is compared with the
//! share it flagged in its first turnover and with the contamination rate, and the forest is
//! retrained when either differs by more than [`DRIFT_Z`] standard errors, or after
//! [`MAX_TURNOVERS`] turnovers whatever the data. A stable model also flags consistently: a
//! borderline event is not flagged under one random forest and passed under the next.

use super::isolation_forest::{ForestParams, IsolationForest};
use crate::event::Event;
use std::collections::VecDeque;

/// Trees per forest.
const TREES: usize = 32;

/// Rows sampled per tree.
const SAMPLE_SIZE: usize = 256;

/// Window turnovers a model of a full window serves at most; then it is retrained, so slow
/// drift that no single turnover shows is still followed.
pub const MAX_TURNOVERS: u32 = 8;

/// Standard errors by which a turnover's flagged share must differ to count as drift: at 4, a
/// stationary stream retrains on chance about once in 16,000 turnovers.
pub const DRIFT_Z: f64 = 4.0;

/// Training settings of an [`EventForest`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventForestSettings {
    /// Events in the training window; once full, a model is kept while the data fits it (see the
    /// module doc) and retrained at a turnover of the window otherwise.
    pub window_size: usize,
    /// Events needed before the first training.
    pub min_samples: usize,
    /// Expected share of anomalies.
    pub contamination: f64,
}

/// An event scoring above the forest's threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestHit {
    /// Isolation score.
    pub score: f64,
    /// Threshold it exceeded.
    pub threshold: f64,
    /// Estimated share of normal events scoring at least as high.
    pub tail: f64,
    /// The event's latency and size.
    pub values: [f64; 2],
    /// Median latency and size of the training window.
    pub medians: [f64; 2],
}

/// A trained forest with the medians of its training window.
#[derive(Debug, Clone)]
struct Model {
    forest: IsolationForest,
    medians: [f64; 2],
}

/// The per-event forest detector: training window and the current model.
#[derive(Debug, Clone)]
pub struct EventForest {
    settings: EventForestSettings,
    samples: VecDeque<[f64; 2]>,
    /// Events since the model was trained or last kept at a turnover.
    since_training: usize,
    trained_on: usize,
    /// Events the model flagged since it was trained or last kept.
    flagged_since: usize,
    /// What the model flagged in its first turnover, once that has passed.
    reference: Option<usize>,
    /// Turnovers the current model has served.
    turnovers: u32,
    model: Option<Model>,
    trainings: u64,
    scored: u64,
    flagged: u64,
}

fn features(event: &Event) -> [f64; 2] {
    [
        (event.latency_ns as f64).ln_1p(),
        (event.size_bytes as f64).ln_1p(),
    ]
}

impl EventForest {
    /// An untrained detector.
    pub fn new(settings: EventForestSettings) -> EventForest {
        EventForest {
            settings,
            samples: VecDeque::with_capacity(settings.window_size + 1),
            since_training: 0,
            trained_on: 0,
            flagged_since: 0,
            reference: None,
            turnovers: 0,
            model: None,
            trainings: 0,
            scored: 0,
            flagged: 0,
        }
    }

    /// Scores `event` against the current forest (if trained), then adds it to the training window.
    pub fn observe(&mut self, event: &Event) -> Option<ForestHit> {
        let x = features(event);
        let hit = self.model.as_ref().and_then(|m| {
            let score = m.forest.score_above_threshold(&x)?;
            let threshold = m.forest.threshold();
            Some(ForestHit {
                score,
                threshold,
                tail: m
                    .forest
                    .tail_probability(score, self.settings.contamination),
                values: [event.latency_ns as f64, event.size_bytes as f64],
                medians: m.medians,
            })
        });
        self.scored += u64::from(self.model.is_some());
        self.flagged += u64::from(hit.is_some());
        self.flagged_since += usize::from(hit.is_some());
        self.push(x);
        hit
    }

    fn push(&mut self, x: [f64; 2]) {
        self.samples.push_back(x);
        if self.samples.len() > self.settings.window_size {
            self.samples.pop_front();
        }
        self.since_training += 1;
        let enough = self.samples.len() >= self.settings.min_samples;
        // While the window fills, a model trained on n events is replaced after n more (50, 100,
        // 200, ...), so an early model fitted on a few events does not judge a whole window.
        let due = self.model.is_none() || self.since_training >= self.trained_on;
        if enough && due && !self.keep_model() {
            self.train();
        }
    }

    /// At a turnover of a full window: whether the current model still fits the data, in which
    /// case the next turnover starts with it.
    fn keep_model(&mut self) -> bool {
        if self.model.is_none() || self.trained_on < self.settings.window_size {
            return false;
        }
        self.turnovers += 1;
        let (n, flagged) = (self.since_training, self.flagged_since);
        let fits = self.turnovers < MAX_TURNOVERS
            && !above_expected(flagged, n, self.settings.contamination)
            && self.reference.is_none_or(|r| !differs(r, flagged, n));
        if fits {
            self.reference.get_or_insert(flagged);
            self.since_training = 0;
            self.flagged_since = 0;
        }
        fits
    }

    fn train(&mut self) {
        let window = self.samples.len();
        let data: Vec<[f64; 2]> = self.samples.iter().copied().collect();
        let params = ForestParams {
            trees: TREES,
            sample_size: SAMPLE_SIZE,
            contamination: self.settings.contamination,
            seed: 7 + self.trainings,
        };
        let medians = [0, 1].map(|i| {
            let mut column: Vec<f64> = data.iter().map(|r| r[i]).collect();
            let mid = column.len() / 2;
            column.select_nth_unstable_by(mid, f64::total_cmp);
            column[mid].exp_m1()
        });
        self.model = IsolationForest::fit(&data, params).map(|forest| Model { forest, medians });
        self.trainings += 1;
        self.since_training = 0;
        self.flagged_since = 0;
        self.reference = None;
        self.turnovers = 0;
        self.trained_on = window;
        tracing::debug!(
            samples = window,
            trainings = self.trainings,
            threshold = ?self.threshold(),
            "isolation forest retrained"
        );
    }

    /// Whether a forest is trained.
    pub fn trained(&self) -> bool {
        self.model.is_some()
    }

    /// Events in the training window.
    pub fn window_fill(&self) -> usize {
        self.samples.len()
    }

    /// Events scored by a trained forest.
    pub fn scored(&self) -> u64 {
        self.scored
    }

    /// Scored events above the threshold (about the contamination share; most are not reported).
    pub fn flagged(&self) -> u64 {
        self.flagged
    }

    /// The current score threshold, once trained.
    pub fn threshold(&self) -> Option<f64> {
        self.model.as_ref().map(|m| m.forest.threshold())
    }
}

/// Whether `flagged` of `n` events is more than the contamination share would flag by chance.
/// Only an excess counts: tied scores can keep a model's share far below the contamination.
fn above_expected(flagged: usize, n: usize, contamination: f64) -> bool {
    let c = contamination.clamp(1e-6, 0.5);
    let n = n as f64;
    flagged as f64 > n * c + DRIFT_Z * (n * c * (1.0 - c)).sqrt()
}

/// Whether `flagged` of `n` events differs from `reference` of `n` (two-proportion z-test).
fn differs(reference: usize, flagged: usize, n: usize) -> bool {
    let n = n as f64;
    let pooled = (reference + flagged) as f64 / (2.0 * n);
    let standard_error = (pooled * (1.0 - pooled) * 2.0 / n).sqrt();
    let difference = (flagged as f64 - reference as f64).abs() / n;
    standard_error > 0.0 && difference > DRIFT_Z * standard_error
}

#[cfg(test)]
#[path = "event_forest_tests.rs"]
mod tests;
