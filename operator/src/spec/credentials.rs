//! The engine API's credentials: the user's `spec.rbac.auth`, or, without it, an admin token the
//! operator generates into a Secret of its own, so that no engine it runs serves an open API.
//!
//! The generated Secrets are created once (see `controller::credentials`), owned by the
//! `VexfsSemantic`, immutable, and never rewritten: a token changes only when someone deletes its
//! Secret. `<name>-admin-token` holds the admin token under [`TOKEN_KEY`] (what a person or
//! `kubectl vexfs` sends) and the engine's token list under [`CREDENTIALS_KEY`] (`admin:TOKEN`).
//! `<name>-backup-token`, generated whatever `spec.rbac.auth` says, holds the backup Jobs' token
//! under [`TOKEN_KEY`] (the backup identity module uses it).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;

use super::ValidatedSpec;
use super::names::child_meta;
use crate::crd::{AuthMethod, AuthSpec, SecretKeyRef};

/// The subject and the role of the generated admin token.
pub const ADMIN: &str = "admin";
/// Every permission the engine knows: the generated admin token may do anything.
pub const ADMIN_PERMISSIONS: [&str; 10] = [
    "analytics:read",
    "analytics:write",
    "dashboard:read",
    "dashboard:write",
    "profiler:read",
    "profiler:write",
    "production:read",
    "production:write",
    "integrator:read",
    "integrator:write",
];
/// Key of the generated Secret holding the bare admin token.
pub const TOKEN_KEY: &str = "token";

/// `<name>-backup-token`: the backup Jobs' token.
pub fn backup_token_secret_name(name: &str) -> String {
    format!("{name}-backup-token")
}

/// Key of the generated Secret holding the engine's `subject:token` list.
pub const CREDENTIALS_KEY: &str = "credentials";
/// Random bytes in each generated token.
pub const TOKEN_BYTES: usize = 32;

/// Where the engine's API credentials come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiAuth {
    /// `spec.rbac.auth`: the user's Secret, method, roles and subjects.
    User(AuthSpec),
    /// No `spec.rbac.auth`: the operator's generated admin token in the Secret named here.
    Generated {
        /// Name of the generated Secret, `<name>-admin-token`.
        secret: String,
    },
}

impl ApiAuth {
    /// The credentials of the resource `name` whose `spec.rbac.auth` is `auth`.
    pub fn resolve(name: &str, auth: Option<&AuthSpec>) -> Self {
        match auth {
            Some(auth) => Self::User(auth.clone()),
            None => Self::Generated {
                secret: admin_token_secret_name(name),
            },
        }
    }

    /// The method and Secret key the engine reads its credentials from.
    pub fn auth_spec(&self) -> AuthSpec {
        match self {
            Self::User(auth) => auth.clone(),
            Self::Generated { secret } => AuthSpec {
                method: AuthMethod::Token,
                secret_ref: SecretKeyRef {
                    name: secret.clone(),
                    key: CREDENTIALS_KEY.to_owned(),
                },
            },
        }
    }

    /// The generated Secret's name, when the operator generates the credentials.
    pub fn generated_secret(&self) -> Option<&str> {
        match self {
            Self::User(_) => None,
            Self::Generated { secret } => Some(secret),
        }
    }
}

/// `<name>-admin-token`.
pub fn admin_token_secret_name(name: &str) -> String {
    format!("{name}-admin-token")
}

/// A token as it is written to the Secret: `bytes` as lowercase hex (no `:`, no whitespace, so it
/// is a valid entry of the engine's `subject:token` list).
pub fn encode_token(bytes: &[u8; TOKEN_BYTES]) -> String {
    hex::encode(bytes)
}

/// Every Secret the operator generates for `spec`: the backup token's, and the admin token's
/// without `spec.rbac.auth`.
pub fn generated_secret_names(spec: &ValidatedSpec) -> Vec<String> {
    let mut names = vec![backup_token_secret_name(&spec.name)];
    names.extend(spec.api_auth.generated_secret().map(str::to_owned));
    names
}

/// The generated Secret `name` of `spec`, holding `token` (from [`encode_token`]); `None` when
/// `name` is not one of [`generated_secret_names`].
pub fn generated_secret(spec: &ValidatedSpec, name: &str, token: &str) -> Option<Secret> {
    let mut data = BTreeMap::from([(TOKEN_KEY.to_owned(), token.to_owned())]);
    if spec.api_auth.generated_secret() == Some(name) {
        data.insert(CREDENTIALS_KEY.to_owned(), format!("{ADMIN}:{token}\n"));
    } else if name != backup_token_secret_name(&spec.name) {
        return None;
    }
    Some(Secret {
        metadata: child_meta(spec, name.to_owned(), "credentials"),
        type_: Some("Opaque".to_owned()),
        immutable: Some(true),
        string_data: Some(data),
        ..Secret::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_rbac_auth_the_generated_secret_backs_a_token_list() {
        let generated = ApiAuth::resolve("demo", None);
        assert_eq!(generated.generated_secret(), Some("demo-admin-token"));
        let auth = generated.auth_spec();
        assert_eq!(auth.method, AuthMethod::Token);
        assert_eq!(auth.secret_ref.name, "demo-admin-token");
        assert_eq!(auth.secret_ref.key, CREDENTIALS_KEY);
    }

    #[test]
    fn the_users_auth_rules_when_set() {
        let user = AuthSpec {
            method: AuthMethod::Jwt,
            secret_ref: SecretKeyRef {
                name: "mine".into(),
                key: "jwt".into(),
            },
        };
        let resolved = ApiAuth::resolve("demo", Some(&user));
        assert_eq!(resolved.generated_secret(), None);
        assert_eq!(resolved.auth_spec(), user);
    }

    #[test]
    fn tokens_are_hex_of_every_byte() {
        let mut bytes = [0u8; TOKEN_BYTES];
        bytes[0] = 0xab;
        bytes[31] = 0x01;
        let token = encode_token(&bytes);
        assert_eq!(token.len(), 64);
        assert!(token.starts_with("ab00"), "{token}");
        assert!(token.ends_with("01"), "{token}");
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
