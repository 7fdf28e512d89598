//! A real Prometheus scrapes a real engine and a real operator. The engine runs in a memory
//! cgroup with a limit, is fed events, and has alert rules whose webhook receiver is
//! unreachable and whose hourly cap suppresses the second alert; the operator reconciles one
//! Ready stack, two with a backup target whose on-demand backups succeed and fail (kwok ends
//! the Jobs' pods), and one whose Service a ResourceQuota refuses. Then every alert rule of
//! `monitoring/rules/` and every query of `monitoring/grafana/` returns data (`promcheck`; a
//! query without data fails the test, none is exempt), and Prometheus evaluates every rule
//! without error. Every-minute latency spikes in the fed events make the engine record anomalies.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;
use vexfs_e2e::backup_volume::BackupVolume;
use vexfs_e2e::backups;
use vexfs_e2e::engine::EngineProcess;
use vexfs_e2e::process::free_addr;
use vexfs_e2e::prometheus::{PrometheusProcess, ScrapeTarget};
use vexfs_e2e::scenario::{OPERATOR_READY, operator_args};
use vexfs_e2e::{OperatorProcess, Result, Scenario, Stack, ensure, http};

const READY: Duration = Duration::from_secs(120);
const SERIES: Duration = Duration::from_secs(180);
const MEMORY_LIMIT: u64 = 2 << 30;

/// Batches fed before latency spikes start, so every event type has a latency baseline.
const BASELINE_BATCHES: u64 = 10;
/// A latency far above the fed ones (2 µs): the engine's latency detector records it.
const SPIKE_LATENCY_NS: u64 = 50_000_000;

/// Two rules that fire on any traffic, a cap of one alert per hour (the second is suppressed),
/// and a webhook receiver nothing listens on (deliveries are retried, then fail).
const ENGINE_CONFIG: &str = r#"
[logging]
level = "info"
format = "json"

[alerts]
enabled = true
enable_webhook_alerts = true
max_alerts_per_hour = 1

[[alerts.rules]]
name = "Traffic"
severity = "info"
condition = "event_rate > threshold"
threshold = 0.0

[[alerts.rules]]
name = "MoreTraffic"
severity = "warning"
condition = "event_rate > threshold"
threshold = 0.0

[[alerts.receivers]]
name = "unreachable"
webhook = { url = "http://127.0.0.1:9/hook" }
"#;

