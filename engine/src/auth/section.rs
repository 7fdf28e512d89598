//! The `[auth]` configuration section: method, secret file, roles and subjects (the product's
//! `rbac.yaml`, in TOML), and its consistency checks.

use super::permission::Permission;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::PathBuf;
use std::str::FromStr;
use thiserror::Error;

/// An inconsistent `[auth]` section.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SectionError {
    /// Authentication is enabled without a secret file.
    #[error("secret_file is required when authentication is enabled")]
    NoSecretFile,
    /// Two roles share a name.
    #[error("role `{0}` is defined twice")]
    DuplicateRole(String),
    /// Two subjects share a name (tokens carry names only).
    #[error("subject `{0}` is defined twice")]
    DuplicateSubject(String),
    /// A subject refers to a role that does not exist.
    #[error("subject `{subject}` refers to unknown role `{role}`")]
    UnknownRole {
        /// The subject.
        subject: String,
        /// The missing role.
        role: String,
    },
    /// A subject takes the name the backup token is recorded as.
    #[error(
        "subject `{0}` is the backup token's subject (backup_token_subject); rename one of them"
    )]
    ReservedSubject(String),
    /// An unsupported method name.
    #[error("unknown auth method `{0}`: expected token, jwt or oidc")]
    UnknownMethod(String),
    /// `method = "oidc"` without a valid `[auth.oidc]` section.
    #[error("{0}")]
    Oidc(String),
}

/// How callers prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// `Authorization: Bearer <token>`, tokens listed as `subject:token` lines in the secret file.
    #[default]
    Token,
    /// `Authorization: Bearer <jwt>`, HS256-signed with the secret file's content.
    Jwt,
    /// `Authorization: Bearer <jwt>` from an OAuth2/OIDC issuer (RS256, ES256, EdDSA), verified
    /// against its published keys; roles from a claim (`[auth.oidc]`).
    Oidc,
}

impl FromStr for AuthMethod {
    type Err = SectionError;

    fn from_str(s: &str) -> Result<AuthMethod, SectionError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "token" => Ok(AuthMethod::Token),
            "jwt" => Ok(AuthMethod::Jwt),
            "oidc" => Ok(AuthMethod::Oidc),
            _ => Err(SectionError::UnknownMethod(s.to_string())),
        }
    }
}

/// `[auth]`. Absent, or `enabled = false`: the API is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSection {
    /// Enforce authentication and permissions (default true once the section exists).
    pub enabled: bool,
    /// `token`, `jwt` or `oidc`.
    pub method: AuthMethod,
    /// The token list (`subject:token` lines) or the JWT signing secret (unused by `oidc`).
    pub secret_file: PathBuf,
    /// Accepted clock difference for JWT `exp` and `nbf`, in seconds.
    pub jwt_leeway_seconds: u64,
    /// `jwt` only: the previous signing secret, still accepted while clients move to the new
    /// one in `secret_file` (tokens name their key by `kid`). Remove it to end the rotation.
    pub jwt_previous_secret_file: Option<PathBuf>,
    /// A file holding one token that may call `GET /api/v1/admin/backup` and nothing else,
    /// whatever the method (for backup jobs). Missing or empty: no such token is accepted.
    pub backup_token_file: Option<PathBuf>,
    /// The subject the backup token is recorded as (default `backup`); no `[[auth.subjects]]`
    /// entry may use it while `backup_token_file` is set.
    pub backup_token_subject: String,
    /// `[[auth.roles]]`.
    pub roles: Vec<RoleConfig>,
    /// `[[auth.subjects]]`.
    pub subjects: Vec<SubjectConfig>,
    /// `[auth.oidc]`: the issuer, audience and roles claim for `method = "oidc"`.
    pub oidc: Option<super::oidc::OidcSection>,
}

impl Default for AuthSection {
    fn default() -> Self {
        AuthSection {
            enabled: true,
            method: AuthMethod::Token,
            secret_file: PathBuf::new(),
            jwt_leeway_seconds: 30,
            jwt_previous_secret_file: None,
            backup_token_file: None,
            backup_token_subject: super::backup_token::DEFAULT_BACKUP_SUBJECT.to_owned(),
            roles: Vec::new(),
            subjects: Vec::new(),
            oidc: None,
        }
    }
}

/// `[[auth.roles]]`: a named set of permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    /// Unique name.
    pub name: String,
    /// Granted permissions (`analytics:read`...).
    pub permissions: Vec<Permission>,
}

/// The kind of an API subject (informational: tokens carry names only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A person.
    #[default]
    User,
    /// A program.
    ServiceAccount,
}

/// `[[auth.subjects]]`: a user or service account and its roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectConfig {
    /// `user` (default) or `service_account`; names must be unique across kinds.
    #[serde(default)]
    pub kind: SubjectKind,
    /// The name tokens carry (token-file subject, JWT `sub`).
    pub name: String,
    /// Role names from `[[auth.roles]]`.
    pub roles: Vec<String>,
}

