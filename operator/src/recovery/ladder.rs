//! The recovery ladder: observe → delete the stuck pod → rollout restart → give up (pure, clock injected).
//!
//! A failure must persist for `persist` (healthCheckIntervalSeconds × failureThresholdChecks) before the
//! first action, so a transient blip never triggers one. Each action is judged after
//! `recovery_timeout`: health sustained for `persist` is a success, anything else a failure that
//! escalates to the next rung. Failures feed the circuit breaker; when a half-open probe also fails,
//! recovery gives up (`Stalled`) until health returns or `spec.recovery.resetToken` changes.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::assess::{Health, Symptom};
use super::breaker::{Breaker, BreakerChange, BreakerConfig, Circuit, Permit};

/// Recovery timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LadderConfig {
    /// How long a health change must persist to count (interval × checks).
    pub persist: Duration,
    /// How long an action gets to restore health.
    pub recovery_timeout: Duration,
    /// Circuit breaker thresholds.
    pub breaker: BreakerConfig,
}

/// A recovery action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionKind {
    /// Delete the stuck pod so its controller recreates it.
    DeletePod,
    /// Restart every engine pod through the StatefulSet's pod template.
    RolloutRestart,
}

impl ActionKind {
    /// Every action, in ladder order.
    pub const ALL: [Self; 2] = [Self::DeletePod, Self::RolloutRestart];

    /// CamelCase name, used in status, Events and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeletePod => "DeletePod",
            Self::RolloutRestart => "RolloutRestart",
        }
    }
}

/// One action taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// What was done.
    pub kind: ActionKind,
    /// The pod acted on, for `DeletePod`.
    pub pod: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// The symptom that caused it.
    pub reason: String,
}

/// The last health change seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Whether the engine was healthy.
    pub healthy: bool,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// Everything recovery remembers; persisted in `status.recovery`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryState {
    /// The circuit breaker.
    pub breaker: Breaker,
    /// The current health stretch.
    pub observed: Option<Observation>,
    /// The action awaiting its verdict.
    pub pending: Option<ActionRecord>,
    /// The most recent action.
    pub last_action: Option<ActionRecord>,
    /// Failed actions in the current episode: the ladder rung to use next.
    pub rung: u32,
    /// Recovery has given up until health returns or the reset token changes.
    pub gave_up: bool,
    /// Restart count per pod at the last check.
    pub restart_counts: BTreeMap<String, i32>,
    /// The `spec.recovery.resetToken` last applied.
    pub reset_token: Option<String>,
}

/// Why no action is taken now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Unhealthy, but not for long enough yet.
    Observing,
    /// An action is still within its recovery timeout.
    Verifying,
    /// The circuit is open until this time.
    CircuitOpen(DateTime<Utc>),
    /// The global cap on concurrent recoveries is reached.
    ConcurrencyCap,
    /// Recovery gave up.
    GaveUp,
}

/// What the driver should do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Healthy: nothing to do.
    Nothing,
    /// Carry out this action.
    Act(ActionRecord),
    /// Hold off.
    Wait(Wait),
}

/// Something worth an Event and a metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryEvent {
    /// The reset token changed; the breaker and ladder were reset.
    Reset,
    /// An action was taken.
    ActionTaken(ActionRecord),
    /// An action restored health.
    ActionSucceeded(ActionKind),
    /// An action did not restore health in time.
    ActionFailed(ActionKind),
    /// The breaker changed state.
    Breaker(BreakerChange),
    /// A half-open probe failed: recovery gave up.
    GaveUp,
    /// Health returned without a pending action.
    Recovered,
}

/// Per-check inputs besides health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepInput<'a> {
    /// The current time.
    pub now: DateTime<Utc>,
    /// `spec.recovery.resetToken`.
    pub reset_token: Option<&'a str>,
    /// Whether a concurrent-recovery slot is free (or already held by this resource).
    pub slot_free: bool,
}

/// The decision of one step and the events it produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What to do now.
    pub decision: Decision,
    /// What happened.
    pub events: Vec<RecoveryEvent>,
}

impl RecoveryState {
    /// Advances the state machine by one health check.
    pub fn step(&mut self, health: &Health, input: StepInput<'_>, config: LadderConfig) -> Outcome {
        let mut events = Vec::new();
        if self.reset_token.as_deref() != input.reset_token {
            *self = Self {
                observed: self.observed,
                restart_counts: std::mem::take(&mut self.restart_counts),
                reset_token: input.reset_token.map(str::to_owned),
                ..Self::default()
            };
            events.push(RecoveryEvent::Reset);
        }
        self.observe(health.is_healthy(), input.now);
        let sustained = self
            .observed
            .is_some_and(|o| input.now - o.since >= config.persist);
        if let Some(wait) = self.judge_pending(
            health.is_healthy(),
            sustained,
            input.now,
            config,
            &mut events,
        ) {
            return Outcome {
                decision: Decision::Wait(wait),
                events,
            };
        }
        let decision = match health {
            Health::Healthy => {
                self.settle_if_sustained(sustained, &mut events);
                Decision::Nothing
            }
            Health::Unhealthy { .. } if !sustained => Decision::Wait(Wait::Observing),
            Health::Unhealthy { symptom, pod } => {
                self.act(*symptom, pod.as_deref(), input, config, &mut events)
            }
        };
        Outcome { decision, events }
    }

