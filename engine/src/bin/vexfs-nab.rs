//! NAB harness: checks the scorer against the published detectors, then scores the engine's live
//! series detector (and optionally an external detector's per-row scores) over all 58 files.
//! With `--loco`, also scores it leave-one-category-out over a named grid of settings.

use anyhow::{Context, Result, ensure};
use clap::Parser;
use std::path::PathBuf;
use std::time::Instant;
use vexfs_engine::core::analytics::anomaly::series::{SeriesConfig, SeriesDetector};
use vexfs_engine::quality::nab::{
    Corpus, Profile, ScoredCorpus, external_scores, grid, leave_one_category_out, series_scores,
};

#[derive(Parser)]
#[command(about = "Numenta Anomaly Benchmark scorer and engine detector run")]
struct Args {
    /// The NAB directory (data/, labels/, config/, results/).
    #[arg(long, default_value = "../shared/data/nab")]
    nab: PathBuf,
    /// Score an external detector too: `<dir>/<category>/<name>.scores`, one score per row.
    #[arg(long)]
    external: Option<PathBuf>,
    /// Name printed for the external detector.
    #[arg(long, default_value = "external")]
    external_name: String,
    /// Points per second of the external detector, printed next to its score.
    #[arg(long)]
    external_rate: Option<f64>,
    /// Also choose the series detector's settings and threshold on six categories and score the
    /// seventh, for each category in turn (leave-one-category-out).
    #[arg(long)]
    loco: bool,
}

fn report(name: &str, scored: &ScoredCorpus, rate: Option<f64>) {
    let results: Vec<String> = Profile::ALL
        .iter()
        .map(|p| {
            let r = scored.optimised(p);
            format!(
                "\"{}\":{{\"score\":{:.2},\"threshold\":{:.6}}}",
                p.name, r.normalised, r.threshold
            )
        })
        .collect();
    let rate = rate
        .map(|r| format!(",\"pointsPerSec\":{r:.0}"))
        .unwrap_or_default();
    println!("{{\"detector\":\"{name}\",{}{rate}}}", results.join(","));
}

/// Prints, per profile, the in-sample scores (defaults, best of the grid) beside the
/// leave-one-category-out score and its per-category parts.
fn report_loco(corpus: &Corpus) {
    let settings = grid();
    let scores: Vec<Vec<Vec<f64>>> = settings
        .iter()
        .map(|s| series_scores(corpus, &s.config))
        .collect();
    for profile in &Profile::ALL {
        let in_sample: Vec<f64> = scores
            .iter()
            .map(|s| ScoredCorpus::new(corpus, s).optimised(profile).normalised)
            .collect();
        let best =
            (0..in_sample.len()).fold(0, |b, i| if in_sample[i] > in_sample[b] { i } else { b });
        let loco = leave_one_category_out(corpus, &scores, profile);
        let held_out: Vec<serde_json::Value> = loco
            .held_out
            .iter()
            .map(|h| {
                serde_json::json!({
                    "category": h.category, "setting": settings[h.setting].name,
                    "threshold": h.threshold, "trainScore": round2(h.train_normalised),
                    "windows": h.windows, "falsePositives": h.false_positives,
                    "raw": round2(h.raw), "score": h.normalised.map(round2),
                })
            })
            .collect();
        let line = serde_json::json!({
            "profile": profile.name, "settings": settings.len(),
            "inSampleDefaults": round2(in_sample[0]),
            "inSampleBestOfGrid": {"score": round2(in_sample[best]), "setting": settings[best].name},
            "loco": round2(loco.normalised), "heldOut": held_out,
        });
        println!("{line}");
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn main() -> Result<()> {
    let args = Args::parse();
    let corpus = Corpus::load(&args.nab).context("loading NAB")?;
    ensure!(
        corpus.files.len() == 58,
        "expected 58 NAB files, found {}",
        corpus.files.len()
    );
    for detector in ["windowedGaussian", "randomCutForest"] {
        let scores = corpus
            .files
            .iter()
            .map(|f| corpus.published_scores(detector, f))
            .collect::<Result<Vec<_>, _>>()?;
        report(
            &format!("published:{detector}"),
            &ScoredCorpus::new(&corpus, &scores),
            None,
        );
    }
    let start = Instant::now();
    let scores: Vec<Vec<f64>> = corpus
        .files
        .iter()
        .map(|f| {
            let mut detector = SeriesDetector::new(SeriesConfig::default());
            f.values.iter().map(|&v| detector.update(v).score).collect()
        })
        .collect();
    let rate = corpus.row_count() as f64 / start.elapsed().as_secs_f64();
    report(
        "vexfs:series",
        &ScoredCorpus::new(&corpus, &scores),
        Some(rate),
    );
    if let Some(dir) = &args.external {
        let scores = corpus
            .files
            .iter()
            .map(|f| external_scores(dir, f))
            .collect::<Result<Vec<_>, _>>()?;
        for (f, s) in corpus.files.iter().zip(&scores) {
            ensure!(
                s.len() == f.values.len(),
                "{}: {} scores for {} rows",
                f.name,
                s.len(),
                f.values.len()
            );
        }
        report(
            &args.external_name,
            &ScoredCorpus::new(&corpus, &scores),
            args.external_rate,
        );
    }
    if args.loco {
        report_loco(&corpus);
    }
    Ok(())
}
