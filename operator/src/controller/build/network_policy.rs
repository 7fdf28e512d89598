//! The NetworkPolicy admitting only named peers to the engine's port.
//!
//! One rule admits the engine's clients: the operator's own pods, the resource's backup Jobs
//! (standalone only: a clustered backup reads the NATS stream, not the engine), in clustered mode
//! the resource's other engine replicas (a query fans out to them), and the `ingestFrom` and
//! `queryFrom` peers; a second admits the `metricsFrom` peers. Both cover
//! the engine port only. A rule is never written without peers: an empty `from` would admit
//! everyone.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::ENGINE_PORT;
use crate::backup::job::SEMANTIC_LABEL;
use crate::crd::NetworkPeer;
use crate::spec::ValidatedSpec;
use crate::spec::names::{MANAGED_BY_LABEL, MANAGER, child_meta, selector_labels};

/// `app.kubernetes.io/name` of the operator's own pods (the chart's name).
pub const OPERATOR_APP_NAME: &str = "vexfs-operator";
/// The label every namespace carries with its own name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// `app.kubernetes.io/component` of backup Job pods, the only Jobs that call the engine (and
/// only a standalone engine).
const BACKUP_COMPONENT: &str = "backup";

/// The engine's NetworkPolicy. `operator_namespace` is where the operator's pods run; without it
/// (an operator outside the cluster) no operator pod is admitted.
pub fn network_policy(spec: &ValidatedSpec, operator_namespace: Option<&str>) -> NetworkPolicy {
    let wanted = &spec.network_policy;
    let clients: Vec<NetworkPolicyPeer> = operator_namespace
        .map(operator_peer)
        .into_iter()
        .chain(spec.cluster.is_none().then(|| backup_peer(spec)))
        .chain(spec.cluster.is_some().then(|| replicas_peer(spec)))
        .chain(wanted.ingest_from.iter().map(peer))
        .chain(wanted.query_from.iter().map(peer))
        .collect();
    let scrapers: Vec<NetworkPolicyPeer> = wanted.metrics_from.iter().map(peer).collect();
    let rules = [clients, scrapers]
        .into_iter()
        .filter(|from| !from.is_empty())
        .map(|from| NetworkPolicyIngressRule {
            from: Some(dedup(from)),
            ports: Some(vec![engine_port()]),
        })
        .collect();
    NetworkPolicy {
        metadata: child_meta(spec, spec.name.clone(), "engine"),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(selector(selector_labels(spec))),
            policy_types: Some(vec!["Ingress".to_owned()]),
            ingress: Some(rules),
            ..NetworkPolicySpec::default()
        }),
    }
}

/// The operator's pods, in the operator's namespace only.
fn operator_peer(namespace: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(selector(labels(&[(NAMESPACE_NAME_LABEL, namespace)]))),
        pod_selector: Some(selector(labels(&[(
            "app.kubernetes.io/name",
            OPERATOR_APP_NAME,
        )]))),
        ..NetworkPolicyPeer::default()
    }
}

/// This resource's backup Job pods (labelled by `backup::job::job_labels`), in its namespace.
fn backup_peer(spec: &ValidatedSpec) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(selector(labels(&[
            (MANAGED_BY_LABEL, MANAGER),
            (SEMANTIC_LABEL, &spec.name),
            ("app.kubernetes.io/component", BACKUP_COMPONENT),
        ]))),
        ..NetworkPolicyPeer::default()
    }
}

/// This resource's engine pods: clustered replicas ask each other for their shares of a query.
fn replicas_peer(spec: &ValidatedSpec) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(selector(selector_labels(spec))),
        ..NetworkPolicyPeer::default()
    }
}

/// A peer from the spec (validated: either selectors or an address range).
fn peer(from: &NetworkPeer) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: from.namespace_selector.clone().map(selector),
        pod_selector: from.pod_selector.clone().map(selector),
        ip_block: from.ip_block.as_ref().map(|block| IPBlock {
            cidr: block.cidr.clone(),
            except: (!block.except.is_empty()).then(|| block.except.clone()),
        }),
    }
}

/// `peers` without repeats, first occurrence kept (the same peer may serve ingest and queries).
fn dedup(peers: Vec<NetworkPolicyPeer>) -> Vec<NetworkPolicyPeer> {
    let mut kept: Vec<NetworkPolicyPeer> = Vec::with_capacity(peers.len());
    for peer in peers {
        if !kept.contains(&peer) {
            kept.push(peer);
        }
    }
    kept
}

fn engine_port() -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some("TCP".to_owned()),
        port: Some(IntOrString::Int(ENGINE_PORT)),
        end_port: None,
    }
}

/// A selector of `labels`; an empty map (match everything) is written as `{}`, the form the API
/// server stores, so the live object keeps containing the desired one.
fn selector(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: (!labels.is_empty()).then_some(labels),
        match_expressions: None,
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[cfg(test)]
#[path = "network_policy_tests.rs"]
mod tests;
