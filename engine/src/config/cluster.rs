//! The `[cluster]` section: standalone (one engine, its own write-ahead log) or clustered on a
//! NATS JetStream stream that every replica publishes to and consumes its partitions from.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How the engine stores what it ingests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterMode {
    /// One engine: batches go to the local write-ahead log (the default).
    #[default]
    Standalone,
    /// Replicas share a JetStream stream partitioned by session key.
    Nats,
}

impl std::str::FromStr for ClusterMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standalone" => Ok(ClusterMode::Standalone),
            "nats" => Ok(ClusterMode::Nats),
            other => Err(format!("`{other}` is not standalone or nats")),
        }
    }
}

/// `[cluster]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSection {
    /// `standalone` or `nats` (`CLUSTER_MODE`).
    pub mode: ClusterMode,
    /// NATS servers, comma-separated (`nats://host:4222,nats://other:4222`; `CLUSTER_NATS_URL`).
    pub nats_url: String,
    /// A NATS credentials file (JWT and NKey seed), when the servers require one.
    pub credentials_file: Option<PathBuf>,
    /// PEM CA certificates the NATS servers' certificates must chain to (enables TLS).
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate for NATS servers that verify clients (with `key_file`).
    pub cert_file: Option<PathBuf>,
    /// PEM private key of `cert_file`.
    pub key_file: Option<PathBuf>,
    /// The JetStream stream holding the events.
    pub stream: String,
    /// Subjects are `<subject_prefix>.<partition>`.
    pub subject_prefix: String,
    /// Partitions of the stream; fixed when the stream is created.
    pub partitions: u32,
    /// JetStream replication factor of the stream (its raft group size).
    pub stream_replicas: usize,
    /// Engine replicas sharing the stream (`CLUSTER_REPLICAS`).
    pub replicas: u32,
    /// This replica's number, `0..replicas` (`CLUSTER_ORDINAL`); when unset, taken from a
    /// host name ending in `-<n>` (a StatefulSet pod's name).
    pub ordinal: Option<u32>,
    /// Base URLs of every replica's API, by ordinal (for queries across replicas).
    pub peers: Vec<String>,
    /// How long a query waits for each peer's answer before answering without it (`partial`).
    pub peer_timeout_ms: u64,
    /// PEM CA certificates to trust for `https://` peers, besides the system's.
    pub peer_ca_file: Option<PathBuf>,
}

impl Default for ClusterSection {
    fn default() -> Self {
        ClusterSection {
            mode: ClusterMode::Standalone,
            nats_url: String::new(),
            credentials_file: None,
            ca_file: None,
            cert_file: None,
            key_file: None,
            stream: "VEXFS_EVENTS".into(),
            subject_prefix: "vexfs.events".into(),
            partitions: 16,
            stream_replicas: 1,
            replicas: 1,
            ordinal: None,
            peers: Vec::new(),
            peer_timeout_ms: 5_000,
            peer_ca_file: None,
        }
    }
}

/// Characters NATS forbids in stream names and subject tokens.
fn bad_name_char(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '*' | '>' | '/' | '\\')
}

impl ClusterSection {
    /// The NATS server URLs, trimmed, empty entries dropped.
    pub fn servers(&self) -> Vec<String> {
        self.nats_url
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    /// This replica's ordinal: `ordinal`, else the number after the last `-` of `hostname`.
    pub fn resolve_ordinal(&self, hostname: &str) -> Result<u32, ConfigError> {
        let ordinal = match self.ordinal {
            Some(n) => n,
            None => ordinal_of_host(hostname).ok_or_else(|| ConfigError::Invalid {
                key: "cluster.ordinal",
                reason: format!(
                    "is not set and the host name `{hostname}` does not end in `-<number>`"
                ),
            })?,
        };
        if ordinal >= self.replicas {
            return Err(ConfigError::Invalid {
                key: "cluster.ordinal",
                reason: format!(
                    "is {ordinal}, but cluster.replicas is {}: ordinals run from 0 to {}",
                    self.replicas,
                    self.replicas - 1
                ),
            });
        }
        Ok(ordinal)
    }

    /// Range and shape checks; nothing is checked in standalone mode.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: String| Err(ConfigError::Invalid { key, reason });
        if self.mode == ClusterMode::Standalone {
            return Ok(());
        }
        let servers = self.servers();
        if servers.is_empty() {
            return invalid(
                "cluster.nats_url",
                "is empty; name at least one NATS server (nats://host:4222)".into(),
            );
        }
        if let Some(bad) = servers.iter().find(|s| !valid_server(s)) {
            return invalid(
                "cluster.nats_url",
                format!("entry `{bad}` is not a nats://, tls:// or host:port address"),
            );
        }
        if self.stream.is_empty() || self.stream.chars().any(bad_name_char) {
            return invalid(
                "cluster.stream",
                format!(
                    "`{}` is not a stream name (non-empty, no spaces, `.`, `*`, `>`, `/`)",
                    self.stream
                ),
            );
        }
        if self.subject_prefix.is_empty()
            || self
                .subject_prefix
                .split('.')
                .any(|t| t.is_empty() || t.chars().any(|c| bad_name_char(c) && c != '.'))
        {
            return invalid(
                "cluster.subject_prefix",
                format!(
                    "`{}` is not a subject prefix (dot-separated tokens without wildcards)",
                    self.subject_prefix
                ),
            );
        }
        if !(1..=1024).contains(&self.partitions) {
            return invalid("cluster.partitions", "must be between 1 and 1024".into());
        }
        if !(1..=5).contains(&self.stream_replicas) {
            return invalid(
                "cluster.stream_replicas",
                "must be between 1 and 5 (JetStream's limit)".into(),
            );
        }
        if !(1..=self.partitions).contains(&self.replicas) {
            return invalid(
                "cluster.replicas",
                format!(
                    "must be between 1 and cluster.partitions ({}); a replica without a \
                     partition would hold nothing",
                    self.partitions
                ),
            );
        }
        if let Some(n) = self.ordinal
            && n >= self.replicas
        {
            return invalid(
                "cluster.ordinal",
                format!("is {n}, but cluster.replicas is {}", self.replicas),
            );
        }
        if self.cert_file.is_some() != self.key_file.is_some() {
            return invalid(
                "cluster.cert_file",
                "and cluster.key_file must be set together".into(),
            );
        }
        if let Some(bad) = self
            .peers
            .iter()
            .find(|p| !(p.starts_with("http://") || p.starts_with("https://")))
        {
            return invalid(
                "cluster.peers",
                format!("entry `{bad}` is not an http:// or https:// base URL"),
            );
        }
        if !self.peers.is_empty() && self.peers.len() != self.replicas as usize {
            return invalid(
                "cluster.peers",
                format!(
                    "lists {} URLs, but cluster.replicas is {}: name every replica, by ordinal",
                    self.peers.len(),
                    self.replicas
                ),
            );
        }
        if !(100..=120_000).contains(&self.peer_timeout_ms) {
            return invalid(
                "cluster.peer_timeout_ms",
                format!(
                    "is {}; it must be between 100 and 120000 (milliseconds)",
                    self.peer_timeout_ms
                ),
            );
        }
        Ok(())
    }
}

