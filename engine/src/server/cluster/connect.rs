//! Connecting to NATS (servers, credentials, TLS) and making sure the stream exists with the
//! configured partitions.
//!
//! The stream holds subjects `<subject_prefix>.*`, file storage, limits retention (nothing is
//! removed on acknowledgement: a replica that takes over a partition rebuilds it from the
//! stream) and `stream_replicas` raft replicas. Its partition count is recorded in the stream's
//! metadata (`vexfs.partitions`) when the stream is created; a stream with another count is
//! refused, since events already in it were placed by the old count.

use crate::config::ClusterSection;
use async_nats::jetstream::{self, stream};
use std::time::Duration;
use thiserror::Error;

/// The stream metadata key holding the partition count.
pub const PARTITIONS_KEY: &str = "vexfs.partitions";

/// How long a JetStream request (and a publish acknowledgement) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors of connecting and stream setup.
#[derive(Debug, Error)]
pub enum ConnectError {
    /// The credentials file could not be read.
    #[error("cannot read NATS credentials file {path}: {source}")]
    Credentials {
        /// The file (`cluster.credentials_file`).
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A server URL did not parse.
    #[error("cluster.nats_url entry `{url}` is invalid: {reason}")]
    Url {
        /// The entry.
        url: String,
        /// Why.
        reason: String,
    },
    /// No server could be reached.
    #[error("cannot connect to NATS at {servers}: {reason}")]
    Connect {
        /// The servers tried.
        servers: String,
        /// Why.
        reason: String,
    },
    /// The stream could not be created or read.
    #[error("JetStream stream `{stream}`: {reason}")]
    Stream {
        /// The stream.
        stream: String,
        /// Why.
        reason: String,
    },
    /// The stream exists with another partition count or subjects.
    #[error(
        "JetStream stream `{stream}` was created with {found}, but the configuration asks for \
         {wanted}; partitions are fixed when the stream is created (use another cluster.stream, \
         or the stream's count)"
    )]
    Mismatch {
        /// The stream.
        stream: String,
        /// What the stream has.
        found: String,
        /// What the configuration says.
        wanted: String,
    },
}

/// Connects to the servers of `section`, named `vexfs-engine-<ordinal>` in server monitoring.
pub async fn connect(
    section: &ClusterSection,
    ordinal: u32,
) -> Result<async_nats::Client, ConnectError> {
    connect_as(section, &format!("vexfs-engine-{ordinal}")).await
}

/// Connects to the servers of `section` (credentials and TLS as it names them) as client `name`.
pub async fn connect_as(
    section: &ClusterSection,
    name: &str,
) -> Result<async_nats::Client, ConnectError> {
    let mut options = async_nats::ConnectOptions::new()
        .name(name)
        .connection_timeout(REQUEST_TIMEOUT)
        .retry_on_initial_connect();
    if let Some(path) = &section.credentials_file {
        options =
            options
                .credentials_file(path)
                .await
                .map_err(|source| ConnectError::Credentials {
                    path: path.display().to_string(),
                    source,
                })?;
    }
    if let Some(ca) = &section.ca_file {
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let (Some(cert), Some(key)) = (&section.cert_file, &section.key_file) {
        options = options
            .add_client_certificate(cert.clone(), key.clone())
            .require_tls(true);
    }
    let servers = section
        .servers()
        .into_iter()
        .map(|url| {
            url.parse::<async_nats::ServerAddr>()
                .map_err(|e| ConnectError::Url {
                    url: url.clone(),
                    reason: e.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    options
        .connect(servers)
        .await
        .map_err(|e| ConnectError::Connect {
            servers: section.nats_url.clone(),
            reason: e.to_string(),
        })
}

/// The JetStream context publishes and consumers use: requests time out after 10 s, and up to
/// `max_in_flight` publishes may await their acknowledgement. Ingest bounds what is in flight
/// itself (batches in flight × events per batch), so this is that product: a smaller client
/// limit could leave two batches each holding part of it and waiting for the rest.
pub fn context(client: async_nats::Client, max_in_flight: usize) -> jetstream::Context {
    jetstream::ContextBuilder::new()
        .timeout(REQUEST_TIMEOUT)
        .max_ack_inflight(max_in_flight.max(1))
        .backpressure_on_inflight(true)
        .build(client)
}

/// The stream configuration `section` asks for.
pub fn stream_config(section: &ClusterSection) -> stream::Config {
    stream::Config {
        name: section.stream.clone(),
        subjects: vec![super::partition::stream_subjects(&section.subject_prefix)],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        num_replicas: section.stream_replicas,
        metadata: [(PARTITIONS_KEY.to_string(), section.partitions.to_string())].into(),
        ..stream::Config::default()
    }
}

/// Checks an existing stream's configuration against `section` (pure).
pub fn check_stream(found: &stream::Config, section: &ClusterSection) -> Result<(), ConnectError> {
    let wanted = stream_config(section);
    let mismatch = |found: String, wanted: String| ConnectError::Mismatch {
        stream: section.stream.clone(),
        found,
        wanted,
    };
    let partitions = found.metadata.get(PARTITIONS_KEY);
    if partitions != Some(&section.partitions.to_string()) {
        return Err(mismatch(
            partitions.map_or_else(
                || format!("no `{PARTITIONS_KEY}` metadata"),
                |n| format!("{n} partitions"),
            ),
            format!("{} partitions (cluster.partitions)", section.partitions),
        ));
    }
    if found.subjects != wanted.subjects {
        return Err(mismatch(
            format!("subjects {:?}", found.subjects),
            format!("subjects {:?} (cluster.subject_prefix)", wanted.subjects),
        ));
    }
    Ok(())
}

/// Creates the stream, or opens it and checks its partitions and subjects.
pub async fn ensure_stream(
    js: &jetstream::Context,
    section: &ClusterSection,
) -> Result<stream::Stream, ConnectError> {
    let failed = |reason: String| ConnectError::Stream {
        stream: section.stream.clone(),
        reason,
    };
    let mut stream = js
        .get_or_create_stream(stream_config(section))
        .await
        .map_err(|e| failed(e.to_string()))?;
    let info = stream.info().await.map_err(|e| failed(e.to_string()))?;
    check_stream(&info.config, section)?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_stream_must_have_the_configured_partitions_and_subjects() {
        let section = ClusterSection {
            partitions: 8,
            ..ClusterSection::default()
        };
        let made = stream_config(&section);
        assert_eq!(made.subjects, vec!["vexfs.events.*".to_string()]);
        assert!(check_stream(&made, &section).is_ok());
        let more = ClusterSection {
            partitions: 16,
            ..section.clone()
        };
        let err = check_stream(&made, &more).unwrap_err().to_string();
        assert!(err.contains("created with 8 partitions"), "{err}");
        assert!(err.contains("16 partitions (cluster.partitions)"), "{err}");
        let moved = ClusterSection {
            subject_prefix: "other".into(),
            ..section.clone()
        };
        assert!(check_stream(&made, &moved).is_err());
        let foreign = stream::Config {
            metadata: std::collections::HashMap::default(),
            ..made
        };
        let err = check_stream(&foreign, &section).unwrap_err().to_string();
        assert!(err.contains("no `vexfs.partitions` metadata"), "{err}");
    }
}
