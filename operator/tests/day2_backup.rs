//! Scheduled backups through the whole reconcile against an in-memory API: a due run creates a
//! `VexfsBackup` and its Job; the Job's termination message becomes the backup's status and
//! `BackupHealthy`; retention prunes to `keepLast` and deletes archives for `deletionPolicy: Delete`.

mod support;

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use http::Method;
use serde_json::{Value, json};
use support::fake_api::{Call, FakeApi};
use support::reconcile::Harness;
use support::reconcile::{acknowledge, context, pass, status_and_reason};

const NS: &str = "/namespaces/vexfs";
const CR: &str = "/apis/vexfs.io/v1alpha1/namespaces/vexfs/vexfssemantics/vx";
const BACKUPS: &str = "/apis/vexfs.io/v1alpha1/namespaces/vexfs/vexfsbackups";
const JOBS: &str = "/apis/batch/v1/namespaces/vexfs/jobs";
const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn resource(created: DateTime<Utc>) -> Value {
    json!({
        "apiVersion": "vexfs.io/v1alpha1",
        "kind": "VexfsSemantic",
        "metadata": {"name": "vx", "namespace": "vexfs", "uid": "uid-vx", "generation": 1,
                     "creationTimestamp": created.to_rfc3339()},
        "spec": {
            "recovery": {"enabled": false},
            "backup": {
                "schedule": "* * * * *",
                "timeZone": "UTC",
                "retention": {"keepLast": 2, "maxAgeDays": 30},
                "target": {"volume": {"claimName": "archive"}},
                "deletionPolicy": "Delete"
            }
        }
    })
}

fn old_backup(name: &str, completed: DateTime<Utc>) -> Value {
    json!({
        "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsBackup",
        "metadata": {"name": name, "namespace": "vexfs", "uid": format!("uid-{name}"),
                     "creationTimestamp": completed.to_rfc3339(),
                     "labels": {"vexfs.io/semantic": "vx", "vexfs.io/trigger": "scheduled"}},
        "spec": {"semanticRef": "vx", "deletionPolicy": "Delete"},
        "status": {"phase": "Succeeded", "completionTime": completed.to_rfc3339(),
                   "location": format!("pvc://archive/{name}.tar.gz"), "sizeBytes": 10, "sha256": SHA, "eventCount": 1}
    })
}

fn uris(calls: &[Call], method: Method) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.method == method)
        .map(|c| c.uri.clone())
        .collect()
}

/// The scheduled backup the first pass created, named after `status.backup.lastScheduleTime`.
fn scheduled_name(fake: &FakeApi, calls: &[Call]) -> String {
    let created = uris(calls, Method::POST);
    assert!(
        created.iter().any(|u| u.starts_with(BACKUPS)),
        "a VexfsBackup was created: {created:?}"
    );
    let status = fake.get(CR).expect("stored")["status"]["backup"].clone();
    let scheduled: DateTime<Utc> = status["lastScheduleTime"]
        .as_str()
        .expect("lastScheduleTime")
        .parse()
        .expect("time");
    assert_eq!(
        scheduled,
        scheduled
            .duration_trunc(Duration::minutes(1))
            .expect("truncates")
    );
    assert!(status["nextScheduleTime"].is_string());
    format!("vx-{}", scheduled.timestamp() / 60)
}

/// Reconciles a resource created half a minute before the current minute once, so its first run
/// is due: returns the fake API, the context and the name of the scheduled backup it created.
async fn first_scheduled_run() -> (FakeApi, Arc<Harness>, String) {
    let fake = FakeApi::default();
    let minute = Utc::now()
        .duration_trunc(Duration::minutes(1))
        .expect("truncates");
    fake.put(CR, resource(minute - Duration::seconds(30)));
    let ctx = context(&fake);
    acknowledge(&fake, &ctx, CR).await;
    let first = pass(&fake, &ctx, CR).await;
    let name = scheduled_name(&fake, &first);
    (fake, ctx, name)
}

/// Marks the backup Job complete, with the engine's summary as its pod's termination message.
fn complete_job(fake: &FakeApi, name: &str, mut job: Value) {
    job["status"] = json!({"succeeded": 1, "startTime": Utc::now().to_rfc3339(), "completionTime": Utc::now().to_rfc3339(),
                           "conditions": [{"type": "Complete", "status": "True"}]});
    fake.put(&format!("{JOBS}/{name}"), job);
    let summary = format!(
        r#"{{"location":"/backups/{name}.tar.gz","sizeBytes":4096,"sha256":"{SHA}","eventCount":120}}"#
    );
    fake.put(
        &format!("/api/v1{NS}/pods/{name}-x7k2p"),
        json!({"metadata": {"name": format!("{name}-x7k2p"), "namespace": "vexfs",
                            "labels": {"batch.kubernetes.io/job-name": name}},
               "status": {"containerStatuses": [{"name": "backup", "ready": false, "restartCount": 0, "image": "e",
                          "imageID": "", "state": {"terminated": {"exitCode": 0, "message": summary}}}]}}),
    );
}

