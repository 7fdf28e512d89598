//! `spec.tls`: HTTPS for the engine API.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// HTTPS for the engine's port (API, probes, metrics). Without `spec.tls` the engine serves plain
/// HTTP; with `spec.tls: {}` the operator runs its own certificate authority for the resource.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TlsSpec {
    /// A `kubernetes.io/tls` Secret to serve with instead of the operator's certificate. It must
    /// hold `tls.crt`, `tls.key` and `ca.crt` (the CA that backup Jobs and Prometheus trust), as
    /// cert-manager writes them; the engine reloads it when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub secret_name: Option<String>,
}
