//! Driving the real `reconcile` against a [`FakeApi`]: a controller context whose caches mirror
//! the fake's objects (as the watches would), one pass over a stored resource, and the conditions
//! it left behind.

use std::sync::{Arc, Mutex};

use http::Method;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Resource;
use kube::runtime::reflector::store::Writer;
use kube::runtime::watcher;
use serde::de::DeserializeOwned;
use vexfs_operator::controller::caches::{CacheWriters, Caches};
use vexfs_operator::controller::compact::Compact;
use vexfs_operator::controller::memory::Memory;
use vexfs_operator::controller::{Context, reconcile};
use vexfs_operator::crd::{VexfsBackup, VexfsSemantic};
use vexfs_operator::metrics::Metrics;

use super::fake_api::{Call, FakeApi};

const NS: &str = "namespaces/vexfs";

/// Collection path of the `VexfsSemantic` resources in the test namespace.
pub const CR_PATH: &str = "/apis/vexfs.io/v1alpha1/namespaces/vexfs/vexfssemantics/";

/// A controller context and the write side of its caches.
pub struct Harness {
    /// What `reconcile` receives.
    pub ctx: Arc<Context>,
    writers: Mutex<CacheWriters>,
}

/// A controller context whose client talks to `fake`.
pub fn context(fake: &FakeApi) -> Arc<Harness> {
    context_with_memory(fake, Arc::default())
}

/// A controller context whose client talks to `fake`, keeping `memory` between passes.
pub fn context_with_memory(fake: &FakeApi, memory: Arc<Memory>) -> Arc<Harness> {
    let (caches, writers) = Caches::new();
    let ctx = Context::new(
        fake.client(),
        caches,
        Metrics::new().expect("metrics"),
        None,
    )
    .with_memory(memory);
    Arc::new(Harness {
        ctx: Arc::new(ctx),
        writers: Mutex::new(writers),
    })
}

/// A fake API holding the sample `sample`, a context talking to it, and the sample's path.
pub fn setup(sample: &str) -> (FakeApi, Arc<Harness>, String) {
    let fake = FakeApi::default();
    let cr = super::load_sample(sample);
    let path = format!("{CR_PATH}{}", cr.metadata.name.clone().expect("name"));
    fake.put(&path, serde_json::to_value(&cr).expect("json"));
    let ctx = context(&fake);
    (fake, ctx, path)
}

/// The requests among `calls` that change something, as `METHOD uri`.
pub fn writes(calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.method != Method::GET)
        .map(|c| format!("{} {}", c.method, c.uri))
        .collect()
}

/// Replaces the contents of one cache with the fake's objects under `collection`, as a relist of
/// its watch would.
fn relist<K>(writer: &mut Writer<K>, fake: &FakeApi, collection: &str)
where
    K: Resource<DynamicType = ()> + DeserializeOwned + Clone,
{
    writer.apply_watcher_event(&watcher::Event::Init);
    for object in fake.objects_under(collection) {
        let object: K = serde_json::from_value(object).expect("cached object decodes");
        writer.apply_watcher_event(&watcher::Event::InitApply(object));
    }
    writer.apply_watcher_event(&watcher::Event::InitDone);
}

/// Brings every cache up to date with the fake's objects.
pub fn sync_caches(fake: &FakeApi, harness: &Harness) {
    let mut w = harness.writers.lock().unwrap();
    relist::<Compact<StatefulSet>>(
        &mut w.statefulsets,
        fake,
        &format!("/apis/apps/v1/{NS}/statefulsets"),
    );
    relist::<Compact<ConfigMap>>(
        &mut w.config_maps,
        fake,
        &format!("/api/v1/{NS}/configmaps"),
    );
    relist::<Compact<Service>>(&mut w.services, fake, &format!("/api/v1/{NS}/services"));
    relist::<Compact<ServiceAccount>>(
        &mut w.service_accounts,
        fake,
        &format!("/api/v1/{NS}/serviceaccounts"),
    );
    relist::<Compact<PodDisruptionBudget>>(
        &mut w.pod_disruption_budgets,
        fake,
        &format!("/apis/policy/v1/{NS}/poddisruptionbudgets"),
    );
    relist::<Compact<NetworkPolicy>>(
        &mut w.network_policies,
        fake,
        &format!("/apis/networking.k8s.io/v1/{NS}/networkpolicies"),
    );
    relist::<Compact<HorizontalPodAutoscaler>>(
        &mut w.autoscalers,
        fake,
        &format!("/apis/autoscaling/v2/{NS}/horizontalpodautoscalers"),
    );
    relist::<Compact<Pod>>(&mut w.pods, fake, &format!("/api/v1/{NS}/pods"));
    relist::<Job>(&mut w.jobs, fake, &format!("/apis/batch/v1/{NS}/jobs"));
    relist::<VexfsBackup>(
        &mut w.backups,
        fake,
        &format!("/apis/vexfs.io/v1alpha1/{NS}/vexfsbackups"),
    );
    relist::<Compact<Secret>>(&mut w.secrets, fake, &format!("/api/v1/{NS}/secrets"));
    drop(w);
    // Every store is ready now, so the announcement resolves at once, as the controller's does.
    futures::executor::block_on(harness.ctx.caches.announce_when_synced());
}

/// Syncs the caches, reconciles the `VexfsSemantic` stored at `path` once and returns the
/// requests the reconcile made.
pub async fn pass(fake: &FakeApi, harness: &Harness, path: &str) -> Vec<Call> {
    sync_caches(fake, harness);
    let cr: VexfsSemantic =
        serde_json::from_value(fake.get(path).expect("stored")).expect("decodes");
    fake.take_calls();
    reconcile(Arc::new(cr), harness.ctx.clone())
        .await
        .expect("reconcile succeeds");
    fake.take_calls()
}

/// Status, reason and last transition time of the condition `type_` of the resource at `path`.
pub fn condition(fake: &FakeApi, path: &str, type_: &str) -> (String, String, String) {
    let object = fake.get(path).expect("stored");
    let conditions = object["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let c = conditions
        .iter()
        .find(|c| c["type"] == type_)
        .expect("condition present");
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
    (s("status"), s("reason"), s("lastTransitionTime"))
}

/// Message of the condition `type_` of the resource at `path`.
pub fn condition_message(fake: &FakeApi, path: &str, type_: &str) -> String {
    let object = fake.get(path).expect("stored");
    object["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .and_then(|c| c["message"].as_str())
        .expect("condition with a message")
        .to_owned()
}

/// Status and reason of the condition `type_` of the resource at `path`.
pub fn status_and_reason(fake: &FakeApi, path: &str, type_: &str) -> (String, String) {
    let (status, reason, _) = condition(fake, path, type_);
    (status, reason)
}

/// Runs the pass that acknowledges the resource's current generation (see
/// `controller::status::acknowledge_first`) and checks that it wrote the status and nothing else.
pub async fn acknowledge(fake: &FakeApi, harness: &Harness, path: &str) {
    let calls = pass(fake, harness, path).await;
    let writes: Vec<String> = calls
        .iter()
        .filter(|c| c.method != http::Method::GET)
        .map(|c| format!("{} {}", c.method, c.uri))
        .collect();
    assert!(
        writes.len() == 1 && writes[0].starts_with(&format!("PATCH {path}/status")),
        "the acknowledging pass writes the status only: {writes:?}"
    );
    let stored = fake.get(path).expect("stored");
    assert_eq!(
        stored["status"]["observedGeneration"], stored["metadata"]["generation"],
        "the status acknowledges the current generation"
    );
}
