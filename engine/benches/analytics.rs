//! Analytics throughput: the full facade per event (sessions, next-event model, rates, statistical
//! detectors, isolation forest, sequence scoring, periodic pattern mining) and the cost of each part
//! (measured by switching parts off).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
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
    a.anomalies().total
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
                })
            }),
        ),
        (
            "no_statistical",
            with(|c| {
                c.anomalies = Some(DetectorChoice {
                    forest: true,
                    statistical: false,
                })
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
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
