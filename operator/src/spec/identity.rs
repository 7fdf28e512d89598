//! The operator's own API credential for backup Jobs: a token of its own, in the generated Secret
//! `<name>-backup-token`, that the engine accepts for `GET /api/v1/admin/backup` and nothing
//! else (`[auth] backup_token_file`), whatever `spec.rbac.auth` says. The Job mounts that one
//! key; it never sees the JWT signing key, the user's token list or the admin token.

use k8s_openapi::api::core::v1::{KeyToPath, SecretVolumeSource, Volume, VolumeMount};

use super::credentials::TOKEN_KEY;

/// The subject the engine records backup-token requests as; user roles and subjects may not use
/// it, so the audit log cannot confuse the two.
pub const BACKUP_IDENTITY: &str = "vexfs-operator-backup";
/// Directory the backup token is mounted under in backup Jobs.
pub const CREDENTIALS_DIR: &str = "/etc/vexfs/backup";
/// The mounted backup token file.
pub const CREDENTIALS_FILE: &str = "/etc/vexfs/backup/token";
/// Name of the credentials volume in backup pods.
pub const CREDENTIALS_VOLUME: &str = "api-credentials";
/// Owner and group may read the file (the pod's `fsGroup` owns it).
const CREDENTIALS_MODE: i32 = 0o440;

/// Whether `name` is reserved for the operator's backup identity.
pub fn is_reserved(name: &str) -> bool {
    name == BACKUP_IDENTITY
}

/// `<name>-backup-token`.
pub fn backup_token_secret_name(name: &str) -> String {
    format!("{name}-backup-token")
}

/// How backup Jobs authenticate to the engine API: the backup token of one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupIdentity {
    secret: String,
}

impl BackupIdentity {
    /// The backup identity of the `VexfsSemantic` named `name`.
    pub fn new(name: &str) -> Self {
        Self {
            secret: backup_token_secret_name(name),
        }
    }

    /// The Secret holding the token.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// `vexfs-engine backup` options sending the token.
    pub fn args(&self) -> Vec<String> {
        ["--token-file", CREDENTIALS_FILE]
            .map(str::to_owned)
            .to_vec()
    }

    /// The token as the read-only file [`CREDENTIALS_FILE`], and nothing else of the Secret.
    pub fn volume(&self) -> Volume {
        let file = CREDENTIALS_FILE
            .strip_prefix(CREDENTIALS_DIR)
            .unwrap_or(CREDENTIALS_FILE)
            .trim_start_matches('/');
        Volume {
            name: CREDENTIALS_VOLUME.to_owned(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(self.secret.clone()),
                items: Some(vec![KeyToPath {
                    key: TOKEN_KEY.to_owned(),
                    path: file.to_owned(),
                    ..KeyToPath::default()
                }]),
                default_mode: Some(CREDENTIALS_MODE),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        }
    }
}

/// Where the backup container sees [`BackupIdentity::volume`].
pub fn credentials_mount() -> VolumeMount {
    VolumeMount {
        name: CREDENTIALS_VOLUME.to_owned(),
        mount_path: CREDENTIALS_DIR.to_owned(),
        read_only: Some(true),
        ..VolumeMount::default()
    }
}
