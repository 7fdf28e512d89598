//! Loading the NAB corpus (data files, labelled windows, published result files) from disk.
//!
//! This is the harness edge: the scorer and the detectors stay pure; only this file reads files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors while loading the corpus.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// A file could not be read.
    #[error("cannot read {path}: {source} (is the public data checked out at ../shared/data?)")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The labels file is not the expected JSON.
    #[error("invalid labels file {path}: {source}")]
    Labels {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// A CSV line could not be parsed.
    #[error("{path}:{line}: {reason}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A window boundary names a timestamp absent from the data file.
    #[error("{file}: window boundary {timestamp} is not a row timestamp")]
    Boundary {
        /// The data file (relative name).
        file: String,
        /// The missing timestamp.
        timestamp: String,
    },
}

/// One NAB data file with its windows as inclusive row ranges.
#[derive(Debug, Clone)]
pub struct NabFile {
    /// Relative name, e.g. `realKnownCause/nyc_taxi.csv`.
    pub name: String,
    /// Row timestamps (`YYYY-MM-DD HH:MM:SS`).
    pub timestamps: Vec<String>,
    /// Row values.
    pub values: Vec<f64>,
    /// Labelled windows as inclusive row-index ranges.
    pub windows: Vec<(usize, usize)>,
}

/// The whole corpus, files in label-file order (sorted by name).
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Root directory (`.../nab`).
    pub root: PathBuf,
    /// The files.
    pub files: Vec<NabFile>,
}

impl Corpus {
    /// Loads all data files named in `labels/combined_windows.json` under `root`.
    pub fn load(root: &Path) -> Result<Corpus, CorpusError> {
        let labels_path = root.join("labels/combined_windows.json");
        let text = read(&labels_path)?;
        let labels: BTreeMap<String, Vec<(String, String)>> =
            serde_json::from_str(&text).map_err(|source| CorpusError::Labels {
                path: labels_path.clone(),
                source,
            })?;
        let mut files = Vec::with_capacity(labels.len());
        for (name, windows) in labels {
            let path = root.join("data").join(&name);
            let (timestamps, columns) = read_csv(&path, &[1])?;
            let windows = windows
                .iter()
                .map(|(start, end)| {
                    Ok((
                        index_of(&name, &timestamps, start)?,
                        index_of(&name, &timestamps, end)?,
                    ))
                })
                .collect::<Result<Vec<_>, CorpusError>>()?;
            let values = columns.into_iter().next().unwrap_or_default();
            files.push(NabFile {
                name,
                timestamps,
                values,
                windows,
            });
        }
        Ok(Corpus {
            root: root.to_path_buf(),
            files,
        })
    }

    /// Total number of labelled windows.
    pub fn window_count(&self) -> usize {
        self.files.iter().map(|f| f.windows.len()).sum()
    }

    /// Total number of rows.
    pub fn row_count(&self) -> usize {
        self.files.iter().map(|f| f.values.len()).sum()
    }

    /// Reads a published detector's per-row anomaly scores for `file` from `results/<detector>/`.
    pub fn published_scores(
        &self,
        detector: &str,
        file: &NabFile,
    ) -> Result<Vec<f64>, CorpusError> {
        let (category, base) = file
            .name
            .split_once('/')
            .unwrap_or(("", file.name.as_str()));
        let path = self
            .root
            .join("results")
            .join(detector)
            .join(category)
            .join(format!("{detector}_{base}"));
        let (_, columns) = read_csv(&path, &[2])?;
        Ok(columns.into_iter().next().unwrap_or_default())
    }
}

/// Reads one score per line for `file` from `<dir>/<category>/<name>.scores` (external detectors).
pub fn external_scores(dir: &Path, file: &NabFile) -> Result<Vec<f64>, CorpusError> {
    let path = dir.join(format!("{}.scores", file.name.trim_end_matches(".csv")));
    let text = read(&path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            l.trim().parse::<f64>().map_err(|_| CorpusError::Csv {
                path: path.clone(),
                line: n + 1,
                reason: "not a number".to_string(),
            })
        })
        .collect()
}

fn read(path: &Path) -> Result<String, CorpusError> {
    std::fs::read_to_string(path).map_err(|source| CorpusError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Trims a label timestamp (`2014-04-10 07:15:00.000000`) to the data file format.
fn normalise_timestamp(ts: &str) -> &str {
    ts.split('.').next().unwrap_or(ts)
}

fn index_of(file: &str, timestamps: &[String], wanted: &str) -> Result<usize, CorpusError> {
    let wanted = normalise_timestamp(wanted);
    timestamps
        .iter()
        .position(|t| t == wanted)
        .ok_or_else(|| CorpusError::Boundary {
            file: file.to_string(),
            timestamp: wanted.to_string(),
        })
}

/// Reads a CSV with a header: the first column as text and the requested numeric columns.
fn read_csv(path: &Path, wanted: &[usize]) -> Result<(Vec<String>, Vec<Vec<f64>>), CorpusError> {
    let text = read(path)?;
    let mut timestamps = Vec::new();
    let mut columns = vec![Vec::new(); wanted.len()];
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        timestamps.push(normalise_timestamp(fields[0]).to_string());
        for (column, &index) in columns.iter_mut().zip(wanted) {
            let value = fields
                .get(index)
                .and_then(|f| f.trim().parse::<f64>().ok())
                .ok_or_else(|| CorpusError::Csv {
                    path: path.to_path_buf(),
                    line: n + 1,
                    reason: format!("column {index} is not a number"),
                })?;
            column.push(value);
        }
    }
    Ok((timestamps, columns))
}
