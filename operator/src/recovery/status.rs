//! `status.recovery` ⇄ [`RecoveryState`], and the conditions recovery contributes (pure).
//!
//! The whole state machine lives in `status.recovery`, so a restarted operator (or the other
//! replica after a leader change) continues the same episode with the same breaker.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use super::breaker::{Breaker, Circuit};
use super::ladder::{ActionKind, ActionRecord, Observation, RecoveryState};
use crate::crd::{CircuitState, RecoveryAction, RecoveryStatus};
use crate::spec::conditions::{Stall, condition, reasons, types};
use crate::spec::kube_time::{from_time, to_time};

/// Reads the persisted state; an absent status is a fresh, closed breaker.
pub fn state_from_status(status: Option<&RecoveryStatus>) -> RecoveryState {
    let Some(status) = status else {
        return RecoveryState::default();
    };
    RecoveryState {
        breaker: Breaker {
            circuit: match status.circuit {
                CircuitState::Closed => Circuit::Closed,
                CircuitState::Open => Circuit::Open,
                CircuitState::HalfOpen => Circuit::HalfOpen,
            },
            consecutive_failures: u32::try_from(status.consecutive_failures).unwrap_or(0),
            opened_at: status.opened_at.as_ref().map(from_time),
        },
        observed: match (status.healthy, &status.health_since) {
            (Some(healthy), Some(since)) => Some(Observation {
                healthy,
                since: from_time(since),
            }),
            _ => None,
        },
        pending: status.pending_action.as_ref().and_then(record_from_status),
        last_action: status.last_action.as_ref().and_then(record_from_status),
        rung: u32::try_from(status.ladder_rung).unwrap_or(0),
        gave_up: status.phase.as_deref() == Some(PHASE_GAVE_UP),
        restart_counts: status.restart_counts.clone(),
        reset_token: status.reset_token.clone(),
    }
}

/// Writes the state as `status.recovery`.
pub fn state_to_status(
    state: &RecoveryState,
    next_attempt_after: Option<DateTime<Utc>>,
) -> RecoveryStatus {
    RecoveryStatus {
        circuit: match state.breaker.circuit {
            Circuit::Closed => CircuitState::Closed,
            Circuit::Open => CircuitState::Open,
            Circuit::HalfOpen => CircuitState::HalfOpen,
        },
        consecutive_failures: i32::try_from(state.breaker.consecutive_failures).unwrap_or(i32::MAX),
        last_action: state.last_action.as_ref().map(record_to_status),
        next_attempt_after: next_attempt_after.map(to_time),
        reset_token: state.reset_token.clone(),
        phase: Some(phase(state).to_owned()),
        healthy: state.observed.map(|o| o.healthy),
        health_since: state.observed.map(|o| to_time(o.since)),
        pending_action: state.pending.as_ref().map(record_to_status),
        ladder_rung: i32::try_from(state.rung).unwrap_or(i32::MAX),
        opened_at: state.breaker.opened_at.map(to_time),
        restart_counts: state.restart_counts.clone(),
    }
}

const PHASE_GAVE_UP: &str = "GaveUp";

/// One word for users: Healthy, Degraded, Recovering, CircuitOpen or GaveUp.
pub fn phase(state: &RecoveryState) -> &'static str {
    if state.gave_up {
        PHASE_GAVE_UP
    } else if state.breaker.circuit == Circuit::Open {
        "CircuitOpen"
    } else if state.pending.is_some() {
        "Recovering"
    } else if state.observed.is_some_and(|o| !o.healthy) {
        "Degraded"
    } else {
        "Healthy"
    }
}

