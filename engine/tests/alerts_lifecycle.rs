//! Alert lifecycle with an injected clock: hold time, deduplication, resolution, cooldown,
//! hourly cap, escalation and acknowledgement.

use vexfs_engine::core::alerts::{
    AlertEffect, AlertEngine, AlertError, AlertFilter, AlertInputs, AlertRule, AlertSettings,
    AlertStatus, RuleSpec, Severity, SuppressionReason,
};

const SEC: i64 = 1_000_000_000;
const MIN: i64 = 60 * SEC;

fn rule(name: &str, condition: &str, threshold: f64, for_seconds: u64) -> AlertRule {
    AlertRule::parse(RuleSpec {
        name,
        severity: "warning",
        condition,
        threshold: Some(threshold),
        for_seconds,
        receivers: &[],
    })
    .expect("valid rule")
}

fn errors(rate: f64) -> AlertInputs {
    AlertInputs {
        error_rate: Some(rate),
        ..AlertInputs::default()
    }
}

fn settings(cooldown: u64, escalation: u64, cap: u32) -> AlertSettings {
    AlertSettings {
        cooldown_minutes: cooldown,
        escalation_timeout_minutes: escalation,
        max_alerts_per_hour: cap,
        history_limit: 100,
    }
}

fn fired(effects: &[AlertEffect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, AlertEffect::Fired(_)))
        .count()
}

#[test]
fn fires_after_hold_time_once_and_resolves() {
    let mut engine = AlertEngine::new(
        vec![rule("Errors", "error_rate >", 5.0, 30)],
        settings(0, 0, 0),
    );
    assert!(
        engine.evaluate(&errors(9.0), 0).is_empty(),
        "pending, not firing"
    );
    assert!(engine.evaluate(&errors(9.0), 29 * SEC).is_empty());
    let effects = engine.evaluate(&errors(9.5), 30 * SEC);
    let AlertEffect::Fired(alert) = &effects[0] else {
        panic!("expected Fired, got {effects:?}")
    };
    assert_eq!(
        (alert.id, alert.value, alert.status),
        (1, 9.5, AlertStatus::Firing)
    );
    assert_eq!(alert.threshold, Some(5.0));
    assert_eq!(alert.fired_at_ns, 30 * SEC);

    // Deduplicated while active: same fingerprint, no second alert, value updated.
    assert!(engine.evaluate(&errors(12.0), 40 * SEC).is_empty());
    assert_eq!(engine.get(1).map(|a| a.value), Some(12.0));

    // No data: state kept, nothing resolved.
    assert!(
        engine
            .evaluate(&AlertInputs::default(), 50 * SEC)
            .is_empty()
    );

    let effects = engine.evaluate(&errors(1.0), 60 * SEC);
    let AlertEffect::Resolved(alert) = &effects[0] else {
        panic!("expected Resolved")
    };
    assert_eq!(alert.resolved_at_ns, Some(60 * SEC));
    assert_eq!(engine.list(&AlertFilter::default()).len(), 1);
}

#[test]
fn a_dip_restarts_the_hold_time() {
    let mut engine = AlertEngine::new(
        vec![rule("Errors", "error_rate >", 5.0, 30)],
        settings(0, 0, 0),
    );
    engine.evaluate(&errors(9.0), 0);
    engine.evaluate(&errors(1.0), 20 * SEC);
    assert_eq!(fired(&engine.evaluate(&errors(9.0), 40 * SEC)), 0);
    assert_eq!(fired(&engine.evaluate(&errors(9.0), 69 * SEC)), 0);
    assert_eq!(fired(&engine.evaluate(&errors(9.0), 70 * SEC)), 1);
}

#[test]
fn cooldown_suppresses_flapping_and_counts_once_per_episode() {
    let mut engine = AlertEngine::new(
        vec![rule("Errors", "error_rate >", 5.0, 0)],
        settings(5, 0, 0),
    );
    assert_eq!(fired(&engine.evaluate(&errors(9.0), 0)), 1);
    engine.evaluate(&errors(1.0), MIN); // resolved
    let effects = engine.evaluate(&errors(9.0), 2 * MIN);
    assert_eq!(
        effects,
        vec![AlertEffect::Suppressed {
            rule: "Errors".into(),
            reason: SuppressionReason::Cooldown
        }]
    );
    assert!(
        engine.evaluate(&errors(9.0), 3 * MIN).is_empty(),
        "same episode counted once"
    );
    // Cooldown over while the condition still holds: the alert fires.
    assert_eq!(fired(&engine.evaluate(&errors(9.0), 5 * MIN)), 1);
    let summary = engine.summary(5 * MIN);
    assert_eq!(
        summary.suppressed.get(&SuppressionReason::Cooldown),
        Some(&1)
    );
    assert_eq!(
        (summary.firing, summary.resolved, summary.fired_last_hour),
        (1, 1, 2)
    );
}

#[test]
fn hourly_cap_suppresses_and_recovers_after_the_hour() {
    let rules = (0..4)
        .map(|i| rule(&format!("R{i}"), &format!("type_rate(T{i}) >"), 1.0, 0))
        .collect();
    let mut engine = AlertEngine::new(rules, settings(0, 0, 3));
    let mut inputs = AlertInputs::default();
    for i in 0..4 {
        inputs.type_rates.insert(format!("T{i}"), 2.0);
    }
    let effects = engine.evaluate(&inputs, 0);
    assert_eq!(fired(&effects), 3);
    assert!(effects.contains(&AlertEffect::Suppressed {
        rule: "R3".into(),
        reason: SuppressionReason::RateLimit
    }));
    assert!(engine.evaluate(&inputs, 30 * MIN).is_empty());
    let later = engine.evaluate(&inputs, 60 * MIN);
    assert_eq!(fired(&later), 1, "the fourth fires once the hour has slid");
    let summary = engine.summary(60 * MIN);
    assert_eq!(
        summary.suppressed.get(&SuppressionReason::RateLimit),
        Some(&1)
    );
    assert_eq!(summary.firing, 4);
}

