//! The operator's own API identity for backup Jobs when `spec.rbac.auth` is set.
//!
//! Every rendered `[auth]` section carries a reserved role and service-account subject, both named
//! [`BACKUP_IDENTITY`], holding exactly `production:write` (what `GET /api/v1/admin/backup`
//! needs). The backup Job mounts the same Secret key the engine reads and authenticates as that
//! subject: with `Jwt` it mints short-lived tokens from the signing secret; with `Token` it sends
//! the token of the `vexfs-operator-backup:TOKEN` line, which the Secret must therefore contain.

use k8s_openapi::api::core::v1::{KeyToPath, SecretVolumeSource, Volume, VolumeMount};

use crate::crd::{AuthMethod, AuthSpec};

/// Reserved name of the backup role and subject; user roles and subjects may not use it.
pub const BACKUP_IDENTITY: &str = "vexfs-operator-backup";
/// The permissions of the backup role.
pub const BACKUP_PERMISSIONS: [&str; 1] = ["production:write"];
/// Directory the auth Secret key is mounted under in backup Jobs.
pub const CREDENTIALS_DIR: &str = "/etc/vexfs/auth";
/// The mounted credentials file (token list or JWT signing secret).
pub const CREDENTIALS_FILE: &str = "/etc/vexfs/auth/credentials";
/// Name of the credentials volume in backup pods.
pub const CREDENTIALS_VOLUME: &str = "api-credentials";

/// Whether `name` is reserved for the operator's backup identity.
pub fn is_reserved(name: &str) -> bool {
    name == BACKUP_IDENTITY
}

/// How backup Jobs authenticate to the engine API: the reserved subject, with the credentials of
/// the auth Secret key the engine itself reads.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupIdentity {
    auth: AuthSpec,
}

impl BackupIdentity {
    /// The backup identity under `spec.rbac.auth`.
    pub fn new(auth: &AuthSpec) -> Self {
        Self { auth: auth.clone() }
    }

    /// `vexfs-engine backup` options authenticating as the backup identity.
    pub fn args(&self) -> Vec<String> {
        credential_args(&self.auth)
    }

    /// The auth Secret key as the read-only file [`CREDENTIALS_FILE`].
    pub fn volume(&self) -> Volume {
        credentials_volume(&self.auth)
    }
}

fn credential_args(auth: &AuthSpec) -> Vec<String> {
    let (file_flag, subject_flag) = match auth.method {
        AuthMethod::Token => ("--token-file", "--token-subject"),
        AuthMethod::Jwt => ("--jwt-secret-file", "--jwt-subject"),
    };
    [file_flag, CREDENTIALS_FILE, subject_flag, BACKUP_IDENTITY]
        .map(str::to_owned)
        .to_vec()
}

fn credentials_volume(auth: &AuthSpec) -> Volume {
    let file = CREDENTIALS_FILE
        .strip_prefix(CREDENTIALS_DIR)
        .unwrap_or(CREDENTIALS_FILE)
        .trim_start_matches('/');
    Volume {
        name: CREDENTIALS_VOLUME.to_owned(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(auth.secret_ref.name.clone()),
            items: Some(vec![KeyToPath {
                key: auth.secret_ref.key.clone(),
                path: file.to_owned(),
                ..KeyToPath::default()
            }]),
            default_mode: Some(super::container::SECRET_FILE_MODE),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// Where the backup container sees [`credentials_volume`].
pub fn credentials_mount() -> VolumeMount {
    VolumeMount {
        name: CREDENTIALS_VOLUME.to_owned(),
        mount_path: CREDENTIALS_DIR.to_owned(),
        read_only: Some(true),
        ..VolumeMount::default()
    }
}
