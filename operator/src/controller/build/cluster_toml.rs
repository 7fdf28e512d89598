//! The `[cluster]` section of `engine.toml`: clustered mode on the NATS cluster `spec.cluster.nats`
//! names, for the replica count the operator runs, with every replica's URL under the headless
//! Service (https under `spec.tls`, verified with the serving certificates' CA). The ordinal is not rendered: every pod gets the same file, and the engine takes its
//! ordinal from its host name (a StatefulSet pod's host name is its name, `NAME-N`).

use serde::Serialize;

use super::engine_toml::TLS_CA_FILE;
use super::{ENGINE_PORT, headless_service_name};
use crate::spec::ValidatedSpec;
use crate::spec::cluster::{
    NATS_CA_FILE, NATS_CERT_FILE, NATS_CREDENTIALS_FILE, NATS_KEY_FILE, peer_urls,
};

/// `[cluster]` in clustered mode (the key names are the engine's).
#[derive(Debug, Serialize)]
pub struct ClusterToml {
    mode: &'static str,
    nats_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials_file: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_file: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cert_file: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_file: Option<&'static str>,
    stream: String,
    subject_prefix: String,
    partitions: i32,
    stream_replicas: i32,
    replicas: i32,
    peers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    peer_ca_file: Option<&'static str>,
}

/// `[cluster]` for `replicas` engine replicas; `None` (standalone, the engine's default) without
/// `spec.cluster.nats`.
pub fn cluster_toml(spec: &ValidatedSpec, replicas: i32) -> Option<ClusterToml> {
    let nats = spec.cluster.as_ref()?;
    let tls = nats.tls.as_ref();
    let client = tls.and_then(|t| t.client_secret_ref.as_ref());
    let scheme = if spec.tls.is_some() { "https" } else { "http" };
    Some(ClusterToml {
        mode: "nats",
        nats_url: nats.url.clone(),
        credentials_file: nats
            .credentials_secret_ref
            .as_ref()
            .map(|_| NATS_CREDENTIALS_FILE),
        ca_file: tls.map(|_| NATS_CA_FILE),
        cert_file: client.map(|_| NATS_CERT_FILE),
        key_file: client.map(|_| NATS_KEY_FILE),
        stream: nats.stream.clone(),
        subject_prefix: nats.subject_prefix.clone(),
        partitions: nats.partitions,
        stream_replicas: nats.stream_replicas,
        replicas,
        peers: peer_urls(
            &spec.name,
            &headless_service_name(spec),
            &spec.namespace,
            scheme,
            ENGINE_PORT,
            replicas,
        ),
        peer_ca_file: spec.tls.as_ref().map(|_| TLS_CA_FILE),
    })
}
