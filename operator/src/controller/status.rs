//! Pure status computation: conditions from what was validated, applied and observed.
//!
//! A condition keeps its `lastTransitionTime` unless its status changes, so recomputing the status of
//! a steady object yields an identical value and no write.

use chrono::{DateTime, Utc};

use crate::crd::{AuthStatus, ClusterStatus, EngineStatus, VexfsSemanticStatus};
use crate::day2::DayTwoReport;
use crate::spec::ValidatedSpec;
use crate::spec::conditions::{Stall, condition, keep_transition_times, reasons, types};

/// What the engine StatefulSet looks like right now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineObservation {
    /// The StatefulSet exists.
    pub exists: bool,
    /// Ready pods.
    pub ready_replicas: i32,
    /// Pods running the current revision.
    pub updated_replicas: i32,
    /// The StatefulSet controller has seen its latest spec.
    pub observed_current: bool,
}

/// Everything the status is computed from.
#[derive(Clone, Debug)]
pub struct StatusInputs<'a> {
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// The current status (for transition times).
    pub previous: Option<&'a VexfsSemanticStatus>,
    /// Why the core pipeline cannot progress, if it cannot.
    pub stall: Option<Stall>,
    /// Engine desired state, when the spec validated: `(desired replicas, image, config hash)`.
    pub engine: Option<(i32, String, String)>,
    /// What the StatefulSet looks like.
    pub observed: EngineObservation,
    /// `spec.suspend`.
    pub suspended: bool,
    /// Whether this pass applied changes to children.
    pub changed: bool,
    /// A new generation is acknowledged before any child is changed for it (see
    /// [`acknowledge_first`]): the engine counts as progressing whatever its pods say.
    pub pending: bool,
    /// Where the API credentials are (`None` carries the previous value over).
    pub auth: Option<AuthStatus>,
    /// Risky configuration notes.
    pub warnings: Vec<String>,
    /// Clustered mode as the replicas report it (`None` carries nothing over: standalone, stopped
    /// or unreadable).
    pub cluster: Option<ClusterStatus>,
    /// Why the clustered replicas are still rebalancing, if they are.
    pub rebalancing: Option<String>,
    /// Day-2 observations.
    pub day_two: DayTwoReport,
    /// The reconcile's `now`, for new transitions.
    pub now: DateTime<Utc>,
}

/// Computes the full status for `inputs`.
pub fn compute(inputs: StatusInputs<'_>) -> VexfsSemanticStatus {
    let engine = inputs
        .engine
        .as_ref()
        .map(|(desired, image, hash)| EngineStatus {
            replicas: *desired,
            ready_replicas: inputs.observed.ready_replicas,
            summary: format!("{}/{desired}", inputs.observed.ready_replicas),
            image: image.clone(),
            config_hash: hash.clone(),
        });
    let engine_cond = engine_condition(&inputs);
    let stall = inputs
        .stall
        .clone()
        .or_else(|| inputs.day_two.stall.clone());
    let reconciling = reconciling_condition(&inputs, stall.as_ref(), &engine_cond);
    let ready = match &stall {
        Some(s) => ("False", s.reason, s.message.clone()),
        None if engine_cond.0 == "True" || engine_cond.1 == reasons::STOPPED => (
            "True",
            engine_cond.1,
            "all enabled components are available".to_owned(),
        ),
        None => ("False", engine_cond.1, engine_cond.2.clone()),
    };
    let stalled = match &stall {
        Some(s) => ("True", s.reason, s.message.clone()),
        None => ("False", reasons::AS_EXPECTED, String::new()),
    };
    let mut fresh = vec![
        (types::READY, ready),
        (types::RECONCILING, reconciling),
        (types::STALLED, stalled),
        (types::ENGINE_AVAILABLE, engine_cond),
    ]
    .into_iter()
    .map(|(type_, (status, reason, message))| {
        condition(
            type_,
            status,
            reason,
            message,
            inputs.generation,
            inputs.now,
        )
    })
    .collect::<Vec<_>>();
    fresh.extend(inputs.day_two.conditions.iter().cloned());
    let previous = inputs
        .previous
        .map(|p| p.conditions.as_slice())
        .unwrap_or_default();
    VexfsSemanticStatus {
        observed_generation: inputs.generation,
        conditions: keep_transition_times(previous, fresh),
        engine: engine.or_else(|| inputs.previous.and_then(|p| p.engine.clone())),
        backup: inputs.day_two.backup,
        recovery: inputs.day_two.recovery,
        restore: inputs.day_two.restore,
        auth: inputs
            .auth
            .or_else(|| inputs.previous.and_then(|p| p.auth.clone())),
        warnings: inputs.warnings,
        cluster: inputs.cluster,
    }
}

