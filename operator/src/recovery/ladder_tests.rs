//! Recovery ladder scenarios driven by an injected clock.

use super::*;

const CONFIG: LadderConfig = LadderConfig {
    persist: Duration::seconds(60),
    recovery_timeout: Duration::seconds(120),
    breaker: BreakerConfig {
        failure_threshold: 3,
        open_timeout: Duration::seconds(300),
    },
};

fn t(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("time")
}

fn sick() -> Health {
    Health::Unhealthy {
        symptom: Symptom::CrashLoopBackOff,
        pod: Some("vx-engine-0".to_owned()),
    }
}

fn step(state: &mut RecoveryState, health: &Health, at: i64) -> Outcome {
    state.step(
        health,
        StepInput {
            now: t(at),
            reset_token: None,
            slot_free: true,
        },
        CONFIG,
    )
}

fn acted(outcome: &Outcome) -> Option<ActionKind> {
    match &outcome.decision {
        Decision::Act(record) => Some(record.kind),
        _ => None,
    }
}

#[test]
fn a_transient_blip_triggers_nothing() {
    let mut state = RecoveryState::default();
    assert_eq!(
        step(&mut state, &sick(), 0).decision,
        Decision::Wait(Wait::Observing)
    );
    assert_eq!(
        step(&mut state, &sick(), 40).decision,
        Decision::Wait(Wait::Observing)
    );
    assert_eq!(
        step(&mut state, &Health::Healthy, 50).decision,
        Decision::Nothing
    );
    assert_eq!(
        step(&mut state, &sick(), 100).decision,
        Decision::Wait(Wait::Observing)
    );
    assert!(state.last_action.is_none());
}

#[test]
fn a_persistent_failure_deletes_the_pod_and_sustained_health_is_a_success() {
    let mut state = RecoveryState::default();
    step(&mut state, &sick(), 0);
    let first = step(&mut state, &sick(), 60);
    let Decision::Act(record) = &first.decision else {
        panic!("expected an action: {first:?}")
    };
    assert_eq!(
        (record.kind, record.pod.as_deref()),
        (ActionKind::DeletePod, Some("vx-engine-0"))
    );
    assert_eq!(record.reason, "CrashLoopBackOff");
    assert_eq!(
        step(&mut state, &Health::Healthy, 80).decision,
        Decision::Wait(Wait::Verifying)
    );
    let verdict = step(&mut state, &Health::Healthy, 140);
    assert_eq!(verdict.decision, Decision::Nothing);
    assert_eq!(
        verdict.events,
        vec![RecoveryEvent::ActionSucceeded(ActionKind::DeletePod)]
    );
    assert_eq!((state.rung, state.pending.is_none()), (0, true));
}

#[test]
fn the_ladder_escalates_and_opens_the_circuit() {
    open_circuit();
}

/// Drives a crash loop through DeletePod, two RolloutRestarts and an opening circuit (at t=420).
fn open_circuit() -> RecoveryState {
    let mut state = RecoveryState::default();
    step(&mut state, &sick(), 0);
    assert_eq!(
        acted(&step(&mut state, &sick(), 60)),
        Some(ActionKind::DeletePod)
    );
    assert_eq!(
        step(&mut state, &sick(), 120).decision,
        Decision::Wait(Wait::Verifying)
    );
    let second = step(&mut state, &sick(), 180);
    assert_eq!(
        second.events[0],
        RecoveryEvent::ActionFailed(ActionKind::DeletePod)
    );
    assert_eq!(acted(&second), Some(ActionKind::RolloutRestart));
    assert_eq!(
        acted(&step(&mut state, &sick(), 300)),
        Some(ActionKind::RolloutRestart)
    );
    let opened = step(&mut state, &sick(), 420);
    assert!(
        opened
            .events
            .contains(&RecoveryEvent::Breaker(BreakerChange::Opened))
    );
    assert_eq!(opened.decision, Decision::Wait(Wait::CircuitOpen(t(720))));
    assert_eq!(
        step(&mut state, &sick(), 719).decision,
        Decision::Wait(Wait::CircuitOpen(t(720)))
    );
    state
}

#[test]
fn a_failed_probe_gives_up_until_health_returns() {
    let mut state = open_circuit();
    let probe = step(&mut state, &sick(), 720);
    assert!(
        probe
            .events
            .contains(&RecoveryEvent::Breaker(BreakerChange::HalfOpened))
    );
    assert_eq!(acted(&probe), Some(ActionKind::RolloutRestart));
    let failed_probe = step(&mut state, &sick(), 840);
    assert!(failed_probe.events.contains(&RecoveryEvent::GaveUp));
    assert_eq!(failed_probe.decision, Decision::Wait(Wait::GaveUp));
    assert_eq!(
        (state.gave_up, state.breaker.circuit),
        (true, Circuit::Open)
    );
    assert_eq!(
        step(&mut state, &sick(), 5000).decision,
        Decision::Wait(Wait::GaveUp)
    );
    // Health returning on its own closes the circuit once sustained.
    assert!(step(&mut state, &Health::Healthy, 5010).events.is_empty());
    let recovered = step(&mut state, &Health::Healthy, 5070);
    assert_eq!(
        recovered.events,
        vec![
            RecoveryEvent::Recovered,
            RecoveryEvent::Breaker(BreakerChange::Closed)
        ]
    );
    assert_eq!(
        (state.gave_up, state.breaker.circuit, state.rung),
        (false, Circuit::Closed, 0)
    );
}

