//! Clustered mode (`spec.cluster.nats`): the checks the CRD's CEL rules also make (same messages),
//! and the pure facts the builders and the status share: how many replicas the engine is
//! configured for, the peers' URLs, which partitions a replica owns, and where the NATS Secrets are
//! mounted.

use crate::crd::{ClusterSpec, EngineSpec, NatsSpec, messages};

/// Directory the NATS Secrets are mounted under in the engine container.
pub const NATS_DIR: &str = "/etc/vexfs/nats";
/// The mounted credentials file (`credentialsSecretRef`).
pub const NATS_CREDENTIALS_FILE: &str = "/etc/vexfs/nats/creds/nats.creds";
/// The mounted CA certificates (`tls.caSecretRef`).
pub const NATS_CA_FILE: &str = "/etc/vexfs/nats/ca/ca.pem";
/// The mounted client certificate (`tls.clientSecretRef`, key `tls.crt`).
pub const NATS_CERT_FILE: &str = "/etc/vexfs/nats/client/tls.crt";
/// The mounted client key (`tls.clientSecretRef`, key `tls.key`).
pub const NATS_KEY_FILE: &str = "/etc/vexfs/nats/client/tls.key";

/// A clustered-mode field that breaks a rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ClusterError {
    /// JSON path of the offending field.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn error(field: &'static str, message: &str) -> ClusterError {
    ClusterError {
        field,
        message: message.to_owned(),
    }
}

/// Checks `spec.engine` against `spec.cluster` and returns the NATS settings when clustered:
/// several replicas and autoscaling need `spec.cluster.nats`, whose fields must be values the
/// engine accepts, and the replicas must not outnumber the partitions.
pub fn check(
    engine: &EngineSpec,
    cluster: Option<&ClusterSpec>,
) -> Result<Option<NatsSpec>, ClusterError> {
    let Some(nats) = cluster.and_then(|c| c.nats.as_ref()) else {
        if engine.replicas > 1 {
            return Err(error("spec.engine.replicas", messages::ONE_ENGINE_REPLICA));
        }
        if engine.autoscaling.is_some() {
            return Err(error(
                "spec.engine.autoscaling",
                messages::AUTOSCALING_NEEDS_CLUSTER,
            ));
        }
        return Ok(None);
    };
    check_nats(nats)?;
    let most = engine
        .autoscaling
        .as_ref()
        .map_or(engine.replicas, |a| a.max_replicas);
    if let Some(a) = &engine.autoscaling
        && a.min_replicas > a.max_replicas
    {
        return Err(error(
            "spec.engine.autoscaling",
            messages::AUTOSCALING_RANGE,
        ));
    }
    if most > nats.partitions {
        return Err(error("spec.engine", messages::REPLICAS_WITHIN_PARTITIONS));
    }
    Ok(Some(nats.clone()))
}

fn check_nats(nats: &NatsSpec) -> Result<(), ClusterError> {
    let urls: Vec<&str> = nats.url.split(',').map(str::trim).collect();
    let valid_url = |u: &&str| {
        ["nats://", "tls://"].iter().any(|scheme| {
            u.strip_prefix(scheme)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
        })
    };
    if urls.is_empty() || !urls.iter().all(valid_url) {
        return Err(error("spec.cluster.nats.url", messages::NATS_URL));
    }
    let bad = |c: char| c.is_whitespace() || matches!(c, '.' | '*' | '>' | '/' | '\\');
    if nats.stream.is_empty() || nats.stream.chars().any(bad) {
        return Err(error("spec.cluster.nats.stream", messages::NATS_STREAM));
    }
    if nats
        .subject_prefix
        .split('.')
        .any(|token| token.is_empty() || token.chars().any(bad))
    {
        return Err(error(
            "spec.cluster.nats.subjectPrefix",
            messages::NATS_SUBJECT_PREFIX,
        ));
    }
    if !(1..=1024).contains(&nats.partitions) {
        return Err(error(
            "spec.cluster.nats.partitions",
            messages::NATS_PARTITIONS,
        ));
    }
    if !(1..=5).contains(&nats.stream_replicas) {
        return Err(error(
            "spec.cluster.nats.streamReplicas",
            messages::NATS_STREAM_REPLICAS,
        ));
    }
    Ok(())
}

/// The engine replica count `engine.toml` is rendered for: the StatefulSet's current scale
/// (`live`) when an autoscaler owns it, else `spec.engine.replicas`; at least 1 (a stopped engine
/// keeps the count it will start with, so stopping does not change its configuration).
pub fn configured_replicas(engine: &EngineSpec, live: Option<i32>) -> i32 {
    let replicas = match &engine.autoscaling {
        Some(a) => live
            .filter(|n| *n > 0)
            .unwrap_or(a.min_replicas)
            .clamp(a.min_replicas, a.max_replicas),
        None => engine.replicas,
    };
    replicas.max(1)
}

/// Base URL of every replica's API, by ordinal: the pods' stable names under the headless Service.
pub fn peer_urls(
    name: &str,
    headless: &str,
    namespace: &str,
    scheme: &str,
    port: i32,
    replicas: i32,
) -> Vec<String> {
    (0..replicas)
        .map(|i| format!("{scheme}://{name}-{i}.{headless}.{namespace}.svc:{port}"))
        .collect()
}

