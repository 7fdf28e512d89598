//! Per-event isolation-forest detection over a sliding training window of event features.
//!
//! Features are `ln(1 + latencyNs)` and `ln(1 + sizeBytes)`: what an event cost, whatever its
//! type. The event type is deliberately not a feature, so a rare type with ordinary measures is
//! never isolated for its rarity alone. `contamination` keeps its meaning (the share of training
//! events above the forest's threshold); whether a hit is reported is decided by its tail
//! probability, estimated by an exponential model of the training scores above the threshold.

use super::isolation_forest::{ForestParams, IsolationForest};
use crate::event::Event;
use std::collections::VecDeque;

/// Trees per forest.
const TREES: usize = 32;

/// Rows sampled per tree.
const SAMPLE_SIZE: usize = 256;

/// Training settings of an [`EventForest`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventForestSettings {
    /// Events in the training window; a full window is retrained every `window_size` events.
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
    since_training: usize,
    trained_on: usize,
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
        if enough && due {
            self.train();
        }
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

#[cfg(test)]
#[path = "event_forest_tests.rs"]
mod tests;
