//! `spec.rbac`: the engine API's roles, subjects and authentication.
//!
//! The engine always requires credentials. With `auth` set, the user's Secret, method, roles and
//! subjects rule; without it, the operator generates an admin token into the Secret
//! `<name>-admin-token` (named in `status.auth.adminTokenSecret`) and the engine accepts only that
//! token (and the backup Jobs' credential).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::refs::SecretKeyRef;

/// Access control of the engine's HTTP API.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{"rule": "!has(self.roles) || self.roles.all(r, self.roles.exists_one(x, x.name == r.name))", "message": super::messages::UNIQUE_ROLES}, {"rule": "!has(self.subjects) || self.subjects.all(s, self.subjects.exists_one(x, x.name == s.name))", "message": super::messages::UNIQUE_SUBJECTS}, {"rule": "!has(self.subjects) || self.subjects.all(s, s.roles.all(n, has(self.roles) && self.roles.exists(x, x.name == n)))", "message": super::messages::SUBJECT_ROLES_EXIST}, {"rule": "(!has(self.roles) || self.roles.all(r, r.name != 'vexfs-operator-backup')) && (!has(self.subjects) || self.subjects.all(s, s.name != 'vexfs-operator-backup'))", "message": super::messages::RESERVED_BACKUP_IDENTITY}]))]
pub struct RbacSpec {
    /// Named sets of permissions.
    #[serde(default)]
    #[schemars(length(max = 32))]
    #[schemars(transform = super::schema::no_default)]
    pub roles: Vec<Role>,
    /// Who holds which roles.
    #[serde(default)]
    #[schemars(length(max = 64))]
    #[schemars(transform = super::schema::no_default)]
    pub subjects: Vec<Subject>,
    /// How API callers authenticate. Without it the operator generates an admin token into the
    /// Secret `<name>-admin-token` and the engine accepts only that token; roles and subjects are
    /// then unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthSpec>,
}

/// A named set of permissions.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// Unique role name.
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name: String,
    /// Permissions in `area:verb` form, for example `analytics:read` or `dashboard:write`.
    #[schemars(
        length(max = 32),
        inner(regex(
            pattern = r"^(analytics|dashboard|profiler|production|integrator):(read|write)$"
        ))
    )]
    pub permissions: Vec<String>,
}

/// A user or service holding roles.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// Kind of subject.
    pub kind: SubjectKind,
    /// Subject name as presented in its token (unique across kinds).
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Names of roles from `rbac.roles`.
    #[schemars(length(max = 16), inner(length(max = 63)))]
    pub roles: Vec<String>,
}

/// Kind of an API subject.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum SubjectKind {
    /// A human user.
    User,
    /// A program calling the API.
    ServiceAccount,
}

impl SubjectKind {
    /// The lowercase name used in the engine configuration.
    pub fn as_config(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::ServiceAccount => "service_account",
        }
    }
}

/// Authentication of API callers.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuthSpec {
    /// Static bearer tokens or signed JWTs.
    pub method: AuthMethod,
    /// Secret key holding the token list or the JWT signing secret.
    pub secret_ref: SecretKeyRef,
}

/// Authentication method.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum AuthMethod {
    /// Static bearer tokens.
    Token,
    /// HMAC-signed JSON Web Tokens.
    Jwt,
}

impl AuthMethod {
    /// The lowercase name the engine's `[auth] method` key expects.
    pub fn as_config(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Jwt => "jwt",
        }
    }
}
