//! Fetch: every read of one reconcile, gathered once into one [`Fetched`] before anything is built.
//!
//! Secrets, API discovery, the live children, the `VexfsBackup` to restore from, the engine pods,
//! and the backup records and Jobs. Everything after this step is pure or a write.

use std::collections::HashMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::Client;
use kube::api::{Api, DynamicObject, ListParams};

use super::build::{MONITORING_API_VERSION, MONITORING_GROUP};
use super::plan::{LiveChildren, child_ids};
use crate::backup::driver::semantic_selector;
use crate::crd::VexfsBackup;
use crate::spec::ValidatedSpec;
use crate::spec::names::selector_labels;

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
    /// A live object did not serialise to JSON.
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
    keys
}

/// The first referenced key missing from `secrets` (by name), as `secret/key`.
pub fn first_missing_key(
    keys: &[SecretKey],
    secrets: &HashMap<String, Option<Secret>>,
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

/// Reads everything the pipeline needs for `spec`.
pub async fn fetch(client: &Client, spec: &ValidatedSpec) -> Result<Fetched, FetchError> {
    let ns = spec.namespace.as_str();
    let keys = referenced_secret_keys(spec);
    let secret_api: Api<Secret> = Api::namespaced(client.clone(), ns);
    let mut secrets: HashMap<String, Option<Secret>> = HashMap::new();
    for (name, _) in &keys {
        if !secrets.contains_key(name) {
            let secret = secret_api
                .get_opt(name)
                .await
                .map_err(api_error(format!("Secret {name}")))?;
            secrets.insert(name.clone(), secret);
        }
    }
    let monitoring_api = monitoring_api_available(client).await?;
    let live = live_children(client, spec, monitoring_api).await?;
    let backup_api: Api<VexfsBackup> = Api::namespaced(client.clone(), ns);
    let restore_backup = match &spec.restore {
        Some(restore) => backup_api
            .get_opt(&restore.backup_name)
            .await
            .map_err(api_error("the VexfsBackup to restore"))?,
        None => None,
    };
    let pods = list::<Pod>(client, ns, &label_selector(spec), "engine pods").await?;
    let (backups, jobs) = if spec.backup.is_some() {
        let all = list::<VexfsBackup>(client, ns, "", "VexfsBackups").await?;
        let own = all
            .into_iter()
            .filter(|b| b.spec.semantic_ref == spec.name)
            .collect();
        let jobs = list::<Job>(client, ns, &semantic_selector(&spec.name), "backup Jobs").await?;
        (own, jobs)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Fetched {
        missing_secret_key: first_missing_key(&keys, &secrets),
        monitoring_api,
        live,
        restore_backup,
        pods,
        backups,
        jobs,
    })
}

fn label_selector(spec: &ValidatedSpec) -> String {
    selector_labels(spec)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

async fn list<K>(
    client: &Client,
    namespace: &str,
    selector: &str,
    what: &str,
) -> Result<Vec<K>, FetchError>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let params = if selector.is_empty() {
        ListParams::default()
    } else {
        ListParams::default().labels(selector)
    };
    Ok(api.list(&params).await.map_err(api_error(what))?.items)
}

/// Whether the `monitoring.coreos.com/v1` API is served.
async fn monitoring_api_available(client: &Client) -> Result<bool, FetchError> {
    match client
        .list_api_group_resources(MONITORING_API_VERSION)
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
        Err(source) => Err(FetchError::Api {
            what: "API discovery".to_owned(),
            source,
        }),
    }
}

/// Reads every possible child (skipping monitoring kinds when their API is not served).
async fn live_children(
    client: &Client,
    spec: &ValidatedSpec,
    monitoring_api: bool,
) -> Result<LiveChildren, FetchError> {
    let mut live = LiveChildren::default();
    for (resource, name) in child_ids(spec) {
        if resource.group == MONITORING_GROUP && !monitoring_api {
            continue;
        }
        let what = || format!("{} {name}", resource.kind);
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), &spec.namespace, &resource);
        let object = api.get_opt(&name).await.map_err(api_error(what()))?;
        if let Some(object) = object {
            let value = serde_json::to_value(object).map_err(|source| FetchError::Decode {
                what: what(),
                source,
            })?;
            live.insert(&resource.kind, &name, value);
        }
    }
    Ok(live)
}
