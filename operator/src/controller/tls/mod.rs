//! The operator's own certificates for `spec.tls: {}`: creates the resource's CA Secret once,
//! and (re-)issues the serving Secret when it is missing or due for renewal (see
//! [`crate::spec::tls`]). Only then does it read anything from the API server (the CA's key: the
//! Secret cache holds no values), so a steady reconcile still makes no request.

pub mod issue;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};

use super::caches::{Caches, cached, cached_secret};
use crate::spec::ValidatedSpec;
use crate::spec::names::{MANAGER, child_meta};
use crate::spec::tls::{
    CA_KEY, CA_PRIVATE_KEY, CERT_KEY, KEY_KEY, RENEW_AFTER_ANNOTATION, TlsPlan, ca_secret_name,
    dns_names, renew_at, renewal_due,
};
use issue::{Issued, issue_ca, issue_serving};

/// A certificate could not be issued or stored.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rcgen refused to make a certificate.
    #[error("issuing the certificate of Secret {secret}: {source}")]
    Issue {
        /// The Secret being written.
        secret: String,
        /// Underlying error.
        source: rcgen::Error,
    },
    /// The CA Secret lacks its certificate or key.
    #[error("CA Secret {0} has no {CA_KEY} or {CA_PRIVATE_KEY}; delete it to start a new CA")]
    CaIncomplete(String),
    /// The cached copy of a Secret no longer reads as one.
    #[error("reading the cached Secret {secret}: {source}")]
    Cache {
        /// The Secret.
        secret: String,
        /// Underlying error.
        source: serde_json::Error,
    },
    /// The API server refused a read or write.
    #[error("{action} Secret {secret}: {source}")]
    Api {
        /// What was done.
        action: &'static str,
        /// The Secret.
        secret: String,
        /// Underlying error.
        source: Box<kube::Error>,
    },
}

/// The CA Secret of `spec`: `ca.crt` and `ca.key`, immutable.
pub fn ca_secret(spec: &ValidatedSpec, ca: &Issued) -> Secret {
    Secret {
        metadata: child_meta(spec, ca_secret_name(&spec.name), "tls"),
        type_: Some("Opaque".to_owned()),
        immutable: Some(true),
        string_data: Some(BTreeMap::from([
            (CA_KEY.to_owned(), ca.cert_pem.clone()),
            (CA_PRIVATE_KEY.to_owned(), ca.key_pem.clone()),
        ])),
        ..Secret::default()
    }
}

/// The serving Secret of `spec`: `tls.crt`, `tls.key` and the CA's `ca.crt`, annotated with when
/// it is due for renewal.
pub fn serving_secret(spec: &ValidatedSpec, plan: &TlsPlan, ca_pem: &str, leaf: &Issued) -> Secret {
    let mut metadata = child_meta(spec, plan.secret.clone(), "tls");
    let renew = renew_at(leaf.not_before, leaf.not_after).to_rfc3339();
    metadata.annotations = Some(BTreeMap::from([(RENEW_AFTER_ANNOTATION.to_owned(), renew)]));
    Secret {
        metadata,
        type_: Some("kubernetes.io/tls".to_owned()),
        string_data: Some(BTreeMap::from([
            (CERT_KEY.to_owned(), leaf.cert_pem.clone()),
            (KEY_KEY.to_owned(), leaf.key_pem.clone()),
            (CA_KEY.to_owned(), ca_pem.to_owned()),
        ])),
        ..Secret::default()
    }
}

/// Issues what `spec.tls: {}` needs at `now`. Returns whether a Secret was written.
pub async fn ensure(
    client: &Client,
    caches: &Caches,
    spec: &ValidatedSpec,
    now: DateTime<Utc>,
) -> Result<bool, TlsError> {
    let Some(plan) = spec.tls.as_ref().filter(|plan| plan.operator_issued()) else {
        return Ok(false);
    };
    let ns = spec.namespace.as_str();
    let serving =
        cached_secret(&caches.secrets, ns, &plan.secret).map_err(|source| TlsError::Cache {
            secret: plan.secret.clone(),
            source,
        })?;
    let renew_after = serving
        .as_ref()
        .and_then(|s| s.annotations().get(RENEW_AFTER_ANNOTATION).cloned());
    if serving.is_some() && !renewal_due(renew_after.as_deref(), now) {
        return Ok(false);
    }
    let (ca_pem, ca_key) = ca(client, caches, spec, now).await?;
    let names = dns_names(&spec.name, ns, &super::build::headless_service_name(spec));
    let leaf =
        issue_serving(ns, &spec.name, &ca_key, names, now).map_err(|source| TlsError::Issue {
            secret: plan.secret.clone(),
            source,
        })?;
    let secret = serving_secret(spec, plan, &ca_pem, &leaf);
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    api.patch(
        &plan.secret,
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&secret),
    )
    .await
    .map_err(api_error("applying", &plan.secret))?;
    tracing::info!(secret = %plan.secret, namespace = ns, not_after = %leaf.not_after, "issued serving certificate");
    Ok(true)
}

/// The CA's certificate and key: a new CA when the cache has none, else read from the API server.
async fn ca(
    client: &Client,
    caches: &Caches,
    spec: &ValidatedSpec,
    now: DateTime<Utc>,
) -> Result<(String, String), TlsError> {
    let ns = spec.namespace.as_str();
    let name = ca_secret_name(&spec.name);
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    if cached(&caches.secrets, ns, &name).is_none() {
        let ca = issue_ca(ns, &spec.name, now).map_err(|source| TlsError::Issue {
            secret: name.clone(),
            source,
        })?;
        match api
            .create(&PostParams::default(), &ca_secret(spec, &ca))
            .await
        {
            Ok(_) => {
                tracing::info!(secret = %name, namespace = ns, "created certificate authority");
                return Ok((ca.cert_pem, ca.key_pem));
            }
            // The cache lagged behind an earlier create: use the CA that exists.
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(source) => return Err(api_error("creating", &name)(source)),
        }
    }
    let stored = api.get(&name).await.map_err(api_error("reading", &name))?;
    let value = |key: &str| {
        let data = stored.data.as_ref()?.get(key)?;
        String::from_utf8(data.0.clone()).ok()
    };
    match (value(CA_KEY), value(CA_PRIVATE_KEY)) {
        (Some(cert), Some(key)) => Ok((cert, key)),
        _ => Err(TlsError::CaIncomplete(name)),
    }
}

fn api_error(action: &'static str, secret: &str) -> impl FnOnce(kube::Error) -> TlsError {
    let secret = secret.to_owned();
    move |source| TlsError::Api {
        action,
        secret,
        source: Box::new(source),
    }
}
