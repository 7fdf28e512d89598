//! `spec.tls`: HTTPS for the engine API.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// HTTPS for the engine's port (API, probes, metrics). Without `spec.tls` the engine serves plain
/// HTTP; with `spec.tls: {}` the operator runs its own certificate authority for the resource.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{"rule": "!(has(self.secretName) && has(self.issuerRef))", "message": super::messages::ONE_TLS_SOURCE}]))]
pub struct TlsSpec {
    /// A `kubernetes.io/tls` Secret to serve with instead of the operator's certificate. It must
    /// hold `tls.crt`, `tls.key` and `ca.crt` (the CA that backup Jobs and Prometheus trust), as
    /// cert-manager writes them; the engine reloads it when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub secret_name: Option<String>,
    /// A cert-manager issuer: the operator creates a cert-manager `Certificate` writing the
    /// Secret `<name>-tls` (only when the `cert-manager.io/v1` API is served; otherwise the
    /// resource stalls with `CertManagerApiMissing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_ref: Option<IssuerRef>,
}

/// A cert-manager `Issuer` or `ClusterIssuer`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IssuerRef {
    /// Name of the issuer.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// `Issuer` (same namespace, the default) or `ClusterIssuer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub kind: Option<String>,
    /// API group of the issuer (default `cert-manager.io`; external issuers have their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub group: Option<String>,
}