/// Whether `s` looks like a NATS server address.
fn valid_server(s: &str) -> bool {
    let rest = ["nats://", "tls://", "ws://", "wss://"]
        .iter()
        .find_map(|scheme| s.strip_prefix(scheme))
        .unwrap_or(s);
    !rest.is_empty() && !rest.contains(char::is_whitespace) && !rest.starts_with(':')
}

/// The number after the last `-` of `hostname` (`vexfs-engine-2` → 2).
pub fn ordinal_of_host(hostname: &str) -> Option<u32> {
    let (_, n) = hostname.rsplit_once('-')?;
    n.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nats() -> ClusterSection {
        ClusterSection {
            mode: ClusterMode::Nats,
            nats_url: "nats://127.0.0.1:4222, nats://127.0.0.1:4223".into(),
            replicas: 3,
            ..ClusterSection::default()
        }
    }

    type Change = Box<dyn Fn(&mut ClusterSection)>;

    fn key_of(result: Result<(), ConfigError>) -> &'static str {
        match result {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => panic!("expected an invalid key, got {other:?}"),
        }
    }

    #[test]
    fn standalone_checks_nothing_and_nats_checks_its_keys() {
        assert!(ClusterSection::default().check().is_ok());
        assert!(nats().check().is_ok());
        assert_eq!(nats().servers().len(), 2);
        let cases: Vec<(&str, Change)> = vec![
            ("cluster.nats_url", Box::new(|c| c.nats_url = " , ".into())),
            (
                "cluster.nats_url",
                Box::new(|c| c.nats_url = "nats://".into()),
            ),
            ("cluster.stream", Box::new(|c| c.stream = "a.b".into())),
            (
                "cluster.subject_prefix",
                Box::new(|c| c.subject_prefix = "a.*".into()),
            ),
            (
                "cluster.subject_prefix",
                Box::new(|c| c.subject_prefix = "a..b".into()),
            ),
            ("cluster.partitions", Box::new(|c| c.partitions = 0)),
            (
                "cluster.stream_replicas",
                Box::new(|c| c.stream_replicas = 7),
            ),
            ("cluster.replicas", Box::new(|c| c.replicas = 17)),
            ("cluster.ordinal", Box::new(|c| c.ordinal = Some(3))),
            (
                "cluster.cert_file",
                Box::new(|c| c.key_file = Some("k".into())),
            ),
            (
                "cluster.peers",
                Box::new(|c| c.peers = vec!["engine-0:8080".into()]),
            ),
            (
                "cluster.peer_timeout_ms",
                Box::new(|c| c.peer_timeout_ms = 5),
            ),
            (
                "cluster.peers",
                Box::new(|c| c.peers = vec!["http://a".into()]),
            ),
        ];
        for (key, change) in cases {
            let mut c = nats();
            change(&mut c);
            assert_eq!(key_of(c.check()), key);
        }
    }

    #[test]
    fn the_ordinal_comes_from_the_key_or_the_host_name() {
        let mut c = nats();
        assert_eq!(c.resolve_ordinal("vexfs-engine-2").unwrap(), 2);
        assert!(c.resolve_ordinal("vexfs-engine-3").is_err());
        assert!(c.resolve_ordinal("laptop").is_err());
        c.ordinal = Some(1);
        assert_eq!(c.resolve_ordinal("laptop").unwrap(), 1);
        assert_eq!(ordinal_of_host("a-b-10"), Some(10));
        assert_eq!(ordinal_of_host("a-b-"), None);
    }
}
