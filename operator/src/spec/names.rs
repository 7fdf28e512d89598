//! Names and labels shared by everything the operator writes: the field manager, the recommended
//! labels, the engine pod selector and child metadata.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::ValidatedSpec;

/// The field manager and `app.kubernetes.io/managed-by` value of everything the operator writes.
pub const MANAGER: &str = "vexfs-operator";
/// `app.kubernetes.io/name` of engine objects.
pub const APP_NAME: &str = "vexfs-engine";
/// `app.kubernetes.io/part-of` of every child.
pub const PART_OF: &str = "vexfs-semantic";
/// Label key naming the managing controller.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Label key naming the `VexfsSemantic` a child belongs to.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// Label selector of everything the operator creates (children, pods, Jobs).
pub const MANAGED_SELECTOR: &str = "app.kubernetes.io/managed-by=vexfs-operator";

/// Recommended labels of a child; user labels are never copied.
pub fn labels(spec: &ValidatedSpec, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), APP_NAME.to_owned()),
        (INSTANCE_LABEL.to_owned(), spec.name.clone()),
        (
            "app.kubernetes.io/component".to_owned(),
            component.to_owned(),
        ),
        ("app.kubernetes.io/part-of".to_owned(), PART_OF.to_owned()),
        (MANAGED_BY_LABEL.to_owned(), MANAGER.to_owned()),
    ])
}

/// Labels selecting the engine pods.
pub fn selector_labels(spec: &ValidatedSpec) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), APP_NAME.to_owned()),
        (INSTANCE_LABEL.to_owned(), spec.name.clone()),
        (
            "app.kubernetes.io/component".to_owned(),
            "engine".to_owned(),
        ),
    ])
}

/// Metadata of a child: name, namespace, labels and the controller owner reference.
pub fn child_meta(spec: &ValidatedSpec, name: String, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(spec.namespace.clone()),
        labels: Some(labels(spec, component)),
        owner_references: Some(vec![spec.owner.clone()]),
        ..ObjectMeta::default()
    }
}
