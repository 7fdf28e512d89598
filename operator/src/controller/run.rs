//! The controller runtime: watches, bounded concurrency, readiness after cache sync, graceful shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::{Stream, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{Config, Controller, WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio_util::sync::CancellationToken;

use super::caches::{Caches, SyncState, trim};
use super::compact::{Compact, Compacting};
use super::fetch::referenced_secret_keys;
use super::memory::Memory;
use super::{Context, error_policy, reconcile};
use crate::backup::watch::{semantic_of_job, semantics_of_backup};
use crate::crd::{VexfsBackup, VexfsSemantic};
use crate::metrics::Metrics;
use crate::spec::credentials::generated_secret_names;
use crate::spec::images::Images;
use crate::spec::names::INSTANCE_LABEL;
use crate::spec::names::MANAGED_SELECTOR;
use crate::spec::tls::ca_secret_name;
use crate::spec::validate;

/// Runtime settings of the controller.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Namespaces to watch; all namespaces when empty.
    pub namespaces: Vec<String>,
    /// Objects reconciled at once.
    pub concurrency: u16,
}

/// Flags and caches shared with the HTTP endpoints.
#[derive(Debug, Default)]
pub struct Shared {
    /// Set once every watch cache has synced.
    pub ready: AtomicBool,
    /// Caches of watched `VexfsSemantic` objects (one per watched namespace).
    pub stores: std::sync::Mutex<Vec<Store<VexfsSemantic>>>,
}

impl Shared {
    /// `Ready` condition status of every cached object.
    pub fn ready_states(&self) -> Vec<&'static str> {
        let stores = self
            .stores
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stores
            .iter()
            .flat_map(Store::state)
            .map(|object| super::status::ready_state(object.status.as_ref()))
            .collect()
    }

    /// Every cached `VexfsSemantic`.
    pub fn semantics(&self) -> Vec<Arc<VexfsSemantic>> {
        let stores = self
            .stores
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stores.iter().flat_map(Store::state).collect()
    }
}

/// Typed access to `K` in `namespace`, or in every namespace when `None`.
fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// A watch of `K` feeding `writer` with its objects trimmed of their managed fields, yielding every
/// touched object.
fn cached_watch<K>(
    api: Api<K>,
    config: watcher::Config,
    writer: Writer<K>,
) -> impl Stream<Item = Result<K, watcher::Error>> + Send + 'static
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    watcher::watcher(api, config)
        .inspect_err(warn_watch_error::<K>)
        .default_backoff()
        .modify(trim)
        .reflect(writer)
        .touched_objects()
}

/// A watch of `K` feeding `writer` with [`Compact`] objects (compacted as they are read),
/// yielding every touched object.
fn compact_watch<K>(
    api: Api<Compact<K>>,
    config: watcher::Config,
    writer: Writer<Compact<K>>,
) -> impl Stream<Item = Result<Compact<K>, watcher::Error>> + Send + 'static
where
    K: Compacting + 'static,
    K::Scope: 'static,
{
    watcher::watcher(api, config)
        .inspect_err(warn_watch_error::<Compact<K>>)
        .default_backoff()
        .reflect(writer)
        .touched_objects()
}

/// Logs a failed list or watch of `K`: the watch retries with backoff, and until it succeeds the
/// cache holds what it last saw.
fn warn_watch_error<K: kube::Resource<DynamicType = ()>>(error: &watcher::Error) {
    tracing::warn!(kind = %K::kind(&()), %error, "watch failed; retrying with backoff");
}

/// The resources owning a child, from the owner references in its kept text (what `owns` reads
/// from typed metadata, which compact children do not keep typed).
fn semantics_owning<K: Compacting>(child: Compact<K>) -> Vec<ObjectRef<VexfsSemantic>> {
    child.owners().unwrap_or_else(|error| {
        tracing::warn!(kind = K::KIND, %error, "owner references unreadable");
        Vec::new()
    })
}

/// The resource an engine or Job pod belongs to, from its `app.kubernetes.io/instance` label.
fn semantic_of_pod(pod: Compact<Pod>) -> Option<ObjectRef<VexfsSemantic>> {
    let namespace = pod.metadata.namespace.as_deref()?;
    let name = pod.metadata.labels.as_ref()?.get(INSTANCE_LABEL)?;
    Some(ObjectRef::new(name).within(namespace))
}

/// The resources of `namespace` whose spec references Secret `name`, or that generated it.
fn semantics_using_secret(
    semantics: &Store<VexfsSemantic>,
    secret: &Compact<Secret>,
) -> Vec<ObjectRef<VexfsSemantic>> {
    let (Some(namespace), Some(name)) = (&secret.metadata.namespace, &secret.metadata.name) else {
        return Vec::new();
    };
    semantics
        .state()
        .iter()
        .filter(|cr| cr.metadata.namespace.as_ref() == Some(namespace))
        .filter(|cr| {
            // The images play no part in which Secrets a resource references.
            validate(cr, &Images::default()).is_ok_and(|spec| {
                generated_secret_names(&spec).contains(name)
                    || spec.tls.as_ref().is_some_and(|tls| {
                        tls.secret == *name
                            || (tls.operator_issued() && ca_secret_name(&spec.name) == *name)
                    })
                    || referenced_secret_keys(&spec)
                        .iter()
                        .any(|(secret, _)| secret == name)
            })
        })
        .map(|cr| ObjectRef::from_obj(cr.as_ref()))
        .collect()
}

