//! The restore driver: resolves `spec.restore.backupName`, shapes the engine StatefulSet before it is
//! applied, and reports `status.restore` from the engine pods.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::Api;

use super::restore::{RestoreInputs, RestorePlan, inject, observe_restore, phases, plan_restore};
use super::runs::{BackupError, api_error};
use crate::controller::validate::ValidatedSpec;
use crate::crd::{RestoreStatus, VexfsBackup};

/// Name of the engine's data volume mount.
const DATA_MOUNT: &str = "data";

/// Adds the restore init containers to (or holds) the engine StatefulSet before it is applied.
pub async fn prepare_statefulset(
    client: &Client,
    spec: &ValidatedSpec,
    previous: Option<&RestoreStatus>,
    statefulset: &mut StatefulSet,
) -> Result<(), kube::Error> {
    if spec.restore.is_none() {
        return Ok(());
    }
    let data_dir = data_dir(statefulset).unwrap_or_else(|| "/var/lib/vexfs".to_owned());
    let (plan, _) = resolve(client, spec, previous, &data_dir).await?;
    inject(statefulset, &plan);
    Ok(())
}

/// `status.restore`: the plan's verdict, refined by what the engine pods' restore containers report.
pub async fn restore_status(
    client: &Client,
    spec: &ValidatedSpec,
    previous: Option<&RestoreStatus>,
    pods: &[Pod],
) -> Result<Option<RestoreStatus>, BackupError> {
    if spec.restore.is_none() {
        return Ok(None);
    }
    let resolved = resolve(client, spec, previous, "/var/lib/vexfs").await;
    let (plan, planned) = resolved.map_err(api_error("reading the VexfsBackup to restore"))?;
    let observed = match plan {
        RestorePlan::Inject { .. } => observe_restore(pods),
        RestorePlan::None | RestorePlan::Hold => None,
    };
    // Once succeeded, a restore stays succeeded while the pods roll without the init containers.
    let sticky = previous
        .filter(|p| p.phase == phases::SUCCEEDED && observed.is_none())
        .cloned();
    Ok(sticky.or(observed).or(planned))
}

async fn resolve(
    client: &Client,
    spec: &ValidatedSpec,
    previous: Option<&RestoreStatus>,
    data_dir: &str,
) -> Result<(RestorePlan, Option<RestoreStatus>), kube::Error> {
    let Some(restore) = spec.restore.as_ref() else {
        return Ok((RestorePlan::None, None));
    };
    let api: Api<VexfsBackup> = Api::namespaced(client.clone(), &spec.namespace);
    let backup = api.get_opt(&restore.backup_name).await?;
    let inputs = RestoreInputs {
        restore: Some(restore),
        backup: backup.as_ref(),
        previous,
        persistent: spec.engine.storage.is_some(),
        s3: spec.backup.as_ref().and_then(|b| b.target.s3.as_ref()),
        image: &spec.engine.image,
        data_dir,
    };
    Ok(plan_restore(&inputs))
}

/// Mount path of the engine container's data volume.
fn data_dir(statefulset: &StatefulSet) -> Option<String> {
    let pod = statefulset.spec.as_ref()?.template.spec.as_ref()?;
    pod.containers
        .iter()
        .flat_map(|c| c.volume_mounts.iter().flatten())
        .find(|m| m.name == DATA_MOUNT)
        .map(|m| m.mount_path.clone())
}
