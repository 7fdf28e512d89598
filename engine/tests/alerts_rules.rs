//! Rule parsing and evaluation over every kind of observed value.

use std::collections::BTreeSet;

use vexfs_engine::core::alerts::{
    AlertEffect, AlertEngine, AlertInputs, AlertRule, AlertSettings, Comparison, Condition, Metric,
    RuleError, RuleSpec, fingerprint,
};

fn spec(condition: &str, threshold: Option<f64>) -> RuleSpec<'_> {
    RuleSpec {
        name: "R",
        severity: "critical",
        condition,
        threshold,
        for_seconds: 0,
        receivers: &[],
    }
}

fn parse(condition: &str, threshold: Option<f64>) -> Result<Condition, RuleError> {
    AlertRule::parse(spec(condition, threshold)).map(|r| r.condition)
}

#[test]
fn conditions_parse_into_metrics_and_comparisons() {
    let cases = [
        ("event_rate", Metric::EventRate, Comparison::Above),
        ("error_rate >= ", Metric::ErrorRate, Comparison::AtLeast),
        ("latency_p95_ms <", Metric::LatencyP95Ms, Comparison::Below),
        ("latency_p99_ms<=", Metric::LatencyP99Ms, Comparison::AtMost),
        (
            "type_rate(FilesystemWrite) >",
            Metric::TypeRate("FilesystemWrite".into()),
            Comparison::Above,
        ),
        (
            "stage_p95_ms( wal ) >",
            Metric::StageP95Ms("wal".into()),
            Comparison::Above,
        ),
        ("memory_bytes >", Metric::MemoryBytes, Comparison::Above),
        ("cpu_percent >", Metric::CpuPercent, Comparison::Above),
        ("anomaly_score >", Metric::AnomalyScore, Comparison::Above),
        (
            "forecast_peak_rate >",
            Metric::ForecastPeakRate,
            Comparison::Above,
        ),
    ];
    for (text, metric, op) in cases {
        let want = Condition::Threshold {
            metric,
            op,
            threshold: 2.5,
        };
        assert_eq!(parse(text, Some(2.5)), Ok(want), "{text}");
    }
    assert_eq!(
        parse("pattern_appeared(A, B)", None),
        Ok(Condition::PatternAppeared(vec!["A".into(), "B".into()]))
    );
    assert_eq!(
        parse("pattern_disappeared(A)", None),
        Ok(Condition::PatternDisappeared(vec!["A".into()]))
    );
}

#[test]
fn bad_rules_are_rejected_with_the_rule_named() {
    let condition_error = |text: &str, t| match parse(text, t) {
        Err(RuleError::Condition { rule, value, .. }) => (rule, value),
        other => panic!("{text}: expected a condition error, got {other:?}"),
    };
    for text in [
        "nope >",
        "event_rate =>",
        "type_rate >",
        "event_rate(x) >",
        "type_rate(A >",
        "pattern_appeared()",
        "pattern_appeared(A) >",
    ] {
        assert_eq!(
            condition_error(text, Some(1.0)),
            ("R".to_owned(), text.to_owned())
        );
    }
    assert_eq!(
        parse("event_rate >", None),
        Err(RuleError::Threshold { rule: "R".into() })
    );
    assert_eq!(
        parse("event_rate >", Some(f64::NAN)),
        Err(RuleError::Threshold { rule: "R".into() })
    );
    let bad_severity = AlertRule::parse(RuleSpec {
        severity: "loud",
        ..spec("event_rate", Some(1.0))
    });
    assert!(matches!(bad_severity, Err(RuleError::Severity { .. })));
    let no_name = AlertRule::parse(RuleSpec {
        name: " ",
        ..spec("event_rate", Some(1.0))
    });
    assert_eq!(no_name, Err(RuleError::EmptyName));
}

