//! Clustered `backup` and `restore` (`--from nats://…`, `--to nats://…`).
//!
//! A backup is a consistent cut of the JetStream stream: the stream's last sequence when the
//! backup starts, and every message of every partition up to it, read with an ordered
//! (ephemeral, unacknowledged) consumer while ingest goes on. The events are written in the
//! standalone archive format, grouped by partition, with the stream in the manifest
//! ([`StreamSource`]). A restore creates a stream with the archive's partition count and
//! republishes every event to its partition's subject with the message id
//! `restore-<cut>-<index>`, so a re-run after a crash is de-duplicated by JetStream within the
//! stream's duplicate window. A stream that holds messages is refused, unless this very archive
//! is being restored into it (its metadata says so).

use super::CliError;
use crate::config::{ClusterMode, ClusterSection};
use crate::event::{Event, write_json};
use crate::server::cluster::connect::{self, PARTITIONS_KEY};
use crate::server::cluster::partition::{stream_subjects, subject};
use crate::store::StoreError;
use crate::store::archive_read::{ArchiveSink, open_archive, read_verified};
use crate::store::sealed::SealKey;
use crate::store::snapshot::{Manifest, StreamSource};
use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer, stream};
use clap::Args;
use futures::StreamExt;
use futures::future::join_all;
use std::path::{Path, PathBuf};

/// Messages whose publish acknowledgements a restore awaits together.
const RESTORE_BATCH: usize = 512;
/// Stream metadata key naming the archive a restore is republishing: `<stream>@<cut>`.
pub const RESTORE_KEY: &str = "vexfs.restoredFrom";

/// The NATS side of a clustered backup or restore (the `[cluster]` keys of the same names).
#[derive(Debug, Clone, Args)]
pub struct NatsArgs {
    /// The JetStream stream (`cluster.stream`).
    #[arg(long, default_value = "VEXFS_EVENTS")]
    pub stream: String,
    /// NATS credentials file (`cluster.credentials_file`).
    #[arg(long)]
    pub nats_credentials_file: Option<PathBuf>,
    /// PEM CA certificates of the NATS servers (`cluster.ca_file`; enables TLS).
    #[arg(long)]
    pub nats_ca_file: Option<PathBuf>,
    /// PEM client certificate for NATS servers that verify clients (`cluster.cert_file`).
    #[arg(long, requires = "nats_key_file")]
    pub nats_cert_file: Option<PathBuf>,
    /// Private key of `--nats-cert-file` (`cluster.key_file`).
    #[arg(long, requires = "nats_cert_file")]
    pub nats_key_file: Option<PathBuf>,
}

impl NatsArgs {
    /// The cluster section these options and `servers` describe, checked like the engine's.
    fn section(
        &self,
        servers: &str,
        subject_prefix: &str,
        partitions: u32,
        stream_replicas: usize,
    ) -> Result<ClusterSection, CliError> {
        let section = ClusterSection {
            mode: ClusterMode::Nats,
            nats_url: servers.to_string(),
            credentials_file: self.nats_credentials_file.clone(),
            ca_file: self.nats_ca_file.clone(),
            cert_file: self.nats_cert_file.clone(),
            key_file: self.nats_key_file.clone(),
            stream: self.stream.clone(),
            subject_prefix: subject_prefix.to_string(),
            partitions,
            stream_replicas,
            ..ClusterSection::default()
        };
        section.check()?;
        Ok(section)
    }

    fn failed(&self) -> impl Fn(&dyn std::fmt::Display) -> CliError + '_ {
        |e| CliError::Stream {
            stream: self.stream.clone(),
            reason: e.to_string(),
        }
    }
}

/// Whether `location` names NATS servers (`nats://` or `tls://`) rather than an engine's URL.
pub fn is_nats(location: &str) -> bool {
    location.starts_with("nats://") || location.starts_with("tls://")
}

/// The subject prefix and partition count of an engine stream (pure).
pub fn layout(config: &stream::Config) -> Result<(String, u32), String> {
    let partitions = config
        .metadata
        .get(PARTITIONS_KEY)
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n > 0);
    let prefix = match config.subjects.as_slice() {
        [only] => only.strip_suffix(".*"),
        _ => None,
    };
    match (prefix, partitions) {
        (Some(prefix), Some(partitions)) => Ok((prefix.to_string(), partitions)),
        _ => Err(format!(
            "is not an engine stream: it needs one subject `<prefix>.*` and `{PARTITIONS_KEY}` \
             metadata, and has subjects {:?} and metadata {:?}",
            config.subjects, config.metadata
        )),
    }
}