#[test]
fn unacknowledged_alerts_escalate_once_acknowledged_ones_do_not() {
    let rules = vec![
        rule("A", "event_rate >", 1.0, 0),
        rule("B", "cpu_percent >", 50.0, 0),
    ];
    let mut engine = AlertEngine::new(rules, settings(0, 15, 0));
    let inputs = AlertInputs {
        event_rate: Some(5.0),
        cpu_percent: Some(90.0),
        ..AlertInputs::default()
    };
    assert_eq!(fired(&engine.evaluate(&inputs, 0)), 2);
    let acked = engine
        .acknowledge(2, Some("oncall".into()), 5 * MIN)
        .unwrap();
    assert_eq!(acked.status, AlertStatus::Acknowledged);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("oncall"));
    assert!(engine.evaluate(&inputs, 14 * MIN).is_empty());
    let effects = engine.evaluate(&inputs, 15 * MIN);
    assert_eq!(effects.len(), 1);
    let AlertEffect::Escalated(alert) = &effects[0] else {
        panic!("expected Escalated")
    };
    assert_eq!((alert.id, alert.severity), (1, Severity::Critical));
    assert_eq!(alert.escalated_at_ns, Some(15 * MIN));
    assert!(
        engine.evaluate(&inputs, 40 * MIN).is_empty(),
        "escalates once"
    );
}

#[test]
fn acknowledgement_errors_and_idempotence() {
    let mut engine = AlertEngine::new(vec![rule("A", "event_rate >", 1.0, 0)], settings(0, 0, 0));
    assert_eq!(engine.acknowledge(7, None, 0), Err(AlertError::NotFound(7)));
    engine.evaluate(
        &AlertInputs {
            event_rate: Some(2.0),
            ..AlertInputs::default()
        },
        0,
    );
    let first = engine.acknowledge(1, Some("a".into()), SEC).unwrap();
    let again = engine.acknowledge(1, Some("b".into()), 2 * SEC).unwrap();
    assert_eq!(first, again, "second acknowledgement changes nothing");
    engine.evaluate(
        &AlertInputs {
            event_rate: Some(0.0),
            ..AlertInputs::default()
        },
        3 * SEC,
    );
    assert_eq!(engine.get(1).map(|a| a.status), Some(AlertStatus::Resolved));
    assert_eq!(
        engine.acknowledge(1, None, 4 * SEC),
        Err(AlertError::Resolved(1))
    );
}

#[test]
fn listing_filters_newest_first() {
    let rules = vec![
        rule("A", "event_rate >", 1.0, 0),
        rule("B", "cpu_percent >", 1.0, 0),
    ];
    let mut engine = AlertEngine::new(rules, settings(0, 0, 0));
    engine.evaluate(
        &AlertInputs {
            event_rate: Some(2.0),
            ..AlertInputs::default()
        },
        0,
    );
    engine.evaluate(
        &AlertInputs {
            cpu_percent: Some(2.0),
            ..AlertInputs::default()
        },
        MIN,
    );
    engine.acknowledge(1, None, MIN).unwrap();
    let ids = |f: AlertFilter| engine.list(&f).iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(ids(AlertFilter::default()), vec![2, 1]);
    assert_eq!(
        ids(AlertFilter {
            status: Some(AlertStatus::Firing),
            ..Default::default()
        }),
        vec![2]
    );
    assert_eq!(
        ids(AlertFilter {
            rule: Some("A".into()),
            ..Default::default()
        }),
        vec![1]
    );
    assert_eq!(
        ids(AlertFilter {
            since_ns: Some(MIN),
            ..Default::default()
        }),
        vec![2]
    );
    assert_eq!(
        ids(AlertFilter {
            limit: Some(1),
            ..Default::default()
        }),
        vec![2]
    );
    let critical = AlertFilter {
        min_severity: Some(Severity::Critical),
        ..Default::default()
    };
    assert!(ids(critical).is_empty());
}

#[test]
fn history_evicts_resolved_alerts_first() {
    let mut engine = AlertEngine::new(
        vec![
            rule("A", "event_rate >", 1.0, 0),
            rule("B", "cpu_percent >", 1.0, 0),
        ],
        AlertSettings {
            history_limit: 2,
            ..settings(0, 0, 0)
        },
    );
    let cpu = |v| AlertInputs {
        cpu_percent: Some(v),
        ..AlertInputs::default()
    };
    engine.evaluate(
        &AlertInputs {
            event_rate: Some(2.0),
            ..AlertInputs::default()
        },
        0,
    );
    for step in 1..=4 {
        let value = if step % 2 == 1 { 2.0 } else { 0.0 };
        engine.evaluate(&cpu(value), step * MIN);
    }
    let ids: Vec<u64> = engine
        .list(&AlertFilter::default())
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(
        ids,
        vec![3, 1],
        "the active alert 1 is kept, resolved 2 evicted"
    );
}
