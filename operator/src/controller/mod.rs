//! The reconcile pipeline: validate → fetch → build → apply → status, and the controller runtime.
//!
//! Only `fetch`, `apply` and the status patch touch the cluster; `validate`, `build` and `status`
//! are pure. Day-2 steps (backup, recovery) plug in between apply and status through
//! [`status::DayTwoReport`].

pub mod apply;
pub mod backoff;
pub mod build;
pub mod fetch;
pub mod run;
pub mod status;
pub mod validate;

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;

use crate::crd::{MonitoringMode, VexfsSemantic, VexfsSemanticStatus};
use crate::metrics::Metrics;
use backoff::Backoff;
use build::{ClusterFacts, EngineTomlError, MANAGER};
use status::{DayTwoReport, EngineObservation, Stall, StatusInputs, reasons};

/// How often a healthy object is re-checked without any watch event.
pub const RESYNC: Duration = Duration::from_secs(300);
/// How often a missing Secret is looked for again (Secrets are not watched).
pub const SECRET_RECHECK: Duration = Duration::from_secs(60);

/// A transient reconcile failure; retried with per-object backoff.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// Reading from the cluster failed.
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    /// Applying or deleting a child failed.
    #[error(transparent)]
    Apply(#[from] apply::ApplyError),
    /// Rendering `engine.toml` failed.
    #[error(transparent)]
    Render(#[from] EngineTomlError),
    /// Writing the status failed.
    #[error("patching status: {0}")]
    Status(#[source] kube::Error),
}

impl ReconcileError {
    /// Short label for the errors-by-reason metric.
    pub fn metric_reason(&self) -> &'static str {
        match self {
            Self::Fetch(_) => "fetch",
            Self::Apply(_) => "apply",
            Self::Render(_) => "render",
            Self::Status(_) => "status",
        }
    }
}

/// Shared state of the controller; day-2 state (breakers, schedules) belongs here too.
pub struct Context {
    /// API client.
    pub client: Client,
    /// Operator metrics.
    pub metrics: Metrics,
    /// Per-object retry backoff.
    pub backoff: Backoff,
    reporter: Reporter,
    /// Day-2 state: backups, restore and recovery.
    pub day_two: crate::recovery::day_two::DayTwo,
}

impl Context {
    /// A context publishing Events as `vexfs-operator` from `instance` (the pod name).
    pub fn new(client: Client, metrics: Metrics, instance: Option<String>) -> Self {
        let reporter = Reporter {
            controller: MANAGER.to_owned(),
            instance,
        };
        let day_two = crate::recovery::day_two::DayTwo::new(
            client.clone(),
            reporter.clone(),
            metrics.day_two.clone(),
        );
        Self {
            client,
            metrics,
            backoff: Backoff::default(),
            reporter,
            day_two,
        }
    }
}

fn object_key(cr: &VexfsSemantic) -> String {
    format!("{}/{}", cr.namespace().unwrap_or_default(), cr.name_any())
}

/// Reconciles one `VexfsSemantic`, recording metrics and resetting its backoff on success.
pub async fn reconcile(
    cr: Arc<VexfsSemantic>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let started = Instant::now();
    let result = reconcile_once(&cr, &ctx).await;
    let reason = result.as_ref().err().map(ReconcileError::metric_reason);
    ctx.metrics.observe_reconcile(started.elapsed(), reason);
    if result.is_ok() {
        ctx.backoff.reset(&object_key(&cr));
    }
    result
}

/// Requeues a failed object after its backoff delay.
pub fn error_policy(cr: Arc<VexfsSemantic>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
    let delay = ctx.backoff.next(&object_key(&cr));
    tracing::warn!(object = %object_key(&cr), %error, retry_in_ms = delay.as_millis() as u64, "reconcile failed");
    Action::requeue(delay)
}

/// What the validate → apply half of the pipeline produced.
#[derive(Debug, Default)]
struct Outcome {
    stall: Option<Stall>,
    engine: Option<(i32, String, String)>,
    observed: EngineObservation,
    changed: bool,
    warnings: Vec<String>,
}

async fn reconcile_once(cr: &VexfsSemantic, ctx: &Context) -> Result<Action, ReconcileError> {
    let validated = validate::validate(cr);
    let outcome = match &validated {
        Err(error) => Outcome {
            stall: Some(Stall {
                reason: reasons::INVALID_SPEC,
                message: error.to_string(),
            }),
            ..Outcome::default()
        },
        Ok(spec) => converge(&ctx.client, spec, cr.status.as_ref()).await?,
    };
    // Day-2 steps (backup schedule, restore, recovery ladder) report here.
    // They run only when the children converged: a stalled object has no engine to act on.
    let (day_two, day_two_requeue) = match (&validated, &outcome.stall) {
        (Ok(spec), None) => {
            ctx.day_two
                .report(&ctx.client, cr, spec, chrono::Utc::now())
                .await
        }
        _ => (DayTwoReport::carry_over(cr.status.as_ref()), None),
    };
    let action = match outcome.stall.as_ref().map(|s| s.reason) {
        Some(reasons::INVALID_SPEC) | Some(reasons::MONITORING_API_MISSING) => {
            Action::await_change()
        }
        Some(_) => Action::requeue(SECRET_RECHECK),
        None => Action::requeue(day_two_requeue.map_or(RESYNC, |d| d.min(RESYNC))),
    };
    if let Some(stall) = &outcome.stall {
        publish_stall_event(cr, stall, ctx).await;
    }
    let status = status::compute(StatusInputs {
        generation: cr.metadata.generation,
        previous: cr.status.as_ref(),
        stall: outcome.stall,
        engine: outcome.engine,
        observed: outcome.observed,
        suspended: cr.spec.suspend,
        changed: outcome.changed,
        warnings: outcome.warnings,
        day_two,
        now: Time(k8s_openapi::jiff::Timestamp::now()),
    });
    patch_status_if_changed(cr, status, &ctx.client).await?;
    Ok(action)
}

async fn converge(
    client: &Client,
    spec: &validate::ValidatedSpec,
    previous: Option<&VexfsSemanticStatus>,
) -> Result<Outcome, ReconcileError> {
    if let Some(missing) = fetch::missing_secret_key(client, spec).await? {
        let message = format!("Secret key {missing} referenced by the spec does not exist");
        return Ok(Outcome {
            stall: Some(Stall {
                reason: reasons::SECRET_NOT_FOUND,
                message,
            }),
            ..Outcome::default()
        });
    }
    let monitoring_api = fetch::monitoring_api_available(client).await?;
    let forced = [
        spec.monitoring.service_monitor,
        spec.monitoring.prometheus_rule,
    ]
    .contains(&MonitoringMode::Enabled);
    if forced && !monitoring_api {
        let message =
            "monitoring objects are Enabled but the monitoring.coreos.com/v1 API is not served"
                .to_owned();
        return Ok(Outcome {
            stall: Some(Stall {
                reason: reasons::MONITORING_API_MISSING,
                message,
            }),
            ..Outcome::default()
        });
    }
    let mut children = build::build_all(spec, ClusterFacts { monitoring_api })?;
    let restore = previous.and_then(|s| s.restore.as_ref());
    crate::backup::restore_driver::prepare_statefulset(
        client,
        spec,
        restore,
        &mut children.statefulset,
    )
    .await
    .map_err(|source| fetch::FetchError::Api {
        what: "the VexfsBackup to restore".to_owned(),
        source,
    })?;
    let slots = apply::slots(&children)?;
    let mut live = fetch::live_children(client, &spec.namespace, &slots, monitoring_api).await?;
    let changes = apply::plan(slots, &live, spec.suspend);
    apply::execute(client, &spec.namespace, &changes, &mut live).await?;
    let mut warnings = Vec::new();
    if spec.rbac.auth.is_none() && !spec.rbac.roles.is_empty() {
        warnings.push(
            "spec.rbac.roles are not enforced: set spec.rbac.auth to require API credentials"
                .to_owned(),
        );
    }
    if spec.engine.storage.is_none() {
        warnings.push(
            "spec.engine.storage is not set: events live in an emptyDir and are lost with the pod"
                .to_owned(),
        );
    }
    Ok(Outcome {
        stall: None,
        engine: Some((
            spec.desired_replicas(),
            spec.engine.image.clone(),
            children.config_hash,
        )),
        observed: live.engine(&spec.name),
        changed: !changes.is_empty(),
        warnings,
    })
}

/// Publishes a Warning Event when the object newly stalls (or stalls for a new reason), never on repeats.
async fn publish_stall_event(cr: &VexfsSemantic, stall: &Stall, ctx: &Context) {
    let already = cr.status.as_ref().and_then(|s| {
        s.conditions
            .iter()
            .find(|c| c.type_ == status::types::STALLED)
    });
    if already.is_some_and(|c| c.status == "True" && c.reason == stall.reason) {
        return;
    }
    let recorder = Recorder::new(ctx.client.clone(), ctx.reporter.clone());
    let event = Event {
        type_: EventType::Warning,
        reason: stall.reason.to_owned(),
        note: Some(stall.message.chars().take(1000).collect()),
        action: "Reconcile".to_owned(),
        secondary: None,
    };
    if let Err(error) = recorder.publish(&event, &cr.object_ref(&())).await {
        tracing::warn!(object = %object_key(cr), %error, "publishing stall event failed");
    }
}

async fn patch_status_if_changed(
    cr: &VexfsSemantic,
    status: VexfsSemanticStatus,
    client: &Client,
) -> Result<(), ReconcileError> {
    if cr.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let api: Api<VexfsSemantic> =
        Api::namespaced(client.clone(), &cr.namespace().unwrap_or_default());
    // Server-side apply of the whole status: fields this manager stops setting are removed.
    let patch = json!({
        "apiVersion": VexfsSemantic::api_version(&()),
        "kind": VexfsSemantic::kind(&()),
        "status": status,
    });
    api.patch_status(
        &cr.name_any(),
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(ReconcileError::Status)?;
    tracing::info!(object = %object_key(cr), ready = status::ready_state(Some(&status)), "status updated");
    Ok(())
}
