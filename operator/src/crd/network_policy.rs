//! `spec.networkPolicy`: which pods and addresses may reach the engine's port.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The engine's `NetworkPolicy`. The engine serves its API, dashboard and `/metrics` on one port,
/// so every peer listed here reaches all of them; the lists say why a peer is allowed, and the
/// API's roles (`spec.rbac`) decide what it may do once connected.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct NetworkPolicySpec {
    /// Create the NetworkPolicy (default `true`). When `false`, an existing one is deleted and
    /// every pod in the cluster can reach the engine again.
    pub enabled: bool,
    /// Peers that send events (`POST /api/v1/events`), such as the VexFS node agents.
    #[schemars(length(max = 32))]
    #[schemars(transform = super::schema::no_default)]
    pub ingest_from: Vec<NetworkPeer>,
    /// Peers that query the API or open the dashboard.
    #[schemars(length(max = 32))]
    #[schemars(transform = super::schema::no_default)]
    pub query_from: Vec<NetworkPeer>,
    /// Peers that scrape `/metrics`, such as Prometheus in the monitoring namespace.
    #[schemars(length(max = 32))]
    #[schemars(transform = super::schema::no_default)]
    pub metrics_from: Vec<NetworkPeer>,
}

impl Default for NetworkPolicySpec {
    fn default() -> Self {
        Self {
            enabled: true,
            ingest_from: Vec::new(),
            query_from: Vec::new(),
            metrics_from: Vec::new(),
        }
    }
}

/// Pods chosen by labels, or an address range. Pods: `podSelector` alone picks pods in the
/// resource's namespace, `namespaceSelector` alone every pod of the matching namespaces, both
/// together the matching pods of the matching namespaces; an empty map matches everything.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{"rule": "has(self.ipBlock) != (has(self.namespaceSelector) || has(self.podSelector))", "message": super::messages::ONE_PEER_KIND}]))]
pub struct NetworkPeer {
    /// Labels the peer's namespace carries (`kubernetes.io/metadata.name: monitoring` names one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxProperties" = 16))]
    pub namespace_selector: Option<BTreeMap<String, String>>,
    /// Labels the peer pods carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxProperties" = 16))]
    pub pod_selector: Option<BTreeMap<String, String>>,
    /// An address range, for clients outside the cluster's pod network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

/// An IPv4 or IPv6 range in CIDR notation, minus sub-ranges.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IpBlock {
    /// The range, for example `10.20.0.0/16` or `2001:db8::/32`.
    #[schemars(length(min = 1, max = 64))]
    pub cidr: String,
    /// Ranges inside `cidr` that stay refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16), inner(length(max = 64)))]
    pub except: Vec<String>,
}
