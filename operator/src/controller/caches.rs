//! The reflector caches a reconcile reads from: the children, the engine and Job pods, the backup
//! records and Jobs, and the Secrets the specs reference; plus the cached API discovery.
//!
//! The controller runtime keeps the stores current from watches (the `run` module); the fetch
//! step only looks things up, so a reconcile with nothing changed makes no API request. Cached
//! objects are trimmed to what a reconcile reads: managed fields are dropped everywhere; children, pods
//! and Secrets are kept [`Compact`] (a few metadata fields typed, the rest as JSON text), pods without
//! their spec and Secrets without their values (see `cached_kinds`), which keeps memory small at a
//! thousand resources.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::{Client, Resource, ResourceExt};
use tokio::sync::watch;
use tokio::time::Instant;

use super::build::{CERT_MANAGER_API_VERSION, MONITORING_API_VERSION};
use super::compact::Compact;
use crate::crd::VexfsBackup;

/// How long an answer of API discovery is trusted.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(300);

/// Read handles of every cache.
#[derive(Clone)]
pub struct Caches {
    /// Engine StatefulSets.
    pub statefulsets: Store<Compact<StatefulSet>>,
    /// `engine.toml` ConfigMaps.
    pub config_maps: Store<Compact<ConfigMap>>,
    /// Client and headless Services.
    pub services: Store<Compact<Service>>,
    /// Engine ServiceAccounts.
    pub service_accounts: Store<Compact<ServiceAccount>>,
    /// PodDisruptionBudgets.
    pub pod_disruption_budgets: Store<Compact<PodDisruptionBudget>>,
    /// Engine NetworkPolicies.
    pub network_policies: Store<Compact<NetworkPolicy>>,
    /// Engine HorizontalPodAutoscalers (clustered mode with `spec.engine.autoscaling`).
    pub autoscalers: Store<Compact<HorizontalPodAutoscaler>>,
    /// Engine and Job pods (labelled as managed by the operator).
    pub pods: Store<Compact<Pod>>,
    /// Backup and cleanup Jobs.
    pub jobs: Store<Job>,
    /// `VexfsBackup` records.
    pub backups: Store<VexfsBackup>,
    /// Secrets, values blanked.
    pub secrets: Store<Compact<Secret>>,
    /// Cached API discovery.
    pub discovery: std::sync::Arc<Discovery>,
    /// Whether every store has synced, announced once by [`Caches::announce_when_synced`].
    synced: std::sync::Arc<watch::Sender<SyncState>>,
}

/// Progress of the first full list of every store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncState {
    /// Some store still waits for its first full list.
    Pending,
    /// Every store holds its first full list.
    Synced,
    /// A watch ended before its store synced (the operator is shutting down).
    Closed,
}

/// The write halves of [`Caches`], consumed by the watches that feed them.
pub struct CacheWriters {
    /// Engine StatefulSets.
    pub statefulsets: Writer<Compact<StatefulSet>>,
    /// `engine.toml` ConfigMaps.
    pub config_maps: Writer<Compact<ConfigMap>>,
    /// Client and headless Services.
    pub services: Writer<Compact<Service>>,
    /// Engine ServiceAccounts.
    pub service_accounts: Writer<Compact<ServiceAccount>>,
    /// PodDisruptionBudgets.
    pub pod_disruption_budgets: Writer<Compact<PodDisruptionBudget>>,
    /// Engine NetworkPolicies.
    pub network_policies: Writer<Compact<NetworkPolicy>>,
    /// Engine HorizontalPodAutoscalers.
    pub autoscalers: Writer<Compact<HorizontalPodAutoscaler>>,
    /// Engine and Job pods.
    pub pods: Writer<Compact<Pod>>,
    /// Backup and cleanup Jobs.
    pub jobs: Writer<Job>,
    /// `VexfsBackup` records.
    pub backups: Writer<VexfsBackup>,
    /// Secrets.
    pub secrets: Writer<Compact<Secret>>,
}

impl Caches {
    /// Empty caches and the writers that fill them.
    pub fn new() -> (Self, CacheWriters) {
        let (statefulsets, statefulsets_w) = reflector::store();
        let (config_maps, config_maps_w) = reflector::store();
        let (services, services_w) = reflector::store();
        let (service_accounts, service_accounts_w) = reflector::store();
        let (pod_disruption_budgets, pod_disruption_budgets_w) = reflector::store();
        let (network_policies, network_policies_w) = reflector::store();
        let (autoscalers, autoscalers_w) = reflector::store();
        let (pods, pods_w) = reflector::store();
        let (jobs, jobs_w) = reflector::store();
        let (backups, backups_w) = reflector::store();
        let (secrets, secrets_w) = reflector::store();
        let caches = Self {
            statefulsets,
            config_maps,
            services,
            service_accounts,
            pod_disruption_budgets,
            network_policies,
            autoscalers,
            pods,
            jobs,
            backups,
            secrets,
            discovery: std::sync::Arc::default(),
            synced: std::sync::Arc::new(watch::Sender::new(SyncState::Pending)),
        };
        let writers = CacheWriters {
            statefulsets: statefulsets_w,
            config_maps: config_maps_w,
            services: services_w,
            service_accounts: service_accounts_w,
            pod_disruption_budgets: pod_disruption_budgets_w,
            network_policies: network_policies_w,
            autoscalers: autoscalers_w,
            pods: pods_w,
            jobs: jobs_w,
            backups: backups_w,
            secrets: secrets_w,
        };
        (caches, writers)
    }

