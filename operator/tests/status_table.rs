//! Table tests of the pure status computation.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use vexfs_operator::controller::status::{EngineObservation, StatusInputs, compute};
use vexfs_operator::crd::VexfsSemanticStatus;
use vexfs_operator::day2::DayTwoReport;
use vexfs_operator::spec::conditions::{Stall, reasons, types};

fn instant(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).expect("valid")
}

fn at(seconds: i64) -> Time {
    vexfs_operator::spec::kube_time::to_time(instant(seconds))
}

fn ready(n: i32) -> EngineObservation {
    EngineObservation {
        exists: true,
        ready_replicas: n,
        updated_replicas: n,
        observed_current: true,
    }
}

fn inputs(previous: Option<&VexfsSemanticStatus>) -> StatusInputs<'_> {
    StatusInputs {
        generation: Some(3),
        previous,
        stall: None,
        engine: Some((2, "img".to_owned(), "hash".to_owned())),
        observed: ready(2),
        suspended: false,
        changed: false,
        pending: false,
        auth: None,
        warnings: Vec::new(),
        cluster: None,
        rebalancing: None,
        day_two: DayTwoReport::default(),
        now: instant(1_000),
    }
}

fn get<'a>(status: &'a VexfsSemanticStatus, type_: &str) -> (&'a str, &'a str) {
    let c = status
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .expect("condition");
    (c.status.as_str(), c.reason.as_str())
}

#[test]
fn condition_table() {
    // (case, inputs, Ready, Reconciling, Stalled, EngineAvailable)
    type Row = (
        &'static str,
        StatusInputs<'static>,
        (&'static str, &'static str),
        (&'static str, &'static str),
        (&'static str, &'static str),
        (&'static str, &'static str),
    );
    let stall = Stall {
        reason: reasons::SECRET_NOT_FOUND,
        message: "Secret key s/k".to_owned(),
    };
    let rows: Vec<Row> = vec![
        (
            "steady",
            inputs(None),
            ("True", "Available"),
            ("False", "Reconciled"),
            ("False", "AsExpected"),
            ("True", "Available"),
        ),
        (
            "rolling",
            StatusInputs {
                observed: ready(1),
                ..inputs(None)
            },
            ("False", "EngineProgressing"),
            ("True", "EngineProgressing"),
            ("False", "AsExpected"),
            ("False", "EngineProgressing"),
        ),
        (
            "stale sts",
            StatusInputs {
                observed: EngineObservation {
                    observed_current: false,
                    ..ready(2)
                },
                ..inputs(None)
            },
            ("False", "EngineProgressing"),
            ("True", "EngineProgressing"),
            ("False", "AsExpected"),
            ("False", "EngineProgressing"),
        ),
        (
            "rebalancing",
            StatusInputs {
                rebalancing: Some("replica 1 has not caught up".to_owned()),
                ..inputs(None)
            },
            ("False", "Rebalancing"),
            ("True", "EngineProgressing"),
            ("False", "AsExpected"),
            ("False", "Rebalancing"),
        ),
        (
            "just applied",
            StatusInputs {
                changed: true,
                ..inputs(None)
            },
            ("True", "Available"),
            ("True", "EngineProgressing"),
            ("False", "AsExpected"),
            ("True", "Available"),
        ),
        (
            "stopped",
            StatusInputs {
                engine: Some((0, "img".to_owned(), "hash".to_owned())),
                observed: ready(0),
                ..inputs(None)
            },
            ("True", "Stopped"),
            ("False", "Reconciled"),
            ("False", "AsExpected"),
            ("False", "Stopped"),
        ),
        (
            "missing secret",
            StatusInputs {
                stall: Some(stall.clone()),
                engine: None,
                observed: EngineObservation::default(),
                ..inputs(None)
            },
            ("False", "SecretNotFound"),
            ("False", "SecretNotFound"),
            ("True", "SecretNotFound"),
            ("False", "EngineMissing"),
        ),
        (
            "suspended",
            StatusInputs {
                suspended: true,
                observed: ready(1),
                ..inputs(None)
            },
            ("False", "EngineProgressing"),
            ("False", "Suspended"),
            ("False", "AsExpected"),
            ("False", "EngineProgressing"),
        ),
        (
            "sts missing",
            StatusInputs {
                observed: EngineObservation::default(),
                ..inputs(None)
            },
            ("False", "EngineMissing"),
            ("True", "EngineProgressing"),
            ("False", "AsExpected"),
            ("False", "EngineMissing"),
        ),
        (
            "day-2 stall",
            StatusInputs {
                day_two: DayTwoReport {
                    stall: Some(Stall {
                        reason: "CircuitOpen",
                        message: "open".to_owned(),
                    }),
                    ..DayTwoReport::default()
                },
                ..inputs(None)
            },
            ("False", "CircuitOpen"),
            ("False", "CircuitOpen"),
            ("True", "CircuitOpen"),
            ("True", "Available"),
        ),
    ];
    for (case, input, r, rc, s, e) in rows {
        let status = compute(input);
        assert_eq!(get(&status, types::READY), r, "{case}: Ready");
        assert_eq!(get(&status, types::RECONCILING), rc, "{case}: Reconciling");
        assert_eq!(get(&status, types::STALLED), s, "{case}: Stalled");
        assert_eq!(
            get(&status, types::ENGINE_AVAILABLE),
            e,
            "{case}: EngineAvailable"
        );
        assert_eq!(status.observed_generation, Some(3), "{case}");
        assert!(
            status
                .conditions
                .iter()
                .all(|c| c.observed_generation == Some(3)),
            "{case}"
        );
    }
}