/// Posts a batch of events every half second until stopped; after the baseline, every fourth
/// batch carries one latency spike, so anomalies keep being recorded.
fn feed(addr: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut n = 0u64;
        let mut batches = 0u64;
        while !stop.load(Ordering::Relaxed) {
            batches += 1;
            let spike = batches > BASELINE_BATCHES && batches.is_multiple_of(4);
            let batch: String = (0..50u64)
                .map(|i| {
                    n += 1;
                    let kind = ["FilesystemWrite", "FilesystemRead", "FilesystemCreate"]
                        [usize::try_from(i % 3).unwrap_or(0)];
                    let latency = if spike && i == 25 {
                        SPIKE_LATENCY_NS
                    } else {
                        2000 + i
                    };
                    json!({"type": kind, "source": "node-a", "latencyNs": latency,
                           "context": {"filesystem": {"path": format!("/data/{}", n % 97)}}})
                    .to_string()
                        + "\n"
                })
                .collect();
            let _ = http::post(&addr, "/api/v1/events", "application/x-ndjson", &batch);
            std::thread::sleep(Duration::from_millis(500));
        }
    })
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn every_rule_and_dashboard_query_returns_data_from_a_real_engine_and_operator() -> Result<()> {
    let s = Scenario::new("prometheus")?;
    let metrics_addr = free_addr()?;
    let args = operator_args(s.ns(), &metrics_addr);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let log = format!("prometheus-{}-operator", s.ns());
    let mut operator = OperatorProcess::start(&s.cluster, &log, &args)?;
    operator.wait_ready(&metrics_addr, OPERATOR_READY)?;
    Stack::apply_sample(&s.cluster, s.ns(), "minimal.yaml")?.wait_ready(READY)?;
    let kubectl = s.cluster.kubectl();
    let volume = BackupVolume::create(&kubectl, s.ns(), "backups")?;
    // kwok fails the backup Jobs of a stack named `backup-fails`.
    for name in ["vx", "backup-fails"] {
        let manifest = backups::semantic(name, volume.claim(), &json!({}));
        Stack::apply_manifest(&s.cluster, s.ns(), &manifest)?.wait_ready(READY)?;
        let backup = backups::on_demand(&format!("{name}-1"), name, "Retain");
        kubectl.run_with_input(&["apply", "-n", s.ns(), "-f", "-"], &backup.to_string())?;
    }
    kubectl.run(&[
        "create",
        "quota",
        "no-services",
        "--hard=services=0",
        "-n",
        s.ns(),
    ])?;
    let blocked = json!({"apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
                         "metadata": {"name": "blocked"}, "spec": {}});
    Stack::apply_manifest(&s.cluster, s.ns(), &blocked)?;

    let mut engine = EngineProcess::start(
        &s.cluster,
        &format!("prometheus-{}-engine", s.ns()),
        ENGINE_CONFIG,
        Some(MEMORY_LIMIT),
    )?;
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = feed(engine.addr().to_owned(), stop.clone());
    let targets = [
        ScrapeTarget {
            job: "vexfs-engine".into(),
            addr: engine.addr().to_owned(),
            labels: labels(&[
                ("namespace", s.ns()),
                ("pod", "engine-0"),
                ("service", "engine"),
            ]),
        },
        ScrapeTarget {
            job: "vexfs-operator".into(),
            addr: metrics_addr.clone(),
            labels: labels(&[("namespace", "vexfs-system"), ("pod", "operator-0")]),
        },
    ];
    let mut prometheus =
        PrometheusProcess::start(&s.cluster, &format!("prometheus-{}", s.ns()), &targets)?;
    let result = prometheus
        .wait_for(
            &[
                // Enough scrapes of both targets for rates over the checked windows.
                r"count(count_over_time(up[1m]) >= 10) == 2",
                r#"vexfs_process{counter="cgroup_memory_limit_bytes"}"#,
                r#"rate(vexfs_stage_events_total{stage="analytics"}[30s]) > 0"#,
                r#"vexfs_alert_deliveries_total{outcome="failure"}"#,
                r"vexfs_alerts_suppressed_total",
                r#"vexfs_operator_reconcile_errors_total{reason="apply"}"#,
                r#"sum(vexfs_operator_objects{ready!="True"}) > 0"#,
                r#"vexfs_operator_backups_total{phase="Succeeded"}"#,
                r#"vexfs_operator_backups_total{phase="Failed"} > 0"#,
                // Two samples at least, for `increase`.
                r"count_over_time(vexfs_anomalies_total[1m]) >= 2",
                // The default daily schedule allows two days.
                r#"vexfs_operator_backup_max_age_seconds{semantic="vx"} == 172800"#,
                r#"vexfs_operator_backup_last_success_timestamp_seconds{semantic="backup-fails"}"#,
                // Exported at zero before any recovery action.
                r#"vexfs_operator_recovery_actions_total{action="DeletePod"} == 0"#,
            ],
            SERIES,
        )
        .map_err(vexfs_e2e::Error::from)
        .and_then(|()| Ok(prometheus.check(&s.cluster)?));
    stop.store(true, Ordering::Relaxed);
    let _ = feeder.join();
    engine.ensure_running()?;
    operator.ensure_running()?;
    let report = result?;
    println!("{report}");
    ensure(report.contains(" 0 pending, 0 failed"), || {
        format!("promcheck reported:\n{report}")
    })?;
    let limit = prometheus.samples(&format!(
        r#"vexfs_process{{counter="cgroup_memory_limit_bytes"}} == {MEMORY_LIMIT}"#
    ));
    ensure(limit == 1, || {
        "the engine does not report its cgroup's memory limit".into()
    })
}
