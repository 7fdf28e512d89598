//! Unit tests of [`super::validate`].

use super::*;

fn cr(spec_yaml: &str) -> VexfsSemantic {
    let mut cr: VexfsSemantic = serde_yaml::from_str(&format!(
        "apiVersion: vexfs.io/v1alpha1\nkind: VexfsSemantic\nmetadata: {{name: x, namespace: ns, uid: u1}}\nspec: {spec_yaml}"
    ))
    .expect("fixture parses");
    cr.metadata.generation = Some(1);
    cr
}

#[test]
fn empty_spec_resolves_seed_defaults() {
    let spec = validate(&cr("{}"), &Images::default()).expect("valid");
    assert_eq!(spec.analytics.sliding_window_size, 10_000);
    assert_eq!(spec.analytics.pattern_discovery.min_support_percent, 10);
    assert_eq!(spec.recovery.circuit_breaker.failure_threshold, 5);
    assert_eq!(spec.desired_replicas(), 1);
    assert_eq!(spec.owner.uid, "u1");
    assert_eq!(spec.images, Images::default());
}

#[test]
fn the_engine_image_is_the_resources_else_the_operators() {
    let operator = Images::new(
        "registry.local/engine:1",
        "registry.local/aws:2",
        "registry.local/sh:3",
    )
    .expect("valid");
    let spec = validate(&cr("{}"), &operator).expect("valid");
    assert_eq!(spec.images, operator);
    let spec = validate(&cr("{engine: {image: mine:4}}"), &operator).expect("valid");
    assert_eq!(spec.images.engine, "mine:4");
    assert_eq!(spec.images.shell, "registry.local/sh:3");
}

#[test]
fn stopped_wants_zero_replicas() {
    assert_eq!(
        validate(
            &cr("{stopped: true, engine: {replicas: 1}}"),
            &Images::default()
        )
        .expect("valid")
        .desired_replicas(),
        0
    );
}

#[test]
fn zero_or_one_replica_is_accepted() {
    for replicas in [0, 1] {
        let spec = validate(
            &cr(&format!("{{engine: {{replicas: {replicas}}}}}")),
            &Images::default(),
        )
        .expect("valid");
        assert_eq!(spec.desired_replicas(), replicas);
    }
}

#[test]
fn several_replicas_are_refused_even_while_stopped() {
    for spec in [
        "{engine: {replicas: 2}}",
        "{engine: {replicas: 100}}",
        "{stopped: true, engine: {replicas: 3}}",
    ] {
        assert_eq!(
            validate(&cr(spec), &Images::default()),
            Err(ValidationError::Invalid {
                field: "spec.engine.replicas".into(),
                message: messages::ONE_ENGINE_REPLICA.into(),
            }),
            "{spec}"
        );
    }
}

#[test]
fn several_replicas_are_accepted_in_clustered_mode_with_the_nats_defaults() {
    let spec = validate(
        &cr("{engine: {replicas: 3}, cluster: {nats: {url: 'nats://nats.nats:4222'}}}"),
        &Images::default(),
    )
    .expect("valid");
    assert_eq!(spec.desired_replicas(), 3);
    let nats = spec.cluster.expect("clustered");
    assert_eq!(
        (nats.stream.as_str(), nats.partitions, nats.stream_replicas),
        ("VEXFS_EVENTS", 16, 3)
    );
    let err = validate(
        &cr("{engine: {replicas: 3}, cluster: {nats: {url: 'http://nats:4222'}}}"),
        &Images::default(),
    );
    assert_eq!(
        err,
        Err(ValidationError::Invalid {
            field: "spec.cluster.nats.url".into(),
            message: messages::NATS_URL.into(),
        })
    );
}

#[test]
fn clustered_backups_and_restores_are_accepted() {
    let clustered = "engine: {replicas: 3}, cluster: {nats: {url: 'nats://nats.nats:4222', \
                     stream: EVENTS}}, backup: {schedule: '0 1 * * *', \
                     target: {volume: {claimName: archive}}}";
    let spec = validate(&cr(&format!("{{{clustered}}}")), &Images::default()).expect("valid");
    let backup = spec.backup.expect("scheduled backups");
    assert_eq!(
        backup.spec.target.volume.map(|v| v.claim_name).as_deref(),
        Some("archive")
    );
    assert_eq!(spec.cluster.map(|n| n.stream).as_deref(), Some("EVENTS"));
    let restoring = format!("{{{clustered}, restore: {{backupName: b1}}}}");
    let spec = validate(&cr(&restoring), &Images::default()).expect("a clustered restore");
    assert_eq!(spec.restore.map(|r| r.backup_name).as_deref(), Some("b1"));
    assert!(spec.cluster.is_some());
}

#[test]
fn unknown_time_zone_is_rejected() {
    let err = validate(
        &cr("{backup: {timeZone: Mars/Olympus, target: {volume: {claimName: b}}}}"),
        &Images::default(),
    );
    assert!(
        matches!(err, Err(ValidationError::Invalid { field, .. }) if field == "spec.backup.timeZone")
    );
}

fn schedule_error(schedule: &str, time_zone: &str) -> Option<(String, String)> {
    let spec = format!(
        "{{backup: {{schedule: {schedule:?}, timeZone: {time_zone}, target: {{volume: {{claimName: b}}}}}}}}"
    );
    match validate(&cr(&spec), &Images::default()) {
        Err(ValidationError::Invalid { field, message }) => Some((field, message)),
        _ => None,
    }
}

#[test]
fn valid_schedule_in_a_time_zone_is_accepted() {
    assert_eq!(schedule_error("30 2 * * 1-5", "Europe/Berlin"), None);
    assert_eq!(schedule_error("*/15 * * * *", "UTC"), None);
}

#[test]
fn six_field_schedule_is_rejected() {
    let (field, message) = schedule_error("0 0 2 * * *", "UTC").expect("rejected");
    assert_eq!(field, "spec.backup.schedule");
    assert_eq!(message, messages::SCHEDULE_FIELDS);
}

#[test]
fn out_of_range_cron_value_is_rejected_with_the_field() {
    let (field, message) = schedule_error("61 * * * *", "UTC").expect("rejected");
    assert_eq!(field, "spec.backup.schedule");
    assert!(message.contains("61 is outside 0-59"), "{message}");
}

#[test]
fn schedule_that_never_fires_is_rejected() {
    let (field, message) = schedule_error("0 0 30 2 *", "UTC").expect("rejected");
    assert_eq!(field, "spec.backup.schedule");
    assert!(message.contains("never fires"), "{message}");
}

#[test]
fn unknown_time_zone_message_names_the_zone() {
    let (field, message) = schedule_error("0 3 * * *", "Mars/Olympus").expect("rejected");
    assert_eq!(field, "spec.backup.timeZone");
    assert!(message.contains("\"Mars/Olympus\""), "{message}");
}

#[test]
fn non_numeric_threshold_is_rejected() {
    let rules =
        "{alerting: {rules: [{name: r, severity: Info, condition: event_rate, threshold: x}]}}";
    assert!(validate(&cr(rules), &Images::default()).is_err());
}

#[test]
fn missing_uid_is_a_metadata_error() {
    let mut object = cr("{}");
    object.metadata.uid = None;
    assert_eq!(
        validate(&object, &Images::default()),
        Err(ValidationError::Metadata("metadata.uid"))
    );
}
