//! Leave-one-category-out (LOCO) scoring: for each NAB category, the detector's settings and
//! threshold are chosen on the other categories and the held-out one is scored with them.
//!
//! The in-sample NAB figure optimises the threshold on the whole corpus, and the detector's
//! defaults were themselves chosen on it. LOCO shows what is left when neither the threshold nor
//! the settings have seen the data being scored. Pure: callers pass the per-setting scores.

use super::ScoredCorpus;
use super::corpus::Corpus;
use super::scorer::{self, Profile, Zone};
use serde::Serialize;

/// A NAB category (the data directory, e.g. `realKnownCause`) and its files' corpus indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Directory name.
    pub name: String,
    /// Indices into `Corpus::files`.
    pub files: Vec<usize>,
}

/// The corpus's categories, in file order.
pub fn categories(corpus: &Corpus) -> Vec<Category> {
    let mut out: Vec<Category> = Vec::new();
    for (i, file) in corpus.files.iter().enumerate() {
        let name = file.name.split_once('/').map_or("", |(c, _)| c);
        match out.iter_mut().find(|c| c.name == name) {
            Some(c) => c.files.push(i),
            None => out.push(Category {
                name: name.to_string(),
                files: vec![i],
            }),
        }
    }
    out
}

/// The scorable points of the files `selected` (corpus indices), windows numbered from 0.
pub fn select(corpus: &Corpus, scores: &[Vec<f64>], selected: &[usize]) -> ScoredCorpus {
    let mut points = Vec::new();
    let mut windows = 0;
    for &i in selected {
        let file = &corpus.files[i];
        points.extend(scorer::sweep_points(&scores[i], &file.windows, windows));
        windows += file.windows.len();
    }
    ScoredCorpus { points, windows }
}

/// One held-out category's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldOut {
    /// The held-out category.
    pub category: String,
    /// Index of the setting chosen on the other categories.
    pub setting: usize,
    /// The threshold chosen with it.
    pub threshold: f64,
    /// Normalised score of the chosen setting on the other categories (what it was chosen by).
    pub train_normalised: f64,
    /// Labelled windows in the held-out category.
    pub windows: usize,
    /// Rows of the held-out category detected outside every window (false positives).
    pub false_positives: usize,
    /// Raw NAB score on the held-out category.
    pub raw: f64,
    /// Normalised score on the held-out category; `None` when it has no windows (then only the
    /// false positives count, and they are in `raw`).
    pub normalised: Option<f64>,
}

/// The LOCO result of one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Loco {
    /// Profile name.
    pub profile: &'static str,
    /// Per held-out category.
    pub held_out: Vec<HeldOut>,
    /// Sum of the held-out raw scores: every row scored by settings that never saw it.
    pub raw: f64,
    /// That sum normalised over all windows, comparable with the in-sample figure.
    pub normalised: f64,
}

/// Runs LOCO for `profile`. `scores[s][f]` are the scores of corpus file `f` under setting `s`.
/// Ties between settings go to the lower index, so list the defaults first.
pub fn leave_one_category_out(
    corpus: &Corpus,
    scores: &[Vec<Vec<f64>>],
    profile: &Profile,
) -> Loco {
    let cats = categories(corpus);
    let mut held_out = Vec::with_capacity(cats.len());
    for cat in &cats {
        let train: Vec<usize> = (0..corpus.files.len())
            .filter(|i| !cat.files.contains(i))
            .collect();
        let mut best: Option<(usize, scorer::Optimum, f64)> = None;
        for (s, setting_scores) in scores.iter().enumerate() {
            let scored = select(corpus, setting_scores, &train);
            let optimum = scorer::optimise(&scored.points, scored.windows, profile);
            let normalised = profile.normalise(optimum.raw, scored.windows);
            if best.as_ref().is_none_or(|(_, _, b)| normalised > *b) {
                best = Some((s, optimum, normalised));
            }
        }
        let Some((setting, optimum, train_normalised)) = best else {
            continue;
        };
        let test = select(corpus, &scores[setting], &cat.files);
        let raw = scorer::raw_score(&test.points, test.windows, optimum.threshold, profile);
        let false_positives = test
            .points
            .iter()
            .filter(|p| p.zone == Zone::Outside && p.score >= optimum.threshold)
            .count();
        held_out.push(HeldOut {
            category: cat.name.clone(),
            setting,
            threshold: optimum.threshold,
            train_normalised,
            windows: test.windows,
            false_positives,
            raw,
            normalised: (test.windows > 0).then(|| profile.normalise(raw, test.windows)),
        });
    }
    let raw = held_out.iter().map(|h| h.raw).sum();
    Loco {
        profile: profile.name,
        normalised: profile.normalise(raw, corpus.window_count()),
        held_out,
        raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::nab::NabFile;
    use std::path::PathBuf;

    fn file(name: &str, rows: usize, window: Option<(usize, usize)>) -> NabFile {
        NabFile {
            name: name.to_string(),
            timestamps: vec![String::new(); rows],
            values: vec![0.0; rows],
            windows: window.into_iter().collect(),
        }
    }

    /// Two categories; setting 0 fires at each window's start, setting 1 fires nowhere.
    fn corpus() -> (Corpus, Vec<Vec<Vec<f64>>>) {
        let corpus = Corpus {
            root: PathBuf::new(),
            files: vec![
                file("a/1.csv", 100, Some((40, 49))),
                file("a/2.csv", 100, Some((60, 69))),
                file("b/1.csv", 100, Some((50, 59))),
            ],
        };
        let hits = |at: usize| {
            let mut s = vec![0.0; 100];
            s[at] = 1.0;
            s
        };
        let good = vec![hits(40), hits(60), hits(50)];
        let silent = vec![vec![0.0; 100]; 3];
        (corpus, vec![silent, good])
    }

    #[test]
    fn categories_group_files_by_directory() {
        let (c, _) = corpus();
        let cats = categories(&c);
        assert_eq!(cats.len(), 2);
        assert_eq!(
            (cats[0].name.as_str(), &cats[0].files[..]),
            ("a", &[0, 1][..])
        );
        assert_eq!((cats[1].name.as_str(), &cats[1].files[..]), ("b", &[2][..]));
    }

    #[test]
    fn settings_chosen_elsewhere_score_the_held_out_category() {
        let (c, scores) = corpus();
        let loco = leave_one_category_out(&c, &scores, &Profile::ALL[0]);
        assert_eq!(loco.held_out.len(), 2);
        for h in &loco.held_out {
            assert_eq!(
                h.setting, 1,
                "{}: the detecting setting wins on the others",
                h.category
            );
            assert_eq!(h.false_positives, 0);
            assert!((h.normalised.unwrap() - 100.0).abs() < 1e-9);
        }
        assert!((loco.normalised - 100.0).abs() < 1e-9);
    }

    #[test]
    fn a_setting_that_only_fits_the_held_out_category_is_not_chosen() {
        let (c, mut scores) = corpus();
        // Setting 1 now detects only in category b; setting 0 detects only in category a.
        scores[1][0] = vec![0.0; 100];
        scores[1][1] = vec![0.0; 100];
        scores[0][0][40] = 1.0;
        scores[0][1][60] = 1.0;
        let loco = leave_one_category_out(&c, &scores, &Profile::ALL[0]);
        let b = loco.held_out.iter().find(|h| h.category == "b").unwrap();
        assert_eq!(b.setting, 0, "chosen on category a");
        assert!(b.normalised.unwrap() < 1.0, "and it misses b's window");
        assert!(loco.normalised < 100.0);
    }
}
