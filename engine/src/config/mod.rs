//! Engine configuration: one TOML file (sections and keys from the product brief), an embedded
//! default, and environment-variable overrides. Unknown keys and bad values are refused by name.

mod alerts;
mod audit;
mod check;
mod cluster;
mod env;
mod sections;
mod tls;

pub use alerts::{
    AlertsSection, EmailReceiver, ReceiverConfig, RuleConfig, SlackReceiver, WebhookReceiver,
};
pub use audit::AuditSection;
pub use check::log_level as check_log_filter;
pub use cluster::{ClusterMode, ClusterSection, ordinal_of_host};
pub use env::{OVERRIDES, apply_env};
pub use sections::{
    AnalyticsSection, AnomalyDetectionSection, ChartsSection, DashboardSection, FsyncPolicy,
    LogFormat, LoggingSection, PatternDiscoverySection, PredictionSection, ProfilerSection,
    ServerSection, StorageSection,
};
pub use tls::TlsSection;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The embedded default configuration (`engine/config/default.toml`).
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// Why a configuration was refused.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key or a value of the wrong type.
    #[error("invalid config {origin}: {message}")]
    Parse {
        /// File name or `embedded default`.
        origin: String,
        /// Parser message, naming the key and line.
        message: String,
    },
    /// A value is out of range.
    #[error("invalid config: key `{key}` {reason}")]
    Invalid {
        /// Dotted key.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An environment override could not be parsed.
    #[error("invalid value `{value}` in environment variable {var}")]
    Env {
        /// Variable name.
        var: &'static str,
        /// Its value.
        value: String,
    },
}

/// The whole engine configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[analytics]`.
    pub analytics: AnalyticsSection,
    /// `[pattern_discovery]`.
    pub pattern_discovery: PatternDiscoverySection,
    /// `[anomaly_detection]`.
    pub anomaly_detection: AnomalyDetectionSection,
    /// `[prediction]`.
    pub prediction: PredictionSection,
    /// `[profiler]`.
    pub profiler: ProfilerSection,
    /// `[dashboard]`.
    pub dashboard: DashboardSection,
    /// `[charts]`.
    pub charts: ChartsSection,
    /// `[alerts]`.
    pub alerts: AlertsSection,
    /// `[server]`.
    pub server: ServerSection,
    /// `[storage]`.
    pub storage: StorageSection,
    /// `[logging]`.
    pub logging: LoggingSection,
    /// `[audit]`.
    pub audit: AuditSection,
    /// `[auth]`; absent means the API is open.
    pub auth: Option<crate::auth::AuthSection>,
    /// `[cluster]`: standalone (the default) or replicas sharing a NATS JetStream stream.
    pub cluster: ClusterSection,
}

impl Config {
    /// Parses TOML text; `origin` names it in errors. Missing keys take their defaults.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.check()?;
        Ok(config)
    }

    /// The embedded default.
    pub fn embedded() -> Config {
        Config::from_toml(DEFAULT_TOML, "embedded default").unwrap_or_default()
    }

    /// Loads `path` (or the embedded default) and applies environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_path_buf(),
                    source,
                })?;
                Config::from_toml(&text, &p.display().to_string())?
            }
            None => Config::embedded(),
        };
        apply_env(&mut config, std::env::vars())?;
        config.check()?;
        Ok(config)
    }

    /// Range checks that types alone cannot express.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| ConfigError::Invalid {
            key,
            reason: reason.to_string(),
        };
        check::analytics(self)?;
        check::limits(self)?;
        check::log_level("logging.level", &self.logging.level)?;
        if let Some(tls) = &self.server.tls {
            tls.check()?;
        }
        self.cluster.check()?;
        if self.audit.audit_retention_days == 0 {
            return Err(invalid("audit.audit_retention_days", "must be at least 1"));
        }
        if self.audit.queue_records == 0 {
            return Err(invalid("audit.queue_records", "must be at least 1"));
        }
        if let Some(auth) = &self.auth {
            auth.check().map_err(|e| invalid("auth", &e.to_string()))?;
        }
        if let Some(r) = self.alerts.receivers.iter().find(|r| r.kinds() != 1) {
            return Err(ConfigError::Invalid {
                key: "alerts.receivers",
                reason: format!(
                    "receiver `{}` must have exactly one of webhook, slack, email",
                    r.name
                ),
            });
        }
        Ok(())
    }

    /// The data directory: `[storage] data_dir`, else the user's data dir.
    pub fn data_dir(&self) -> PathBuf {
        if self.storage.data_dir.as_os_str().is_empty() {
            dirs::data_dir()
                .unwrap_or_else(std::env::temp_dir)
                .join("vexfs-engine")
        } else {
            self.storage.data_dir.clone()
        }
    }
}

#[cfg(test)]
mod tests;
