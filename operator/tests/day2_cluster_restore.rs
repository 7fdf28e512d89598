//! The clustered bootstrap restore through the whole reconcile against an in-memory API: the
//! engine is held at zero replicas while one restore Job republishes the archive, recovery leaves
//! the held engine alone, and the Job's success starts the engine for good.

mod support;

use chrono::{Duration, Utc};
use http::Method;
use serde_json::{Value, json};
use support::fake_api::{Call, FakeApi};
use support::reconcile::{context, pass};

const CR: &str = "/apis/vexfs.io/v1alpha1/namespaces/vexfs/vexfssemantics/vx";
const BACKUP: &str = "/apis/vexfs.io/v1alpha1/namespaces/vexfs/vexfsbackups/nightly-1";
const JOBS: &str = "/apis/batch/v1/namespaces/vexfs/jobs";
const JOB: &str = "/apis/batch/v1/namespaces/vexfs/jobs/vx-restore";
const STS: &str = "/apis/apps/v1/namespaces/vexfs/statefulsets/vx";

/// A clustered resource restoring `nightly-1`, whose recovery has seen it unhealthy for ten
/// minutes: without the hold, recovery would act on the missing replicas.
fn resource() -> Value {
    let since = (Utc::now() - Duration::seconds(600)).format("%Y-%m-%dT%H:%M:%SZ");
    json!({
        "apiVersion": "vexfs.io/v1alpha1",
        "kind": "VexfsSemantic",
        "metadata": {"name": "vx", "namespace": "vexfs", "uid": "uid-vx", "generation": 1},
        "spec": {
            "engine": {"replicas": 3},
            "cluster": {"nats": {"url": "nats://nats.nats:4222", "stream": "EVENTS_2"}},
            "restore": {"backupName": "nightly-1"},
            "recovery": {"enabled": true, "healthCheckIntervalSeconds": 10,
                         "failureThresholdChecks": 3, "recoveryTimeoutSeconds": 60}
        },
        "status": {"observedGeneration": 1, "conditions": [],
                   "recovery": {"circuit": "Closed", "healthy": false,
                                "healthSince": since.to_string(), "phase": "Degraded"}}
    })
}

fn succeeded_backup() -> Value {
    json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsBackup",
        "metadata": {"name": "nightly-1", "namespace": "vexfs", "uid": "uid-b"},
        "spec": {"semanticRef": "old"},
        "status": {"phase": "Succeeded", "location": "pvc://archive/nightly-1.tar.gz"}
    })
}

fn jobs_created(calls: &[Call]) -> usize {
    calls
        .iter()
        .filter(|c| c.method == Method::POST && c.uri.starts_with(JOBS))
        .count()
}

fn recovery_acted(calls: &[Call]) -> bool {
    calls.iter().any(|c| {
        c.method != Method::GET
            && c.uri.starts_with(STS)
            && c.uri.contains("vexfs-operator-recovery")
    })
}

fn replicas(fake: &FakeApi) -> Value {
    fake.get(STS).expect("StatefulSet")["spec"]["replicas"].clone()
}

fn restore_phase(fake: &FakeApi) -> Value {
    fake.get(CR).expect("stored")["status"]["restore"]["phase"].clone()
}

#[tokio::test]
async fn the_engine_waits_for_one_restore_job_and_starts_once_it_succeeded() {
    let fake = FakeApi::default();
    fake.put(CR, resource());
    let ctx = context(&fake);

    // No backup yet: the engine is held, nothing is restored, recovery does not act.
    let calls = pass(&fake, &ctx, CR).await;
    assert!(!recovery_acted(&calls), "a held engine is not recovered");
    assert_eq!(jobs_created(&calls), 0);
    assert_eq!(replicas(&fake), json!(0));
    assert_eq!(restore_phase(&fake), json!("Pending"));

    fake.put(BACKUP, succeeded_backup());
    let calls = pass(&fake, &ctx, CR).await;
    assert_eq!(jobs_created(&calls), 1, "one restore Job");
    let job = fake.get(JOB).expect("the restore Job");
    let args = &job["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(
        args.as_array().map(|a| a[..4].to_vec()),
        Some(vec![
            json!("restore"),
            json!("/backups/nightly-1.tar.gz"),
            json!("--to"),
            json!("nats://nats.nats:4222")
        ])
    );
    assert_eq!(replicas(&fake), json!(0));
    assert!(!recovery_acted(&calls));

    let calls = pass(&fake, &ctx, CR).await;
    assert_eq!(jobs_created(&calls), 0, "the Job is not created again");
    assert_eq!(replicas(&fake), json!(0), "the engine waits for the Job");

    let mut done = job;
    done["status"] =
        json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]});
    fake.put(JOB, done);
    pass(&fake, &ctx, CR).await;
    assert_eq!(restore_phase(&fake), json!("Succeeded"));
    pass(&fake, &ctx, CR).await;
    assert_eq!(replicas(&fake), json!(3), "the engine starts");

    // Gone or not, a succeeded restore is never run again.
    fake.remove(JOB);
    let calls = pass(&fake, &ctx, CR).await;
    assert_eq!(jobs_created(&calls), 0);
    assert_eq!(replicas(&fake), json!(3));
}
