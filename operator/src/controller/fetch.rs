//! Fetch: every read of one reconcile, gathered once into one [`Fetched`] before anything is built.
//!
//! Secrets, API discovery, the live children, the `VexfsBackup` to restore from, the engine pods,
//! and the backup records and Jobs, all read from the reflector [`Caches`]. Everything after this
//! step is pure or a write.

use std::collections::HashMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DynamicObject};
use kube::{Client, ResourceExt};

use super::build::{CERT_MANAGER_GROUP, MONITORING_GROUP};
use kube::runtime::reflector::{ObjectRef, Store};

use super::caches::{Caches, cached, cached_secret, has_labels};
use super::compact::Compact;
use super::plan::{LiveChildren, child_ids};
use crate::backup::job::SEMANTIC_LABEL;
use crate::crd::VexfsBackup;
use crate::spec::ValidatedSpec;
use crate::spec::names::selector_labels;
use crate::spec::tls::TlsSource;

/// Failure to read from the API server (transient: retried with backoff).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A read failed.
    #[error("reading {what}: {source}")]
    Api {
        /// What was being read.
        what: String,
        /// Underlying error.
        source: kube::Error,
    },
    /// The watches feeding the caches have stopped (the controller is shutting down).
    #[error("the watch caches are closed")]
    CachesClosed,
    /// A live object did not serialise to JSON, or a cached one no longer reads as its kind.
    #[error("decoding {what}: {source}")]
    Decode {
        /// What was being decoded.
        what: String,
        /// Underlying error.
        source: serde_json::Error,
    },
}

/// Everything one reconcile reads from the cluster.
#[derive(Clone, Debug, Default)]
pub struct Fetched {
    /// The first Secret key the spec references that does not exist, as `secret/key`.
    pub missing_secret_key: Option<String>,
    /// The `monitoring.coreos.com/v1` API is served.
    pub monitoring_api: bool,
    /// The `cert-manager.io/v1` API is served (asked only with `spec.tls.issuerRef`).
    pub cert_manager_api: bool,
    /// The live children.
    pub live: LiveChildren,
    /// The `VexfsBackup` named by `spec.restore`, if it exists.
    pub restore_backup: Option<VexfsBackup>,
    /// The engine pods.
    pub pods: Vec<Pod>,
    /// The resource's `VexfsBackup` records.
    pub backups: Vec<VexfsBackup>,
    /// The resource's backup and cleanup Jobs.
    pub jobs: Vec<Job>,
}

/// A Secret key the spec references: `(secret, key)`.
pub type SecretKey = (String, String);

/// Every Secret key `spec` mounts into the engine.
pub fn referenced_secret_keys(spec: &ValidatedSpec) -> Vec<SecretKey> {
    let mut keys = Vec::new();
    for receiver in &spec.alerting.receivers {
        if let Some(w) = &receiver.webhook {
            keys.push((w.url_secret_ref.name.clone(), w.url_secret_ref.key.clone()));
        }
        if let Some(s) = &receiver.slack {
            keys.push((
                s.webhook_url_secret_ref.name.clone(),
                s.webhook_url_secret_ref.key.clone(),
            ));
        }
        if let Some(password) = receiver
            .email
            .as_ref()
            .and_then(|e| e.password_secret_ref.as_ref())
        {
            keys.push((password.name.clone(), password.key.clone()));
        }
    }
    if let Some(auth) = &spec.rbac.auth {
        keys.push((auth.secret_ref.name.clone(), auth.secret_ref.key.clone()));
    }
    if let Some(encryption) = crate::backup::encryption::of(spec) {
        let key = &encryption.key_secret_ref;
        keys.push((key.name.clone(), key.key.clone()));
    }
    if let Some(nats) = &spec.cluster {
        let tls = nats.tls.as_ref();
        let refs = nats.credentials_secret_ref.iter();
        keys.extend(
            refs.chain(tls.map(|t| &t.ca_secret_ref))
                .map(|r| (r.name.clone(), r.key.clone())),
        );
        if let Some(client) = tls.and_then(|t| t.client_secret_ref.as_ref()) {
            use crate::spec::tls::{CERT_KEY, KEY_KEY};
            keys.extend([CERT_KEY, KEY_KEY].map(|k| (client.name.clone(), k.to_owned())));
        }
    }
    // The user's own TLS Secret; the operator's and cert-manager's are written after this check.
    if let Some(tls) = spec
        .tls
        .as_ref()
        .filter(|tls| tls.source == TlsSource::Secret)
    {
        use crate::spec::tls::{CA_KEY, CERT_KEY, KEY_KEY};
        keys.extend([CERT_KEY, KEY_KEY, CA_KEY].map(|k| (tls.secret.clone(), k.to_owned())));
    }
    keys
}

/// The first referenced key missing from `secrets` (by name), as `secret/key`.
pub fn first_missing_key<S: std::hash::BuildHasher>(
    keys: &[SecretKey],
    secrets: &HashMap<String, Option<Secret>, S>,
) -> Option<String> {
    keys.iter().find_map(|(name, key)| {
        let present = secrets.get(name).and_then(Option::as_ref).is_some_and(|s| {
            s.data.as_ref().is_some_and(|d| d.contains_key(key))
                || s.string_data.as_ref().is_some_and(|d| d.contains_key(key))
        });
        (!present).then(|| format!("{name}/{key}"))
    })
}

