//! Secret values (webhook URLs, SMTP passwords) read from a file or an environment variable.
//!
//! The operator mounts Kubernetes Secrets as files; values are read at delivery time, so a rotated
//! Secret is picked up without a restart. A plain value is allowed for things that are not secret.

use std::path::PathBuf;

/// Errors reading a secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The secret file could not be read.
    #[error("cannot read secret file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The environment variable is unset or not UTF-8.
    #[error("environment variable {0} is not set")]
    Env(String),
    /// The secret is present but empty.
    #[error("secret from {0} is empty")]
    Empty(String),
}

/// Where a secret value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A literal value (for non-secret settings such as a public webhook URL).
    Value(String),
    /// A file whose content (trailing whitespace trimmed) is the value.
    File(PathBuf),
    /// An environment variable.
    Env(String),
}

impl SecretSource {
    /// Reads the current value.
    pub fn resolve(&self) -> Result<String, SecretError> {
        let value = match self {
            Self::Value(v) => v.clone(),
            Self::File(path) => std::fs::read_to_string(path)
                .map_err(|source| SecretError::File {
                    path: path.clone(),
                    source,
                })?
                .trim_end()
                .to_owned(),
            Self::Env(name) => std::env::var(name).map_err(|_| SecretError::Env(name.clone()))?,
        };
        if value.is_empty() {
            return Err(SecretError::Empty(self.describe()));
        }
        Ok(value)
    }

    /// Where the value comes from, without revealing it (for logs and errors).
    pub fn describe(&self) -> String {
        match self {
            Self::Value(_) => "inline value".to_owned(),
            Self::File(p) => format!("file {}", p.display()),
            Self::Env(n) => format!("environment variable {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_secret_is_trimmed_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("url");
        std::fs::write(&path, "https://a.example/1\n").unwrap();
        let source = SecretSource::File(path.clone());
        assert_eq!(source.resolve().unwrap(), "https://a.example/1");
        std::fs::write(&path, "https://a.example/2").unwrap();
        assert_eq!(source.resolve().unwrap(), "https://a.example/2");
    }

    #[test]
    fn missing_sources_are_errors() {
        let missing = SecretSource::File("/nonexistent/vexfs/secret".into());
        assert!(matches!(missing.resolve(), Err(SecretError::File { .. })));
        let unset = SecretSource::Env("VEXFS_TEST_SURELY_UNSET_VARIABLE".into());
        assert!(matches!(unset.resolve(), Err(SecretError::Env(_))));
        let empty = SecretSource::Value(String::new());
        assert!(matches!(empty.resolve(), Err(SecretError::Empty(_))));
    }
}
