//! Reads the clustered engine replicas' `/metrics` (see [`super::cluster_view`] for why that
//! endpoint) to report partition ownership and lag in `status.cluster`.
//!
//! These are HTTP requests to the engine pods, not Kubernetes API requests. They are bounded: one
//! request per configured replica, all at once, each with [`REQUEST_TIMEOUT`]; and an answer is
//! reused for [`PROBE_INTERVAL`] unless the configuration or a pod's readiness changed, so the
//! reconcile that the operator's own status write triggers reuses it and writes nothing. While the
//! replicas rebalance, a requeue after [`PROBE_INTERVAL`] schedules the next look. With `spec.tls`
//! the engine's CA (`ca.crt` of its serving Secret) is read from the API server once per version
//! of that Secret (the Secret cache holds no values).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::Api;
use kube::{Client, ResourceExt};
use tokio::time::Instant;

use super::build::{ENGINE_PORT, headless_service_name};
use super::caches::{Caches, cached_secret};
use super::cluster_view::{ReplicaObservation, cluster_status, parse_share, rebalancing};
use crate::crd::ClusterStatus;
use crate::recovery::signals::pod_health;
use crate::spec::ValidatedSpec;
use crate::spec::cluster::{peer_urls, pod_ordinal};
use crate::spec::tls::CA_KEY;

/// How long one round of answers is trusted, and the delay of the re-check while rebalancing.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(30);
/// Deadline of one `/metrics` request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// The engine's CA could not be read, or no HTTP client could be built with it.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Reading the serving Secret failed.
    #[error("reading the engine's CA from Secret {secret}: {source}")]
    Secret {
        /// The serving Secret.
        secret: String,
        /// Underlying error.
        source: Box<kube::Error>,
    },
    /// The serving Secret has no usable `ca.crt`.
    #[error("Secret {0} has no PEM {CA_KEY} to verify the engine with")]
    NoCa(String),
    /// The HTTP client could not be built.
    #[error("building the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Where replica `ordinal` of a resource answers (its base URL, without a trailing slash).
pub type Endpoints = dyn Fn(&ValidatedSpec, i32) -> String + Send + Sync;

/// The answers and CAs kept between reconciles, per resource.
#[derive(Default)]
pub struct ClusterProbes {
    rounds: Mutex<HashMap<String, Round>>,
    cas: Mutex<HashMap<String, (String, Vec<u8>)>>,
    endpoints: Option<Arc<Endpoints>>,
    /// How long a round is reused; [`PROBE_INTERVAL`] unless a test asks for fresh answers.
    reuse: Option<Duration>,
    /// The operator cannot reach the engine pods (`--engine-probes=false`).
    disabled: bool,
}

impl std::fmt::Debug for ClusterProbes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterProbes").finish_non_exhaustive()
    }
}

struct Round {
    at: Instant,
    inputs: String,
    status: ClusterStatus,
}

impl ClusterProbes {
    /// Probes that reach the pods under the headless Service, or none at all (`enabled` false:
    /// the operator runs outside the pod network).
    pub fn enabled(enabled: bool) -> Self {
        Self {
            disabled: !enabled,
            ..Self::default()
        }
    }

    /// Probes reaching the replicas at `endpoints` instead of their names under the headless
    /// Service, reusing a round for `reuse` (tests serve `/metrics` on loopback and ask again
    /// on every pass).
    pub fn with_endpoints(endpoints: Arc<Endpoints>, reuse: Duration) -> Self {
        Self {
            endpoints: Some(endpoints),
            reuse: Some(reuse),
            ..Self::default()
        }
    }
}

/// The clustered engine one reconcile looks at.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The resource.
    pub spec: &'a ValidatedSpec,
    /// Its engine pods.
    pub pods: &'a [Pod],
    /// The replica count its `engine.toml` is rendered for.
    pub replicas: i32,
    /// The hash of that `engine.toml`.
    pub config_hash: &'a str,
}