    /// Waits until every store has its first complete list, then tells every
    /// [`Caches::wait_until_synced`] caller. Run it in exactly one task: a kube store wakes only
    /// the latest task that waited on it, so reconciles waiting on the stores themselves could
    /// sleep forever.
    pub async fn announce_when_synced(&self) -> SyncState {
        let outcome = match self.stores_ready().await {
            Ok(()) => SyncState::Synced,
            Err(_) => SyncState::Closed,
        };
        self.synced.send_replace(outcome);
        outcome
    }

    /// Waits until [`Caches::announce_when_synced`] has an answer; `false` when a watch closed
    /// first.
    pub async fn wait_until_synced(&self) -> bool {
        let mut synced = self.synced.subscribe();
        synced
            .wait_for(|s| *s != SyncState::Pending)
            .await
            .is_ok_and(|s| *s == SyncState::Synced)
    }

    async fn stores_ready(&self) -> Result<(), reflector::store::WriterDropped> {
        self.statefulsets.wait_until_ready().await?;
        self.config_maps.wait_until_ready().await?;
        self.services.wait_until_ready().await?;
        self.service_accounts.wait_until_ready().await?;
        self.pod_disruption_budgets.wait_until_ready().await?;
        self.network_policies.wait_until_ready().await?;
        self.autoscalers.wait_until_ready().await?;
        self.pods.wait_until_ready().await?;
        self.jobs.wait_until_ready().await?;
        self.backups.wait_until_ready().await?;
        self.secrets.wait_until_ready().await
    }
}

/// The cached object `name` in `namespace`.
pub fn cached<K>(store: &Store<K>, namespace: &str, name: &str) -> Option<K>
where
    K: Resource<DynamicType = ()> + Clone,
{
    store
        .get(&ObjectRef::new(name).within(namespace))
        .map(|object| object.as_ref().clone())
}

/// The cached Secret `name` in `namespace`, typed; its values are blank (only its keys and
/// metadata are kept).
///
/// # Errors
/// When the kept JSON no longer reads as a Secret (it always does: it was written from one).
pub fn cached_secret(
    store: &Store<Compact<Secret>>,
    namespace: &str,
    name: &str,
) -> Result<Option<Secret>, serde_json::Error> {
    store
        .get(&ObjectRef::new(name).within(namespace))
        .map(|secret| secret.to_typed())
        .transpose()
}

/// Drops what no reconcile reads from a cached object (managed fields).
pub fn trim<K: Resource>(object: &mut K) {
    object.managed_fields_mut().clear();
}

/// Whether optional APIs (`monitoring.coreos.com/v1`, `cert-manager.io/v1`) are served, each
/// asked at most once per [`DISCOVERY_TTL`].
#[derive(Debug, Default)]
pub struct Discovery {
    answers: Mutex<HashMap<&'static str, (bool, Instant)>>,
}

impl Discovery {
    /// Whether `monitoring.coreos.com/v1` is served.
    pub async fn monitoring_api(&self, client: &Client) -> Result<bool, kube::Error> {
        self.served(client, MONITORING_API_VERSION).await
    }

    /// Whether `cert-manager.io/v1` is served.
    pub async fn cert_manager_api(&self, client: &Client) -> Result<bool, kube::Error> {
        self.served(client, CERT_MANAGER_API_VERSION).await
    }

    /// The cached answer for `api_version`, or a fresh one from the API server once the cached
    /// one expired.
    async fn served(
        &self,
        client: &Client,
        api_version: &'static str,
    ) -> Result<bool, kube::Error> {
        if let Some(answer) = self.fresh(api_version) {
            return Ok(answer);
        }
        let served = match client.list_api_group_resources(api_version).await {
            Ok(_) => true,
            Err(kube::Error::Api(status)) if status.code == 404 => false,
            Err(error) => return Err(error),
        };
        self.lock().insert(api_version, (served, Instant::now()));
        Ok(served)
    }

    fn fresh(&self, api_version: &str) -> Option<bool> {
        self.lock()
            .get(api_version)
            .filter(|(_, at)| at.elapsed() < DISCOVERY_TTL)
            .map(|(answer, _)| *answer)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, (bool, Instant)>> {
        self.answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Labels of `object` contain every `(key, value)` of `wanted`.
pub fn has_labels<'a, K: Resource>(
    object: &K,
    mut wanted: impl Iterator<Item = (&'a String, &'a String)>,
) -> bool {
    let labels = object.labels();
    wanted.all(|(k, v)| labels.get(k) == Some(v))
}
