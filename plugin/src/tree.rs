//! Renders a VexfsSemantic's status: a header, its conditions as a table, and the objects it
//! owns (directly or through a child) as a tree built from owner references.

use std::collections::BTreeMap;

use serde_json::Value;

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn number(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn condition<'a>(v: &'a Value, type_: &str) -> Option<&'a Value> {
    v.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

/// A one-line summary of an object's state, by kind.
pub fn summary(object: &Value) -> String {
    match text(object, "/kind") {
        "StatefulSet" => format!(
            "{}/{} ready",
            number(object, "/status/readyReplicas"),
            number(object, "/spec/replicas")
        ),
        "Pod" => {
            let ready = condition(object, "Ready").map_or("", |c| text(c, "/status"));
            let ready = if ready == "True" {
                ", ready"
            } else {
                ", not ready"
            };
            format!("{}{ready}", text(object, "/status/phase"))
        }
        "Job" => ["Complete", "Failed"]
            .into_iter()
            .find(|t| condition(object, t).is_some_and(|c| c["status"] == "True"))
            .unwrap_or("running")
            .to_owned(),
        "VexfsBackup" => {
            let phase = text(object, "/status/phase");
            if phase.is_empty() {
                "Pending".into()
            } else {
                phase.into()
            }
        }
        _ => String::new(),
    }
}

/// The conditions as an aligned table (TYPE, STATUS, REASON, MESSAGE).
pub fn conditions_table(object: &Value) -> String {
    let rows: Vec<[String; 4]> = object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    ["type", "status", "reason", "message"]
                        .map(|k| text(c, &format!("/{k}")).to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    if rows.is_empty() {
        return "  (no conditions yet)\n".into();
    }
    let header = ["TYPE", "STATUS", "REASON", "MESSAGE"].map(str::to_owned);
    let all: Vec<&[String; 4]> = std::iter::once(&header).chain(&rows).collect();
    let width = |i: usize| all.iter().map(|r| r[i].len()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2)];
    all.iter()
        .map(|r| {
            format!(
                "  {:w0$}  {:w1$}  {:w2$}  {}\n",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
            .trim_end()
            .to_owned()
                + "\n"
        })
        .collect()
}

fn label(object: &Value) -> String {
    let name = format!(
        "{}/{}",
        text(object, "/kind"),
        text(object, "/metadata/name")
    );
    match summary(object) {
        s if s.is_empty() => name,
        s => format!("{name}  {s}"),
    }
}

/// The objects owned by `root`, transitively, as an indented tree; `objects` may contain
/// unrelated objects, which are left out.
pub fn children_tree(root: &Value, objects: &[Value]) -> String {
    let mut by_owner: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for object in objects {
        let owners = object
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array);
        for owner in owners.into_iter().flatten() {
            by_owner
                .entry(text(owner, "/uid"))
                .or_default()
                .push(object);
        }
    }
    for list in by_owner.values_mut() {
        list.sort_by_key(|o| {
            (
                text(o, "/kind").to_owned(),
                text(o, "/metadata/name").to_owned(),
            )
        });
        list.dedup_by_key(|o| text(o, "/metadata/uid").to_owned());
    }
    let mut out = label(root) + "\n";
    branch(&by_owner, text(root, "/metadata/uid"), "", &mut out, 0);
    out
}

fn branch(
    by_owner: &BTreeMap<&str, Vec<&Value>>,
    uid: &str,
    prefix: &str,
    out: &mut String,
    depth: usize,
) {
    // Owner references cannot form cycles in a real cluster; the bound keeps bad input finite.
    if depth > 8 || uid.is_empty() {
        return;
    }
    let Some(children) = by_owner.get(uid) else {
        return;
    };
    for (i, child) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        out.push_str(&format!(
            "{prefix}{}{}\n",
            if last { "└── " } else { "├── " },
            label(child)
        ));
        let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
        branch(
            by_owner,
            text(child, "/metadata/uid"),
            &deeper,
            out,
            depth + 1,
        );
    }
}

/// The whole status page of a VexfsSemantic.
pub fn render_status(root: &Value, objects: &[Value]) -> String {
    let mut out = format!(
        "{}/{}  generation {}, observed {}\n\nConditions:\n",
        text(root, "/metadata/namespace"),
        text(root, "/metadata/name"),
        number(root, "/metadata/generation"),
        root.pointer("/status/observedGeneration")
            .and_then(Value::as_i64)
            .map_or_else(|| "none".to_owned(), |g| g.to_string()),
    );
    out.push_str(&conditions_table(root));
    out.push_str("\nObjects:\n");
    out.push_str(&children_tree(root, objects));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(kind: &str, name: &str, uid: &str, owner: Option<&str>, status: Value) -> Value {
        let owners = owner.map(|o| vec![json!({"uid": o, "controller": true})]);
        json!({"kind": kind, "metadata": {"name": name, "uid": uid, "namespace": "ns",
               "ownerReferences": owners.unwrap_or_default()}, "spec": {"replicas": 1}, "status": status})
    }

    #[test]
    fn the_tree_follows_owner_references_and_leaves_strangers_out() {
        let root = json!({"kind": "VexfsSemantic", "metadata": {"name": "vx", "namespace": "ns",
            "uid": "r", "generation": 2}, "status": {"observedGeneration": 2, "conditions": [
            {"type": "Ready", "status": "True", "reason": "Available", "message": "all enabled components are available"},
            {"type": "Stalled", "status": "False", "reason": "AsExpected", "message": ""}]}});
        let ready =
            json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]});
        let objects = vec![
            object("Service", "vx", "s", Some("r"), json!({})),
            object(
                "StatefulSet",
                "vx",
                "st",
                Some("r"),
                json!({"readyReplicas": 1}),
            ),
            object("Pod", "vx-0", "p", Some("st"), ready),
            object(
                "VexfsBackup",
                "vx-1",
                "b",
                Some("r"),
                json!({"phase": "Succeeded"}),
            ),
            object(
                "Job",
                "vx-1",
                "j",
                Some("b"),
                json!({"conditions": [{"type": "Complete", "status": "True"}]}),
            ),
            object("Pod", "other-0", "o", Some("elsewhere"), json!({})),
        ];
        let page = render_status(&root, &objects);
        let expected = "\
ns/vx  generation 2, observed 2

Conditions:
  TYPE     STATUS  REASON      MESSAGE
  Ready    True    Available   all enabled components are available
  Stalled  False   AsExpected

Objects:
VexfsSemantic/vx
├── Service/vx
├── StatefulSet/vx  1/1 ready
│   └── Pod/vx-0  Running, ready
└── VexfsBackup/vx-1  Succeeded
    └── Job/vx-1  Complete
";
        assert_eq!(page, expected);
    }

    #[test]
    fn a_new_object_has_no_conditions_and_no_children() {
        let root = json!({"kind": "VexfsSemantic", "metadata": {"name": "vx", "namespace": "ns", "uid": "r", "generation": 1}});
        let page = render_status(&root, &[]);
        assert!(page.contains("observed none"), "{page}");
        assert!(page.contains("(no conditions yet)"), "{page}");
        assert!(page.ends_with("VexfsSemantic/vx\n"), "{page}");
    }

    #[test]
    fn cyclic_owner_references_stay_finite() {
        let root = object("VexfsSemantic", "vx", "a", Some("b"), json!({}));
        let child = object("ConfigMap", "c", "b", Some("a"), json!({}));
        let tree = children_tree(&root, &[root.clone(), child]);
        assert!(tree.lines().count() < 20, "{tree}");
    }
}
