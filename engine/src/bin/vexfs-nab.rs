//! NAB harness: checks the scorer against the published detectors, then scores the engine's live
//! series detector (and optionally an external detector's per-row scores) over all 58 files.

use anyhow::{Context, Result, ensure};
use clap::Parser;
use std::path::PathBuf;
use std::time::Instant;
use vexfs_engine::core::analytics::anomaly::series::{SeriesConfig, SeriesDetector};
use vexfs_engine::quality::nab::{Corpus, Profile, ScoredCorpus, external_scores};

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
    Ok(())
}