#[test]
fn fingerprints_are_stable_and_distinct() {
    let a = AlertRule::parse(spec("event_rate >", Some(1.0))).unwrap();
    let b = AlertRule::parse(spec("event_rate >", Some(9.0))).unwrap();
    let c = AlertRule::parse(spec("cpu_percent >", Some(1.0))).unwrap();
    assert_eq!(
        fingerprint(&a),
        fingerprint(&b),
        "threshold changes keep the identity"
    );
    assert_ne!(fingerprint(&a), fingerprint(&c));
    assert_eq!(fingerprint(&a).len(), 16);
}

fn engine(condition: &str, threshold: Option<f64>) -> AlertEngine {
    let settings = AlertSettings {
        cooldown_minutes: 0,
        max_alerts_per_hour: 0,
        ..AlertSettings::default()
    };
    AlertEngine::new(
        vec![AlertRule::parse(spec(condition, threshold)).unwrap()],
        settings,
    )
}

fn fires(engine: &mut AlertEngine, inputs: &AlertInputs, now: i64) -> bool {
    engine
        .evaluate(inputs, now)
        .iter()
        .any(|e| matches!(e, AlertEffect::Fired(_)))
}

#[test]
fn every_metric_is_read_from_its_input() {
    let mut inputs = AlertInputs {
        event_rate: Some(10.0),
        error_rate: Some(10.0),
        latency_p95_ms: Some(10.0),
        latency_p99_ms: Some(10.0),
        memory_bytes: Some(10.0),
        cpu_percent: Some(10.0),
        anomaly_score: Some(10.0),
        anomaly_count: Some(10.0),
        forecast_peak_rate: Some(10.0),
        ..AlertInputs::default()
    };
    inputs.type_rates.insert("FilesystemWrite".into(), 10.0);
    inputs.stage_p95_ms.insert("wal".into(), 10.0);
    let metrics = [
        "event_rate",
        "error_rate",
        "latency_p95_ms",
        "latency_p99_ms",
        "memory_bytes",
        "cpu_percent",
        "anomaly_score",
        "anomaly_count",
        "forecast_peak_rate",
        "type_rate(FilesystemWrite)",
        "stage_p95_ms(wal)",
    ];
    for metric in metrics {
        let mut above = engine(&format!("{metric} >"), Some(9.0));
        assert!(fires(&mut above, &inputs, 0), "{metric} > 9");
        let mut below = engine(&format!("{metric} >"), Some(11.0));
        assert!(!fires(&mut below, &inputs, 0), "{metric} > 11");
        let mut missing = engine(&format!("{metric} >"), Some(0.0));
        assert!(
            !fires(&mut missing, &AlertInputs::default(), 0),
            "{metric} without data"
        );
    }
    let mut other_type = engine("type_rate(GraphQuery) >", Some(0.0));
    assert!(!fires(&mut other_type, &inputs, 0));
}

fn with_patterns(patterns: &[&[&str]]) -> AlertInputs {
    let set: BTreeSet<Vec<String>> = patterns
        .iter()
        .map(|p| p.iter().map(|s| (*s).to_owned()).collect())
        .collect();
    AlertInputs {
        patterns: Some(set),
        ..AlertInputs::default()
    }
}

#[test]
fn pattern_appearance_and_disappearance() {
    let mut appeared = engine("pattern_appeared(A,B)", None);
    assert!(!fires(
        &mut appeared,
        &with_patterns(&[&["A"], &["B", "A"]]),
        0
    ));
    assert!(fires(&mut appeared, &with_patterns(&[&["A", "B"]]), 1));

    let mut gone = engine("pattern_disappeared(A,B)", None);
    assert!(
        !fires(&mut gone, &with_patterns(&[]), 0),
        "never seen: not a disappearance"
    );
    assert!(!fires(&mut gone, &with_patterns(&[&["A", "B"]]), 1));
    assert!(fires(&mut gone, &with_patterns(&[&["A"]]), 2));
    let effects = gone.evaluate(&with_patterns(&[&["A", "B"]]), 3);
    assert!(
        matches!(effects.as_slice(), [AlertEffect::Resolved(_)]),
        "reappearance resolves"
    );
}
