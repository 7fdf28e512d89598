//! Analytics throughput: the full facade per event (sessions, next-event model, rates, statistical
//! detectors, isolation forest, sequence scoring, periodic pattern mining) and the cost of each part
//! (measured by switching parts off).

use criterion::{BatchSize, Criterion, Throughput};
use std::hint::black_box;
use vexfs_engine::core::analytics::Analytics;
use vexfs_engine::core::analytics::config::{AnalyticsConfig, DetectorChoice};
use vexfs_engine::event::Event;
use vexfs_engine::event::synth::Synthetic;

const EVENTS: usize = 100_000;
const START_NS: i64 = 1_800_000_000_000_000_000;
/// 1 ms of event time per event: 1,000 events per simulated second.
const STEP_NS: i64 = 1_000_000;

fn run(cfg: &AnalyticsConfig, events: &[Event]) -> u64 {
    let mut a = Analytics::new(cfg.clone());
    for (i, e) in events.iter().enumerate() {
        a.observe(e, e.timestamp_ns);
        if i % 1000 == 999 {
            a.tick(e.timestamp_ns);
        }
    }
    a.records().count() as u64
}

fn variants() -> Vec<(&'static str, AnalyticsConfig)> {
    let all = AnalyticsConfig::default();
    let with = |f: fn(&mut AnalyticsConfig)| {
        let mut c = all.clone();
        f(&mut c);
        c
    };
    vec![
        ("all", all.clone()),
        (
            "no_forest",
            with(|c| {
                c.anomalies = Some(DetectorChoice {
                    forest: false,
                    statistical: true,
                });
            }),
        ),
        (
            "no_statistical",
            with(|c| {
                c.anomalies = Some(DetectorChoice {
                    forest: true,
                    statistical: false,
                });
            }),
        ),
        ("no_anomalies", with(|c| c.anomalies = None)),
        ("no_pattern_mining", with(|c| c.patterns = false)),
    ]
}

fn bench(c: &mut Criterion) {
    let events = Synthetic::new(42, START_NS, STEP_NS).take_events(EVENTS);
    let mut group = c.benchmark_group("analytics");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    for (name, cfg) in variants() {
        group.bench_function(name, |b| {
            b.iter_batched(
                || (),
                |()| black_box(run(&cfg, &events)),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

/// CPU time (user + system) of the calling thread in seconds, from `/proc/thread-self/stat`
/// (Linux, 100 ticks per second). Wall time is misleading on a shared machine; this is per core.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Prints events per CPU-second for each variant (10 passes over the stream each).
fn cpu_report(events: &[Event]) {
    const PASSES: usize = 10;
    for (name, cfg) in variants() {
        let Some(start) = thread_cpu_seconds() else {
            return;
        };
        for _ in 0..PASSES {
            black_box(run(&cfg, events));
        }
        let Some(end) = thread_cpu_seconds() else {
            return;
        };
        let rate = (PASSES * events.len()) as f64 / (end - start).max(0.01);
        println!(
            "cpu-time analytics/{name}: {rate:.0} events per CPU-second ({:.2} us/event)",
            1e6 / rate
        );
    }
}

/// Runs the benchmarks with command-line settings (e.g. `--measurement-time 5`), then the
/// CPU-time report.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    cpu_report(&Synthetic::new(42, START_NS, STEP_NS).take_events(EVENTS));
}