#[tokio::test]
async fn a_due_run_creates_a_backup_and_job_whose_result_lands_in_status() {
    let (fake, ctx, name) = first_scheduled_run().await;
    let backup = fake
        .get(&format!("{BACKUPS}/{name}"))
        .expect("VexfsBackup stored");
    assert_eq!(
        backup["metadata"]["labels"]["vexfs.io/trigger"],
        "scheduled"
    );
    assert_eq!(backup["metadata"]["ownerReferences"][0]["name"], "vx");
    assert_eq!(backup["status"]["phase"], "Pending");
    assert_eq!(
        backup["status"]["location"],
        format!("pvc://archive/{name}.tar.gz")
    );
    let job = fake.get(&format!("{JOBS}/{name}")).expect("Job stored");
    let args = &job["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(args[2], "http://vx.vexfs.svc:8080");
    assert_eq!(args[4], format!("/backups/{name}.tar.gz"));
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "VexfsBackup");

    complete_job(&fake, &name, job);
    let second = pass(&fake, &ctx, CR).await;
    let backup = fake
        .get(&format!("{BACKUPS}/{name}"))
        .expect("VexfsBackup stored");
    assert_eq!(backup["status"]["phase"], "Succeeded");
    assert_eq!(
        (
            backup["status"]["sizeBytes"].clone(),
            backup["status"]["eventCount"].clone()
        ),
        (json!(4096), json!(120))
    );
    let status = fake.get(CR).expect("stored")["status"]["backup"].clone();
    assert_eq!(status["lastSuccessful"]["name"], name.as_str());
    assert_eq!(status["lastSuccessful"]["sha256"], SHA);
    assert_eq!(
        status_and_reason(&fake, CR, "BackupHealthy"),
        ("True".to_owned(), "BackupSucceeded".to_owned())
    );
    assert!(
        uris(&second, Method::POST)
            .iter()
            .any(|u| u.contains("/events")),
        "a BackupSucceeded Event"
    );
}

#[tokio::test]
async fn retention_prunes_to_keep_last_and_deletes_archives() {
    let fake = FakeApi::default();
    let now = Utc::now();
    fake.put(CR, resource(now - Duration::seconds(5)));
    for (i, name) in ["vx-old1", "vx-old2", "vx-old3"].iter().enumerate() {
        let completed = now - Duration::hours(10 - i as i64);
        fake.put(&format!("{BACKUPS}/{name}"), old_backup(name, completed));
    }
    let ctx = context(&fake);
    acknowledge(&fake, &ctx, CR).await;
    let calls = pass(&fake, &ctx, CR).await;
    let deleted = uris(&calls, Method::DELETE);
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert!(deleted[0].starts_with(&format!("{BACKUPS}/vx-old1")));
    let cleanup = fake
        .get(&format!("{JOBS}/vx-old1-cleanup"))
        .expect("cleanup Job for deletionPolicy Delete");
    let command = &cleanup["spec"]["template"]["spec"]["containers"][0]["command"];
    assert_eq!(command, &json!(["rm", "-f", "/backups/vx-old1.tar.gz"]));
    assert_eq!(cleanup["metadata"]["ownerReferences"][0]["name"], "vx");
    assert!(
        fake.get(&format!("{BACKUPS}/vx-old2")).is_some()
            && fake.get(&format!("{BACKUPS}/vx-old3")).is_some()
    );
    assert_eq!(
        fake.get(CR).expect("stored")["status"]["backup"]["retained"],
        2
    );
}

#[tokio::test]
async fn a_failed_job_makes_backups_unhealthy_with_its_reason() {
    let (fake, ctx, name) = first_scheduled_run().await;
    let mut job = fake.get(&format!("{JOBS}/{name}")).expect("Job stored");
    job["status"] = json!({"failed": 2, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                           "message": "Job has reached the specified backoff limit", "lastTransitionTime": Utc::now().to_rfc3339()}]});
    fake.put(&format!("{JOBS}/{name}"), job);
    pass(&fake, &ctx, CR).await;
    let backup = fake
        .get(&format!("{BACKUPS}/{name}"))
        .expect("VexfsBackup stored");
    assert_eq!(backup["status"]["phase"], "Failed");
    assert_eq!(
        status_and_reason(&fake, CR, "BackupHealthy"),
        ("False".to_owned(), "BackupFailed".to_owned())
    );
}