impl AuthSection {
    /// Checks names are unique, roles exist and a secret file is set when enabled.
    pub fn check(&self) -> Result<(), SectionError> {
        if self.method == AuthMethod::Oidc {
            let oidc = self.oidc.as_ref().ok_or_else(|| {
                SectionError::Oidc("method \"oidc\" needs an [auth.oidc] section".into())
            })?;
            oidc.check().map_err(SectionError::Oidc)?;
        } else if self.enabled && self.secret_file.as_os_str().is_empty() {
            return Err(SectionError::NoSecretFile);
        }
        let mut roles = HashSet::new();
        if let Some(r) = self.roles.iter().find(|r| !roles.insert(r.name.as_str())) {
            return Err(SectionError::DuplicateRole(r.name.clone()));
        }
        let mut subjects = HashSet::new();
        if let Some(s) = self
            .subjects
            .iter()
            .find(|s| !subjects.insert(s.name.as_str()))
        {
            return Err(SectionError::DuplicateSubject(s.name.clone()));
        }
        if self.backup_token_file.is_some() && subjects.contains(self.backup_token_subject.as_str())
        {
            return Err(SectionError::ReservedSubject(
                self.backup_token_subject.clone(),
            ));
        }
        for subject in &self.subjects {
            if let Some(role) = subject.roles.iter().find(|r| !roles.contains(r.as_str())) {
                return Err(SectionError::UnknownRole {
                    subject: subject.name.clone(),
                    role: role.clone(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str) -> AuthSection {
        toml::from_str(text).unwrap()
    }

    const BASE: &str = r#"
        method = "jwt"
        secret_file = "/etc/vexfs/secrets/auth/secret"
        [[roles]]
        name = "viewer"
        permissions = ["dashboard:read"]
        [[subjects]]
        kind = "service_account"
        name = "grafana"
        roles = ["viewer"]
    "#;

    #[test]
    fn a_present_section_is_enabled_with_defaults() {
        let s = section(BASE);
        assert!(s.enabled);
        assert_eq!(s.method, AuthMethod::Jwt);
        assert_eq!(s.jwt_leeway_seconds, 30);
        assert_eq!(s.roles[0].permissions[0].to_string(), "dashboard:read");
        assert_eq!(s.subjects[0].kind, SubjectKind::ServiceAccount);
        assert_eq!(s.check(), Ok(()));
    }

    #[test]
    fn bad_permissions_and_unknown_keys_fail_to_parse() {
        let bad = BASE.replace("dashboard:read", "dashboard:delete");
        let err = toml::from_str::<AuthSection>(&bad).unwrap_err();
        assert!(err.to_string().contains("dashboard:delete"), "{err}");
        let unknown = format!("users = []\n{BASE}");
        assert!(toml::from_str::<AuthSection>(&unknown).is_err());
        let kind = BASE.replace("service_account", "robot");
        assert!(toml::from_str::<AuthSection>(&kind).is_err());
    }

    #[test]
    fn inconsistencies_are_named() {
        let mut s = section(BASE);
        s.subjects[0].roles.push("admin".into());
        assert_eq!(
            s.check(),
            Err(SectionError::UnknownRole {
                subject: "grafana".into(),
                role: "admin".into()
            })
        );
        let mut s = section(BASE);
        s.roles.push(s.roles[0].clone());
        assert_eq!(s.check(), Err(SectionError::DuplicateRole("viewer".into())));
        let mut s = section(BASE);
        s.subjects.push(s.subjects[0].clone());
        assert_eq!(
            s.check(),
            Err(SectionError::DuplicateSubject("grafana".into()))
        );
        let mut s = section(BASE);
        s.secret_file = PathBuf::new();
        assert_eq!(s.check(), Err(SectionError::NoSecretFile));
        s.enabled = false;
        assert_eq!(s.check(), Ok(()));
    }

    #[test]
    fn the_backup_token_subject_is_reserved_while_the_token_is_set() {
        let mut s = section(BASE);
        s.backup_token_subject = "grafana".into();
        assert_eq!(s.check(), Ok(()), "no backup token file, no reservation");
        s.backup_token_file = Some("/etc/vexfs/auth/backup-token".into());
        assert_eq!(
            s.check(),
            Err(SectionError::ReservedSubject("grafana".into()))
        );
        let parsed = section(&format!("backup_token_file = \"/t\"\n{BASE}"));
        assert_eq!(parsed.backup_token_subject, "backup");
        assert_eq!(parsed.check(), Ok(()));
    }

    #[test]
    fn methods_parse_case_insensitively() {
        assert_eq!("JWT".parse::<AuthMethod>(), Ok(AuthMethod::Jwt));
        assert_eq!(" token ".parse::<AuthMethod>(), Ok(AuthMethod::Token));
        assert_eq!(
            "oauth2".parse::<AuthMethod>(),
            Err(SectionError::UnknownMethod("oauth2".into()))
        );
    }
}
