//! `spec.engine.replicas` through the reconcile driver: several standalone replicas stall the
//! resource with the validation message and create nothing; back at one replica, a
//! PodDisruptionBudget an older version created for several replicas is deleted.

mod support;

use serde_json::json;
use support::reconcile::{condition, condition_message, pass, setup, writes};
use vexfs_operator::controller::build::pod_disruption_budget;
use vexfs_operator::crd::messages;
use vexfs_operator::spec::images::Images;
use vexfs_operator::spec::validate;

#[tokio::test]
async fn several_replicas_stall_and_one_replica_deletes_an_older_disruption_budget() {
    let (fake, ctx, path) = setup("minimal.yaml");
    let mut cr = fake.get(&path).expect("stored");
    cr["spec"]["engine"] = json!({"replicas": 2});
    fake.put(&path, cr);
    let refused = pass(&fake, &ctx, &path).await;
    assert!(
        refused
            .iter()
            .all(|c| !c.uri.contains("poddisruptionbudgets") && !c.uri.contains("statefulsets")),
        "no engine children for a refused spec: {refused:?}"
    );
    let (status, reason, _) = condition(&fake, &path, "Stalled");
    assert_eq!((status.as_str(), reason.as_str()), ("True", "InvalidSpec"));
    let message = condition_message(&fake, &path, "Stalled");
    assert!(message.contains(messages::ONE_ENGINE_REPLICA), "{message}");

    // A budget left by a version that still accepted several standalone replicas.
    let mut older =
        validate(&support::load_sample("minimal.yaml"), &Images::default()).expect("valid");
    older.engine.replicas = 2;
    let pdb = "/apis/policy/v1/namespaces/vexfs/poddisruptionbudgets/minimal";
    fake.put(
        pdb,
        serde_json::to_value(pod_disruption_budget(&older)).expect("json"),
    );
    // The stored object carries the stalled status, which acknowledged generation 1.
    let mut cr = fake.get(&path).expect("stored");
    cr["spec"]["engine"] = json!({"replicas": 1});
    fake.put(&path, cr);
    let w = writes(&pass(&fake, &ctx, &path).await);
    assert!(
        w.iter().any(|w| w.starts_with(&format!("DELETE {pdb}"))),
        "PDB deleted: {w:?}"
    );
    assert!(
        w.iter().any(|w| w.contains("/statefulsets/minimal?")),
        "StatefulSet applied: {w:?}"
    );
    assert!(fake.get(pdb).is_none());
}
