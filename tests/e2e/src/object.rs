//! Pure accessors over Kubernetes objects as JSON: conditions, generations, owners, labels.

use serde_json::Value;

/// One entry of `status.conditions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// CamelCase reason.
    pub reason: String,
    /// Human-readable message.
    pub message: String,
    /// The generation the condition was computed for, if recorded.
    pub observed_generation: Option<i64>,
    /// When the status last changed.
    pub last_transition_time: String,
}

/// The condition of `type_` in `object.status.conditions`, if present.
pub fn condition(object: &Value, type_: &str) -> Option<Condition> {
    let conditions = object.pointer("/status/conditions")?.as_array()?;
    let found = conditions.iter().find(|c| c["type"] == type_)?;
    let text = |key: &str| found[key].as_str().unwrap_or_default().to_owned();
    Some(Condition {
        status: text("status"),
        reason: text("reason"),
        message: text("message"),
        observed_generation: found["observedGeneration"].as_i64(),
        last_transition_time: text("lastTransitionTime"),
    })
}

/// `metadata.generation`.
pub fn generation(object: &Value) -> Option<i64> {
    object.pointer("/metadata/generation")?.as_i64()
}

/// `status.observedGeneration`.
pub fn observed_generation(object: &Value) -> Option<i64> {
    object.pointer("/status/observedGeneration")?.as_i64()
}

/// `metadata.name`.
pub fn name(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// `metadata.uid`.
pub fn uid(object: &Value) -> &str {
    object
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// `metadata.resourceVersion`.
pub fn resource_version(object: &Value) -> &str {
    object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// `kind/name` of an object, for messages.
pub fn describe(object: &Value) -> String {
    format!(
        "{}/{}",
        object["kind"].as_str().unwrap_or("?"),
        name(object)
    )
}

/// The value of label `key`, if set.
pub fn label<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.pointer("/metadata/labels")?.get(key)?.as_str()
}

/// True when `object` has a controller owner reference to the object with `owner_uid`.
pub fn controlled_by(object: &Value, owner_uid: &str) -> bool {
    let Some(refs) = object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
    else {
        return false;
    };
    refs.iter()
        .any(|r| r["uid"] == owner_uid && r["controller"] == true)
}

/// True when `Ready=True` is reported for the object's current generation.
pub fn ready_for_current_generation(object: &Value) -> bool {
    let ready = condition(object, "Ready").is_some_and(|c| c.status == "True");
    ready && generation(object).is_some() && generation(object) == observed_generation(object)
}

/// True when the object claims `Ready=True` while its status describes an older generation.
pub fn ready_for_stale_generation(object: &Value) -> bool {
    let ready = condition(object, "Ready").is_some_and(|c| c.status == "True");
    ready && generation(object) != observed_generation(object)
}

/// The operator's status writes in a watch `history` (objects in order) that claim `Ready=True`
/// for a generation other than the object's current one, as `kind/name @ resourceVersion`.
/// A status write is an event whose `status` differs from the previous event's; the first
/// event is the baseline. A user's spec change alone (new generation, old status) is not a
/// write: the old status honestly names the generation it observed.
pub fn stale_ready_writes(history: &[Value]) -> Vec<String> {
    history
        .windows(2)
        .filter(|pair| {
            pair[0]["status"] != pair[1]["status"] && ready_for_stale_generation(&pair[1])
        })
        .map(|pair| format!("{} @ {}", describe(&pair[1]), resource_version(&pair[1])))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn resource(generation: i64, observed: i64, ready: &str) -> Value {
        json!({
            "kind": "VexfsSemantic",
            "metadata": {"name": "a", "uid": "u1", "generation": generation, "resourceVersion": "7",
                         "labels": {"app.kubernetes.io/instance": "a"}},
            "status": {"observedGeneration": observed, "conditions": [
                {"type": "Reconciling", "status": "False", "reason": "Done", "message": ""},
                {"type": "Ready", "status": ready, "reason": "Available", "message": "all good",
                 "observedGeneration": observed, "lastTransitionTime": "2026-01-01T00:00:00Z"}
            ]}
        })
    }

    #[test]
    fn reads_a_condition() {
        let c = condition(&resource(2, 2, "True"), "Ready").unwrap();
        assert_eq!(c.status, "True");
        assert_eq!(c.reason, "Available");
        assert_eq!(c.message, "all good");
        assert_eq!(c.observed_generation, Some(2));
        assert!(condition(&resource(2, 2, "True"), "Stalled").is_none());
    }

    #[test]
    fn ready_counts_only_for_the_current_generation() {
        assert!(ready_for_current_generation(&resource(3, 3, "True")));
        assert!(!ready_for_current_generation(&resource(3, 2, "True")));
        assert!(!ready_for_current_generation(&resource(3, 3, "False")));
        assert!(ready_for_stale_generation(&resource(3, 2, "True")));
        assert!(!ready_for_stale_generation(&resource(3, 2, "False")));
    }

    #[test]
    fn a_spec_change_alone_is_not_a_stale_ready_write() {
        let steady = resource(1, 1, "True");
        let spec_changed = resource(2, 1, "True");
        let reconciling = resource(2, 2, "False");
        let ready = resource(2, 2, "True");
        assert!(stale_ready_writes(&[steady, spec_changed, reconciling, ready]).is_empty());
    }

    #[test]
    fn a_status_write_claiming_ready_for_an_old_generation_is_flagged() {
        let mut bad = resource(2, 1, "True");
        bad["status"]["conditions"][1]["message"] = json!("rewritten");
        bad["metadata"]["resourceVersion"] = json!("9");
        let found = stale_ready_writes(&[resource(2, 1, "True"), bad]);
        assert_eq!(found, vec!["VexfsSemantic/a @ 9".to_owned()]);
    }

    #[test]
    fn owner_references_must_be_controllers_with_the_uid() {
        let child = json!({"metadata": {"ownerReferences": [
            {"uid": "u1", "controller": true}, {"uid": "u2", "controller": false}
        ]}});
        assert!(controlled_by(&child, "u1"));
        assert!(!controlled_by(&child, "u2"));
        assert!(!controlled_by(&json!({"metadata": {}}), "u1"));
    }

    #[test]
    fn metadata_accessors() {
        let r = resource(1, 1, "True");
        assert_eq!(name(&r), "a");
        assert_eq!(uid(&r), "u1");
        assert_eq!(resource_version(&r), "7");
        assert_eq!(describe(&r), "VexfsSemantic/a");
        assert_eq!(label(&r, "app.kubernetes.io/instance"), Some("a"));
        assert_eq!(label(&r, "missing"), None);
    }
}