fn api_error(what: impl Into<String>) -> impl FnOnce(kube::Error) -> FetchError {
    let what = what.into();
    move |source| FetchError::Api { what, source }
}

/// Gathers everything the pipeline needs for `spec` from the caches. Only two reads can reach the
/// API server: discovery once its cached answer expired, and the monitoring and cert-manager
/// children when their API is served (they have no cache).
pub async fn fetch(
    client: &Client,
    caches: &Caches,
    spec: &ValidatedSpec,
) -> Result<Fetched, FetchError> {
    // Until every cache holds its first full list, an empty cache would mean "missing".
    if !caches.wait_until_synced().await {
        return Err(FetchError::CachesClosed);
    }
    let ns = spec.namespace.as_str();
    let keys = referenced_secret_keys(spec);
    let secrets = keys
        .iter()
        .map(|(name, _)| {
            let secret =
                cached_secret(&caches.secrets, ns, name).map_err(|source| FetchError::Decode {
                    what: format!("Secret {name}"),
                    source,
                })?;
            Ok((name.clone(), secret))
        })
        .collect::<Result<HashMap<String, Option<Secret>>, FetchError>>()?;
    let monitoring_api = caches
        .discovery
        .monitoring_api(client)
        .await
        .map_err(api_error("API discovery"))?;
    let wants_cert_manager = spec.tls.as_ref().is_some_and(|t| t.issuer().is_some());
    let cert_manager_api = wants_cert_manager
        && caches
            .discovery
            .cert_manager_api(client)
            .await
            .map_err(api_error("API discovery"))?;
    let live = live_children(client, caches, spec, monitoring_api, cert_manager_api).await?;
    let restore_backup = spec
        .restore
        .as_ref()
        .and_then(|restore| cached(&caches.backups, ns, &restore.backup_name));
    let in_namespace = |meta: &ObjectMeta| meta.namespace.as_deref() == Some(ns);
    let engine = selector_labels(spec);
    let pods = caches
        .pods
        .state()
        .into_iter()
        .filter(|pod| in_namespace(&pod.metadata) && has_labels(pod.as_ref(), engine.iter()))
        .map(|pod| {
            pod.to_typed().map_err(|source| FetchError::Decode {
                what: format!("Pod {}", pod.name_any()),
                source,
            })
        })
        .collect::<Result<Vec<Pod>, FetchError>>()?;
    let backups = caches
        .backups
        .state()
        .into_iter()
        .filter(|b| in_namespace(&b.metadata) && b.spec.semantic_ref == spec.name)
        .map(|b| b.as_ref().clone())
        .collect();
    let jobs = caches
        .jobs
        .state()
        .into_iter()
        .filter(|job| {
            in_namespace(&job.metadata) && job.labels().get(SEMANTIC_LABEL) == Some(&spec.name)
        })
        .map(|job| job.as_ref().clone())
        .collect();
    Ok(Fetched {
        missing_secret_key: first_missing_key(&keys, &secrets),
        monitoring_api,
        cert_manager_api,
        live,
        restore_backup,
        pods,
        backups,
        jobs,
    })
}

/// Looks up every possible child (reading monitoring kinds and cert-manager's `Certificate` only
/// when their API is served).
async fn live_children(
    client: &Client,
    caches: &Caches,
    spec: &ValidatedSpec,
    monitoring_api: bool,
    cert_manager_api: bool,
) -> Result<LiveChildren, FetchError> {
    let ns = spec.namespace.as_str();
    let mut live = LiveChildren::default();
    for (resource, name) in child_ids(spec) {
        let what = || format!("{} {name}", resource.kind);
        let value = match resource.kind.as_str() {
            "ServiceAccount" => compact(&caches.service_accounts, ns, &name, what)?,
            "ConfigMap" => compact(&caches.config_maps, ns, &name, what)?,
            "Service" => compact(&caches.services, ns, &name, what)?,
            "StatefulSet" => compact(&caches.statefulsets, ns, &name, what)?,
            "PodDisruptionBudget" => compact(&caches.pod_disruption_budgets, ns, &name, what)?,
            "NetworkPolicy" => compact(&caches.network_policies, ns, &name, what)?,
            "HorizontalPodAutoscaler" => compact(&caches.autoscalers, ns, &name, what)?,
            _ if (resource.group == MONITORING_GROUP && monitoring_api)
                || (resource.group == CERT_MANAGER_GROUP && cert_manager_api) =>
            {
                let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &resource);
                let object = api.get_opt(&name).await.map_err(api_error(what()))?;
                json(object, what)?
            }
            _ => None,
        };
        if let Some(value) = value {
            live.insert(&resource.kind, &name, value);
        }
    }
    Ok(live)
}

/// The cached child `name` of `namespace` as JSON, read from its compact form.
fn compact<K>(
    store: &Store<Compact<K>>,
    namespace: &str,
    name: &str,
    what: impl Fn() -> String,
) -> Result<Option<serde_json::Value>, FetchError>
where
    K: k8s_openapi::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
{
    store
        .get(&ObjectRef::new(name).within(namespace))
        .map(|object| object.to_value())
        .transpose()
        .map_err(|source| FetchError::Decode {
            what: what(),
            source,
        })
}

fn json<K: serde::Serialize>(
    object: Option<K>,
    what: impl Fn() -> String,
) -> Result<Option<serde_json::Value>, FetchError> {
    object
        .map(serde_json::to_value)
        .transpose()
        .map_err(|source| FetchError::Decode {
            what: what(),
            source,
        })
}
