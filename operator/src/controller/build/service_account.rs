//! The engine pods' ServiceAccount.

use k8s_openapi::api::core::v1::ServiceAccount;

use crate::spec::ValidatedSpec;
use crate::spec::names::child_meta;

/// A dedicated ServiceAccount without an automatically mounted API token.
pub fn service_account(spec: &ValidatedSpec) -> ServiceAccount {
    ServiceAccount {
        metadata: child_meta(spec, spec.name.clone(), "engine"),
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    }
}
