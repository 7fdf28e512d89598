//! The engine NetworkPolicy: defaults, peers from the spec, the always-admitted operator and
//! backup Jobs, and no rule that would admit everyone.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde_json::{Value, json};

use super::*;
use crate::backup::job::{JobContext, backup_job, cleanup_job};
use crate::backup::target::Location;
use crate::controller::build::{ClusterFacts, build_all};
use crate::crd::VexfsSemantic;
use crate::spec::images::Images;
use crate::spec::validate;

fn spec(network_policy: Value) -> ValidatedSpec {
    let cr: VexfsSemantic = serde_json::from_value(json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
        "metadata": {"name": "vx", "namespace": "team", "uid": "u-1"},
        "spec": {"networkPolicy": network_policy}
    }))
    .expect("fixture");
    validate(&cr, &Images::default()).expect("valid")
}

fn rules(policy: &NetworkPolicy) -> Vec<NetworkPolicyIngressRule> {
    policy
        .spec
        .as_ref()
        .and_then(|s| s.ingress.clone())
        .unwrap_or_default()
}

fn json_of(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("serialises")
}

#[test]
fn by_default_only_the_operator_and_backup_jobs_reach_the_engine_port() {
    let policy = network_policy(&spec(json!({})), Some("vexfs-system"));
    let body = policy.spec.as_ref().expect("spec");
    assert_eq!(
        json_of(&body.pod_selector),
        json!({"matchLabels": {
            "app.kubernetes.io/name": "vexfs-engine",
            "app.kubernetes.io/instance": "vx",
            "app.kubernetes.io/component": "engine"
        }})
    );
    assert_eq!(body.policy_types, Some(vec!["Ingress".to_owned()]));
    let rules = rules(&policy);
    assert_eq!(rules.len(), 1, "no metrics rule without metricsFrom");
    assert_eq!(
        json_of(&rules[0]),
        json!({
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "vexfs-system"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "vexfs-operator"}}
                },
                {"podSelector": {"matchLabels": {
                    "app.kubernetes.io/managed-by": "vexfs-operator",
                    "vexfs.io/semantic": "vx",
                    "app.kubernetes.io/component": "backup"
                }}}
            ],
            "ports": [{"protocol": "TCP", "port": 8080}]
        })
    );
    let meta = &policy.metadata;
    assert_eq!(meta.name.as_deref(), Some("vx"));
    assert_eq!(meta.namespace.as_deref(), Some("team"));
    assert_eq!(meta.owner_references.as_ref().map(Vec::len), Some(1));
}

#[test]
fn peers_from_the_spec_are_admitted_and_metrics_get_their_own_rule() {
    let spec = spec(json!({
        "ingestFrom": [
            {"namespaceSelector": {"team": "storage"}, "podSelector": {"app": "vexfs-agent"}},
            {"ipBlock": {"cidr": "10.20.0.0/16", "except": ["10.20.5.0/24"]}}
        ],
        "queryFrom": [
            {"podSelector": {"app": "vexfs-agent"}, "namespaceSelector": {"team": "storage"}},
            {"podSelector": {"app": "grafana"}}
        ],
        "metricsFrom": [{"namespaceSelector": {"kubernetes.io/metadata.name": "monitoring"}}]
    }));
    let policy = network_policy(&spec, Some("vexfs-system"));
    let rules = rules(&policy);
    assert_eq!(rules.len(), 2);
    let clients = json_of(&rules[0].from);
    assert_eq!(
        clients.as_array().map(Vec::len),
        Some(5),
        "operator, backup Jobs, two ingest peers, grafana (the repeated agent peer once): {clients:#}"
    );
    assert_eq!(
        clients[2],
        json!({"namespaceSelector": {"matchLabels": {"team": "storage"}},
               "podSelector": {"matchLabels": {"app": "vexfs-agent"}}})
    );
    assert_eq!(
        clients[3],
        json!({"ipBlock": {"cidr": "10.20.0.0/16", "except": ["10.20.5.0/24"]}})
    );
    assert_eq!(
        clients[4],
        json!({"podSelector": {"matchLabels": {"app": "grafana"}}})
    );
    assert_eq!(
        json_of(&rules[1]),
        json!({
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
            "ports": [{"protocol": "TCP", "port": 8080}]
        })
    );
}

