//! Numenta Anomaly Benchmark (NAB v1.1): a scorer that reproduces the published results, corpus
//! helpers, and leave-one-category-out scoring over a named grid of detector settings.

pub mod corpus;
pub mod grid;
pub mod loco;
pub mod scorer;

pub use corpus::{Corpus, CorpusError, NabFile, external_scores};
pub use grid::{Setting, grid, series_scores};
pub use loco::{HeldOut, Loco, leave_one_category_out};
pub use scorer::{Optimum, Point, Profile};

use serde::Serialize;

/// A detector's scored points over the whole corpus.
#[derive(Debug, Clone)]
pub struct ScoredCorpus {
    points: Vec<Point>,
    windows: usize,
}

/// Normalised result of one profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProfileResult {
    /// Profile name.
    pub profile: &'static str,
    /// Threshold used.
    pub threshold: f64,
    /// Raw corpus score.
    pub raw: f64,
    /// Normalised score (0 = null detector, 100 = perfect).
    pub normalised: f64,
}

impl ScoredCorpus {
    /// Combines per-file detector scores (same order as `corpus.files`) into scorable points.
    pub fn new(corpus: &Corpus, scores: &[Vec<f64>]) -> ScoredCorpus {
        let mut points = Vec::with_capacity(corpus.row_count());
        let mut windows = 0;
        for (file, file_scores) in corpus.files.iter().zip(scores) {
            points.extend(scorer::sweep_points(file_scores, &file.windows, windows));
            windows += file.windows.len();
        }
        ScoredCorpus { points, windows }
    }

    /// Scores at a fixed threshold.
    pub fn at_threshold(&self, profile: &Profile, threshold: f64) -> ProfileResult {
        let raw = scorer::raw_score(&self.points, self.windows, threshold, profile);
        ProfileResult {
            profile: profile.name,
            threshold,
            raw,
            normalised: profile.normalise(raw, self.windows),
        }
    }

    /// Scores at the corpus-wide optimal threshold for `profile`.
    pub fn optimised(&self, profile: &Profile) -> ProfileResult {
        let Optimum { threshold, raw } = scorer::optimise(&self.points, self.windows, profile);
        ProfileResult {
            profile: profile.name,
            threshold,
            raw,
            normalised: profile.normalise(raw, self.windows),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn corpus() -> Corpus {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/nab");
        assert!(
            root.join("labels/combined_windows.json").exists(),
            "NAB data missing at {}: check out the public data next to the repository (../shared/data)",
            root.display()
        );
        Corpus::load(&root).expect("NAB corpus loads")
    }

    fn published(corpus: &Corpus, detector: &str) -> ScoredCorpus {
        let scores: Vec<Vec<f64>> = corpus
            .files
            .iter()
            .map(|f| corpus.published_scores(detector, f).expect("result file"))
            .collect();
        ScoredCorpus::new(corpus, &scores)
    }

    fn assert_two_decimals(got: f64, want: f64, what: &str) {
        assert!(
            (got - want).abs() < 0.005,
            "{what}: got {got:.4}, published {want}"
        );
    }

    #[test]
    fn corpus_shape_matches_readme() {
        let c = corpus();
        assert_eq!(c.files.len(), 58);
        assert_eq!(c.row_count(), 365_558);
        assert_eq!(c.window_count(), 116);
    }

    #[test]
    fn reproduces_random_cut_forest() {
        let c = corpus();
        let scored = published(&c, "randomCutForest");
        let thresholds = [0.4539184570312501, 0.5751955032348636, 0.44804840087890635];
        let want = [51.72, 38.36, 59.75];
        for ((profile, t), w) in Profile::ALL.iter().zip(thresholds).zip(want) {
            assert_two_decimals(scored.at_threshold(profile, t).normalised, w, profile.name);
        }
    }

    #[test]
    fn reproduces_windowed_gaussian() {
        let c = corpus();
        let scored = published(&c, "windowedGaussian");
        let want = [39.65, 20.87, 47.41];
        for (profile, w) in Profile::ALL.iter().zip(want) {
            assert_two_decimals(scored.optimised(profile).normalised, w, profile.name);
        }
    }

    #[test]
    fn engine_series_detector_beats_random_cut_forest() {
        use crate::core::analytics::anomaly::series::{SeriesConfig, SeriesDetector};
        let c = corpus();
        let scores: Vec<Vec<f64>> = c
            .files
            .iter()
            .map(|f| {
                let mut d = SeriesDetector::new(SeriesConfig::default());
                f.values.iter().map(|&v| d.update(v).score).collect()
            })
            .collect();
        let scored = ScoredCorpus::new(&c, &scores);
        let standard = scored.optimised(&Profile::ALL[0]).normalised;
        assert!(
            standard >= 52.0,
            "standard profile {standard:.2} is below the 52 bar (AWS RCF 51.72)"
        );
    }
}
