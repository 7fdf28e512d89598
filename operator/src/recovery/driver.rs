//! The recovery driver: reads engine pods, steps the ladder, carries out its action, and reports
//! Events, metrics, `status.recovery` and conditions. The only I/O of recovery lives here.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::events::{Event, Recorder};
use kube::{Client, Resource};
use serde_json::json;
use thiserror::Error;

use super::assess::{WorkloadHealth, assess};
use super::breaker::BreakerConfig;
use super::events::{breaker_state, describe};
use super::ladder::{
    ActionKind, ActionRecord, Decision, LadderConfig, RecoveryEvent, RecoveryState, StepInput,
};
use super::memory::RecoveryMemory;
use super::metrics::{FAILED, RecoveryMetrics, SUCCEEDED};
use super::signals::pod_health;
use super::slots::RecoverySlots;
use super::status::{circuit_condition, stall, state_from_status, state_to_status};
use crate::crd::{RecoverySpec, RecoveryStatus, VexfsSemantic};
use crate::spec::ValidatedSpec;
use crate::spec::conditions::Stall;

/// Field manager of the rollout-restart annotation (separate from the pipeline's, so neither removes the other's field).
const RESTART_MANAGER: &str = "vexfs-operator-recovery";
/// Pod-template annotation whose change restarts every engine pod (as `kubectl rollout restart` does).
pub const RESTARTED_AT_ANNOTATION: &str = "kubectl.kubernetes.io/restartedAt";
/// Consecutive failed checks before acting, when `failureThresholdChecks` is omitted.
const DEFAULT_CHECKS: i64 = 3;

/// A recovery step failed to talk to the cluster.
#[derive(Debug, Error)]
pub enum RecoveryError {
    /// Carrying out an action failed.
    #[error("{action} failed: {source}")]
    Act {
        /// The action.
        action: &'static str,
        /// The API error.
        #[source]
        source: kube::Error,
    },
}

/// What recovery reports to the status step.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryReport {
    /// `status.recovery`.
    pub status: RecoveryStatus,
    /// `RecoveryCircuitOpen`.
    pub conditions: Vec<Condition>,
    /// `Stalled` reason and message after giving up.
    pub stall: Option<Stall>,
    /// When the ladder's own clock needs a check (health changes arrive as pod events).
    pub requeue: Option<StdDuration>,
}

/// Everything one recovery pass needs besides the resource.
pub struct RecoveryDeps<'a> {
    /// API client.
    pub client: &'a Client,
    /// Event publisher.
    pub recorder: &'a Recorder,
    /// Recovery metrics.
    pub metrics: &'a RecoveryMetrics,
    /// Global concurrency slots.
    pub slots: &'a RecoverySlots,
    /// The latest state of each resource's ladder.
    pub memory: &'a RecoveryMemory,
}

/// The ladder configuration of a recovery spec.
pub fn ladder_config(spec: &RecoverySpec) -> LadderConfig {
    let interval = spec.health_check_interval_seconds.max(1);
    let checks = spec
        .failure_threshold_checks
        .map_or(DEFAULT_CHECKS, i64::from)
        .max(1);
    LadderConfig {
        persist: Duration::seconds(interval.saturating_mul(checks)),
        recovery_timeout: Duration::seconds(spec.recovery_timeout_seconds.max(1)),
        breaker: BreakerConfig {
            failure_threshold: u32::try_from(spec.circuit_breaker.failure_threshold.max(1))
                .unwrap_or(1),
            open_timeout: Duration::seconds(spec.circuit_breaker.timeout_seconds.max(1)),
        },
    }
}

/// Runs one health check and recovery step for `cr`. An engine `held` at zero replicas (a
/// bootstrap restore is waiting for its backup, or a clustered restore runs) is healthy, as a
/// stopped one is.
pub async fn recover(
    deps: &RecoveryDeps<'_>,
    cr: &VexfsSemantic,
    spec: &ValidatedSpec,
    pods: &[Pod],
    held: bool,
    now: DateTime<Utc>,
) -> Result<RecoveryReport, RecoveryError> {
    let key = format!("{}/{}", spec.namespace, spec.name);
    let config = ladder_config(&spec.recovery);
    let uid = cr.metadata.uid.as_deref().unwrap_or_default();
    let mut state = deps
        .memory
        .recall(&key, uid)
        .unwrap_or_else(|| state_from_status(cr.status.as_ref().and_then(|s| s.recovery.as_ref())));
    let healths: Vec<_> = pods.iter().map(pod_health).collect();
    let ready = i32::try_from(healths.iter().filter(|p| p.ready && !p.terminating).count())
        .unwrap_or(i32::MAX);
    let workload = WorkloadHealth {
        desired: if held { 0 } else { spec.desired_replicas() },
        ready,
    };
    let assessment = assess(&healths, workload, &state.restart_counts);
    state.restart_counts = assessment.restart_counts;
    let cap =
        usize::try_from(spec.recovery.max_concurrent_recoveries.unwrap_or(1).max(1)).unwrap_or(1);
    let input = StepInput {
        now,
        reset_token: spec.recovery.reset_token.as_deref(),
        slot_free: deps.slots.available(&key, cap),
    };
    // A frozen (suspended) resource is observed but never acted on.
    let outcome = if spec.suspend {
        None
    } else {
        Some(state.step(&assessment.health, input, config))
    };
    if let Some(outcome) = &outcome {
        if let Decision::Act(record) = &outcome.decision {
            deps.slots.acquire(&key);
            act(deps.client, spec, record, now).await?;
        }
        for event in &outcome.events {
            report_event(deps, cr, event).await;
        }
    }
    deps.memory.remember(&key, uid, state.clone());
    if state.pending.is_none() {
        deps.slots.release(&key);
    }
    deps.metrics
        .recoveries_in_progress
        .set(i64::try_from(deps.slots.in_use()).unwrap_or(i64::MAX));
    tracing::debug!(object = %key, health = ?assessment.health, rung = state.rung, circuit = ?state.breaker.circuit, "recovery check");
    let generation = cr.metadata.generation;
    Ok(RecoveryReport {
        status: state_to_status(&state, state.breaker.next_attempt_after(config.breaker)),
        conditions: vec![circuit_condition(&state, generation, now)],
        stall: stall(&state),
        requeue: requeue_after(&state, config, &spec.recovery, now),
    })
}

