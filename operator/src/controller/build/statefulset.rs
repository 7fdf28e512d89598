//! The engine StatefulSet: probes, resources, storage, non-root security and Secret-backed files.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{
    ConfigMapProjection, Container, ContainerPort, EmptyDirVolumeSource, HTTPGetAction,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PodTemplateSpec, Probe,
    ProjectedVolumeSource, ResourceRequirements, Volume, VolumeMount, VolumeProjection,
    VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::engine_toml::{
    AUTH_SECRET_FILE, BACKUP_TOKEN_FILE, TLS_CA_FILE, TLS_CERT_FILE, TLS_KEY_FILE,
};
use super::{CONFIG_FILE, config_map_name, headless_service_name};
use crate::crd::{AuthSpec, Receiver};
use crate::spec::ValidatedSpec;
use crate::spec::container::{
    PodParts, hardened, key_to_path, pod_spec, relative_path, secret_projection,
};
use crate::spec::credentials::{TOKEN_KEY, backup_token_secret_name};
use crate::spec::names::{child_meta, labels, selector_labels};
use crate::spec::nats_files;
use crate::spec::tls::{CA_KEY, CERT_KEY, KEY_KEY};

/// Pod-template annotation carrying the hash of `engine.toml`, so pods roll only on a real change.
pub const CONFIG_HASH_ANNOTATION: &str = "vexfs.io/config-hash";
/// The engine's HTTP port (API, probes, metrics).
pub const ENGINE_PORT: i32 = 8080;
const CONFIG_DIR: &str = "/etc/vexfs";

/// The engine StatefulSet.
pub fn statefulset(spec: &ValidatedSpec, config_hash: &str) -> StatefulSet {
    let persistent = spec
        .engine
        .storage
        .as_ref()
        .map(|storage| PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some("data".to_owned()),
                ..ObjectMeta::default()
            },
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
                storage_class_name: storage.storage_class_name.clone(),
                resources: Some(VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([(
                        "storage".to_owned(),
                        Quantity(storage.size.clone()),
                    )])),
                    ..VolumeResourceRequirements::default()
                }),
                ..PersistentVolumeClaimSpec::default()
            }),
            ..PersistentVolumeClaim::default()
        });
    let mut volumes = vec![config_volume(spec)];
    if persistent.is_none() {
        volumes.push(Volume {
            name: "data".to_owned(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Volume::default()
        });
    }
    StatefulSet {
        metadata: child_meta(spec, spec.name.clone(), "engine"),
        spec: Some(StatefulSetSpec {
            // An autoscaler owns the count: leaving it out keeps the operator from resetting it.
            replicas: (!super::autoscaled(spec)).then(|| spec.desired_replicas()),
            service_name: Some(headless_service_name(spec)),
            pod_management_policy: Some("Parallel".to_owned()),
            selector: LabelSelector {
                match_labels: Some(selector_labels(spec)),
                ..LabelSelector::default()
            },
            template: pod_template(spec, config_hash, volumes),
            volume_claim_templates: persistent.map(|claim| vec![claim]),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

fn pod_template(spec: &ValidatedSpec, config_hash: &str, volumes: Vec<Volume>) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(spec, "engine")),
            annotations: Some(BTreeMap::from([(
                CONFIG_HASH_ANNOTATION.to_owned(),
                config_hash.to_owned(),
            )])),
            ..ObjectMeta::default()
        }),
        spec: Some(pod_spec(PodParts {
            containers: vec![engine_container(spec)],
            volumes,
            service_account: Some(spec.name.clone()),
            ..PodParts::default()
        })),
    }
}

fn engine_container(spec: &ValidatedSpec) -> Container {
    let listen = format!("0.0.0.0:{ENGINE_PORT}");
    let config = format!("{CONFIG_DIR}/{CONFIG_FILE}");
    Container {
        args: Some(
            [
                "serve",
                "--config",
                &config,
                "--listen",
                &listen,
                "--data-dir",
                spec.data_dir,
            ]
            .map(str::to_owned)
            .to_vec(),
        ),
        ports: Some(vec![ContainerPort {
            name: Some("http".to_owned()),
            container_port: ENGINE_PORT,
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        }]),
        readiness_probe: Some(http_probe(spec, "/readyz", 5, 3)),
        liveness_probe: Some(http_probe(spec, "/healthz", 10, 6)),
        resources: Some(
            spec.engine
                .resources
                .clone()
                .unwrap_or_else(default_resources),
        ),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "config".to_owned(),
                mount_path: CONFIG_DIR.to_owned(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "data".to_owned(),
                mount_path: spec.data_dir.to_owned(),
                ..VolumeMount::default()
            },
        ]),
        ..hardened("engine", &spec.images.engine)
    }
}

