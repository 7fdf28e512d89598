//! The objects the plugin creates (an on-demand VexfsBackup, a restoring VexfsSemantic) and how
//! it reads a backup's outcome.

use serde_json::{Value, json};

use crate::kinds::{GROUP, SEMANTIC_LABEL, TRIGGER_LABEL, VERSION};

/// Where a backup stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not finished; the text says what it is doing.
    Running(String),
    /// Finished; the text is the archive's location.
    Succeeded(String),
    /// Finished with an error; the text says why.
    Failed(String),
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// An on-demand VexfsBackup of `semantic`, named by the API server (`<semantic>-manual-xxxxx`).
pub fn backup_manifest(semantic: &str) -> Value {
    let prefix: String = semantic.chars().take(40).collect();
    json!({
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "kind": "VexfsBackup",
        "metadata": {
            "generateName": format!("{}-manual-", prefix.trim_end_matches('-')),
            "labels": {SEMANTIC_LABEL: semantic, TRIGGER_LABEL: "manual"},
        },
        "spec": {"semanticRef": semantic},
    })
}

/// The outcome of a VexfsBackup: its `Failed` and `Ready` conditions when the operator writes
/// them for the current generation, else its phase.
pub fn backup_outcome(backup: &Value) -> Outcome {
    let conditions = backup
        .pointer("/status/conditions")
        .and_then(Value::as_array);
    let find = |t: &str| conditions.into_iter().flatten().find(|c| c["type"] == t);
    let location = text(backup, "/status/location").unwrap_or("").to_owned();
    let message = text(backup, "/status/message").unwrap_or("").to_owned();
    if find("Failed").is_some_and(|c| c["status"] == "True") {
        let c = find("Failed").unwrap_or(&Value::Null);
        return Outcome::Failed(text(c, "/message").map_or(message, str::to_owned));
    }
    if find("Ready").is_some_and(|c| c["status"] == "True") {
        return Outcome::Succeeded(location);
    }
    match text(backup, "/status/phase") {
        Some("Succeeded") => Outcome::Succeeded(location),
        Some("Failed") => Outcome::Failed(message),
        Some(phase) => Outcome::Running(phase.to_owned()),
        None => Outcome::Running("Pending".to_owned()),
    }
}