/// `status.cluster` of a clustered target, and why it is still rebalancing (if it is).
async fn observe(
    client: &Client,
    caches: &Caches,
    probes: &ClusterProbes,
    target: Target<'_>,
) -> Result<(ClusterStatus, Option<String>), ProbeError> {
    let Target {
        spec,
        pods,
        replicas,
        config_hash,
    } = target;
    let nats = spec.cluster.as_ref().map_or(0, |n| n.partitions);
    let ready: HashMap<i32, bool> = pods
        .iter()
        .filter_map(|pod| {
            let ordinal = pod_ordinal(&spec.name, &pod.name_any())?;
            Some((ordinal, pod_health(pod).ready))
        })
        .collect();
    let mut readiness: Vec<_> = ready.iter().collect();
    readiness.sort_unstable();
    let inputs = format!("{config_hash}/{replicas}/{readiness:?}");
    let key = format!("{}/{}", spec.namespace, spec.name);
    let now = Instant::now();
    if let Some(round) = probes.rounds.lock().expect("probe memory").get(&key)
        && round.inputs == inputs
        && now.duration_since(round.at) < probes.reuse.unwrap_or(PROBE_INTERVAL)
    {
        let status = round.status.clone();
        let waiting = rebalancing(&status);
        return Ok((status, waiting));
    }
    let http = http_client(client, caches, probes, spec).await?;
    let bases: Vec<String> = match &probes.endpoints {
        Some(endpoints) => (0..replicas).map(|i| endpoints(spec, i)).collect(),
        None => peer_urls(
            &spec.name,
            &headless_service_name(spec),
            &spec.namespace,
            if spec.tls.is_some() { "https" } else { "http" },
            ENGINE_PORT,
            replicas,
        ),
    };
    let requests = (0..replicas).zip(bases).map(|(ordinal, base)| {
        let url = format!("{base}/metrics");
        let http = http.clone();
        let ready = ready.get(&ordinal).copied();
        async move {
            let share = match ready {
                None => Err("the pod does not exist".to_owned()),
                Some(_) => scrape(&http, &url).await,
            };
            ReplicaObservation {
                ordinal,
                ready: ready.unwrap_or(false),
                share,
            }
        }
    });
    let observations = futures::future::join_all(requests).await;
    let status = cluster_status(nats, replicas, &observations);
    let waiting = rebalancing(&status);
    probes.rounds.lock().expect("probe memory").insert(
        key,
        Round {
            at: now,
            inputs,
            status: status.clone(),
        },
    );
    Ok((status, waiting))
}

/// `status.cluster` and the rebalancing verdict of `target` for the reconcile: nothing when it is
/// standalone or stopped (its old answers are forgotten), and nothing but a warning when the
/// engine's CA cannot be read (the status keeps no stale figures).
pub async fn report(
    client: &Client,
    caches: &Caches,
    probes: &ClusterProbes,
    target: Target<'_>,
) -> (Option<ClusterStatus>, Option<String>) {
    let spec = target.spec;
    if spec.cluster.is_none() || spec.stopped || probes.disabled {
        let key = format!("{}/{}", spec.namespace, spec.name);
        probes.rounds.lock().expect("probe memory").remove(&key);
        return (None, None);
    }
    match observe(client, caches, probes, target).await {
        Ok((status, waiting)) => (Some(status), waiting),
        Err(error) => {
            tracing::warn!(object = %format!("{}/{}", spec.namespace, spec.name), %error, "reading the engine replicas failed");
            (None, None)
        }
    }
}

async fn scrape(http: &reqwest::Client, url: &str) -> Result<super::cluster_view::Share, String> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("GET {url}: {}", response.status()));
    }
    let text = response
        .text()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    parse_share(&text)
}

/// A client with [`REQUEST_TIMEOUT`], trusting the engine's CA under `spec.tls`.
async fn http_client(
    client: &Client,
    caches: &Caches,
    probes: &ClusterProbes,
    spec: &ValidatedSpec,
) -> Result<reqwest::Client, ProbeError> {
    let builder = reqwest::Client::builder().timeout(REQUEST_TIMEOUT);
    let Some(tls) = &spec.tls else {
        return Ok(builder.build()?);
    };
    let key = format!("{}/{}", spec.namespace, tls.secret);
    // The cache keeps the version in the Secret's JSON text; one that does not read (it always
    // does) only means the CA is read from the API server again.
    let version = cached_secret(&caches.secrets, &spec.namespace, &tls.secret)
        .ok()
        .flatten()
        .and_then(|s| s.resource_version())
        .unwrap_or_default();
    let known = probes.cas.lock().expect("probe memory").get(&key).cloned();
    let pem = match known {
        Some((seen, pem)) if seen == version && !version.is_empty() => pem,
        _ => {
            let api: Api<Secret> = Api::namespaced(client.clone(), &spec.namespace);
            let secret = api
                .get(&tls.secret)
                .await
                .map_err(|source| ProbeError::Secret {
                    secret: tls.secret.clone(),
                    source: Box::new(source),
                })?;
            let pem = secret
                .data
                .and_then(|mut d| d.remove(CA_KEY))
                .map(|b| b.0)
                .ok_or_else(|| ProbeError::NoCa(tls.secret.clone()))?;
            let version = secret.metadata.resource_version.unwrap_or_default();
            probes
                .cas
                .lock()
                .expect("probe memory")
                .insert(key, (version, pem.clone()));
            pem
        }
    };
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|_| ProbeError::NoCa(tls.secret.clone()))?;
    Ok(builder.tls_certs_merge(certs).build()?)
}
