//! Circuit breaker over recovery actions: Closed → Open → HalfOpen (pure, clock injected).
//!
//! Closed: actions allowed; `failure_threshold` consecutive failed actions open the circuit.
//! Open: no action until `open_timeout` has passed, then one half-open probe is allowed.
//! HalfOpen: the probe's success closes the circuit; its failure opens it again.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Breaker thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failed actions that open the circuit.
    pub failure_threshold: u32,
    /// How long the circuit stays open before a half-open probe.
    pub open_timeout: Duration,
}

/// Breaker state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Circuit {
    /// Actions allowed.
    #[default]
    Closed,
    /// Actions blocked.
    Open,
    /// One probe action allowed.
    HalfOpen,
}

/// Whether an action may run now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Closed circuit: act.
    Allowed,
    /// Open timeout elapsed: act once as a half-open probe.
    Probe,
    /// Open circuit: wait until this time.
    Blocked(DateTime<Utc>),
}

/// A breaker state change, reported as an Event and a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerChange {
    /// The circuit opened.
    Opened,
    /// A half-open probe started.
    HalfOpened,
    /// The circuit closed.
    Closed,
}

impl BreakerChange {
    /// Every transition.
    pub const ALL: [Self; 3] = [Self::Opened, Self::HalfOpened, Self::Closed];
}

/// The breaker; serialisable so its state survives operator restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    /// Current state.
    pub circuit: Circuit,
    /// Failed actions since the last success.
    pub consecutive_failures: u32,
    /// When the circuit last opened.
    pub opened_at: Option<DateTime<Utc>>,
}

impl Breaker {
    /// Whether an action may run at `now`.
    pub fn permit(&self, now: DateTime<Utc>, config: BreakerConfig) -> Permit {
        match (self.circuit, self.next_attempt_after(config)) {
            (Circuit::Closed | Circuit::HalfOpen, _) => Permit::Allowed,
            (Circuit::Open, Some(after)) if now < after => Permit::Blocked(after),
            (Circuit::Open, _) => Permit::Probe,
        }
    }

    /// Marks the start of a half-open probe.
    pub fn start_probe(&mut self) -> Option<BreakerChange> {
        (self.circuit == Circuit::Open).then(|| {
            self.circuit = Circuit::HalfOpen;
            BreakerChange::HalfOpened
        })
    }

    /// Records a successful action (or sustained health): closes the circuit.
    pub fn record_success(&mut self) -> Option<BreakerChange> {
        let was_closed = self.circuit == Circuit::Closed;
        *self = Self::default();
        (!was_closed).then_some(BreakerChange::Closed)
    }

    /// Records a failed action at `now`; opens the circuit at the threshold or after a failed probe.
    pub fn record_failure(
        &mut self,
        now: DateTime<Utc>,
        config: BreakerConfig,
    ) -> Option<BreakerChange> {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let opens = match self.circuit {
            Circuit::Closed => self.consecutive_failures >= config.failure_threshold,
            Circuit::HalfOpen => true,
            Circuit::Open => false,
        };
        opens.then(|| {
            self.circuit = Circuit::Open;
            self.opened_at = Some(now);
            BreakerChange::Opened
        })
    }

    /// When an open circuit allows its probe.
    pub fn next_attempt_after(&self, config: BreakerConfig) -> Option<DateTime<Utc>> {
        match self.circuit {
            Circuit::Open => self.opened_at.map(|at| at + config.open_timeout),
            Circuit::Closed | Circuit::HalfOpen => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: BreakerConfig = BreakerConfig {
        failure_threshold: 3,
        open_timeout: Duration::seconds(60),
    };

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("time")
    }

    #[test]
    fn opens_at_the_threshold_and_blocks_until_the_timeout() {
        let mut breaker = Breaker::default();
        assert_eq!(breaker.record_failure(t(0), CONFIG), None);
        assert_eq!(breaker.record_failure(t(10), CONFIG), None);
        assert_eq!(breaker.permit(t(11), CONFIG), Permit::Allowed);
        assert_eq!(
            breaker.record_failure(t(20), CONFIG),
            Some(BreakerChange::Opened)
        );
        assert_eq!(breaker.permit(t(21), CONFIG), Permit::Blocked(t(80)));
        assert_eq!(breaker.permit(t(79), CONFIG), Permit::Blocked(t(80)));
        assert_eq!(breaker.permit(t(80), CONFIG), Permit::Probe);
    }

    #[test]
    fn a_successful_probe_closes_the_circuit() {
        let mut breaker = Breaker {
            circuit: Circuit::Open,
            consecutive_failures: 3,
            opened_at: Some(t(0)),
        };
        assert_eq!(breaker.start_probe(), Some(BreakerChange::HalfOpened));
        assert_eq!(breaker.permit(t(61), CONFIG), Permit::Allowed);
        assert_eq!(breaker.record_success(), Some(BreakerChange::Closed));
        assert_eq!(breaker, Breaker::default());
    }

    #[test]
    fn a_failed_probe_reopens_with_a_fresh_timeout() {
        let mut breaker = Breaker {
            circuit: Circuit::HalfOpen,
            consecutive_failures: 3,
            opened_at: Some(t(0)),
        };
        assert_eq!(
            breaker.record_failure(t(100), CONFIG),
            Some(BreakerChange::Opened)
        );
        assert_eq!(breaker.permit(t(150), CONFIG), Permit::Blocked(t(160)));
        assert_eq!(breaker.consecutive_failures, 4);
    }

    #[test]
    fn success_in_closed_state_resets_the_count_silently() {
        let mut breaker = Breaker::default();
        breaker.record_failure(t(0), CONFIG);
        breaker.record_failure(t(1), CONFIG);
        assert_eq!(breaker.record_success(), None);
        assert_eq!(
            breaker.record_failure(t(2), CONFIG),
            None,
            "the count restarted from zero"
        );
    }

    #[test]
    fn state_round_trips_through_json() {
        let breaker = Breaker {
            circuit: Circuit::Open,
            consecutive_failures: 5,
            opened_at: Some(t(0)),
        };
        let json = serde_json::to_string(&breaker).expect("serialise");
        assert_eq!(
            serde_json::from_str::<Breaker>(&json).expect("parse"),
            breaker
        );
    }
}
