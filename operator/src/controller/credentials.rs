//! Creates the operator's generated credential Secrets (see [`crate::spec::credentials`]) when
//! they do not exist. A Secret that exists is never read or rewritten: its value is whatever was
//! generated first, until someone deletes it.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};
use rand::TryRngCore;
use rand::rngs::OsRng;

use super::caches::{Caches, cached};
use crate::spec::ValidatedSpec;
use crate::spec::credentials::{
    TOKEN_BYTES, encode_token, generated_secret, generated_secret_names,
};

/// A generated Secret could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The operating system's random source failed.
    #[error("generating a token for Secret {secret}: {source}")]
    Random {
        /// The Secret being generated.
        secret: String,
        /// Underlying error.
        source: rand::rand_core::OsError,
    },
    /// The API server refused the Secret.
    #[error("creating Secret {secret}: {source}")]
    Create {
        /// The Secret.
        secret: String,
        /// Underlying error.
        source: Box<kube::Error>,
    },
}

/// `TOKEN_BYTES` bytes from the operating system's CSPRNG, hex encoded.
fn random_token(secret: &str) -> Result<String, CredentialsError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|source| CredentialsError::Random {
            secret: secret.to_owned(),
            source,
        })?;
    Ok(encode_token(&bytes))
}

/// Creates each generated Secret of `spec` (see [`generated_secret_names`]) that the cache does
/// not hold. Returns whether one was created. An `AlreadyExists` answer (the cache lagged behind
/// a create) counts as present: the existing token stays.
pub async fn ensure(
    client: &Client,
    caches: &Caches,
    spec: &ValidatedSpec,
) -> Result<bool, CredentialsError> {
    let mut created = false;
    for name in generated_secret_names(spec) {
        if cached(&caches.secrets, &spec.namespace, &name).is_some() {
            continue;
        }
        if let Some(secret) = generated_secret(spec, &name, &random_token(&name)?) {
            created |= create(client, &spec.namespace, &secret).await?;
        }
    }
    Ok(created)
}

async fn create(
    client: &Client,
    namespace: &str,
    secret: &Secret,
) -> Result<bool, CredentialsError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    match api.create(&PostParams::default(), secret).await {
        Ok(_) => {
            tracing::info!(secret = %secret.name_any(), namespace, "generated API credentials");
            Ok(true)
        }
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(source) => Err(CredentialsError::Create {
            secret: secret.name_any(),
            source: Box::new(source),
        }),
    }
}