    /// When the ladder's own clock next changes something without any new observation: a failure
    /// becomes sustained (act), a pending action's verdict falls due, health becomes sustained
    /// (settle), or the open breaker lets a probe through. `None` when only a change in health can
    /// move the ladder (healthy and settled, or given up).
    pub fn next_check(&self, config: LadderConfig) -> Option<DateTime<Utc>> {
        let observed = self.observed?;
        let sustained_at = observed.since + config.persist;
        if let Some(pending) = &self.pending {
            return Some(if observed.healthy {
                sustained_at
            } else {
                pending.at + config.recovery_timeout
            });
        }
        if !observed.healthy {
            if self.gave_up {
                return None;
            }
            let probe_at = self.breaker.next_attempt_after(config.breaker);
            return Some(probe_at.map_or(sustained_at, |at| at.max(sustained_at)));
        }
        let troubled = self.gave_up || self.rung > 0 || self.breaker != Breaker::default();
        troubled.then_some(sustained_at)
    }

    fn observe(&mut self, healthy: bool, now: DateTime<Utc>) {
        if self.observed.is_none_or(|o| o.healthy != healthy) {
            self.observed = Some(Observation {
                healthy,
                since: now,
            });
        }
    }

    /// Decides the pending action's verdict; returns a wait while it is still undecided.
    fn judge_pending(
        &mut self,
        healthy: bool,
        sustained: bool,
        now: DateTime<Utc>,
        config: LadderConfig,
        events: &mut Vec<RecoveryEvent>,
    ) -> Option<Wait> {
        let pending = self.pending.as_ref()?;
        let kind = pending.kind;
        if healthy && sustained {
            self.pending = None;
            events.push(RecoveryEvent::ActionSucceeded(kind));
            self.settle(events);
            return None;
        }
        if healthy || now < pending.at + config.recovery_timeout {
            return Some(Wait::Verifying);
        }
        self.pending = None;
        events.push(RecoveryEvent::ActionFailed(kind));
        let was_probe = self.breaker.circuit == Circuit::HalfOpen;
        events.extend(
            self.breaker
                .record_failure(now, config.breaker)
                .map(RecoveryEvent::Breaker),
        );
        self.rung = self.rung.saturating_add(1);
        if was_probe {
            self.gave_up = true;
            events.push(RecoveryEvent::GaveUp);
        }
        None
    }

    fn settle_if_sustained(&mut self, sustained: bool, events: &mut Vec<RecoveryEvent>) {
        let troubled = self.gave_up || self.rung > 0 || self.breaker != Breaker::default();
        if sustained && troubled {
            events.push(RecoveryEvent::Recovered);
            self.settle(events);
        }
    }

    fn settle(&mut self, events: &mut Vec<RecoveryEvent>) {
        events.extend(self.breaker.record_success().map(RecoveryEvent::Breaker));
        self.rung = 0;
        self.gave_up = false;
    }

    fn act(
        &mut self,
        symptom: Symptom,
        pod: Option<&str>,
        input: StepInput<'_>,
        config: LadderConfig,
        events: &mut Vec<RecoveryEvent>,
    ) -> Decision {
        if self.gave_up {
            return Decision::Wait(Wait::GaveUp);
        }
        let permit = self.breaker.permit(input.now, config.breaker);
        if let Permit::Blocked(until) = permit {
            return Decision::Wait(Wait::CircuitOpen(until));
        }
        if !input.slot_free {
            return Decision::Wait(Wait::ConcurrencyCap);
        }
        if permit == Permit::Probe {
            events.extend(self.breaker.start_probe().map(RecoveryEvent::Breaker));
        }
        let (kind, pod) = match pod {
            Some(pod) if self.rung == 0 => (ActionKind::DeletePod, Some(pod.to_owned())),
            _ => (ActionKind::RolloutRestart, None),
        };
        let record = ActionRecord {
            kind,
            pod,
            at: input.now,
            reason: symptom.as_str().to_owned(),
        };
        self.pending = Some(record.clone());
        self.last_action = Some(record.clone());
        events.push(RecoveryEvent::ActionTaken(record.clone()));
        Decision::Act(record)
    }
}

#[cfg(test)]
#[path = "ladder_tests.rs"]
mod tests;