#[test]
fn an_empty_selector_matches_everything_and_is_written_as_the_server_stores_it() {
    let spec = spec(json!({"metricsFrom": [{"namespaceSelector": {}}]}));
    let policy = network_policy(&spec, None);
    let rules = rules(&policy);
    assert_eq!(json_of(&rules[1].from), json!([{"namespaceSelector": {}}]));
}

#[test]
fn without_its_namespace_the_operator_is_not_admitted_and_no_rule_is_ever_open() {
    let policy = network_policy(&spec(json!({})), None);
    let rules = rules(&policy);
    let from = json_of(&rules[0].from);
    assert_eq!(from.as_array().map(Vec::len), Some(1), "{from:#}");
    assert!(
        rules
            .iter()
            .all(|r| r.from.as_ref().is_some_and(|f| !f.is_empty())),
        "a rule without peers admits every pod"
    );
}

#[test]
fn the_backup_peer_selects_the_backup_job_pods_but_not_the_cleanup_pods() {
    let spec = spec(json!({}));
    let policy = network_policy(&spec, None);
    let wanted = rules(&policy)[0].from.clone().expect("from")[0]
        .pod_selector
        .clone()
        .and_then(|s| s.match_labels)
        .expect("labels");
    let location = Location::Volume {
        claim: "archive".to_owned(),
        file: "b.tar.gz".to_owned(),
    };
    let ctx = JobContext {
        backup_name: "vx-1",
        namespace: "team",
        semantic: "vx",
        images: &Images::default(),
        location: &location,
        s3: None,
        identity: None,
        encryption: None,
        cluster: None,
        owner: OwnerReference::default(),
    };
    let pod_labels = |job: Job| {
        let template = job.spec.expect("job spec").template;
        template.metadata.and_then(|m| m.labels).unwrap_or_default()
    };
    let backup = pod_labels(backup_job(&ctx));
    assert!(
        wanted.iter().all(|(k, v)| backup.get(k) == Some(v)),
        "{wanted:?} does not select the backup pod labelled {backup:?}"
    );
    let cleanup = pod_labels(cleanup_job(&ctx));
    assert!(!wanted.iter().all(|(k, v)| cleanup.get(k) == Some(v)));
}

#[test]
fn disabled_means_no_network_policy_child() {
    let facts = ClusterFacts::default();
    let on = build_all(&spec(json!({})), facts).expect("builds");
    assert!(on.network_policy.is_some(), "enabled by default");
    let off = build_all(&spec(json!({"enabled": false})), facts).expect("builds");
    assert_eq!(off.network_policy, None);
}

#[test]
fn clustered_replicas_reach_each_other_and_backup_jobs_reach_only_standalone_engines() {
    let engines = json!({"podSelector": {"matchLabels": {
        "app.kubernetes.io/name": "vexfs-engine",
        "app.kubernetes.io/instance": "vx",
        "app.kubernetes.io/component": "engine"
    }}});
    let cr: VexfsSemantic = serde_json::from_value(json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
        "metadata": {"name": "vx", "namespace": "team", "uid": "u-1"},
        "spec": {"engine": {"replicas": 3},
                 "cluster": {"nats": {"url": "nats://nats.nats:4222"}}}
    }))
    .expect("fixture");
    let clustered = validate(&cr, &Images::default()).expect("valid");
    let from = |spec: &ValidatedSpec| json_of(&rules(&network_policy(spec, None))[0].from);
    let admitted = from(&clustered);
    assert!(
        admitted.as_array().expect("peers").contains(&engines),
        "{admitted}"
    );
    let standalone = from(&spec(json!({})));
    assert!(!standalone.as_array().expect("peers").contains(&engines));
    // A clustered backup reads the NATS stream: its Jobs need no way to the engine.
    let backup_jobs = |peers: &Value| {
        peers.as_array().expect("peers").iter().any(|p| {
            p.pointer("/podSelector/matchLabels/app.kubernetes.io~1component")
                == Some(&json!("backup"))
        })
    };
    assert!(backup_jobs(&standalone), "{standalone}");
    assert!(!backup_jobs(&admitted), "{admitted}");
}