/// A new VexfsSemantic `name` that starts from `backup`: a copy of the backed-up VexfsSemantic's
/// spec (`source`, when it still exists) with `spec.restore.backupName` set. Refused unless the
/// backup succeeded, and for an S3 backup whose VexfsSemantic is gone (its target, with the
/// credentials, is unknown).
pub fn restore_manifest(
    source: Option<&Value>,
    backup: &Value,
    name: &str,
) -> Result<Value, String> {
    let backup_name = text(backup, "/metadata/name").unwrap_or_default();
    match backup_outcome(backup) {
        Outcome::Succeeded(_) => {}
        other => {
            return Err(format!(
                "VexfsBackup {backup_name} has not succeeded ({other:?}); only a succeeded backup can be restored"
            ));
        }
    }
    let mut spec = source
        .and_then(|s| s.get("spec"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    if source.is_none() && text(backup, "/status/location").is_some_and(|l| l.starts_with("s3://"))
    {
        return Err(format!(
            "VexfsBackup {backup_name} is in S3 and its VexfsSemantic no longer exists, so the bucket's credentials are unknown; create the VexfsSemantic yourself with spec.backup.target and spec.restore.backupName: {backup_name}"
        ));
    }
    if let Some(fields) = spec.as_object_mut() {
        for field in ["restore", "suspend", "stopped"] {
            fields.remove(field);
        }
        fields.insert("restore".into(), json!({"backupName": backup_name}));
    }
    own_stream(&mut spec, name);
    Ok(json!({
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "kind": "VexfsSemantic",
        "metadata": {"name": name},
        "spec": spec,
    }))
}

/// A clustered copy (`spec.cluster.nats`) gets a stream of its own, since the restore refuses a
/// stream holding messages and two streams cannot share subjects: `<stream>-<name>` and
/// `<subjectPrefix>.<name>`, dots in `name` becoming dashes (neither may hold one). The source's
/// subjects `<subjectPrefix>.<partition>` do not match the copy's, which have one token more.
fn own_stream(spec: &mut Value, name: &str) {
    let Some(nats) = spec
        .pointer_mut("/cluster/nats")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let token = name.replace('.', "-");
    for (field, separator) in [("stream", "-"), ("subjectPrefix", ".")] {
        if let Some(value) = nats.get(field).and_then(Value::as_str) {
            let own = format!("{value}{separator}{token}");
            nats.insert(field.to_owned(), Value::String(own));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_are_named_after_their_semantic_and_labelled() {
        let m = backup_manifest("analytics");
        assert_eq!(m["metadata"]["generateName"], "analytics-manual-");
        assert_eq!(m["metadata"]["labels"][SEMANTIC_LABEL], "analytics");
        assert_eq!(m["spec"]["semanticRef"], "analytics");
        let long = "a".repeat(60);
        let name = backup_manifest(&long)["metadata"]["generateName"]
            .as_str()
            .unwrap()
            .len();
        assert!(name <= 48, "{name}");
    }

    #[test]
    fn outcome_prefers_conditions_and_falls_back_to_the_phase() {
        let running = json!({"status": {"phase": "Running"}});
        assert_eq!(backup_outcome(&running), Outcome::Running("Running".into()));
        assert_eq!(
            backup_outcome(&json!({})),
            Outcome::Running("Pending".into())
        );
        let done = json!({"status": {"phase": "Succeeded", "location": "pvc://c/a.tar.gz"}});
        assert_eq!(
            backup_outcome(&done),
            Outcome::Succeeded("pvc://c/a.tar.gz".into())
        );
        let failed = json!({"status": {"phase": "Failed", "message": "Job failed"}});
        assert_eq!(
            backup_outcome(&failed),
            Outcome::Failed("Job failed".into())
        );
        let by_condition = json!({"status": {"phase": "Running", "conditions": [
            {"type": "Failed", "status": "True", "message": "archive checksum mismatch"}]}});
        assert_eq!(
            backup_outcome(&by_condition),
            Outcome::Failed("archive checksum mismatch".into())
        );
    }

    #[test]
    fn restores_copy_the_source_spec_and_refuse_unfinished_or_orphaned_s3_backups() {
        let backup = json!({"metadata": {"name": "vx-1"},
            "status": {"phase": "Succeeded", "location": "pvc://c/vx-1.tar.gz"}});
        let source = json!({"spec": {"engine": {"logLevel": "Debug"}, "suspend": true,
            "restore": {"backupName": "old"}}});
        let m = restore_manifest(Some(&source), &backup, "vx-restored").unwrap();
        assert_eq!(m["metadata"]["name"], "vx-restored");
        assert_eq!(m["spec"]["engine"]["logLevel"], "Debug");
        assert_eq!(m["spec"]["restore"]["backupName"], "vx-1");
        assert!(m["spec"].get("suspend").is_none());
        let orphan = restore_manifest(None, &backup, "vx-restored").unwrap();
        assert_eq!(orphan["spec"], json!({"restore": {"backupName": "vx-1"}}));

        let running = json!({"metadata": {"name": "vx-2"}, "status": {"phase": "Running"}});
        let err = restore_manifest(Some(&source), &running, "x").unwrap_err();
        assert!(err.contains("has not succeeded"), "{err}");
        let s3 = json!({"metadata": {"name": "vx-3"},
            "status": {"phase": "Succeeded", "location": "s3://b/vx-3.tar.gz"}});
        let err = restore_manifest(None, &s3, "x").unwrap_err();
        assert!(err.contains("spec.backup.target"), "{err}");
    }

    #[test]
    fn a_clustered_copy_restores_into_a_stream_of_its_own() {
        let backup = json!({"metadata": {"name": "vx-1"},
            "status": {"phase": "Succeeded", "location": "pvc://c/vx-1.tar.gz"}});
        let source = json!({"spec": {"engine": {"replicas": 3}, "cluster": {"nats": {
            "url": "nats://nats:4222", "stream": "VEXFS_EVENTS", "subjectPrefix": "vexfs.events",
            "partitions": 8}}}});
        let m = restore_manifest(Some(&source), &backup, "vx.restored").unwrap();
        let nats = &m["spec"]["cluster"]["nats"];
        assert_eq!(nats["stream"], "VEXFS_EVENTS-vx-restored");
        assert_eq!(nats["subjectPrefix"], "vexfs.events.vx-restored");
        assert_eq!(nats["partitions"], 8, "the archive's partition count");
        assert_eq!(nats["url"], "nats://nats:4222");
    }
}
