//! Job outcome tests on API-shaped fixtures.

use serde_json::json;

use super::*;

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn summary_line() -> String {
    format!(
        r#"{{"location":"/backups/b.tar.gz","sizeBytes":4096,"sha256":"{SHA}","eventCount":120}}"#
    )
}

fn job(status: serde_json::Value) -> Job {
    serde_json::from_value(json!({"metadata": {"name": "b"}, "status": status}))
        .expect("job fixture")
}

#[test]
fn the_summary_is_the_last_json_line() {
    let text = format!("INFO starting backup\n{}\n", summary_line());
    let summary = parse_summary(&text).expect("summary");
    assert_eq!(
        (
            summary.size_bytes,
            summary.event_count,
            summary.sha256.as_str()
        ),
        (4096, 120, SHA)
    );
    assert_eq!(
        parse_summary("panic: connection refused"),
        Err(SummaryError::Missing)
    );
    let bad = r#"{"location":"x","sizeBytes":1,"sha256":"abc","eventCount":1}"#;
    assert_eq!(
        parse_summary(bad),
        Err(SummaryError::Checksum("abc".to_owned()))
    );
}

#[test]
fn job_states_follow_conditions_and_counters() {
    assert_eq!(job_state(&Job::default()), JobState::Pending);
    assert_eq!(
        job_state(&job(
            json!({"active": 1, "startTime": "2026-11-27T02:00:01Z"})
        )),
        JobState::Running
    );
    let done = job(json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}));
    assert_eq!(job_state(&done), JobState::Succeeded);
    let failed = job(json!({"failed": 2, "conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}
    ]}));
    assert_eq!(
        job_state(&failed),
        JobState::Failed {
            reason: "BackoffLimitExceeded".to_owned(),
            message: "Job has reached the specified backoff limit".to_owned()
        }
    );
}

#[test]
fn termination_messages_come_from_regular_or_init_containers() {
    let terminated = |message: &str| json!({"terminated": {"exitCode": 0, "message": message}});
    let pod: Pod = serde_json::from_value(json!({
        "status": {
            "initContainerStatuses": [{"name": "backup", "ready": false, "restartCount": 0, "image": "e", "imageID": "", "state": terminated(&summary_line())}],
            "containerStatuses": [{"name": "upload", "ready": false, "restartCount": 0, "image": "a", "imageID": "", "state": terminated("")}]
        }
    }))
    .expect("pod fixture");
    assert_eq!(termination_message(&pod, "backup"), Some(summary_line()));
    assert_eq!(
        termination_message(&pod, "upload"),
        None,
        "empty messages do not count"
    );
}

#[test]
fn a_completed_job_with_a_summary_succeeds() {
    let done = job(json!({
        "succeeded": 1,
        "startTime": "2026-11-27T02:00:01Z",
        "completionTime": "2026-11-27T02:00:09Z",
        "conditions": [{"type": "Complete", "status": "True"}]
    }));
    let status = backup_status(
        &VexfsBackupStatus::default(),
        &done,
        Some(parse_summary(&summary_line())),
        "pvc://a/b.tar.gz",
    );
    assert_eq!(status.phase, Some(BackupPhase::Succeeded));
    assert_eq!(status.location.as_deref(), Some("pvc://a/b.tar.gz"));
    assert_eq!(
        (status.size_bytes, status.event_count),
        (Some(4096), Some(120))
    );
    let json = serde_json::to_value(&status).expect("json");
    assert_eq!(json["completionTime"], "2026-11-27T02:00:09Z");
    assert_eq!(json["startTime"], "2026-11-27T02:00:01Z");
}

#[test]
fn failures_carry_their_reason() {
    let failed = job(json!({"conditions": [
        {"type": "Failed", "status": "True", "reason": "DeadlineExceeded", "message": "too slow", "lastTransitionTime": "2026-11-27T03:00:00Z"}
    ]}));
    let status = backup_status(
        &VexfsBackupStatus::default(),
        &failed,
        None,
        "pvc://a/b.tar.gz",
    );
    assert_eq!(status.phase, Some(BackupPhase::Failed));
    assert_eq!(
        status.message.as_deref(),
        Some("DeadlineExceeded: too slow")
    );
    assert!(status.completion_time.is_some());
    let done = job(json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}));
    let unreadable = backup_status(
        &VexfsBackupStatus::default(),
        &done,
        None,
        "pvc://a/b.tar.gz",
    );
    assert_eq!(unreadable.phase, Some(BackupPhase::Failed));
    assert!(
        unreadable
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("SummaryUnreadable"))
    );
}
