//! Fetch: read what the pipeline needs from the cluster (Secrets, live children, API discovery).

use std::collections::HashMap;

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, DynamicObject};
use serde_json::Value;

use super::apply::ChildSlot;
use super::build::MONITORING_API_VERSION;
use super::status::EngineObservation;
use super::validate::ValidatedSpec;

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

/// Returns the first referenced key that is missing, as `secret/key`.
pub async fn missing_secret_key(
    client: &Client,
    spec: &ValidatedSpec,
) -> Result<Option<String>, FetchError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), &spec.namespace);
    let mut cache: HashMap<String, Option<Secret>> = HashMap::new();
    for (name, key) in referenced_secret_keys(spec) {
        if !cache.contains_key(&name) {
            let secret = api.get_opt(&name).await.map_err(|source| FetchError::Api {
                what: format!("Secret {name}"),
                source,
            })?;
            cache.insert(name.clone(), secret);
        }
        let present = cache.get(&name).and_then(Option::as_ref).is_some_and(|s| {
            s.data.as_ref().is_some_and(|d| d.contains_key(&key))
                || s.string_data.as_ref().is_some_and(|d| d.contains_key(&key))
        });
        if !present {
            return Ok(Some(format!("{name}/{key}")));
        }
    }
    Ok(None)
}

/// Whether the `monitoring.coreos.com/v1` API is served.
pub async fn monitoring_api_available(client: &Client) -> Result<bool, FetchError> {
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

/// Live children keyed by kind and name, as JSON.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveChildren(HashMap<(String, String), Value>);

impl LiveChildren {
    /// The live object of `kind` named `name`.
    pub fn get(&self, kind: &str, name: &str) -> Option<&Value> {
        self.0.get(&(kind.to_owned(), name.to_owned()))
    }

    /// Records a live object.
    pub fn insert(&mut self, kind: &str, name: &str, object: Value) {
        self.0.insert((kind.to_owned(), name.to_owned()), object);
    }

    /// Forgets a live object (after deleting it).
    pub fn remove(&mut self, kind: &str, name: &str) {
        self.0.remove(&(kind.to_owned(), name.to_owned()));
    }

    /// What the engine StatefulSet named `name` reports.
    pub fn engine(&self, name: &str) -> EngineObservation {
        let Some(sts) = self.get("StatefulSet", name) else {
            return EngineObservation::default();
        };
        let int = |field: &str| sts.pointer(field).and_then(Value::as_i64).unwrap_or(0) as i32;
        let generation = sts.pointer("/metadata/generation").and_then(Value::as_i64);
        let observed = sts
            .pointer("/status/observedGeneration")
            .and_then(Value::as_i64);
        EngineObservation {
            exists: true,
            ready_replicas: int("/status/readyReplicas"),
            updated_replicas: int("/status/updatedReplicas"),
            observed_current: generation.is_some() && observed >= generation,
        }
    }
}

/// Reads the live object of every slot (skipping monitoring kinds when their API is not served).
pub async fn live_children(
    client: &Client,
    namespace: &str,
    slots: &[ChildSlot],
    monitoring_api: bool,
) -> Result<LiveChildren, FetchError> {
    let mut live = LiveChildren::default();
    for slot in slots {
        if slot.resource.group == super::build::MONITORING_GROUP && !monitoring_api {
            continue;
        }
        let what = || format!("{} {}", slot.resource.kind, slot.name);
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), namespace, &slot.resource);
        let object = api
            .get_opt(&slot.name)
            .await
            .map_err(|source| FetchError::Api {
                what: what(),
                source,
            })?;
        if let Some(object) = object {
            let value = serde_json::to_value(object).map_err(|source| FetchError::Decode {
                what: what(),
                source,
            })?;
            live.insert(&slot.resource.kind, &slot.name, value);
        }
    }
    Ok(live)
}