/// The `RecoveryCircuitOpen` condition.
pub fn circuit_condition(
    state: &RecoveryState,
    generation: Option<i64>,
    now: DateTime<Utc>,
) -> Condition {
    let failures = state.breaker.consecutive_failures;
    let (status, reason, message) = match state.breaker.circuit {
        Circuit::Closed => (
            "False",
            reasons::CIRCUIT_CLOSED,
            "recovery actions are allowed".to_owned(),
        ),
        Circuit::Open => (
            "True",
            reasons::CIRCUIT_OPEN,
            format!("recovery paused after {failures} failed actions"),
        ),
        Circuit::HalfOpen => (
            "True",
            reasons::CIRCUIT_HALF_OPEN,
            "one probe recovery action is running".to_owned(),
        ),
    };
    condition(
        types::RECOVERY_CIRCUIT_OPEN,
        status,
        reason,
        message,
        generation,
        now,
    )
}

/// The `Stalled` reason and message recovery asks for, when it has given up.
pub fn stall(state: &RecoveryState) -> Option<Stall> {
    state.gave_up.then(|| {
        let last = state.last_action.as_ref().map_or("none", |a| a.kind.as_str());
        let message = format!(
            "recovery gave up after {} failed actions (last: {last}); fix the engine or change spec.recovery.resetToken",
            state.breaker.consecutive_failures
        );
        Stall {
            reason: reasons::RECOVERY_EXHAUSTED,
            message,
        }
    })
}

fn record_to_status(record: &ActionRecord) -> RecoveryAction {
    RecoveryAction {
        action: record.kind.as_str().to_owned(),
        time: Some(to_time(record.at)),
        reason: record.reason.clone(),
        pod: record.pod.clone(),
    }
}

fn record_from_status(action: &RecoveryAction) -> Option<ActionRecord> {
    let kind = match action.action.as_str() {
        "DeletePod" => ActionKind::DeletePod,
        "RolloutRestart" => ActionKind::RolloutRestart,
        _ => return None,
    };
    Some(ActionRecord {
        kind,
        pod: action.pod.clone(),
        at: from_time(action.time.as_ref()?),
        reason: action.reason.clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    fn troubled() -> RecoveryState {
        let action = ActionRecord {
            kind: ActionKind::RolloutRestart,
            pod: None,
            at: t("2026-11-27T10:05:00Z"),
            reason: "CrashLoopBackOff".to_owned(),
        };
        RecoveryState {
            breaker: Breaker {
                circuit: Circuit::Open,
                consecutive_failures: 5,
                opened_at: Some(t("2026-11-27T10:07:00Z")),
            },
            observed: Some(Observation {
                healthy: false,
                since: t("2026-11-27T10:00:00Z"),
            }),
            pending: None,
            last_action: Some(action),
            rung: 5,
            gave_up: true,
            restart_counts: BTreeMap::from([("vx-engine-0".to_owned(), 9)]),
            reset_token: Some("r1".to_owned()),
        }
    }

    #[test]
    fn state_survives_a_round_trip_through_status_json() {
        let state = troubled();
        let status = state_to_status(&state, Some(t("2026-11-27T10:08:00Z")));
        let json = serde_json::to_value(&status).expect("serialise");
        assert_eq!(json["circuit"], "Open");
        assert_eq!(json["phase"], "GaveUp");
        assert_eq!(json["nextAttemptAfter"], "2026-11-27T10:08:00Z");
        let parsed: RecoveryStatus = serde_json::from_value(json).expect("parse");
        assert_eq!(state_from_status(Some(&parsed)), state);
        assert_eq!(state_from_status(None), RecoveryState::default());
    }

    #[test]
    fn conditions_follow_the_breaker_and_the_give_up() {
        let now = t("2026-11-27T11:00:00Z");
        let mut state = troubled();
        let circuit = circuit_condition(&state, Some(3), now);
        assert_eq!(
            (circuit.status.as_str(), circuit.reason.as_str()),
            ("True", "CircuitOpen")
        );
        assert_eq!(circuit.observed_generation, Some(3));
        let Stall { reason, message } = stall(&state).expect("gave up");
        assert_eq!(reason, reasons::RECOVERY_EXHAUSTED);
        assert!(message.contains("resetToken"), "{message}");
        state = RecoveryState::default();
        assert_eq!(circuit_condition(&state, None, now).reason, "CircuitClosed");
        assert_eq!(stall(&state), None);
        assert_eq!(phase(&state), "Healthy");
    }
}
