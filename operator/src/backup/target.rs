//! Where archives live: locations (`pvc://claim/file`, `s3://bucket/key`) and the pod pieces to reach them.

use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, EnvVar, EnvVarSource, PersistentVolumeClaimVolumeSource,
    SecretKeySelector, Volume, VolumeMount,
};
use thiserror::Error;

use crate::crd::{BackupTarget, S3Target};
use crate::spec::ValidatedSpec;
use crate::spec::container::{SCRATCH_DIR, hardened, scratch_mount};

/// Mount path of the backup volume (or scratch space for S3) in backup and restore pods.
pub const ARCHIVE_DIR: &str = "/backups";
/// Name of the archive volume in pod specs.
pub const ARCHIVE_VOLUME: &str = "backups";
/// Secret key holding the S3 access key id.
pub const ACCESS_KEY_ID_KEY: &str = "accessKeyId";
/// Secret key holding the S3 secret access key.
pub const SECRET_ACCESS_KEY_KEY: &str = "secretAccessKey";

/// A location string that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LocationError {
    /// Neither `pvc://claim/file` nor `s3://bucket/key`.
    #[error("unsupported backup location {0:?}; expected pvc://CLAIM/FILE or s3://BUCKET/KEY")]
    Unsupported(String),
}

/// A parsed archive location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file at the root of a PersistentVolumeClaim.
    Volume {
        /// Claim name.
        claim: String,
        /// File name inside the claim.
        file: String,
    },
    /// An object in an S3 bucket.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
    },
}

impl Location {
    /// Where the archive of backup `backup_name` goes in `target`.
    pub fn for_backup(target: &BackupTarget, backup_name: &str) -> Option<Self> {
        let file = format!("{backup_name}.tar.gz");
        if let Some(volume) = &target.volume {
            return Some(Self::Volume {
                claim: volume.claim_name.clone(),
                file,
            });
        }
        let s3 = target.s3.as_ref()?;
        let prefix = s3.prefix.as_deref().unwrap_or("").trim_matches('/');
        let key = if prefix.is_empty() {
            file
        } else {
            format!("{prefix}/{file}")
        };
        Some(Self::S3 {
            bucket: s3.bucket.clone(),
            key,
        })
    }

    /// Parses a location written by [`Location::render`].
    pub fn parse(text: &str) -> Result<Self, LocationError> {
        let unsupported = || LocationError::Unsupported(text.to_owned());
        let (scheme, rest) = text.split_once("://").ok_or_else(unsupported)?;
        let (head, tail) = rest.split_once('/').ok_or_else(unsupported)?;
        if head.is_empty() || tail.is_empty() {
            return Err(unsupported());
        }
        match scheme {
            "pvc" if !tail.contains('/') => Ok(Self::Volume {
                claim: head.to_owned(),
                file: tail.to_owned(),
            }),
            "s3" => Ok(Self::S3 {
                bucket: head.to_owned(),
                key: tail.to_owned(),
            }),
            _ => Err(unsupported()),
        }
    }

