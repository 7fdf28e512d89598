//! A cached object kept compact: the few metadata fields the caches and watches index typed, and
//! everything else as JSON text.
//!
//! A reconcile reads a cached child only to compare it with what it would apply (as JSON, see
//! `plan::contains`) and to read a few status fields, so nothing needs the typed body. Typed
//! k8s-openapi objects are large in memory — a StatefulSet's pod template with its containers,
//! probes and volumes takes about 21 KB for 3.4 KB of JSON, and even a ServiceAccount's five labels
//! take a kilobyte as a typed map — and a thousand resources keep a StatefulSet, a ConfigMap, two
//! Services, a ServiceAccount, a NetworkPolicy, a pod and two Secrets each.
//!
//! Typed are only the name and namespace (the store's key), the resource version (the watch resumes
//! from it) and, for kinds selected by label in the cache, the labels. The other metadata (owner
//! references, read from the text by [`Compact::owner_references`] when a watch event arrives;
//! labels of the other kinds, annotations, generation, uid, ...) stays in the JSON text,
//! and [`Compacting::prune`] drops per kind the fields no reconcile reads. The text is kept
//! deflated ([`PackedText`]).

use std::fmt;
use std::marker::PhantomData;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::runtime::reflector::ObjectRef;
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde_json::{Map, Value};

use super::packed_text::PackedText;

/// How objects of one kind are kept compact.
pub trait Compacting: k8s_openapi::Resource {
    /// Whether the labels stay typed, for kinds the caches select by label; otherwise they are
    /// kept in the JSON text only.
    const TYPED_LABELS: bool = false;

    /// Drops from `body` (every top-level field but `apiVersion`, `kind` and `metadata`) what no
    /// reconcile reads.
    fn prune(_body: &mut Map<String, Value>) {}
}

/// A Kubernetes object of kind `K`: its name, namespace, resource version and (per
/// [`Compacting::TYPED_LABELS`]) labels typed, the rest as JSON text.
pub struct Compact<K> {
    /// The typed part of the object's metadata.
    pub metadata: ObjectMeta,
    /// The other fields as a JSON object, without `apiVersion` and `kind`; its `metadata` holds
    /// what [`Compact::metadata`] does not.
    body: PackedText,
    kind: PhantomData<fn() -> K>,
}

impl<K: k8s_openapi::Resource> Compact<K> {
    /// The object as JSON, with `apiVersion` and `kind` from `K`.
    ///
    /// # Errors
    /// When the kept body is not a JSON object (it always is: it was written from one).
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        let body = self.body.unpack().map_err(de::Error::custom)?;
        let mut object: Map<String, Value> = serde_json::from_str(&body)?;
        let mut metadata = match object.remove("metadata") {
            Some(Value::Object(metadata)) => metadata,
            _ => Map::new(),
        };
        if let Value::Object(typed) = serde_json::to_value(&self.metadata)? {
            metadata.extend(typed);
        }
        object.insert("apiVersion".to_owned(), Value::from(K::API_VERSION));
        object.insert("kind".to_owned(), Value::from(K::KIND));
        object.insert("metadata".to_owned(), Value::Object(metadata));
        Ok(Value::Object(object))
    }

    /// The object's owner references, read from the kept text (none when it has none).
    ///
    /// # Errors
    /// When the kept body does not unpack or its owner references do not deserialise (neither
    /// happens: the API server wrote them).
    pub fn owner_references(&self) -> Result<Vec<OwnerReference>, serde_json::Error> {
        #[derive(Deserialize)]
        struct Owned {
            #[serde(default)]
            metadata: OwnedMetadata,
        }
        #[derive(Default, Deserialize)]
        struct OwnedMetadata {
            #[serde(default, rename = "ownerReferences")]
            owner_references: Vec<OwnerReference>,
        }
        let body = self.body.unpack().map_err(de::Error::custom)?;
        let owned: Owned = serde_json::from_str(&body)?;
        Ok(owned.metadata.owner_references)
    }

    /// The objects of kind `P` owning this one (in its namespace), from its owner references.
    ///
    /// # Errors
    /// As [`Compact::owner_references`].
    pub fn owners<P>(&self) -> Result<Vec<ObjectRef<P>>, serde_json::Error>
    where
        P: kube::Resource<DynamicType = ()>,
    {
        let Some(namespace) = self.metadata.namespace.as_deref() else {
            return Ok(Vec::new());
        };
        Ok(self
            .owner_references()?
            .into_iter()
            .filter(|owner| owner.kind == P::kind(&()) && owner.api_version == P::api_version(&()))
            .map(|owner| ObjectRef::new(&owner.name).within(namespace))
            .collect())
    }

    /// The object typed again, as a reconcile step that reads typed fields wants it.
    ///
    /// # Errors
    /// When the kept JSON does not deserialise as `K` (it always does: it was written from one).
    pub fn to_typed(&self) -> Result<K, serde_json::Error>
    where
        K: DeserializeOwned,
    {
        serde_json::from_value(self.to_value()?)
    }
}

