//! Driving the real `reconcile` against a [`FakeApi`]: a controller context, one pass over a stored
//! resource, and the conditions it left behind.

use std::sync::Arc;

use vexfs_operator::controller::{Context, reconcile};
use vexfs_operator::crd::VexfsSemantic;
use vexfs_operator::metrics::Metrics;

use super::fake_api::{Call, FakeApi};

/// A controller context whose client talks to `fake`.
pub fn context(fake: &FakeApi) -> Arc<Context> {
    Arc::new(Context::new(
        fake.client(),
        Metrics::new().expect("metrics"),
        None,
    ))
}

/// Reconciles the `VexfsSemantic` stored at `path` once and returns the requests it made.
pub async fn pass(fake: &FakeApi, ctx: &Arc<Context>, path: &str) -> Vec<Call> {
    let cr: VexfsSemantic =
        serde_json::from_value(fake.get(path).expect("stored")).expect("decodes");
    reconcile(Arc::new(cr), ctx.clone())
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

/// Status and reason of the condition `type_` of the resource at `path`.
pub fn status_and_reason(fake: &FakeApi, path: &str, type_: &str) -> (String, String) {
    let (status, reason, _) = condition(fake, path, type_);
    (status, reason)
}