    /// The location as stored in `VexfsBackup.status.location`.
    pub fn render(&self) -> String {
        match self {
            Self::Volume { claim, file } => format!("pvc://{claim}/{file}"),
            Self::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }

    /// Path of the archive inside a pod that mounts [`Location::volume`] at [`ARCHIVE_DIR`].
    pub fn local_path(&self) -> String {
        let file = match self {
            Self::Volume { file, .. } => file.as_str(),
            Self::S3 { key, .. } => key.rsplit('/').next().unwrap_or(key),
        };
        format!("{ARCHIVE_DIR}/{file}")
    }

    /// The pod volume holding the archive: the claim, or scratch space for S3.
    pub fn volume(&self, read_only: bool) -> Volume {
        match self {
            Self::Volume { claim, .. } => Volume {
                name: ARCHIVE_VOLUME.to_owned(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim.clone(),
                    read_only: Some(read_only),
                }),
                ..Volume::default()
            },
            Self::S3 { .. } => Volume {
                name: ARCHIVE_VOLUME.to_owned(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Volume::default()
            },
        }
    }
}

/// Mount of the archive volume at [`ARCHIVE_DIR`].
pub fn archive_mount(read_only: bool) -> VolumeMount {
    VolumeMount {
        name: ARCHIVE_VOLUME.to_owned(),
        mount_path: ARCHIVE_DIR.to_owned(),
        read_only: Some(read_only),
        ..VolumeMount::default()
    }
}

/// `aws` CLI arguments addressing the S3 endpoint, if a custom one is set.
pub fn endpoint_args(s3: &S3Target) -> Vec<String> {
    s3.endpoint
        .iter()
        .flat_map(|url| ["--endpoint-url".to_owned(), url.clone()])
        .collect()
}

/// `spec.backup.target.s3`, when backups go to S3.
pub fn s3_target(spec: &ValidatedSpec) -> Option<&S3Target> {
    spec.backup.as_ref().and_then(|b| b.spec.target.s3.as_ref())
}

/// An `aws` CLI container named `name` from `image` running `args` with the archive volume mounted and the
/// scratch directory as its home (the CLI writes its cache there; the root file system is read-only).
pub fn aws_container(name: &str, image: &str, args: Vec<String>, s3: &S3Target) -> Container {
    let mut env = s3_env(s3);
    env.push(EnvVar {
        name: "HOME".to_owned(),
        value: Some(SCRATCH_DIR.to_owned()),
        ..EnvVar::default()
    });
    Container {
        args: Some(args),
        env: Some(env),
        volume_mounts: Some(vec![archive_mount(false), scratch_mount()]),
        ..hardened(name, image)
    }
}

/// Environment giving the `aws` CLI its credentials (from the Secret) and region.
pub fn s3_env(s3: &S3Target) -> Vec<EnvVar> {
    let secret = |name: &str, key: &str| EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: s3.credentials_secret_ref.name.clone(),
                key: key.to_owned(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    };
    vec![
        secret("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID_KEY),
        secret("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY_KEY),
        EnvVar {
            name: "AWS_DEFAULT_REGION".to_owned(),
            value: Some(s3.region.clone().unwrap_or_else(|| "us-east-1".to_owned())),
            ..EnvVar::default()
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{SecretRef, VolumeTarget};

    fn s3_target(prefix: Option<&str>) -> BackupTarget {
        BackupTarget {
            volume: None,
            s3: Some(S3Target {
                bucket: "vexfs-backups".to_owned(),
                endpoint: Some("http://127.0.0.1:5000".to_owned()),
                prefix: prefix.map(str::to_owned),
                region: None,
                credentials_secret_ref: SecretRef {
                    name: "s3-creds".to_owned(),
                },
            }),
        }
    }

    #[test]
    fn locations_render_and_parse_back() {
        let volume = BackupTarget {
            volume: Some(VolumeTarget {
                claim_name: "archive".to_owned(),
            }),
            s3: None,
        };
        let at = Location::for_backup(&volume, "vx-29000000").expect("target");
        assert_eq!(at.render(), "pvc://archive/vx-29000000.tar.gz");
        assert_eq!(at.local_path(), "/backups/vx-29000000.tar.gz");
        let s3 = Location::for_backup(&s3_target(Some("/prod/vx/")), "b1").expect("target");
        assert_eq!(s3.render(), "s3://vexfs-backups/prod/vx/b1.tar.gz");
        assert_eq!(s3.local_path(), "/backups/b1.tar.gz");
        assert_eq!(
            Location::for_backup(&s3_target(None), "b1")
                .expect("target")
                .render(),
            "s3://vexfs-backups/b1.tar.gz"
        );
        for location in [at, s3] {
            assert_eq!(Location::parse(&location.render()), Ok(location));
        }
    }

    #[test]
    fn unknown_locations_are_rejected() {
        for text in [
            "/backups/a.tar.gz",
            "pvc://claim",
            "pvc://claim/dir/file",
            "gs://b/k",
            "s3:///k",
        ] {
            assert!(Location::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn s3_env_reads_credentials_from_the_secret() {
        let target = s3_target(None);
        let s3 = target.s3.as_ref().expect("s3");
        let env = s3_env(s3);
        let key_ref = env[0]
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
            .expect("secret ref");
        assert_eq!(
            (key_ref.name.as_str(), key_ref.key.as_str()),
            ("s3-creds", ACCESS_KEY_ID_KEY)
        );
        assert_eq!(env[2].value.as_deref(), Some("us-east-1"));
        assert_eq!(
            endpoint_args(s3),
            vec!["--endpoint-url", "http://127.0.0.1:5000"]
        );
    }
}