impl<K> Clone for Compact<K> {
    fn clone(&self) -> Self {
        Self {
            metadata: self.metadata.clone(),
            body: self.body.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: k8s_openapi::Resource> fmt::Debug for Compact<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(K::KIND)
            .field("metadata", &self.metadata)
            .field("packed_body_bytes", &self.body.packed_len())
            .finish()
    }
}

impl<K: k8s_openapi::Resource> k8s_openapi::Resource for Compact<K> {
    const API_VERSION: &'static str = K::API_VERSION;
    const GROUP: &'static str = K::GROUP;
    const KIND: &'static str = K::KIND;
    const VERSION: &'static str = K::VERSION;
    const URL_PATH_SEGMENT: &'static str = K::URL_PATH_SEGMENT;
    type Scope = K::Scope;
}

impl<K: k8s_openapi::Resource> k8s_openapi::Metadata for Compact<K> {
    type Ty = ObjectMeta;

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl<'de, K: Compacting> Deserialize<'de> for Compact<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Map::<String, Value>::deserialize(deserializer)?;
        fields.remove("apiVersion");
        fields.remove("kind");
        let mut metadata = match fields.remove("metadata") {
            Some(Value::Object(metadata)) => metadata,
            None | Some(Value::Null) => Map::new(),
            Some(_) => return Err(de::Error::custom("metadata is not an object")),
        };
        metadata.remove("managedFields");
        let mut typed = Map::new();
        let mut keep = |key: &str| {
            if let Some(value) = metadata.remove(key) {
                typed.insert(key.to_owned(), value);
            }
        };
        keep("name");
        keep("namespace");
        // The watcher resumes from the resource version of the last event it saw.
        keep("resourceVersion");
        if K::TYPED_LABELS {
            keep("labels");
        }
        let typed = ObjectMeta::deserialize(Value::Object(typed)).map_err(de::Error::custom)?;
        K::prune(&mut fields);
        if !metadata.is_empty() {
            fields.insert("metadata".to_owned(), Value::Object(metadata));
        }
        let body = serde_json::to_string(&fields).map_err(de::Error::custom)?;
        Ok(Self {
            metadata: typed,
            body: PackedText::pack(&body),
            kind: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::StatefulSet;
    use serde_json::json;

    #[test]
    fn a_compact_object_serialises_to_the_same_json_and_back() {
        let original = json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "vx", "namespace": "ns", "generation": 2,
                         "labels": {"app.kubernetes.io/instance": "vx"}},
            "spec": {"replicas": 1, "serviceName": "vx-headless",
                     "selector": {"matchLabels": {"app": "vx"}},
                     "template": {"spec": {"containers": [{"name": "engine", "image": "e:1"}]}}},
            "status": {"replicas": 1, "readyReplicas": 1, "observedGeneration": 2}
        });
        let compact: Compact<StatefulSet> =
            serde_json::from_str(&original.to_string()).expect("reads");
        assert_eq!(compact.metadata.name.as_deref(), Some("vx"));
        assert_eq!(compact.to_value().expect("json"), original);
        let typed: StatefulSet =
            serde_json::from_value(compact.to_value().expect("json")).expect("typed");
        assert_eq!(
            typed.spec.expect("spec").service_name.as_deref(),
            Some("vx-headless")
        );
    }

    #[test]
    fn owner_references_are_read_from_the_text() {
        let owned = json!({
            "metadata": {"name": "vx", "namespace": "ns",
                         "ownerReferences": [{"apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
                                              "name": "vx", "uid": "u-0", "controller": true}]},
            "spec": {"replicas": 1}
        });
        let compact: Compact<StatefulSet> = serde_json::from_value(owned).expect("reads");
        assert_eq!(compact.metadata.owner_references, None, "not typed");
        let owners = compact.owner_references().expect("owners");
        assert_eq!(owners.len(), 1);
        assert_eq!(
            (owners[0].kind.as_str(), owners[0].name.as_str()),
            ("VexfsSemantic", "vx")
        );
        let owners: Vec<ObjectRef<crate::crd::VexfsSemantic>> = compact.owners().expect("owners");
        assert_eq!(owners, [ObjectRef::new("vx").within("ns")]);
        let others: Vec<ObjectRef<StatefulSet>> = compact.owners().expect("owners");
        assert!(others.is_empty(), "only owners of the asked kind");
        let orphan: Compact<StatefulSet> =
            serde_json::from_value(json!({"metadata": {"name": "vx"}})).expect("reads");
        assert!(orphan.owner_references().expect("none").is_empty());
    }

    #[test]
    fn list_items_without_api_version_and_kind_get_them_from_the_type() {
        let item = json!({"metadata": {"name": "vx"}, "spec": {"replicas": 1}});
        let compact: Compact<StatefulSet> = serde_json::from_value(item).expect("reads");
        let value = compact.to_value().expect("json");
        assert_eq!(value["apiVersion"], "apps/v1");
        assert_eq!(value["kind"], "StatefulSet");
        assert_eq!(value["spec"]["replicas"], 1);
    }
}
