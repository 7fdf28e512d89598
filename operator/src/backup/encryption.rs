//! The archive key of `spec.backup.encryption` in backup and restore pods: one Secret key mounted
//! read-only for the owner, and the engine's flags that seal archives with it or open them.

use k8s_openapi::api::core::v1::{KeyToPath, SecretVolumeSource, Volume, VolumeMount};

use crate::crd::BackupEncryption;
use crate::spec::ValidatedSpec;
use crate::spec::container::SECRET_FILE_MODE;

/// Directory the key is mounted under.
pub const KEY_DIR: &str = "/etc/vexfs/backup-key";
/// Name of the key's volume.
pub const KEY_VOLUME: &str = "backup-key";
/// File name of the key inside [`KEY_DIR`].
const KEY_FILE: &str = "key";

/// `spec.backup.encryption`, when archives are sealed.
pub fn of(spec: &ValidatedSpec) -> Option<&BackupEncryption> {
    spec.backup
        .as_ref()
        .and_then(|b| b.spec.encryption.as_ref())
}

/// The volume holding only the key, readable by its owner.
pub fn volume(encryption: &BackupEncryption) -> Volume {
    let key = &encryption.key_secret_ref;
    Volume {
        name: KEY_VOLUME.to_owned(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(key.name.clone()),
            items: Some(vec![KeyToPath {
                key: key.key.clone(),
                path: KEY_FILE.to_owned(),
                ..KeyToPath::default()
            }]),
            default_mode: Some(SECRET_FILE_MODE),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// Where a container sees [`volume`].
pub fn mount() -> VolumeMount {
    VolumeMount {
        name: KEY_VOLUME.to_owned(),
        mount_path: KEY_DIR.to_owned(),
        read_only: Some(true),
        ..VolumeMount::default()
    }
}

/// The key id written into sealed archives: the Secret and key it came from.
pub fn key_id(encryption: &BackupEncryption) -> String {
    let key = &encryption.key_secret_ref;
    format!("{}/{}", key.name, key.key)
}

/// Flags of `vexfs-engine backup`: seal with the key, and refuse to write a plain archive.
pub fn backup_args(encryption: &BackupEncryption) -> Vec<String> {
    let mut args = restore_args(encryption);
    args.extend(["--encryption-key-id".to_owned(), key_id(encryption)]);
    args.push("--require-encryption".to_owned());
    args
}

/// Flags of `vexfs-engine restore`: open sealed archives with the key (plain ones need none).
pub fn restore_args(_encryption: &BackupEncryption) -> Vec<String> {
    vec![
        "--encryption-key-file".to_owned(),
        format!("{KEY_DIR}/{KEY_FILE}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::SecretKeyRef;

    fn encryption() -> BackupEncryption {
        BackupEncryption {
            key_secret_ref: SecretKeyRef {
                name: "vexfs-backup-key".to_owned(),
                key: "key".to_owned(),
            },
        }
    }

    #[test]
    fn the_key_is_mounted_alone_read_only_for_its_owner() {
        let v = volume(&encryption());
        let secret = v.secret.expect("a Secret volume");
        assert_eq!(secret.secret_name.as_deref(), Some("vexfs-backup-key"));
        assert_eq!(secret.default_mode, Some(0o400));
        let items = secret.items.expect("one item");
        assert_eq!((items.len(), items[0].path.as_str()), (1, "key"));
        assert_eq!(mount().read_only, Some(true));
    }

    #[test]
    fn backups_must_seal_and_name_the_key_restores_only_open() {
        let e = encryption();
        assert_eq!(
            backup_args(&e),
            [
                "--encryption-key-file",
                "/etc/vexfs/backup-key/key",
                "--encryption-key-id",
                "vexfs-backup-key/key",
                "--require-encryption"
            ]
        );
        assert_eq!(
            restore_args(&e),
            ["--encryption-key-file", "/etc/vexfs/backup-key/key"]
        );
    }
}