type Triple = (&'static str, &'static str, String);

fn engine_condition(inputs: &StatusInputs<'_>) -> Triple {
    if inputs.pending {
        return if inputs.observed.exists {
            let generation = inputs.generation.unwrap_or_default();
            (
                "False",
                reasons::ENGINE_PROGRESSING,
                format!("applying generation {generation} to the engine"),
            )
        } else {
            (
                "False",
                reasons::ENGINE_MISSING,
                "the engine StatefulSet does not exist yet".to_owned(),
            )
        };
    }
    let Some((desired, _, _)) = &inputs.engine else {
        return (
            "False",
            reasons::ENGINE_MISSING,
            "the spec has not been applied".to_owned(),
        );
    };
    let observed = &inputs.observed;
    if *desired == 0 {
        return (
            "False",
            reasons::STOPPED,
            "spec.stopped scaled the engine to zero".to_owned(),
        );
    }
    if !observed.exists {
        return (
            "False",
            reasons::ENGINE_MISSING,
            "the engine StatefulSet does not exist yet".to_owned(),
        );
    }
    if let Some(waiting) = &inputs.rebalancing {
        return ("False", reasons::REBALANCING, waiting.clone());
    }
    let message = format!("{}/{desired} engine pods ready", observed.ready_replicas);
    let rolled = observed.observed_current && observed.updated_replicas >= *desired;
    if observed.ready_replicas >= *desired && rolled {
        ("True", reasons::AVAILABLE, message)
    } else {
        ("False", reasons::ENGINE_PROGRESSING, message)
    }
}

fn reconciling_condition(
    inputs: &StatusInputs<'_>,
    stall: Option<&Stall>,
    engine: &Triple,
) -> Triple {
    if inputs.suspended {
        return (
            "False",
            reasons::SUSPENDED,
            "spec.suspend is true; children are not changed".to_owned(),
        );
    }
    if let Some(stall) = stall {
        return (
            "False",
            stall.reason,
            "waiting for the spec or cluster to be fixed".to_owned(),
        );
    }
    if inputs.changed
        || inputs.pending
        || engine.1 == reasons::ENGINE_PROGRESSING
        || engine.1 == reasons::REBALANCING
        || engine.1 == reasons::ENGINE_MISSING
    {
        return (
            "True",
            reasons::ENGINE_PROGRESSING,
            "applying the spec to the engine".to_owned(),
        );
    }
    (
        "False",
        reasons::RECONCILED,
        "children match the spec".to_owned(),
    )
}

/// Whether a resource's current generation has not been acknowledged in its status yet (a new
/// resource, or a spec change), so that the reconcile first writes a status saying it is being
/// applied and requeues before it changes any child.
///
/// A first reconcile then costs one write, so a thousand new resources created at once each see
/// their status within seconds instead of waiting behind each other's child writes; the children
/// follow in the next pass. Suspended resources change no child and are not acknowledged apart.
pub fn acknowledge_first(
    generation: Option<i64>,
    previous: Option<&VexfsSemanticStatus>,
    suspended: bool,
) -> bool {
    !suspended && previous.and_then(|p| p.observed_generation) != generation
}

/// Ready condition's status and reason, for metrics and logs.
pub fn ready_state(status: Option<&VexfsSemanticStatus>) -> &'static str {
    let ready = status.and_then(|s| s.conditions.iter().find(|c| c.type_ == types::READY));
    match ready.map(|c| c.status.as_str()) {
        Some("True") => "True",
        Some("False") => "False",
        _ => "Unknown",
    }
}

/// Risky but valid configuration, reported in `status.warnings`.
pub fn warnings(spec: &ValidatedSpec) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(secret) = spec.api_auth.generated_secret()
        && !(spec.rbac.roles.is_empty() && spec.rbac.subjects.is_empty())
    {
        warnings.push(format!(
            "spec.rbac.roles and subjects are not used without spec.rbac.auth: the API accepts \
             only the generated admin token of Secret {secret}"
        ));
    }
    if spec.engine.storage.is_none() {
        warnings.push(
            "spec.engine.storage is not set: events live in an emptyDir and are lost with the pod"
                .to_owned(),
        );
    }
    warnings
}
