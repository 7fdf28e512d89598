//! The named grid of series-detector settings that leave-one-category-out chooses from, and the
//! run of the engine's series detector over the corpus under one setting.
//!
//! The grid spans the ranges the defaults were tuned over (quantisation levels, warm-up, gate,
//! z-score weight) at three, two, three and three values: 54 settings, a few seconds of detector
//! time on the whole corpus. The defaults come first, so they win ties.

use super::corpus::Corpus;
use crate::core::analytics::anomaly::series::{SeriesConfig, SeriesDetector};

/// One setting of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Name, e.g. `bins=7 warmup=150 gate=50 z=0.01`.
    pub name: String,
    /// The detector configuration.
    pub config: SeriesConfig,
}

impl Setting {
    fn new(config: SeriesConfig) -> Setting {
        Setting {
            name: format!(
                "bins={} warmup={} gate={} z={}",
                config.bins, config.warmup, config.gate, config.z_weight
            ),
            config,
        }
    }
}

/// The defaults, then every other combination of bins {5, 7, 10}, warm-up {150, 300},
/// gate {30, 50, 80} and z weight {0.005, 0.01, 0.02}.
pub fn grid() -> Vec<Setting> {
    let defaults = SeriesConfig::default();
    let mut out = vec![Setting::new(defaults)];
    for bins in [5, 7, 10] {
        for warmup in [150, 300] {
            for gate in [30, 50, 80] {
                for z_weight in [0.005, 0.01, 0.02] {
                    let config = SeriesConfig {
                        bins,
                        warmup,
                        gate,
                        z_weight,
                        ..defaults
                    };
                    if config != defaults {
                        out.push(Setting::new(config));
                    }
                }
            }
        }
    }
    out
}

/// The series detector's score for every row of every file, a fresh detector per file.
pub fn series_scores(corpus: &Corpus, config: &SeriesConfig) -> Vec<Vec<f64>> {
    corpus
        .files
        .iter()
        .map(|f| {
            let mut detector = SeriesDetector::new(*config);
            f.values.iter().map(|&v| detector.update(v).score).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_starts_with_the_defaults_and_has_no_duplicates() {
        let g = grid();
        assert_eq!(g.len(), 54);
        assert_eq!(g[0].config, SeriesConfig::default());
        let mut names: Vec<&str> = g.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 54);
    }
}
