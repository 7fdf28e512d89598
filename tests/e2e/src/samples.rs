//! The sample resources in `config/samples/`: which exist, and what rejection message each
//! invalid sample expects (a `# expect: <text>` comment at its top).

use std::path::{Path, PathBuf};

/// A sample directory or file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SamplesError {
    /// Reading the directory or a file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A file is not one YAML document.
    #[error("parsing {path}: {source}")]
    Yaml {
        /// The path.
        path: PathBuf,
        /// Underlying error.
        source: serde_yaml::Error,
    },
    /// An invalid sample does not say which message it expects.
    #[error("{path} has no `# expect: <message>` comment at its top")]
    NoExpectation {
        /// The sample.
        path: PathBuf,
    },
}

/// One sample file and its text.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Path of the file.
    pub path: PathBuf,
    /// File contents.
    pub text: String,
}

impl Sample {
    /// The file name, for messages.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// True for `invalid-*.yaml` samples, which the API server must reject.
    pub fn is_invalid(&self) -> bool {
        self.file_name().starts_with("invalid-")
    }

    /// The message this invalid sample expects in the rejection.
    pub fn expected_message(&self) -> Result<String, SamplesError> {
        expected_message(&self.text).ok_or_else(|| SamplesError::NoExpectation {
            path: self.path.clone(),
        })
    }
}

/// Every `*.yaml` sample in `dir`, sorted by file name.
pub fn load_all(dir: &Path) -> Result<Vec<Sample>, SamplesError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io_error(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
            Ok(Sample { path, text })
        })
        .collect()
}

/// Reads one YAML document from `path` as JSON.
pub fn read_yaml(path: &Path) -> Result<serde_json::Value, SamplesError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    serde_yaml::from_str(&text).map_err(|source| SamplesError::Yaml {
        path: path.to_path_buf(),
        source,
    })
}

fn io_error(path: &Path, source: std::io::Error) -> SamplesError {
    SamplesError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The text after `# expect:` in the leading comment block, joined when it spans several lines.
pub fn expected_message(text: &str) -> Option<String> {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|line| line.starts_with('#') || line.is_empty())
        .filter_map(|line| line.trim_start_matches('#').trim().strip_prefix("expect:"))
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_expectation_from_the_leading_comment() {
        let text = "# A sample with a bad window.\n# expect: slidingWindowSize must be at least 100\napiVersion: v1\n";
        assert_eq!(
            expected_message(text).as_deref(),
            Some("slidingWindowSize must be at least 100")
        );
    }

    #[test]
    fn joins_several_expectations() {
        let text = "#expect: first part\n# expect: second part\nkind: X\n# expect: ignored after the header\n";
        assert_eq!(
            expected_message(text).as_deref(),
            Some("first part second part")
        );
    }

    #[test]
    fn no_expectation_without_the_comment() {
        assert_eq!(expected_message("# just a comment\nkind: X\n"), None);
        assert_eq!(expected_message("kind: X\n# expect: too late\n"), None);
    }

    #[test]
    fn classifies_invalid_samples_by_name() {
        let sample = |name: &str| Sample {
            path: PathBuf::from(format!("config/samples/{name}")),
            text: String::new(),
        };
        assert!(sample("invalid-window.yaml").is_invalid());
        assert!(!sample("minimal.yaml").is_invalid());
        assert!(sample("minimal.yaml").expected_message().is_err());
    }
}
