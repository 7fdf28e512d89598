//! The reconcile pipeline: validate → fetch → build → plan → apply → day 2 → status, and the
//! controller runtime.
//!
//! `fetch` does every read, once; `build`, `plan` and `status` are pure; `apply`, the day-2 step
//! and the status patch write. `now` is taken once per reconcile and passed down.

pub mod apply;
pub mod backoff;
pub mod build;
pub mod cached_kinds;
pub mod caches;
pub mod cluster_probe;
pub mod cluster_view;
pub mod compact;
pub mod credentials;
pub mod error;
pub mod fetch;
pub mod memory;
pub mod packed_text;
pub mod plan;
pub mod priority;
pub mod run;
pub mod status;
pub mod status_write;
pub mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use kube::runtime::controller::Action;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::Store;
use kube::{Client, ResourceExt};

use crate::backup::driver::BackupObservation;
use crate::crd::{AuthStatus, ClusterStatus, MonitoringMode, VexfsSemantic, VexfsSemanticStatus};
use crate::day2::{self, DayTwoDeps, DayTwoInputs, DayTwoReport};
use crate::metrics::Metrics;
use crate::spec::conditions::{Stall, reasons};
use crate::spec::images::Images;
use crate::spec::names::MANAGER;
use crate::spec::{ValidatedSpec, validate};
pub use error::ReconcileError;

use build::ClusterFacts;
use caches::Caches;
use fetch::Fetched;
use memory::Memory;
use status::{EngineObservation, StatusInputs};

/// Longest time an object goes without a reconcile when no watch event arrives: a safety net only,
/// since changes to the resource, its children, its pods, Jobs, backups and Secrets all arrive as
/// events. Each requeue is jittered into `[RESYNC / 2, RESYNC]` so objects spread out.
pub const RESYNC: Duration = Duration::from_secs(600);

