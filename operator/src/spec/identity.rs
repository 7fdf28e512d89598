//! The operator's own API credential for backup Jobs: a token of its own, in the generated Secret
//! `<name>-backup-token`, that the engine accepts for `GET /api/v1/admin/backup` and nothing
//! else (`[auth] backup_token_file`), whatever `spec.rbac.auth` says. The Job mounts that one
//! key; it never sees the JWT signing key, the user's token list or the admin token.

use k8s_openapi::api::core::v1::{KeyToPath, SecretVolumeSource, Volume, VolumeMount};

use super::credentials::{TOKEN_KEY, backup_token_secret_name};
use super::tls::CA_KEY;

/// The subject the engine records backup-token requests as; user roles and subjects may not use
/// it, so the audit log cannot confuse the two.
pub const BACKUP_IDENTITY: &str = "vexfs-operator-backup";
/// Directory the backup token is mounted under in backup Jobs.
pub const CREDENTIALS_DIR: &str = "/etc/vexfs/backup";
/// The mounted backup token file.
pub const CREDENTIALS_FILE: &str = "/etc/vexfs/backup/token";
/// Name of the credentials volume in backup pods.
pub const CREDENTIALS_VOLUME: &str = "api-credentials";
/// Directory the engine's CA certificate is mounted under in backup Jobs (HTTPS only).
pub const CA_DIR: &str = "/etc/vexfs/backup-ca";
/// Name of the CA volume in backup pods.
pub const CA_VOLUME: &str = "api-ca";

/// Whether `name` is reserved for the operator's backup identity.
pub fn is_reserved(name: &str) -> bool {
    name == BACKUP_IDENTITY
}

/// How backup Jobs authenticate to the engine API: the backup token of one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupIdentity {
    secret: String,
    tls_secret: Option<String>,
}

impl BackupIdentity {
    /// The backup identity of the `VexfsSemantic` named `name`.
    pub fn new(name: &str) -> Self {
        Self {
            secret: backup_token_secret_name(name),
            tls_secret: None,
        }
    }

    /// The same identity reaching an HTTPS engine whose CA is `ca.crt` of `tls_secret`.
    #[must_use]
    pub fn with_tls(self, tls_secret: Option<String>) -> Self {
        Self { tls_secret, ..self }
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.tls_secret.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// The Secret holding the token.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// `vexfs-engine backup` options sending the token (and trusting the engine's CA).
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["--token-file".to_owned(), CREDENTIALS_FILE.to_owned()];
        if self.tls_secret.is_some() {
            args.extend(["--ca-file".to_owned(), format!("{CA_DIR}/{CA_KEY}")]);
        }
        args
    }

    /// The engine's CA certificate as `CA_DIR/ca.crt` (HTTPS only; nothing else of its Secret).
    pub fn ca_volume(&self) -> Option<Volume> {
        let secret = self.tls_secret.as_ref()?;
        Some(Volume {
            name: CA_VOLUME.to_owned(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret.clone()),
                items: Some(vec![KeyToPath {
                    key: CA_KEY.to_owned(),
                    path: CA_KEY.to_owned(),
                    ..KeyToPath::default()
                }]),
                default_mode: Some(super::container::SECRET_FILE_MODE),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        })
    }

    /// The volumes of [`BackupIdentity::volume`] and [`BackupIdentity::ca_volume`].
    pub fn volumes(&self) -> Vec<Volume> {
        std::iter::once(self.volume())
            .chain(self.ca_volume())
            .collect()
    }

    /// Where the backup container sees [`BackupIdentity::volumes`].
    pub fn mounts(&self) -> Vec<VolumeMount> {
        let ca = self.tls_secret.as_ref().map(|_| VolumeMount {
            name: CA_VOLUME.to_owned(),
            mount_path: CA_DIR.to_owned(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
        std::iter::once(credentials_mount()).chain(ca).collect()
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
                default_mode: Some(super::container::SECRET_FILE_MODE),
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