/// The controller of one namespace (or all) and the caches its reconciles read: the resource,
/// its owned children, its engine and Job pods, backup records and Jobs, and Secrets, each
/// watched once and kept in a store.
fn controller_for(
    client: &Client,
    namespace: Option<&str>,
    config: &RunConfig,
) -> (Controller<VexfsSemantic>, Caches) {
    let managed = || watcher::Config::default().labels(MANAGED_SELECTOR);
    let (caches, writers) = Caches::new();
    // The resources themselves are cached trimmed too (their managed fields grow with every
    // status write).
    let (semantics, semantics_writer) = reflector::store();
    let restoring = semantics.clone();
    let controller = Controller::for_stream(
        watcher::watcher(
            api::<VexfsSemantic>(client, namespace),
            watcher::Config::default().any_semantic(),
        )
        .default_backoff()
        .modify(trim)
        .reflect(semantics_writer)
        .applied_objects(),
        semantics.clone(),
    );
    let controller = controller
        .watches_stream(
            compact_watch(
                api::<Compact<StatefulSet>>(client, namespace),
                managed(),
                writers.statefulsets,
            ),
            semantics_owning,
        )
        .watches_stream(
            compact_watch(
                api::<Compact<ConfigMap>>(client, namespace),
                managed(),
                writers.config_maps,
            ),
            semantics_owning,
        )
        .watches_stream(
            compact_watch(
                api::<Compact<Service>>(client, namespace),
                managed(),
                writers.services,
            ),
            semantics_owning,
        )
        .watches_stream(
            compact_watch(
                api::<Compact<ServiceAccount>>(client, namespace),
                managed(),
                writers.service_accounts,
            ),
            semantics_owning,
        )
        .watches_stream(
            compact_watch(
                api::<Compact<PodDisruptionBudget>>(client, namespace),
                managed(),
                writers.pod_disruption_budgets,
            ),
            semantics_owning,
        )
        .watches_stream(
            compact_watch(
                api::<Compact<NetworkPolicy>>(client, namespace),
                managed(),
                writers.network_policies,
            ),
            semantics_owning,
        )
        .watches_stream(
            compact_watch(
                api::<Compact<HorizontalPodAutoscaler>>(client, namespace),
                managed(),
                writers.autoscalers,
            ),
            semantics_owning,
        )
        .watches_stream(
            compact_watch(
                api::<Compact<Pod>>(client, namespace),
                managed(),
                writers.pods,
            ),
            semantic_of_pod,
        )
        .watches_stream(
            cached_watch(api::<Job>(client, namespace), managed(), writers.jobs),
            semantic_of_job,
        )
        .watches_stream(
            cached_watch(
                api::<VexfsBackup>(client, namespace),
                watcher::Config::default(),
                writers.backups,
            ),
            move |backup| semantics_of_backup(&restoring.state(), backup),
        )
        .watches_stream(
            compact_watch(
                api::<Compact<Secret>>(client, namespace),
                watcher::Config::default(),
                writers.secrets,
            ),
            move |secret| semantics_using_secret(&semantics, &secret),
        )
        .with_config(Config::default().concurrency(config.concurrency));
    (controller, caches)
}

/// What every namespace's [`Context`] shares.
#[derive(Clone)]
pub struct Handles {
    /// API client.
    pub client: Client,
    /// Operator metrics.
    pub metrics: Metrics,
    /// Name of this replica, for Events.
    pub instance: Option<String>,
    /// The process's in-process state.
    pub memory: Arc<Memory>,
    /// Images of the children.
    pub images: Images,
    /// The operator's own namespace (admitted by the engines' NetworkPolicies).
    pub operator_namespace: Option<String>,
}

impl Handles {
    fn context(&self, caches: Caches, semantics: Store<VexfsSemantic>) -> Context {
        Context::new(
            self.client.clone(),
            caches,
            self.metrics.clone(),
            self.instance.clone(),
        )
        .with_memory(self.memory.clone())
        .with_images(self.images.clone())
        .with_operator_namespace(self.operator_namespace.clone())
        .with_semantics(semantics)
    }
}

/// Runs the controllers until `shutdown` is cancelled; in-flight reconciles finish first.
pub async fn run(
    handles: Handles,
    config: RunConfig,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let namespaces: Vec<Option<&str>> = if config.namespaces.is_empty() {
        vec![None]
    } else {
        config
            .namespaces
            .iter()
            .map(|ns| Some(ns.as_str()))
            .collect()
    };
    let (controllers, caches): (Vec<_>, Vec<_>) = namespaces
        .into_iter()
        .map(|ns| {
            let (controller, caches) = controller_for(&handles.client, ns, &config);
            let controller = controller.graceful_shutdown_on(shutdown.clone().cancelled_owned());
            (controller, caches)
        })
        .unzip();
    let stores: Vec<Store<VexfsSemantic>> = controllers.iter().map(Controller::store).collect();
    shared
        .stores
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone_from(&stores);
    let readiness = {
        let shared = shared.clone();
        let caches = caches.clone();
        async move {
            // Every namespace's caches are announced, even after one closed, so that no
            // reconcile waits for an answer that never comes.
            let mut synced = true;
            for cache in caches {
                synced &= cache.announce_when_synced().await == SyncState::Synced;
            }
            for store in stores {
                synced &= store.wait_until_ready().await.is_ok();
            }
            if !synced {
                return;
            }
            shared.ready.store(true, Ordering::SeqCst);
            tracing::info!("watch caches synced; ready");
        }
    };
    let runs = controllers
        .into_iter()
        .zip(caches)
        .map(|(controller, caches)| {
            let ctx = Arc::new(handles.context(caches, controller.store()));
            controller
                .run(reconcile, error_policy, ctx)
                .for_each(|result| async move {
                    match result {
                        Ok((object, _)) => tracing::debug!(object = %object, "reconciled"),
                        Err(error) => tracing::debug!(%error, "reconcile did not complete"),
                    }
                })
        });
    tokio::join!(readiness, futures::future::join_all(runs));
    shared.ready.store(false, Ordering::SeqCst);
}
