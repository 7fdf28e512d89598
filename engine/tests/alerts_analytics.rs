//! Alert inputs from the analytics facade: frequent patterns, anomalies and the rate forecast,
//! collected only when a rule needs them, and rules firing on them.

use vexfs_engine::core::alerts::{
    AlertEffect, AlertEngine, AlertInputs, AlertRule, AlertSettings, InputNeeds, RuleSpec,
};
use vexfs_engine::core::analytics::Analytics;
use vexfs_engine::core::analytics::config::AnalyticsConfig;
use vexfs_engine::event::{Event, EventType};

const SEC: i64 = 1_000_000_000;

fn event(t: EventType, ts: i64, tx: &str, latency_ns: u64) -> Event {
    let mut e = Event::new(t, ts, "node-a").with_measures(latency_ns, 4096);
    e.context.transaction_id = Some(tx.into());
    e
}

/// Every 2 s a transaction runs Create, Write, Rename; the last one has 1000× the latency.
fn analytics(transactions: i64) -> (Analytics, i64) {
    let mut a = Analytics::new(AnalyticsConfig {
        temporal_window_ns: SEC,
        ..AnalyticsConfig::default()
    });
    let mut ts = 1_000_000 * SEC;
    for n in 0..transactions {
        let tx = format!("tx-{n}");
        let latency = if n == transactions - 1 {
            20_000_000
        } else {
            20_000 + (n as u64 % 7) * 100
        };
        a.observe(&event(EventType::FilesystemCreate, ts, &tx, latency), ts);
        a.observe(
            &event(EventType::FilesystemWrite, ts + SEC / 10, &tx, latency),
            ts,
        );
        a.observe(
            &event(EventType::FilesystemRename, ts + SEC / 5, &tx, latency),
            ts,
        );
        ts += 2 * SEC;
        a.tick(ts);
    }
    (a, ts)
}

const ALL: InputNeeds = InputNeeds {
    patterns: true,
    forecast: true,
    anomalies: true,
};

#[test]
fn analytics_inputs_are_collected_on_demand() {
    let (a, now) = analytics(600);
    let none = AlertInputs::default().with_analytics(&a, InputNeeds::default(), now);
    assert_eq!(
        none,
        AlertInputs::default(),
        "nothing collected when no rule needs it"
    );

    let inputs = AlertInputs::default().with_analytics(&a, ALL, now);
    let cycle: Vec<String> = ["FilesystemCreate", "FilesystemWrite", "FilesystemRename"]
        .map(String::from)
        .into();
    assert!(
        inputs.patterns.as_ref().is_some_and(|p| p.contains(&cycle)),
        "{:?}",
        inputs.patterns
    );
    let peak = inputs
        .forecast_peak_rate
        .expect("a forecast after 20 minutes of data");
    assert!(
        (0.5..10.0).contains(&peak),
        "about 1.5 events/s forecast, upper bound {peak}"
    );
    let count = inputs
        .anomaly_count
        .expect("anomaly detection is on by default");
    assert!(
        count >= 1.0,
        "the 1000x latency spike is anomalous: {inputs:?}"
    );
    assert!(inputs.anomaly_score.is_some_and(|s| s >= 1.0), "{inputs:?}");
}

fn rule(name: &str, condition: &str, threshold: Option<f64>) -> AlertRule {
    let spec = RuleSpec {
        name,
        severity: "info",
        condition,
        threshold,
        for_seconds: 0,
        receivers: &[],
    };
    AlertRule::parse(spec).unwrap()
}

#[test]
fn rules_fire_on_patterns_anomalies_and_forecasts() {
    let (a, now) = analytics(600);
    let rules = vec![
        rule(
            "Cycle",
            "pattern_appeared(FilesystemCreate, FilesystemWrite, FilesystemRename)",
            None,
        ),
        rule("Anomalous", "anomaly_count >=", Some(1.0)),
        rule("Busy", "forecast_peak_rate >", Some(0.5)),
        rule("Flood", "forecast_peak_rate >", Some(1_000.0)),
    ];
    let mut engine = AlertEngine::new(
        rules,
        AlertSettings {
            max_alerts_per_hour: 0,
            ..AlertSettings::default()
        },
    );
    assert_eq!(engine.needs(), ALL);
    let inputs = AlertInputs::default().with_analytics(&a, engine.needs(), now);
    let fired: Vec<String> = engine
        .evaluate(&inputs, now)
        .into_iter()
        .filter_map(|e| match e {
            AlertEffect::Fired(alert) => Some(alert.rule),
            _ => None,
        })
        .collect();
    assert_eq!(fired, vec!["Cycle", "Anomalous", "Busy"]);
}