/// The partition of a message on `subject` under `prefix`, if it is one of `0..partitions` (pure).
pub fn partition_of_subject(prefix: &str, subject: &str, partitions: u32) -> Option<usize> {
    let n: u32 = subject
        .strip_prefix(prefix)?
        .strip_prefix('.')?
        .parse()
        .ok()?;
    (n < partitions).then_some(n as usize)
}

/// Reads the cut of the stream `nats.stream` on `servers`: its events grouped by partition, in
/// stream order within each, and where they came from.
pub async fn read_cut(
    servers: &str,
    nats: &NatsArgs,
) -> Result<(Vec<Event>, StreamSource), CliError> {
    let section = nats.section(servers, "vexfs.events", 1, 1)?;
    let client = connect::connect_as(&section, "vexfs-backup").await?;
    let js = connect::context(client, RESTORE_BATCH);
    let failed = nats.failed();
    let mut stream = js.get_stream(&nats.stream).await.map_err(|e| failed(&e))?;
    let info = stream.info().await.map_err(|e| failed(&e))?;
    let (prefix, partitions) = layout(&info.config).map_err(|e| failed(&e))?;
    let cut = info.state.last_sequence;
    let mut by_partition: Vec<Vec<Event>> = vec![Vec::new(); partitions as usize];
    if info.state.messages > 0 {
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: stream_subjects(&prefix),
                deliver_policy: consumer::DeliverPolicy::All,
                ..consumer::pull::OrderedConfig::default()
            })
            .await
            .map_err(|e| failed(&e))?;
        let mut messages = consumer.messages().await.map_err(|e| failed(&e))?;
        while let Some(message) = messages.next().await {
            let message = message.map_err(|e| failed(&e))?;
            let (sequence, pending) = {
                let info = message.info().map_err(|e| failed(&e))?;
                (info.stream_sequence, info.pending)
            };
            if sequence > cut {
                break;
            }
            let partition = partition_of_subject(&prefix, message.subject.as_str(), partitions);
            if let (Some(p), Ok(event)) =
                (partition, serde_json::from_slice::<Event>(&message.payload))
            {
                by_partition[p].push(event);
            } else {
                tracing::warn!(
                    sequence,
                    subject = %message.subject,
                    "skipping a message that is not an event of a partition (replicas skip it too)"
                );
            }
            if sequence == cut || pending == 0 {
                break;
            }
        }
    }
    let source = StreamSource {
        stream: nats.stream.clone(),
        subject_prefix: prefix,
        cut_sequence: cut,
        partition_counts: by_partition.iter().map(|p| p.len() as u64).collect(),
    };
    Ok((by_partition.into_iter().flatten().collect(), source))
}

/// Keeps the events of an archive being verified.
#[derive(Default)]
struct Collect(Vec<Event>);

