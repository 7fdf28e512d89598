//! Kubernetes Events about one object, oldest first: how a test checks the order of the
//! operator's actions (for example a recovery ladder) after the fact.

use serde_json::Value;

use crate::Kubectl;
use crate::kubectl::KubectlError;

/// One Event: its reason, note and when it first occurred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// CamelCase reason, e.g. `RecoveryDeletePod`.
    pub reason: String,
    /// Human-readable note.
    pub note: String,
    /// First occurrence (RFC 3339, microseconds when the reporter set them).
    pub time: String,
}

/// The time an `events.k8s.io/v1` Event first occurred.
fn first_time(event: &Value) -> String {
    [
        "/eventTime",
        "/deprecatedFirstTimestamp",
        "/metadata/creationTimestamp",
    ]
    .iter()
    .find_map(|p| event.pointer(p).and_then(Value::as_str))
    .unwrap_or_default()
    .to_owned()
}

/// Events in `items` regarding the object named `name`, oldest first.
pub fn regarding(items: &[Value], name: &str) -> Vec<Event> {
    let mut events: Vec<Event> = items
        .iter()
        .filter(|e| e.pointer("/regarding/name").and_then(Value::as_str) == Some(name))
        .map(|e| Event {
            reason: e["reason"].as_str().unwrap_or_default().to_owned(),
            note: e["note"].as_str().unwrap_or_default().to_owned(),
            time: first_time(e),
        })
        .collect();
    events.sort_by(|a, b| a.time.cmp(&b.time));
    events
}

/// Events in `namespace` regarding the object named `name`, oldest first.
pub fn list(kubectl: &Kubectl, namespace: &str, name: &str) -> Result<Vec<Event>, KubectlError> {
    let items = kubectl.list("events.events.k8s.io", namespace, "")?;
    Ok(regarding(&items, name))
}

/// The reasons of `events` in order, each listed once (at its first occurrence).
pub fn first_reasons(events: &[Event]) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for event in events {
        if !seen.contains(&event.reason.as_str()) {
            seen.push(&event.reason);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn events_of_the_object_come_oldest_first() {
        let items = [
            json!({"regarding": {"name": "vx"}, "reason": "B", "note": "n2",
                   "eventTime": "2026-01-01T00:00:02.000001Z"}),
            json!({"regarding": {"name": "other"}, "reason": "X",
                   "eventTime": "2026-01-01T00:00:00.000000Z"}),
            json!({"regarding": {"name": "vx"}, "reason": "A", "note": "n1",
                   "eventTime": "2026-01-01T00:00:01.500000Z"}),
        ];
        let events = regarding(&items, "vx");
        assert_eq!(first_reasons(&events), ["A", "B"]);
        assert_eq!(events[0].note, "n1");
    }

    #[test]
    fn repeated_reasons_are_listed_once() {
        let event = |reason: &str, time: &str| Event {
            reason: reason.into(),
            note: String::new(),
            time: time.into(),
        };
        let events = [event("A", "1"), event("B", "2"), event("A", "3")];
        assert_eq!(first_reasons(&events), ["A", "B"]);
    }
}
