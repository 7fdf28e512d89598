//! Sequence harness: mines frequent patterns and backtests next-item prediction on the public
//! sequence databases, writing pattern sets that `bench/run.sh` compares with the PyPI peers.

use anyhow::{Context, Result};
use clap::Parser;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use vexfs_engine::core::analytics::next_event::NextEventModel;
use vexfs_engine::core::analytics::prefixspan::{self, MineParams};

/// Benchmark datasets with the minimum support (percent of sequences) and maximum pattern length used.
const SETS: [(&str, f64, usize); 4] = [
    ("SIGN", 50.0, 4),
    ("MSNBC", 2.0, 6),
    ("BMS1_spmf", 0.1, 5),
    ("FIFA", 25.0, 5),
];

#[derive(Parser)]
#[command(about = "Sequential pattern and next-event benchmarks on ../shared/data/sequences")]
struct Args {
    /// Directory holding SIGN.txt, MSNBC.txt, BMS1_spmf.txt and FIFA.txt.
    #[arg(long, default_value = "../shared/data/sequences")]
    data: PathBuf,
    /// Directory the mined pattern sets are written to (one `<SET>.rust.txt` each).
    #[arg(long, default_value = "target/seqbench")]
    out: PathBuf,
    /// Run only this dataset.
    #[arg(long)]
    set: Option<String>,
}

fn load(path: &Path) -> Result<Vec<Vec<u32>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split_whitespace()
                .map(|t| t.parse::<u32>().with_context(|| format!("item {t:?}")))
                .collect()
        })
        .collect()
}

/// Writes patterns as `support<TAB>item item ...`, sorted, so two miners' files compare with `cmp`.
fn write_patterns(path: &Path, patterns: &[prefixspan::Pattern]) -> Result<()> {
    let mut lines: Vec<String> = patterns
        .iter()
        .map(|p| {
            format!(
                "{}\t{}",
                p.support,
                p.items
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })
        .collect();
    lines.sort();
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for l in lines {
        writeln!(f, "{l}")?;
    }
    Ok(())
}

/// Train on sequences whose index is not a multiple of 5; predict the last item of the others.
fn backtest(db: &[Vec<u32>]) -> (f64, f64, usize) {
    let mut model = NextEventModel::new(4, usize::MAX);
    for (_, seq) in db.iter().enumerate().filter(|(i, _)| i % 5 != 0) {
        model.learn_sequence(seq);
    }
    let tests: Vec<&Vec<u32>> = db
        .iter()
        .enumerate()
        .filter(|(i, s)| i % 5 == 0 && s.len() >= 2)
        .map(|(_, s)| s)
        .collect();
    let start = Instant::now();
    let hits = tests
        .iter()
        .filter(|s| model.predict(&s[..s.len() - 1]).map(|p| p.0) == s.last().copied())
        .count();
    let per_sec = tests.len() as f64 / start.elapsed().as_secs_f64();
    (hits as f64 / tests.len() as f64, per_sec, tests.len())
}

fn main() -> Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out)?;
    for (name, pct, max_len) in SETS {
        if args.set.as_deref().is_some_and(|s| s != name) {
            continue;
        }
        let db = load(&args.data.join(format!("{name}.txt")))?;
        let min_support = ((pct / 100.0) * db.len() as f64).ceil() as usize;
        let start = Instant::now();
        let patterns = prefixspan::mine(
            &db,
            MineParams {
                min_support,
                min_len: 1,
                max_len,
                limit: usize::MAX,
            },
        );
        let mine_s = start.elapsed().as_secs_f64();
        write_patterns(&args.out.join(format!("{name}.rust.txt")), &patterns)?;
        let (accuracy, per_sec, tests) = backtest(&db);
        println!(
            "{{\"set\":\"{name}\",\"sequences\":{},\"minSupport\":{min_support},\"maxLen\":{max_len},\"patterns\":{},\"mineSeconds\":{mine_s:.3},\"testSequences\":{tests},\"top1\":{accuracy:.4},\"predictionsPerSec\":{per_sec:.0}}}",
            db.len(),
            patterns.len()
        );
    }
    Ok(())
}