/// The partitions replica `ordinal` of `replicas` owns (`p % replicas == ordinal`), the engine's
/// rule.
pub fn owned_partitions(partitions: i32, replicas: i32, ordinal: i32) -> Vec<i32> {
    if replicas < 1 {
        return Vec::new();
    }
    (0..partitions)
        .filter(|p| p % replicas == ordinal)
        .collect()
}

/// The ordinal of a StatefulSet pod `NAME-N` of the StatefulSet `name`.
pub fn pod_ordinal(name: &str, pod: &str) -> Option<i32> {
    pod.strip_prefix(name)?.strip_prefix('-')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::AutoscalingSpec;

    fn clustered() -> ClusterSpec {
        ClusterSpec {
            nats: Some(NatsSpec::new(
                "nats://nats.nats:4222, tls://nats-1.nats:4222",
            )),
        }
    }

    fn engine(replicas: i32) -> EngineSpec {
        EngineSpec {
            replicas,
            ..EngineSpec::default()
        }
    }

    fn autoscaling(min: i32, max: i32) -> EngineSpec {
        EngineSpec {
            autoscaling: Some(AutoscalingSpec {
                min_replicas: min,
                max_replicas: max,
                target_cpu_utilization_percentage: 80,
            }),
            ..EngineSpec::default()
        }
    }

    #[test]
    fn several_replicas_and_autoscaling_need_nats() {
        assert_eq!(check(&engine(1), None), Ok(None));
        let err = check(&engine(2), None).unwrap_err();
        assert_eq!(err.field, "spec.engine.replicas");
        assert_eq!(err.message, messages::ONE_ENGINE_REPLICA);
        let err = check(&autoscaling(1, 3), Some(&ClusterSpec::default())).unwrap_err();
        assert_eq!(err.field, "spec.engine.autoscaling");
        assert!(check(&engine(3), Some(&clustered())).unwrap().is_some());
        assert!(check(&autoscaling(2, 16), Some(&clustered())).is_ok());
    }

    #[test]
    fn every_nats_field_is_checked_with_its_message() {
        type Change = fn(&mut NatsSpec);
        let cases: [(&str, Change); 9] = [
            ("spec.cluster.nats.url", |n| {
                n.url = "http://nats:4222".into();
            }),
            ("spec.cluster.nats.url", |n| n.url = "nats://a:4222,".into()),
            ("spec.cluster.nats.url", |n| n.url = "nats://".into()),
            ("spec.cluster.nats.stream", |n| n.stream = "a.b".into()),
            ("spec.cluster.nats.subjectPrefix", |n| {
                n.subject_prefix = "a.>".into();
            }),
            ("spec.cluster.nats.subjectPrefix", |n| {
                n.subject_prefix = "a..b".into();
            }),
            ("spec.cluster.nats.partitions", |n| n.partitions = 0),
            ("spec.cluster.nats.partitions", |n| n.partitions = 1025),
            ("spec.cluster.nats.streamReplicas", |n| {
                n.stream_replicas = 6;
            }),
        ];
        for (field, change) in cases {
            let mut cluster = clustered();
            change(cluster.nats.as_mut().unwrap());
            let err = check(&engine(1), Some(&cluster)).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn replicas_may_not_outnumber_partitions() {
        let mut cluster = clustered();
        cluster.nats.as_mut().unwrap().partitions = 4;
        assert!(check(&engine(4), Some(&cluster)).is_ok());
        let err = check(&engine(5), Some(&cluster)).unwrap_err();
        assert_eq!(err.message, messages::REPLICAS_WITHIN_PARTITIONS);
        assert!(check(&autoscaling(1, 5), Some(&cluster)).is_err());
        let err = check(&autoscaling(3, 2), Some(&cluster)).unwrap_err();
        assert_eq!(err.message, messages::AUTOSCALING_RANGE);
    }

    #[test]
    fn the_configured_count_follows_the_autoscaler_within_its_bounds() {
        assert_eq!(configured_replicas(&engine(3), Some(5)), 3);
        assert_eq!(configured_replicas(&engine(0), None), 1);
        assert_eq!(configured_replicas(&autoscaling(2, 6), Some(4)), 4);
        assert_eq!(configured_replicas(&autoscaling(2, 6), None), 2);
        assert_eq!(configured_replicas(&autoscaling(2, 6), Some(0)), 2);
        assert_eq!(configured_replicas(&autoscaling(2, 6), Some(9)), 6);
    }

    #[test]
    fn peers_ownership_and_ordinals() {
        assert_eq!(
            peer_urls("vx", "vx-headless", "ns", "https", 8080, 2),
            [
                "https://vx-0.vx-headless.ns.svc:8080",
                "https://vx-1.vx-headless.ns.svc:8080"
            ]
        );
        assert_eq!(owned_partitions(8, 3, 1), [1, 4, 7]);
        assert_eq!(owned_partitions(8, 0, 0), Vec::<i32>::new());
        assert_eq!(pod_ordinal("vx", "vx-12"), Some(12));
        assert_eq!(pod_ordinal("vx", "vx-a-1"), None);
        assert_eq!(pod_ordinal("vx", "other-1"), None);
    }
}
