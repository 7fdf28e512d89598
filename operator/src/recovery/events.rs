//! Events and metric labels of recovery (pure): what each state-machine event is called.

use kube::runtime::events::EventType;

use super::breaker::BreakerChange;
use super::ladder::{ActionKind, ActionRecord, RecoveryEvent};

/// Event type, reason and note of a recovery event.
pub fn describe(event: &RecoveryEvent) -> (EventType, &'static str, String) {
    match event {
        RecoveryEvent::Reset => (
            EventType::Normal,
            "RecoveryReset",
            "resetToken changed: breaker and ladder reset".to_owned(),
        ),
        RecoveryEvent::ActionTaken(record) => describe_action(record),
        RecoveryEvent::ActionSucceeded(kind) => (
            EventType::Normal,
            "RecoverySucceeded",
            format!("{} restored health", kind.as_str()),
        ),
        RecoveryEvent::ActionFailed(kind) => (
            EventType::Warning,
            "RecoveryFailed",
            format!("{} did not restore health in time", kind.as_str()),
        ),
        RecoveryEvent::Breaker(BreakerChange::Opened) => (
            EventType::Warning,
            "CircuitOpened",
            "recovery paused: circuit breaker open".to_owned(),
        ),
        RecoveryEvent::Breaker(BreakerChange::HalfOpened) => (
            EventType::Normal,
            "CircuitHalfOpen",
            "probing with one recovery action".to_owned(),
        ),
        RecoveryEvent::Breaker(BreakerChange::Closed) => (
            EventType::Normal,
            "CircuitClosed",
            "circuit breaker closed".to_owned(),
        ),
        RecoveryEvent::GaveUp => (
            EventType::Warning,
            "RecoveryGaveUp",
            "the half-open probe failed; recovery gave up".to_owned(),
        ),
        RecoveryEvent::Recovered => (
            EventType::Normal,
            "Recovered",
            "the engine is healthy again".to_owned(),
        ),
    }
}

fn describe_action(record: &ActionRecord) -> (EventType, &'static str, String) {
    let target = record
        .pod
        .as_deref()
        .map(|p| format!(" pod {p}"))
        .unwrap_or_default();
    let reason = match record.kind {
        ActionKind::DeletePod => "RecoveryDeletePod",
        ActionKind::RolloutRestart => "RecoveryRolloutRestart",
    };
    let note = format!(
        "{}{target} because of {}",
        record.kind.as_str(),
        record.reason
    );
    (EventType::Warning, reason, note)
}

/// The `state` label of a breaker transition.
pub fn breaker_state(change: BreakerChange) -> &'static str {
    match change {
        BreakerChange::Opened => "Open",
        BreakerChange::HalfOpened => "HalfOpen",
        BreakerChange::Closed => "Closed",
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    #[test]
    fn actions_and_transitions_have_distinct_reasons() {
        let record = ActionRecord {
            kind: ActionKind::DeletePod,
            pod: Some("vx-0".to_owned()),
            at: DateTime::from_timestamp(0, 0).expect("time"),
            reason: "CrashLoopBackOff".to_owned(),
        };
        let (type_, reason, note) = describe(&RecoveryEvent::ActionTaken(record));
        assert_eq!((type_, reason), (EventType::Warning, "RecoveryDeletePod"));
        assert_eq!(note, "DeletePod pod vx-0 because of CrashLoopBackOff");
        let opened = describe(&RecoveryEvent::Breaker(BreakerChange::Opened));
        assert_eq!((opened.0, opened.1), (EventType::Warning, "CircuitOpened"));
        assert_eq!(breaker_state(BreakerChange::HalfOpened), "HalfOpen");
    }
}
