//! The custom kinds as dynamic API resources (the plugin reads them as JSON, so it follows
//! the served schema rather than compiled types).

use kube::api::{ApiResource, GroupVersionKind};

/// API group of the VexFS kinds.
pub const GROUP: &str = "vexfs.io";
/// Served version.
pub const VERSION: &str = "v1alpha1";
/// Label on every child of a VexfsSemantic, valued with its name.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// Label on backups and their Jobs, valued with the VexfsSemantic's name.
pub const SEMANTIC_LABEL: &str = "vexfs.io/semantic";
/// Label saying how a backup was started.
pub const TRIGGER_LABEL: &str = "vexfs.io/trigger";

/// `VexfsSemantic`.
pub fn semantic() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(GROUP, VERSION, "VexfsSemantic"),
        "vexfssemantics",
    )
}

/// `VexfsBackup`.
pub fn backup() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(GROUP, VERSION, "VexfsBackup"),
        "vexfsbackups",
    )
}
