//! The one builder of containers and pod specs: every container the operator creates (engine,
//! backup, upload, cleanup, restore, download) starts from [`hardened`] and every pod spec comes
//! from [`pod_spec`], so all of them meet the Pod Security `restricted` profile.
//!
//! Hardening: runs as the unprivileged image user, never as root; read-only root file system
//! (scratch space is the [`scratch_volume`] at `/tmp`); no privilege escalation; every capability
//! dropped; the runtime's default seccomp profile; no service-account token unless a pod asks.

use k8s_openapi::api::core::v1::{
    Capabilities, Container, EmptyDirVolumeSource, KeyToPath, PodSecurityContext, PodSpec,
    SeccompProfile, SecretProjection, SecurityContext, Volume, VolumeMount, VolumeProjection,
};

/// Unprivileged user and group every container runs as (the images' `nonroot` user).
pub const RUN_AS: i64 = 65532;
/// Name of the writable scratch volume mounted at [`SCRATCH_DIR`].
pub const SCRATCH_VOLUME: &str = "scratch";
/// Writable scratch directory of containers that need one (the root file system is read-only).
pub const SCRATCH_DIR: &str = "/tmp";
/// Mode of every file mounted from a Secret: readable by its owner only. The kubelet makes the
/// pod's `fsGroup` ([`RUN_AS`]) own such files and adds group read, so the containers' user,
/// whose group that is, reads them and no other user does.
pub const SECRET_FILE_MODE: i32 = 0o400;

/// A container named `name` running `image`, with the restricted security context.
pub fn hardened(name: &str, image: &str) -> Container {
    Container {
        name: name.to_owned(),
        image: Some(image.to_owned()),
        security_context: Some(SecurityContext {
            run_as_non_root: Some(true),
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".to_owned()]),
                ..Capabilities::default()
            }),
            seccomp_profile: Some(runtime_default()),
            ..SecurityContext::default()
        }),
        ..Container::default()
    }
}

/// The parts of a pod the callers choose; everything security-related is fixed by [`pod_spec`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodParts {
    /// Init containers, in order (each built with [`hardened`]).
    pub init_containers: Vec<Container>,
    /// Containers (each built with [`hardened`]).
    pub containers: Vec<Container>,
    /// Volumes.
    pub volumes: Vec<Volume>,
    /// Service account; the namespace default when `None`.
    pub service_account: Option<String>,
    /// Mount the service-account token (only for pods that call the Kubernetes API; none does).
    pub service_account_token: bool,
    /// `Always` (the default) or `Never` (Jobs).
    pub restart_policy: Option<String>,
}

/// The pod spec of `parts` with the restricted pod security context.
pub fn pod_spec(parts: PodParts) -> PodSpec {
    PodSpec {
        service_account_name: parts.service_account,
        automount_service_account_token: Some(parts.service_account_token),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(RUN_AS),
            run_as_group: Some(RUN_AS),
            fs_group: Some(RUN_AS),
            seccomp_profile: Some(runtime_default()),
            ..PodSecurityContext::default()
        }),
        init_containers: (!parts.init_containers.is_empty()).then_some(parts.init_containers),
        containers: parts.containers,
        volumes: (!parts.volumes.is_empty()).then_some(parts.volumes),
        restart_policy: parts.restart_policy,
        ..PodSpec::default()
    }
}

/// The writable scratch volume (an emptyDir).
pub fn scratch_volume() -> Volume {
    Volume {
        name: SCRATCH_VOLUME.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }
}

/// Where a container sees [`scratch_volume`].
pub fn scratch_mount() -> VolumeMount {
    VolumeMount {
        name: SCRATCH_VOLUME.to_owned(),
        mount_path: SCRATCH_DIR.to_owned(),
        ..VolumeMount::default()
    }
}

/// Keys of the Secret `name` as files of a projected volume, each readable by its owner only
/// ([`SECRET_FILE_MODE`]); the volume's other files (a ConfigMap's) keep the default mode.
pub fn secret_projection(name: &str, items: Vec<KeyToPath>) -> VolumeProjection {
    let items = items
        .into_iter()
        .map(|item| KeyToPath {
            mode: Some(SECRET_FILE_MODE),
            ..item
        })
        .collect();
    VolumeProjection {
        secret: Some(SecretProjection {
            name: name.to_owned(),
            items: Some(items),
            ..SecretProjection::default()
        }),
        ..VolumeProjection::default()
    }
}

/// The key `key` as the file `path` (relative to the volume's mount point).
pub fn key_to_path(key: &str, path: &str) -> KeyToPath {
    KeyToPath {
        key: key.to_owned(),
        path: path.to_owned(),
        ..KeyToPath::default()
    }
}

/// `file` (an absolute path under `dir`) relative to `dir`, the mount point of its volume.
pub fn relative_path<'a>(file: &'a str, dir: &str) -> &'a str {
    file.strip_prefix(dir)
        .unwrap_or(file)
        .trim_start_matches('/')
}

fn runtime_default() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".to_owned(),
        ..SeccompProfile::default()
    }
}
