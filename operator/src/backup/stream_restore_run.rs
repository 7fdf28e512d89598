//! The I/O of the clustered restore ([`super::stream_restore`]): creates the restore Job, and
//! reads a failed Job's pod for the engine's error.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, PostParams};
use kube::{Client, ResourceExt};

use super::outcome::{JobState, job_state, termination_message};
use super::restore::{RESTORE_CONTAINER, RestoreInputs, phases, stream_planned};
use super::runs::BackupError;
use super::stream_restore::{Step, observed, step};
use crate::crd::RestoreStatus;
use crate::spec::ValidatedSpec;

/// Takes the clustered restore's next step for `spec` and returns its `status.restore`; `jobs`
/// are the resource's Jobs as the fetch step read them.
pub async fn run(
    client: &Client,
    spec: &ValidatedSpec,
    inputs: &RestoreInputs<'_>,
    jobs: &[Job],
) -> Result<Option<RestoreStatus>, BackupError> {
    match step(spec, inputs, jobs) {
        Step::Keep(kept) => Ok(kept),
        Step::Wait(held) => Ok(Some(held)),
        Step::Create(job) => {
            let api: Api<Job> = Api::namespaced(client.clone(), &spec.namespace);
            tracing::info!(object = %spec.name, namespace = %spec.namespace, job = %job.name_any(), "creating restore Job");
            match api.create(&PostParams::default(), &job).await {
                Ok(created) => Ok(Some(observed(&created, None))),
                // Created by an earlier pass the cache has not seen yet.
                Err(kube::Error::Api(status)) if status.code == 409 => {
                    Ok(Some(stream_planned(inputs)))
                }
                Err(source) => Err(BackupError::Api {
                    what: "creating restore Job",
                    source,
                }),
            }
        }
        Step::Observe(job) => {
            let failed = matches!(job_state(job), JobState::Failed { .. });
            let prefix = format!("restore Job {} failed", job.name_any());
            let reported = inputs
                .previous
                .filter(|p| p.phase == phases::FAILED && p.message.starts_with(&prefix));
            if let (true, Some(previous)) = (failed, reported) {
                return Ok(Some(previous.clone()));
            }
            let detail = if failed {
                failure_detail(client, &spec.namespace, &job.name_any()).await?
            } else {
                None
            };
            Ok(Some(observed(job, detail.as_deref())))
        }
    }
}

/// The restore container's termination message in a pod of the Job `job_name`.
async fn failure_detail(
    client: &Client,
    namespace: &str,
    job_name: &str,
) -> Result<Option<String>, BackupError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let selector = format!("batch.kubernetes.io/job-name={job_name}");
    let listed = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(super::runs::api_error("listing restore Job pods"))?;
    Ok(listed
        .items
        .iter()
        .find_map(|pod| termination_message(pod, RESTORE_CONTAINER)))
}
