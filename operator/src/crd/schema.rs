//! Schema helpers for the generated CRDs.

/// Removes the `default` a container-level `#[serde(default)]` adds to a non-scalar field, so the API
/// server only defaults scalars (object and list defaults cause endless drift in GitOps tools).
pub fn no_default(schema: &mut schemars::Schema) {
    schema.remove("default");
}