impl ArchiveSink for Collect {
    fn begin(&mut self, _: &Manifest) -> Result<(), StoreError> {
        Ok(())
    }
    fn event(&mut self, event: Event) -> Result<(), StoreError> {
        self.0.push(event);
        Ok(())
    }
    fn anomalies(&mut self, _: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
    fn audit(&mut self, _: &str, _: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Where a restore republishes to.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// NATS servers, comma-separated.
    pub servers: &'a str,
    /// The stream and connection options.
    pub nats: &'a NatsArgs,
    /// Subject prefix of the new stream.
    pub subject_prefix: &'a str,
    /// Its JetStream replication factor.
    pub stream_replicas: usize,
}

/// Verifies the clustered archive at `path` and republishes its events into `target`'s stream;
/// returns the archive's manifest.
pub async fn restore(
    path: &Path,
    key: Option<SealKey>,
    target: &Target<'_>,
) -> Result<Manifest, CliError> {
    let mut events = Collect::default();
    let manifest = read_verified(open_archive(path, key)?, path, &mut events)?;
    let Some(source) = manifest.source.clone() else {
        return Err(CliError::Stream {
            stream: target.nats.stream.clone(),
            reason: format!(
                "{} is a standalone engine's backup (its manifest names no stream); restore it \
                 into a data directory with --data-dir",
                path.display()
            ),
        });
    };
    let partitions = u32::try_from(source.partition_counts.len()).unwrap_or(u32::MAX);
    let section = target.nats.section(
        target.servers,
        target.subject_prefix,
        partitions,
        target.stream_replicas,
    )?;
    let client = connect::connect_as(&section, "vexfs-restore").await?;
    let js = connect::context(client, RESTORE_BATCH);
    let mark = format!("{}@{}", source.stream, source.cut_sequence);
    open_target(&js, &section, &mark, target.nats).await?;
    let placed = source
        .partition_counts
        .iter()
        .enumerate()
        .flat_map(|(p, n)| std::iter::repeat_n(p as u32, usize::try_from(*n).unwrap_or(0)));
    let numbered: Vec<(usize, (&Event, u32))> = events.0.iter().zip(placed).enumerate().collect();
    let failed = target.nats.failed();
    for batch in numbered.chunks(RESTORE_BATCH) {
        let mut acks = Vec::with_capacity(batch.len());
        for (index, (event, partition)) in batch {
            let mut payload = Vec::with_capacity(384);
            write_json(&mut payload, event);
            let mut headers = HeaderMap::new();
            let id = format!("restore-{}-{index}", source.cut_sequence);
            headers.insert(async_nats::header::NATS_MESSAGE_ID, id.as_str());
            let ack = js
                .publish_with_headers(
                    subject(target.subject_prefix, *partition),
                    headers,
                    payload.into(),
                )
                .await
                .map_err(|e| failed(&e))?;
            acks.push(ack.into_future());
        }
        for ack in join_all(acks).await {
            ack.map_err(|e| failed(&e))?;
        }
    }
    Ok(manifest)
}

/// Creates the target stream, or opens an existing one that is empty or holds a partial
/// restore of this same archive (`mark`), checking its partitions and subjects.
async fn open_target(
    js: &jetstream::Context,
    section: &ClusterSection,
    mark: &str,
    nats: &NatsArgs,
) -> Result<(), CliError> {
    let failed = nats.failed();
    if let Ok(mut existing) = js.get_stream(&section.stream).await {
        let info = existing.info().await.map_err(|e| failed(&e))?;
        let same = info.config.metadata.get(RESTORE_KEY).map(String::as_str) == Some(mark);
        if info.state.messages > 0 && !same {
            return Err(failed(&format!(
                "already holds {} messages; a restore needs a new or empty stream (name another \
                 one with --stream, or delete this one first)",
                info.state.messages
            )));
        }
        connect::check_stream(&info.config, section)?;
        return Ok(());
    }
    let mut config = connect::stream_config(section);
    config
        .metadata
        .insert(RESTORE_KEY.to_string(), mark.to_string());
    js.create_stream(config).await.map_err(|e| failed(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_stream_names_its_prefix_and_partitions() {
        let section = ClusterSection {
            partitions: 8,
            ..ClusterSection::default()
        };
        let config = connect::stream_config(&section);
        assert_eq!(layout(&config).unwrap(), ("vexfs.events".to_string(), 8));
        let foreign = stream::Config {
            subjects: vec!["orders.>".into()],
            ..config.clone()
        };
        let err = layout(&foreign).unwrap_err();
        assert!(err.contains("one subject `<prefix>.*`"), "{err}");
        let unmarked = stream::Config {
            metadata: std::collections::HashMap::default(),
            ..config
        };
        assert!(layout(&unmarked).is_err());
    }

    #[test]
    fn a_subject_names_its_partition_within_the_count() {
        assert_eq!(
            partition_of_subject("vexfs.events", "vexfs.events.7", 8),
            Some(7)
        );
        assert_eq!(
            partition_of_subject("vexfs.events", "vexfs.events.8", 8),
            None
        );
        assert_eq!(
            partition_of_subject("vexfs.events", "vexfs.eventsx.1", 8),
            None
        );
        assert_eq!(partition_of_subject("vexfs.events", "other.1", 8), None);
        assert!(is_nats("nats://a:4222,nats://b:4222") && is_nats("tls://a:4222"));
        assert!(!is_nats("http://engine:8080"));
    }
}
