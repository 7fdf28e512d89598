//! Per-event isolation-forest detection over a sliding training window of event features.
//!
//! Features are `ln(1 + latencyNs)`, `ln(1 + sizeBytes)` and the event type's rarity. Rarity comes
//! from a frequency table frozen when the forest is trained and used both for the training rows and
//! for every event scored until the next training, so a stationary stream is scored on exactly the
//! distribution the threshold was placed on and flags at most about the contamination share.

use super::isolation_forest::{ForestParams, IsolationForest};
use crate::event::{Event, EventType};
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

/// An event the forest isolated.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestHit {
    /// Isolation score.
    pub score: f64,
    /// Threshold it exceeded.
    pub threshold: f64,
    /// Which features, with their values.
    pub explanation: String,
}

/// A trained forest with the type-rarity table its training rows were built with.
#[derive(Debug, Clone)]
struct Model {
    forest: IsolationForest,
    rarity: Vec<f64>,
    shares: Vec<f64>,
}

/// The per-event forest detector: training window, type counts and the current model.
#[derive(Debug, Clone)]
pub struct EventForest {
    settings: EventForestSettings,
    samples: VecDeque<(usize, [f64; 2])>,
    type_counts: [u32; EventType::COUNT],
    since_training: usize,
    trained_on: usize,
    model: Option<Model>,
    trainings: u64,
    scored: u64,
    flagged: u64,
}

/// `-ln((count + 1) / (window + 1))` per type: 0 for a type filling the window, largest for an
/// unseen one.
pub fn rarity_table(counts: &[u32], window: usize) -> Vec<f64> {
    let w = window as f64 + 1.0;
    counts
        .iter()
        .map(|&c| -((f64::from(c) + 1.0) / w).ln())
        .collect()
}

fn numeric(event: &Event) -> [f64; 2] {
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
            type_counts: [0; EventType::COUNT],
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
        let t = event.event_type.index();
        let values = numeric(event);
        let hit = self.model.as_ref().and_then(|m| {
            let x = [values[0], values[1], m.rarity[t]];
            let score = m.forest.score(&x);
            let threshold = m.forest.threshold();
            (score > threshold).then(|| ForestHit {
                score,
                threshold,
                explanation: format!(
                    "isolation score {score:.3} > {threshold:.3}: ln(1+latencyNs)={:.2}, ln(1+sizeBytes)={:.2}, type rarity={:.2} ({:.2}% of the training window)",
                    x[0],
                    x[1],
                    x[2],
                    m.shares[t] * 100.0
                ),
            })
        });
        self.scored += u64::from(self.model.is_some());
        self.flagged += u64::from(hit.is_some());
        self.push(t, values);
        hit
    }

    fn push(&mut self, t: usize, values: [f64; 2]) {
        self.samples.push_back((t, values));
        self.type_counts[t] += 1;
        if self.samples.len() > self.settings.window_size
            && let Some((old, _)) = self.samples.pop_front()
        {
            self.type_counts[old] -= 1;
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
        let rarity = rarity_table(&self.type_counts, window);
        let data: Vec<[f64; 3]> = self
            .samples
            .iter()
            .map(|&(t, v)| [v[0], v[1], rarity[t]])
            .collect();
        let params = ForestParams {
            trees: TREES,
            sample_size: SAMPLE_SIZE,
            contamination: self.settings.contamination,
            seed: 7 + self.trainings,
        };
        let shares = self
            .type_counts
            .iter()
            .map(|&c| f64::from(c) / window as f64)
            .collect();
        self.model = IsolationForest::fit(&data, params).map(|forest| Model {
            forest,
            rarity,
            shares,
        });
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

    /// Scored events above the threshold.
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