#[test]
fn transition_time_changes_only_on_a_status_change() {
    let first = compute(inputs(None));
    let again = compute(StatusInputs {
        now: instant(2_000),
        ..inputs(Some(&first))
    });
    assert_eq!(
        first, again,
        "recomputing a steady object yields the identical status"
    );
    let degraded = compute(StatusInputs {
        now: instant(3_000),
        observed: ready(1),
        ..inputs(Some(&again))
    });
    let time = |s: &VexfsSemanticStatus, t: &str| {
        s.conditions
            .iter()
            .find(|c| c.type_ == t)
            .expect("c")
            .last_transition_time
            .clone()
    };
    assert_eq!(time(&degraded, types::READY), at(3_000));
    assert_eq!(time(&degraded, types::STALLED), at(1_000));
}

#[test]
fn engine_summary_and_day_two_conditions_are_reported() {
    let extra = k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition {
        type_: "BackupHealthy".to_owned(),
        status: "True".to_owned(),
        reason: "BackupSucceeded".to_owned(),
        message: String::new(),
        observed_generation: Some(3),
        last_transition_time: at(5),
    };
    let status = compute(StatusInputs {
        observed: ready(1),
        day_two: DayTwoReport {
            conditions: vec![extra],
            ..DayTwoReport::default()
        },
        ..inputs(None)
    });
    let engine = status.engine.clone().expect("engine");
    assert_eq!(
        (
            engine.summary.as_str(),
            engine.replicas,
            engine.ready_replicas
        ),
        ("1/2", 2, 1)
    );
    assert_eq!(get(&status, "BackupHealthy"), ("True", "BackupSucceeded"));
    let carried = DayTwoReport::carry_over(Some(&status));
    assert_eq!(
        carried.conditions.len(),
        1,
        "core conditions are not carried over"
    );
}

#[test]
fn a_new_generation_is_acknowledged_as_progressing_before_its_children_change() {
    use vexfs_operator::controller::status::acknowledge_first;
    // A ready engine at generation 2; the spec moved to generation 3.
    let steady = compute(StatusInputs {
        generation: Some(2),
        ..inputs(None)
    });
    assert!(acknowledge_first(Some(3), Some(&steady), false));
    assert!(acknowledge_first(Some(1), None, false), "a new resource");
    assert!(!acknowledge_first(Some(2), Some(&steady), false));
    assert!(
        !acknowledge_first(Some(3), Some(&steady), true),
        "a suspended resource changes no child"
    );
    let pending = compute(StatusInputs {
        engine: None,
        pending: true,
        now: instant(2_000),
        ..inputs(Some(&steady))
    });
    assert_eq!(pending.observed_generation, Some(3));
    assert_eq!(get(&pending, types::READY), ("False", "EngineProgressing"));
    assert_eq!(
        get(&pending, types::RECONCILING),
        ("True", "EngineProgressing")
    );
    assert_eq!(get(&pending, types::STALLED), ("False", "AsExpected"));
    assert_eq!(
        pending.engine, steady.engine,
        "the engine status is carried over"
    );
    let fresh = compute(StatusInputs {
        generation: Some(1),
        engine: None,
        observed: EngineObservation::default(),
        pending: true,
        ..inputs(None)
    });
    assert_eq!(get(&fresh, types::READY), ("False", "EngineMissing"));
    assert_eq!(
        get(&fresh, types::RECONCILING),
        ("True", "EngineProgressing")
    );
    assert!(fresh.engine.is_none());
}