/// The safety-net delay of one object, jittered by `jitter` in `[0, 1]`.
pub fn resync_after(jitter: f64) -> Duration {
    RESYNC.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// Handles shared by every reconcile: the API client, the caches, the Event recorder, metrics,
/// and the operator's in-process [`Memory`].
pub struct Context {
    /// API client.
    pub client: Client,
    /// Reflector caches every read comes from.
    pub caches: Caches,
    /// Operator metrics.
    pub metrics: Metrics,
    /// Event publisher.
    pub recorder: Recorder,
    /// Retry backoff and recovery slots.
    pub memory: Arc<Memory>,
    /// Images of the children (the operator's flags).
    pub images: Images,
    /// The operator's own namespace, admitted to the engines by their NetworkPolicies.
    pub operator_namespace: Option<String>,
    /// The cached resources of this controller, to see which wait for their acknowledgement
    /// (none in tests that reconcile one object).
    pub semantics: Option<Store<VexfsSemantic>>,
}

impl Context {
    /// A context reading from `caches` and publishing Events as `vexfs-operator` from `instance`
    /// (the pod name).
    pub fn new(client: Client, caches: Caches, metrics: Metrics, instance: Option<String>) -> Self {
        let reporter = Reporter {
            controller: MANAGER.to_owned(),
            instance,
        };
        Self {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            caches,
            metrics,
            memory: Arc::default(),
            images: Images::default(),
            operator_namespace: None,
            semantics: None,
        }
    }

    /// The same context seeing the controller's cached resources.
    #[must_use]
    pub fn with_semantics(self, semantics: Store<VexfsSemantic>) -> Self {
        Self {
            semantics: Some(semantics),
            ..self
        }
    }

    /// The same context for an operator whose pods run in `namespace`.
    #[must_use]
    pub fn with_operator_namespace(self, namespace: Option<String>) -> Self {
        Self {
            operator_namespace: namespace,
            ..self
        }
    }

    /// The same context running `images`.
    #[must_use]
    pub fn with_images(self, images: Images) -> Self {
        Self { images, ..self }
    }

    /// The same context sharing `memory` (one per process, whatever the number of controllers).
    #[must_use]
    pub fn with_memory(self, memory: Arc<Memory>) -> Self {
        Self { memory, ..self }
    }
}

pub(crate) fn object_key(cr: &VexfsSemantic) -> String {
    format!("{}/{}", cr.namespace().unwrap_or_default(), cr.name_any())
}

/// Reconciles one `VexfsSemantic`, recording metrics and resetting its backoff on success.
pub async fn reconcile(
    cr: Arc<VexfsSemantic>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let deferral = ctx.semantics.as_ref().and_then(|semantics| {
        let now = tokio::time::Instant::now();
        ctx.memory
            .priority
            .behind_acknowledgements(&cr, semantics, now)
    });
    if let Some(delay) = deferral {
        return Ok(Action::requeue(delay));
    }
    let started = Instant::now();
    let result = reconcile_once(&cr, &ctx).await;
    let reason = result.as_ref().err().map(ReconcileError::metric_reason);
    ctx.metrics.observe_reconcile(started.elapsed(), reason);
    if result.is_ok() {
        ctx.memory.backoff.reset(&object_key(&cr));
    }
    result
}

/// Requeues a failed object after its backoff delay.
pub fn error_policy(cr: Arc<VexfsSemantic>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
    let delay = ctx.memory.backoff.next(&object_key(&cr));
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
    pending: bool,
    auth: Option<AuthStatus>,
    warnings: Vec<String>,
    cluster: Option<ClusterStatus>,
    rebalancing: Option<String>,
}

impl Outcome {
    fn stalled(reason: &'static str, message: String) -> Self {
        Self {
            stall: Some(Stall { reason, message }),
            ..Self::default()
        }
    }
}

async fn reconcile_once(cr: &VexfsSemantic, ctx: &Context) -> Result<Action, ReconcileError> {
    let now = Utc::now();
    let spec = match validate(cr, &ctx.images) {
        Ok(spec) => spec,
        Err(error) => {
            let outcome = Outcome::stalled(reasons::INVALID_SPEC, error.to_string());
            let day_two = DayTwoReport::carry_over(cr.status.as_ref());
            finish(cr, ctx, outcome, day_two, now).await?;
            return Ok(Action::await_change());
        }
    };
    let fetched = fetch::fetch(&ctx.client, &ctx.caches, &spec).await?;
    if status::acknowledge_first(cr.metadata.generation, cr.status.as_ref(), spec.suspend) {
        let outcome = Outcome {
            observed: fetched.live.engine(&spec.name),
            pending: true,
            warnings: status::warnings(&spec),
            // The replicas are read again once the new generation is applied.
            cluster: cr.status.as_ref().and_then(|s| s.cluster.clone()),
            ..Outcome::default()
        };
        let day_two = DayTwoReport::carry_over(cr.status.as_ref());
        finish(cr, ctx, outcome, day_two, now).await?;
        return Ok(Action::requeue(Duration::ZERO));
    }
    let outcome = converge(ctx, &spec, cr.status.as_ref(), &fetched, now).await?;
    // Day-2 steps (backup schedule, restore, recovery ladder) run only when the children
    // converged: a stalled object has no engine to act on.
    let (day_two, day_two_requeue) = match &outcome.stall {
        None => run_day_two(cr, ctx, &spec, &fetched, now).await,
        Some(_) => (DayTwoReport::carry_over(cr.status.as_ref()), None),
    };
    // A missing Secret arrives as a Secret event; a missing monitoring API only by the safety net.
    let resync = resync_after(rand::random::<f64>());
    // While the replicas rebalance, the next look at them is due after the probe interval.
    let probe = outcome
        .rebalancing
        .as_ref()
        .map(|_| cluster_probe::PROBE_INTERVAL);
    let action = if outcome.stall.is_some() {
        Action::requeue(resync)
    } else {
        let due = [day_two_requeue, probe].into_iter().flatten().min();
        Action::requeue(due.map_or(resync, |d| d.min(resync)))
    };
    finish(cr, ctx, outcome, day_two, now).await?;
    Ok(action)
}

async fn run_day_two(
    cr: &VexfsSemantic,
    ctx: &Context,
    spec: &ValidatedSpec,
    fetched: &Fetched,
    now: DateTime<Utc>,
) -> (DayTwoReport, Option<Duration>) {
    let deps = DayTwoDeps {
        client: &ctx.client,
        recorder: &ctx.recorder,
        backup_metrics: &ctx.metrics.backup,
        recovery_metrics: &ctx.metrics.recovery,
        slots: &ctx.memory.recovery_slots,
        recovery_memory: &ctx.memory.recovery,
    };
    let inputs = DayTwoInputs {
        cr,
        spec,
        pods: &fetched.pods,
        backups: BackupObservation {
            records: &fetched.backups,
            jobs: &fetched.jobs,
        },
        restore_backup: fetched.restore_backup.as_ref(),
        now,
    };
    day2::report(&deps, inputs).await
}

/// Publishes the stall Event (if new), computes the status and writes it when it changed.
async fn finish(
    cr: &VexfsSemantic,
    ctx: &Context,
    outcome: Outcome,
    day_two: DayTwoReport,
    now: DateTime<Utc>,
) -> Result<(), ReconcileError> {
    if let Some(stall) = &outcome.stall {
        status_write::publish_stall_event(cr, stall, &ctx.recorder).await;
    }
    let status = status::compute(StatusInputs {
        generation: cr.metadata.generation,
        previous: cr.status.as_ref(),
        stall: outcome.stall,
        engine: outcome.engine,
        observed: outcome.observed,
        suspended: cr.spec.suspend,
        changed: outcome.changed,
        pending: outcome.pending,
        auth: outcome.auth,
        warnings: outcome.warnings,
        cluster: outcome.cluster,
        rebalancing: outcome.rebalancing,
        day_two,
        now,
    });
    status_write::patch_status_if_changed(cr, status, &ctx.client).await
}

async fn converge(
    ctx: &Context,
    spec: &ValidatedSpec,
    previous: Option<&VexfsSemanticStatus>,
    fetched: &Fetched,
    now: DateTime<Utc>,
) -> Result<Outcome, ReconcileError> {
    if let Some(missing) = &fetched.missing_secret_key {
        let message = format!("Secret key {missing} referenced by the spec does not exist");
        return Ok(Outcome::stalled(reasons::SECRET_NOT_FOUND, message));
    }
    let forced = [
        spec.monitoring.service_monitor,
        spec.monitoring.prometheus_rule,
    ]
    .contains(&MonitoringMode::Enabled);
    if forced && !fetched.monitoring_api {
        let message =
            "monitoring objects are Enabled but the monitoring.coreos.com/v1 API is not served"
                .to_owned();
        return Ok(Outcome::stalled(reasons::MONITORING_API_MISSING, message));
    }
    if spec.tls.as_ref().is_some_and(|t| t.issuer().is_some()) && !fetched.cert_manager_api {
        let message =
            "spec.tls.issuerRef is set but the cert-manager.io/v1 API is not served".to_owned();
        return Ok(Outcome::stalled(reasons::CERT_MANAGER_API_MISSING, message));
    }
    let facts = ClusterFacts {
        monitoring_api: fetched.monitoring_api,
        restore_backup: fetched.restore_backup.as_ref(),
        previous_restore: previous.and_then(|s| s.restore.as_ref()),
        operator_namespace: ctx.operator_namespace.as_deref(),
        live_replicas: fetched.live.engine_replicas(&spec.name),
    };
    // The generated credentials exist before the engine that mounts them.
    let created = !spec.suspend && credentials::ensure(&ctx.client, &ctx.caches, spec).await?;
    let issued = !spec.suspend && tls::ensure(&ctx.client, &ctx.caches, spec, now).await?;
    let children = build::build_all(spec, facts)?;
    let slots = plan::slots(&children)?;
    let mut live = fetched.live.clone();
    let changes = plan::plan(slots, &live, spec.suspend);
    apply::execute(&ctx.client, &spec.namespace, &changes, &mut live).await?;
    let target = cluster_probe::Target {
        spec,
        pods: &fetched.pods,
        replicas: children.configured_replicas,
        config_hash: &children.config_hash,
    };
    let (cluster, rebalancing) =
        cluster_probe::report(&ctx.client, &ctx.caches, &ctx.memory.cluster, target).await;
    Ok(Outcome {
        stall: None,
        engine: Some((
            children.desired_replicas,
            spec.images.engine.clone(),
            children.config_hash,
        )),
        observed: live.engine(&spec.name),
        changed: created || issued || !changes.is_empty(),
        pending: false,
        auth: Some(AuthStatus {
            admin_token_secret: spec.api_auth.generated_secret().map(str::to_owned),
        }),
        warnings: status::warnings(spec),
        cluster,
        rebalancing,
    })
}
