//! `vexfs-engine convert`: public log formats to NDJSON semantic events on standard output.

use super::CliError;
use crate::sources::{hdfs, sessions};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of `convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The input format.
    #[command(subcommand)]
    pub format: ConvertFormat,
}

/// Input formats `convert` understands.
#[derive(Debug, Subcommand)]
pub enum ConvertFormat {
    /// loghub's structured HDFS CSV (`HDFS_2k.log_structured.csv`): one event per log line.
    HdfsCsv {
        /// The CSV file.
        file: PathBuf,
    },
    /// DeepLog's HDFS sessions (`normal_sessions.txt`): one transaction per line.
    HdfsSessions {
        /// The sessions file.
        file: PathBuf,
        /// Convert at most this many sessions.
        #[arg(long, default_value_t = usize::MAX)]
        max_sessions: usize,
        /// First event time (RFC 3339); sessions start one second apart.
        #[arg(long, default_value = "2026-01-01T00:00:00Z")]
        start: chrono::DateTime<chrono::Utc>,
    },
}

/// Runs `convert`, writing one JSON event per line to standard output.
pub fn run(args: &ConvertArgs) -> Result<usize, CliError> {
    let (file, events) = match &args.format {
        ConvertFormat::HdfsCsv { file } => {
            let text = read(file)?;
            let events = hdfs::convert_csv(&text).map_err(|e| invalid(file, &e))?;
            (file, events)
        }
        ConvertFormat::HdfsSessions {
            file,
            max_sessions,
            start,
        } => {
            let text = read(file)?;
            let timing = sessions::Timing {
                start_ns: start.timestamp_nanos_opt().unwrap_or_default(),
                session_gap_ns: 1_000_000_000,
                event_gap_ns: 10_000_000,
            };
            let events = sessions::convert_sessions(&text, *max_sessions, timing)
                .map_err(|e| invalid(file, &e))?;
            (file, events)
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for event in &events {
        writeln!(out, "{event}").map_err(|source| CliError::Io {
            context: "writing standard output".into(),
            source,
        })?;
    }
    out.flush().map_err(|source| CliError::Io {
        context: "writing standard output".into(),
        source,
    })?;
    tracing::info!(file = %file.display(), events = events.len(), "converted");
    Ok(events.len())
}

fn read(file: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(file).map_err(|source| CliError::Io {
        context: format!("reading {}", file.display()),
        source,
    })
}

fn invalid(file: &Path, error: &dyn std::fmt::Display) -> CliError {
    CliError::Convert {
        file: file.display().to_string(),
        reason: error.to_string(),
    }
}
