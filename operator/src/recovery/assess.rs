//! Health assessment of the engine from pod and workload signals (pure).
//!
//! Signals: pod readiness, restart-count increases since the previous check, CrashLoopBackOff, and
//! workload availability. The worst symptom wins; the pod showing it is the one recovery acts on.
//! Pods that are still starting are not failing: deleting or restarting them would not help.

use std::collections::BTreeMap;

/// What recovery needs to know about one engine pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodHealth {
    /// Pod name.
    pub name: String,
    /// The pod's `Ready` condition is true.
    pub ready: bool,
    /// Sum of container restart counts.
    pub restart_count: i32,
    /// A container is waiting in `CrashLoopBackOff`.
    pub crash_looping: bool,
    /// The pod is being deleted.
    pub terminating: bool,
    /// The pod is still starting (phase `Pending`: scheduling, pulling images, running init containers).
    pub starting: bool,
}

/// Availability of the engine workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadHealth {
    /// Desired replicas (0 while stopped).
    pub desired: i32,
    /// Replicas that are ready.
    pub ready: i32,
}

/// A health problem, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Symptom {
    /// A container is in `CrashLoopBackOff`.
    CrashLoopBackOff,
    /// A container restarted since the previous check.
    Restarted,
    /// A pod is not ready.
    NotReady,
    /// Fewer ready replicas than desired, with no pod to blame.
    Unavailable,
}

impl Symptom {
    /// CamelCase name, used as an Event and condition reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CrashLoopBackOff => "CrashLoopBackOff",
            Self::Restarted => "Restarted",
            Self::NotReady => "NotReady",
            Self::Unavailable => "Unavailable",
        }
    }
}

/// The outcome of one health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Every desired replica is ready and nothing restarted.
    Healthy,
    /// Something is wrong.
    Unhealthy {
        /// The worst symptom.
        symptom: Symptom,
        /// The pod showing it, if a pod is to blame.
        pod: Option<String>,
    },
}

impl Health {
    /// Whether the check passed.
    pub fn is_healthy(&self) -> bool {
        matches!(self, Self::Healthy)
    }
}

/// One health check: the verdict and the restart counts to compare against next time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The verdict.
    pub health: Health,
    /// Restart count per pod, for the next check's deltas.
    pub restart_counts: BTreeMap<String, i32>,
}

/// Assesses the engine from its pods, its workload and the restart counts seen at the last check.
pub fn assess(
    pods: &[PodHealth],
    workload: WorkloadHealth,
    previous: &BTreeMap<String, i32>,
) -> Assessment {
    let restart_counts = pods
        .iter()
        .map(|p| (p.name.clone(), p.restart_count))
        .collect();
    if workload.desired == 0 {
        return Assessment {
            health: Health::Healthy,
            restart_counts,
        };
    }
    let worst = pods
        .iter()
        .filter(|pod| !pod.terminating && !pod.starting)
        .filter_map(|pod| pod_symptom(pod, previous).map(|symptom| (symptom, pod.name.clone())))
        .min();
    let health = match worst {
        Some((symptom, pod)) => Health::Unhealthy {
            symptom,
            pod: Some(pod),
        },
        None if workload.ready < workload.desired && !pods.iter().any(|p| p.starting) => {
            Health::Unhealthy {
                symptom: Symptom::Unavailable,
                pod: None,
            }
        }
        None => Health::Healthy,
    };
    Assessment {
        health,
        restart_counts,
    }
}

fn pod_symptom(pod: &PodHealth, previous: &BTreeMap<String, i32>) -> Option<Symptom> {
    let restarted = previous
        .get(&pod.name)
        .is_some_and(|before| pod.restart_count > *before);
    if pod.crash_looping {
        Some(Symptom::CrashLoopBackOff)
    } else if restarted {
        Some(Symptom::Restarted)
    } else if !pod.ready {
        Some(Symptom::NotReady)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, ready: bool, restarts: i32) -> PodHealth {
        PodHealth {
            name: name.to_owned(),
            ready,
            restart_count: restarts,
            crash_looping: false,
            terminating: false,
            starting: false,
        }
    }

    fn workload(desired: i32, ready: i32) -> WorkloadHealth {
        WorkloadHealth { desired, ready }
    }

    fn unhealthy(symptom: Symptom, pod: &str) -> Health {
        Health::Unhealthy {
            symptom,
            pod: Some(pod.to_owned()),
        }
    }

    #[test]
    fn all_ready_is_healthy_and_records_restart_counts() {
        let pods = [pod("e-0", true, 2), pod("e-1", true, 0)];
        let result = assess(
            &pods,
            workload(2, 2),
            &BTreeMap::from([("e-0".to_owned(), 2)]),
        );
        assert_eq!(result.health, Health::Healthy);
        assert_eq!(
            result.restart_counts,
            BTreeMap::from([("e-0".to_owned(), 2), ("e-1".to_owned(), 0)])
        );
    }

    #[test]
    fn crash_loop_beats_not_ready() {
        let mut looping = pod("e-1", false, 7);
        looping.crash_looping = true;
        let pods = [pod("e-0", false, 0), looping];
        assert_eq!(
            assess(&pods, workload(2, 0), &BTreeMap::new()).health,
            unhealthy(Symptom::CrashLoopBackOff, "e-1")
        );
    }

    #[test]
    fn a_restart_since_the_last_check_is_a_symptom_even_when_ready() {
        let previous = BTreeMap::from([("e-0".to_owned(), 1)]);
        assert_eq!(
            assess(&[pod("e-0", true, 2)], workload(1, 1), &previous).health,
            unhealthy(Symptom::Restarted, "e-0")
        );
        // A recreated pod starts from zero restarts: not a restart.
        assert_eq!(
            assess(&[pod("e-0", true, 0)], workload(1, 1), &previous).health,
            Health::Healthy
        );
        // A pod seen for the first time has no delta.
        assert_eq!(
            assess(&[pod("e-0", true, 5)], workload(1, 1), &BTreeMap::new()).health,
            Health::Healthy
        );
    }

    #[test]
    fn missing_replicas_are_unavailable_and_terminating_pods_are_ignored() {
        let mut leaving = pod("e-1", false, 0);
        leaving.terminating = true;
        let result = assess(
            &[pod("e-0", true, 0), leaving],
            workload(2, 1),
            &BTreeMap::new(),
        );
        assert_eq!(
            result.health,
            Health::Unhealthy {
                symptom: Symptom::Unavailable,
                pod: None
            }
        );
    }

    #[test]
    fn starting_pods_are_not_failing() {
        let mut starting = pod("e-0", false, 0);
        starting.starting = true;
        let result = assess(&[starting], workload(1, 0), &BTreeMap::new());
        assert_eq!(result.health, Health::Healthy);
    }

    #[test]
    fn a_stopped_engine_is_healthy() {
        assert_eq!(
            assess(&[], workload(0, 0), &BTreeMap::new()).health,
            Health::Healthy
        );
        assert_eq!(
            assess(&[pod("e-0", false, 0)], workload(0, 0), &BTreeMap::new()).health,
            Health::Healthy
        );
    }
}