/// A probe of `path`, over HTTPS when `spec.tls` is on (the kubelet does not verify the
/// certificate).
fn http_probe(
    spec: &ValidatedSpec,
    path: &str,
    period_seconds: i32,
    failure_threshold: i32,
) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_owned()),
            port: IntOrString::String("http".to_owned()),
            scheme: spec.tls.as_ref().map(|_| "HTTPS".to_owned()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period_seconds),
        failure_threshold: Some(failure_threshold),
        ..Probe::default()
    }
}

/// Requests of 100m CPU and 128Mi memory and a 1Gi memory limit.
fn default_resources() -> ResourceRequirements {
    let q = |s: &str| Quantity(s.to_owned());
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_owned(), q("100m")),
            ("memory".to_owned(), q("128Mi")),
        ])),
        limits: Some(BTreeMap::from([("memory".to_owned(), q("1Gi"))])),
        ..ResourceRequirements::default()
    }
}

/// One projected volume at `/etc/vexfs`: `engine.toml`, receiver secrets under `secrets/<receiver>/`
/// the API credentials at `auth/credentials`, the backup token at `auth/backup-token` and, with
/// `spec.tls`, the serving certificate and key under `tls/`, with the CA beside them in clustered
/// mode (no nested mounts).
fn config_volume(spec: &ValidatedSpec) -> Volume {
    let mut sources = vec![VolumeProjection {
        config_map: Some(ConfigMapProjection {
            name: config_map_name(spec),
            items: Some(vec![key_to_path(CONFIG_FILE, CONFIG_FILE)]),
            ..ConfigMapProjection::default()
        }),
        ..VolumeProjection::default()
    }];
    sources.extend(
        spec.alerting
            .receivers
            .iter()
            .filter_map(receiver_projection),
    );
    sources.push(auth_projection(&spec.api_auth.auth_spec()));
    let backup = backup_token_secret_name(&spec.name);
    sources.push(secret_projection(
        &backup,
        vec![key_to_path(TOKEN_KEY, config_relative(BACKUP_TOKEN_FILE))],
    ));
    sources.extend(
        spec.cluster
            .iter()
            .flat_map(|nats| nats_files::projections(nats, CONFIG_DIR)),
    );
    sources.extend(spec.tls.as_ref().map(|tls| {
        let mut items = vec![
            key_to_path(CERT_KEY, config_relative(TLS_CERT_FILE)),
            key_to_path(KEY_KEY, config_relative(TLS_KEY_FILE)),
        ];
        if spec.cluster.is_some() {
            items.push(key_to_path(CA_KEY, config_relative(TLS_CA_FILE)));
        }
        secret_projection(&tls.secret, items)
    }));
    Volume {
        name: "config".to_owned(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(sources),
            ..ProjectedVolumeSource::default()
        }),
        ..Volume::default()
    }
}

fn receiver_projection(receiver: &Receiver) -> Option<VolumeProjection> {
    let file = |name: &str| format!("secrets/{}/{name}", receiver.name);
    if let Some(webhook) = &receiver.webhook {
        let r = &webhook.url_secret_ref;
        return Some(secret_projection(
            &r.name,
            vec![key_to_path(&r.key, &file("url"))],
        ));
    }
    if let Some(slack) = &receiver.slack {
        let r = &slack.webhook_url_secret_ref;
        return Some(secret_projection(
            &r.name,
            vec![key_to_path(&r.key, &file("url"))],
        ));
    }
    let password = receiver.email.as_ref()?.password_secret_ref.as_ref()?;
    Some(secret_projection(
        &password.name,
        vec![key_to_path(&password.key, &file("password"))],
    ))
}

/// The auth Secret key, projected to the path `engine.toml` names in `[auth] secret_file`.
fn auth_projection(auth: &AuthSpec) -> VolumeProjection {
    let r = &auth.secret_ref;
    secret_projection(
        &r.name,
        vec![key_to_path(&r.key, config_relative(AUTH_SECRET_FILE))],
    )
}

/// `file` relative to the config volume's mount point.
fn config_relative(file: &str) -> &str {
    relative_path(file, CONFIG_DIR)
}