#[test]
fn a_successful_probe_closes_the_circuit() {
    let mut state = RecoveryState {
        breaker: Breaker {
            circuit: Circuit::Open,
            consecutive_failures: 3,
            opened_at: Some(t(0)),
        },
        observed: Some(Observation {
            healthy: false,
            since: t(0),
        }),
        rung: 3,
        ..RecoveryState::default()
    };
    assert_eq!(
        acted(&step(&mut state, &sick(), 300)),
        Some(ActionKind::RolloutRestart)
    );
    step(&mut state, &Health::Healthy, 330);
    let closed = step(&mut state, &Health::Healthy, 390);
    assert_eq!(
        closed.events,
        vec![
            RecoveryEvent::ActionSucceeded(ActionKind::RolloutRestart),
            RecoveryEvent::Breaker(BreakerChange::Closed)
        ]
    );
    assert_eq!(state.breaker, Breaker::default());
}

#[test]
fn changing_the_reset_token_resets_a_gave_up_breaker() {
    let mut state = RecoveryState {
        breaker: Breaker {
            circuit: Circuit::Open,
            consecutive_failures: 4,
            opened_at: Some(t(0)),
        },
        observed: Some(Observation {
            healthy: false,
            since: t(0),
        }),
        gave_up: true,
        rung: 4,
        ..RecoveryState::default()
    };
    let input = StepInput {
        now: t(100),
        reset_token: Some("2026-11-27"),
        slot_free: true,
    };
    let outcome = state.step(&sick(), input, CONFIG);
    assert_eq!(outcome.events[0], RecoveryEvent::Reset);
    assert_eq!(
        acted(&outcome),
        Some(ActionKind::DeletePod),
        "the ladder starts over"
    );
    assert_eq!(state.reset_token.as_deref(), Some("2026-11-27"));
    let again = state.step(
        &sick(),
        StepInput {
            now: t(110),
            ..input
        },
        CONFIG,
    );
    assert!(
        !again.events.contains(&RecoveryEvent::Reset),
        "the same token resets only once"
    );
}

#[test]
fn the_concurrency_cap_defers_the_action() {
    let mut state = RecoveryState::default();
    step(&mut state, &sick(), 0);
    let capped = state.step(
        &sick(),
        StepInput {
            now: t(60),
            reset_token: None,
            slot_free: false,
        },
        CONFIG,
    );
    assert_eq!(capped.decision, Decision::Wait(Wait::ConcurrencyCap));
    assert!(state.pending.is_none());
    assert_eq!(
        acted(&step(&mut state, &sick(), 70)),
        Some(ActionKind::DeletePod)
    );
}

#[test]
fn unavailability_without_a_pod_to_blame_starts_with_a_rollout_restart() {
    let mut state = RecoveryState::default();
    let missing = Health::Unhealthy {
        symptom: Symptom::Unavailable,
        pod: None,
    };
    step(&mut state, &missing, 0);
    assert_eq!(
        acted(&step(&mut state, &missing, 60)),
        Some(ActionKind::RolloutRestart)
    );
}

#[test]
fn state_restored_from_json_continues_the_same_episode() {
    let mut live = RecoveryState::default();
    step(&mut live, &sick(), 0);
    step(&mut live, &sick(), 60);
    let json = serde_json::to_string(&live).expect("serialise");
    let mut restored: RecoveryState = serde_json::from_str(&json).expect("parse");
    assert_eq!(restored, live);
    let a = step(&mut live, &sick(), 180);
    let b = step(&mut restored, &sick(), 180);
    assert_eq!((a, acted_kind(&live)), (b, acted_kind(&restored)));
    assert_eq!(restored.rung, 1);
}

fn acted_kind(state: &RecoveryState) -> Option<ActionKind> {
    state.last_action.as_ref().map(|a| a.kind)
}

#[test]
fn the_ladder_schedules_exactly_the_checks_its_timers_need() {
    let mut state = RecoveryState::default();
    step(&mut state, &Health::Healthy, 0);
    assert_eq!(
        state.next_check(CONFIG),
        None,
        "healthy and settled: events only"
    );
    step(&mut state, &sick(), 10);
    assert_eq!(
        state.next_check(CONFIG),
        Some(t(70)),
        "act once the failure persisted"
    );
    assert_eq!(
        acted(&step(&mut state, &sick(), 70)),
        Some(ActionKind::DeletePod)
    );
    assert_eq!(
        state.next_check(CONFIG),
        Some(t(190)),
        "judge at the recovery timeout"
    );
    step(&mut state, &Health::Healthy, 100);
    assert_eq!(
        state.next_check(CONFIG),
        Some(t(160)),
        "succeed once health persisted"
    );
    step(&mut state, &Health::Healthy, 160);
    assert_eq!(state.next_check(CONFIG), None, "recovered and settled");
}
