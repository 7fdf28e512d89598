//! The controller runtime: watches, bounded concurrency, readiness after cache sync, graceful shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::runtime::reflector::Store;
use kube::runtime::{Config, Controller, watcher};
use kube::{Api, Client};
use tokio_util::sync::CancellationToken;

use super::{Context, error_policy, reconcile};
use crate::backup::watch::{semantic_of_backup, semantic_of_job};
use crate::crd::{VexfsBackup, VexfsSemantic};
use crate::spec::names::MANAGED_SELECTOR;

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
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        stores
            .iter()
            .flat_map(|store| store.state())
            .map(|object| super::status::ready_state(object.status.as_ref()))
            .collect()
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

/// The controller of one namespace (or all): the resource, its owned children, and the backup
/// records and Jobs mapped back to their `VexfsSemantic`.
fn controller_for(
    client: &Client,
    namespace: Option<&str>,
    config: &RunConfig,
) -> Controller<VexfsSemantic> {
    let children = watcher::Config::default().labels(MANAGED_SELECTOR);
    Controller::new(
        api::<VexfsSemantic>(client, namespace),
        watcher::Config::default().any_semantic(),
    )
    .owns(api::<StatefulSet>(client, namespace), children.clone())
    .owns(api::<ConfigMap>(client, namespace), children.clone())
    .owns(api::<Service>(client, namespace), children.clone())
    .watches(
        api::<VexfsBackup>(client, namespace),
        watcher::Config::default(),
        semantic_of_backup,
    )
    .watches(api::<Job>(client, namespace), children, semantic_of_job)
    .with_config(Config::default().concurrency(config.concurrency))
}

/// Runs the controllers until `shutdown` is cancelled; in-flight reconciles finish first.
pub async fn run(
    ctx: Arc<Context>,
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
    let controllers: Vec<_> = namespaces
        .into_iter()
        .map(|ns| {
            controller_for(&ctx.client, ns, &config)
                .graceful_shutdown_on(shutdown.clone().cancelled_owned())
        })
        .collect();
    let stores: Vec<Store<VexfsSemantic>> = controllers.iter().map(Controller::store).collect();
    *shared
        .stores
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = stores.clone();
    let readiness = {
        let shared = shared.clone();
        async move {
            for store in stores {
                if store.wait_until_ready().await.is_err() {
                    return;
                }
            }
            shared.ready.store(true, Ordering::SeqCst);
            tracing::info!("watch caches synced; ready");
        }
    };
    let runs = controllers.into_iter().map(|controller| {
        controller
            .run(reconcile, error_policy, ctx.clone())
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
