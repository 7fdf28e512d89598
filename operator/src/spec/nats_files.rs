//! The NATS Secrets of clustered mode as files: the credentials file, the servers' CA, the client
//! certificate and key, each readable by its owner only, at the paths of
//! [`super::cluster`] (`NATS_*_FILE`, under [`NATS_DIR`]). The engine pods see them inside their
//! configuration volume at `/etc/vexfs`; backup and restore Jobs, which reach NATS themselves,
//! see them alone in a volume of their own at [`NATS_DIR`]. Both come from [`projections`], so a
//! file is at the same path in every pod, and [`engine_args`] names those paths to
//! `vexfs-engine backup` and `restore` as `[cluster]` names them to `serve`.

use k8s_openapi::api::core::v1::{ProjectedVolumeSource, Volume, VolumeMount, VolumeProjection};

use super::cluster::{
    NATS_CA_FILE, NATS_CERT_FILE, NATS_CREDENTIALS_FILE, NATS_DIR, NATS_KEY_FILE,
};
use super::container::{key_to_path, relative_path, secret_projection};
use super::tls::{CERT_KEY, KEY_KEY};
use crate::crd::{NatsSpec, SecretKeyRef};

/// Name of the NATS Secrets' volume in Job pods.
pub const NATS_VOLUME: &str = "nats";

/// The Secrets `nats` names, projected to the `NATS_*_FILE` paths relative to `dir` (the mount
/// point of the volume they go into, [`NATS_DIR`] or a directory above it).
pub fn projections(nats: &NatsSpec, dir: &str) -> Vec<VolumeProjection> {
    let one = |r: &SecretKeyRef, file: &str| {
        secret_projection(&r.name, vec![key_to_path(&r.key, relative_path(file, dir))])
    };
    let tls = nats.tls.as_ref();
    let mut sources: Vec<VolumeProjection> = nats
        .credentials_secret_ref
        .iter()
        .map(|r| one(r, NATS_CREDENTIALS_FILE))
        .chain(tls.map(|t| one(&t.ca_secret_ref, NATS_CA_FILE)))
        .collect();
    if let Some(client) = tls.and_then(|t| t.client_secret_ref.as_ref()) {
        let cert = key_to_path(CERT_KEY, relative_path(NATS_CERT_FILE, dir));
        let key = key_to_path(KEY_KEY, relative_path(NATS_KEY_FILE, dir));
        sources.push(secret_projection(&client.name, vec![cert, key]));
    }
    sources
}

/// The volume of a Job pod holding the NATS Secrets alone, mounted with [`mount`]; `None` when
/// the servers need neither credentials nor TLS.
pub fn volume(nats: &NatsSpec) -> Option<Volume> {
    let sources = projections(nats, NATS_DIR);
    (!sources.is_empty()).then(|| Volume {
        name: NATS_VOLUME.to_owned(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(sources),
            ..ProjectedVolumeSource::default()
        }),
        ..Volume::default()
    })
}

/// Where a Job's container sees [`volume`]: [`NATS_DIR`], read-only.
pub fn mount() -> VolumeMount {
    VolumeMount {
        name: NATS_VOLUME.to_owned(),
        mount_path: NATS_DIR.to_owned(),
        read_only: Some(true),
        ..VolumeMount::default()
    }
}

/// The `vexfs-engine backup`/`restore` options reaching the servers of `nats`: the stream, and
/// the mounted files (the `[cluster]` keys `credentials_file`, `ca_file`, `cert_file`,
/// `key_file`).
pub fn engine_args(nats: &NatsSpec) -> Vec<String> {
    let tls = nats.tls.as_ref();
    let client = tls.and_then(|t| t.client_secret_ref.as_ref());
    let files = [
        (
            "--nats-credentials-file",
            nats.credentials_secret_ref
                .as_ref()
                .map(|_| NATS_CREDENTIALS_FILE),
        ),
        ("--nats-ca-file", tls.map(|_| NATS_CA_FILE)),
        ("--nats-cert-file", client.map(|_| NATS_CERT_FILE)),
        ("--nats-key-file", client.map(|_| NATS_KEY_FILE)),
    ];
    let mut args = vec!["--stream".to_owned(), nats.stream.clone()];
    for (flag, file) in files {
        if let Some(file) = file {
            args.extend([flag.to_owned(), file.to_owned()]);
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{NatsTlsSpec, SecretRef};

    fn secured() -> NatsSpec {
        NatsSpec {
            credentials_secret_ref: Some(SecretKeyRef {
                name: "nats-creds".to_owned(),
                key: "engine.creds".to_owned(),
            }),
            tls: Some(NatsTlsSpec {
                ca_secret_ref: SecretKeyRef {
                    name: "nats-ca".to_owned(),
                    key: "ca.crt".to_owned(),
                },
                client_secret_ref: Some(SecretRef {
                    name: "nats-client".to_owned(),
                }),
            }),
            ..NatsSpec::new("tls://nats.nats:4222")
        }
    }

    /// Every projected file as (Secret, key, path, mode).
    fn files(sources: &[VolumeProjection]) -> Vec<(String, String, String, Option<i32>)> {
        sources
            .iter()
            .filter_map(|s| s.secret.as_ref())
            .flat_map(|s| {
                s.items
                    .iter()
                    .flatten()
                    .map(|i| (s.name.clone(), i.key.clone(), i.path.clone(), i.mode))
            })
            .collect()
    }

    #[test]
    fn the_same_files_under_the_engines_config_dir_and_in_a_jobs_own_volume() {
        let nats = secured();
        let under_config = files(&projections(&nats, "/etc/vexfs"));
        let paths: Vec<&str> = under_config.iter().map(|f| f.2.as_str()).collect();
        assert_eq!(
            paths,
            [
                "nats/creds/nats.creds",
                "nats/ca/ca.pem",
                "nats/client/tls.crt",
                "nats/client/tls.key"
            ]
        );
        let own = volume(&nats).expect("a volume");
        let in_job = files(
            own.projected
                .as_ref()
                .and_then(|p| p.sources.as_deref())
                .unwrap_or_default(),
        );
        assert_eq!(in_job.len(), 4);
        for ((secret, key, path, mode), job) in under_config.iter().zip(&in_job) {
            assert_eq!((secret, key, *mode), (&job.0, &job.1, job.3));
            assert_eq!(
                format!("/etc/vexfs/{path}"),
                format!("{NATS_DIR}/{}", job.2)
            );
            assert_eq!(*mode, Some(0o400), "{path} is readable by its owner only");
        }
        assert_eq!(mount().read_only, Some(true));
        assert_eq!(mount().mount_path, NATS_DIR);
    }

    #[test]
    fn the_engine_options_name_the_mounted_files() {
        assert_eq!(
            engine_args(&secured()),
            [
                "--stream",
                "VEXFS_EVENTS",
                "--nats-credentials-file",
                NATS_CREDENTIALS_FILE,
                "--nats-ca-file",
                NATS_CA_FILE,
                "--nats-cert-file",
                NATS_CERT_FILE,
                "--nats-key-file",
                NATS_KEY_FILE
            ]
        );
        let open = NatsSpec::new("nats://nats.nats:4222");
        assert_eq!(engine_args(&open), ["--stream", "VEXFS_EVENTS"]);
        assert_eq!(volume(&open), None, "no Secrets, no volume");
    }
}