/// How long until the ladder's next timer (see [`RecoveryState::next_check`]); a timer already due
/// (a recovery waiting for a free slot) is retried after the health-check interval.
fn requeue_after(
    state: &RecoveryState,
    config: LadderConfig,
    spec: &RecoverySpec,
    now: DateTime<Utc>,
) -> Option<StdDuration> {
    let at = state.next_check(config)?;
    let interval = u64::try_from(spec.health_check_interval_seconds.max(1)).unwrap_or(30);
    Some(
        (at - now)
            .to_std()
            .ok()
            .filter(|d| !d.is_zero())
            .unwrap_or(StdDuration::from_secs(interval)),
    )
}

async fn act(
    client: &Client,
    spec: &ValidatedSpec,
    record: &ActionRecord,
    now: DateTime<Utc>,
) -> Result<(), RecoveryError> {
    let action = record.kind.as_str();
    tracing::warn!(object = %spec.name, namespace = %spec.namespace, action, pod = ?record.pod, reason = %record.reason, "recovery action");
    if let (ActionKind::DeletePod, Some(pod)) = (record.kind, &record.pod) {
        let api: Api<Pod> = Api::namespaced(client.clone(), &spec.namespace);
        match api.delete(pod, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            // Already gone: the goal of the action is met.
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(source) => Err(RecoveryError::Act { action, source }),
        }
    } else {
        let api: Api<StatefulSet> = Api::namespaced(client.clone(), &spec.namespace);
        let patch = json!({
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": spec.name},
            "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT_ANNOTATION: now.to_rfc3339()}}}}
        });
        let params = PatchParams::apply(RESTART_MANAGER).force();
        api.patch(&spec.name, &params, &Patch::Apply(&patch))
            .await
            .map(|_| ())
            .map_err(|source| RecoveryError::Act { action, source })
    }
}

/// Publishes the Event and bumps the metric of one recovery event; Event failures are logged only.
async fn report_event(deps: &RecoveryDeps<'_>, cr: &VexfsSemantic, event: &RecoveryEvent) {
    let (type_, reason, note) = describe(event);
    match event {
        RecoveryEvent::ActionTaken(record) => deps
            .metrics
            .recovery_actions
            .with_label_values(&[record.kind.as_str()])
            .inc(),
        RecoveryEvent::ActionSucceeded(kind) => deps
            .metrics
            .recovery_outcomes
            .with_label_values(&[kind.as_str(), SUCCEEDED])
            .inc(),
        RecoveryEvent::ActionFailed(kind) => deps
            .metrics
            .recovery_outcomes
            .with_label_values(&[kind.as_str(), FAILED])
            .inc(),
        RecoveryEvent::Breaker(change) => deps
            .metrics
            .circuit_transitions
            .with_label_values(&[breaker_state(*change)])
            .inc(),
        RecoveryEvent::Reset | RecoveryEvent::GaveUp | RecoveryEvent::Recovered => {}
    }
    let published = Event {
        type_,
        reason: reason.to_owned(),
        note: Some(note),
        action: "Recover".to_owned(),
        secondary: None,
    };
    if let Err(error) = deps.recorder.publish(&published, &cr.object_ref(&())).await {
        tracing::warn!(%error, reason, "publishing recovery event failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_maps_onto_ladder_timings() {
        let mut spec = RecoverySpec::default();
        let defaults = ladder_config(&spec);
        assert_eq!(defaults.persist, Duration::seconds(90), "30 s × 3 checks");
        assert_eq!(defaults.recovery_timeout, Duration::seconds(300));
        assert_eq!(defaults.breaker.failure_threshold, 5);
        assert_eq!(defaults.breaker.open_timeout, Duration::seconds(60));
        spec.health_check_interval_seconds = 2;
        spec.failure_threshold_checks = Some(4);
        assert_eq!(ladder_config(&spec).persist, Duration::seconds(8));
    }
}
