//! Engine core benchmarks: decode (with a plain serde_json parse loop as the ceiling), encode
//! (serde_json against the log's hand-written encoder), window update, the in-process core
//! (windows + profiler), and log append. Also prints the per-event core latency distribution.

use criterion::{BatchSize, Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};
use vexfs_engine::config::FsyncPolicy;
use vexfs_engine::core::profiler::ProfilerSettings;
use vexfs_engine::core::stats::Histogram;
use vexfs_engine::core::windows::Windows;
use vexfs_engine::core::{Engine, EngineSettings};
use vexfs_engine::event::synth::Synthetic;
use vexfs_engine::event::{Event, decode_batch, write_json};
use vexfs_engine::store::{Wal, WalOptions};

const BATCH: usize = 5_000;
const START_NS: i64 = 1_800_000_000_000_000_000;

fn settings() -> EngineSettings {
    EngineSettings {
        sliding_window_size: 10_000,
        profiler: ProfilerSettings {
            max_history: 1000,
            bottleneck_threshold_ms: 100.0,
            detect_bottlenecks: true,
        },
    }
}

fn events(n: usize) -> Vec<Event> {
    let mut events = Synthetic::new(1, START_NS, 1_000).take_events(n);
    for (i, e) in events.iter_mut().enumerate() {
        e.id = i as u64 + 1;
    }
    events
}

fn bench_decode(c: &mut Criterion) {
    let body = Synthetic::new(1, START_NS, 1_000).ndjson(BATCH);
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("serde_json_ignored_any_ceiling", |b| {
        b.iter(|| {
            for line in body.lines() {
                black_box(serde_json::from_str::<serde::de::IgnoredAny>(line).unwrap());
            }
        });
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for line in body.lines() {
                black_box(serde_json::from_str::<serde_json::Value>(line).unwrap());
            }
        });
    });
    g.bench_function("decode_and_validate_batch", |b| {
        b.iter(|| black_box(decode_batch(body.as_bytes(), 1, BATCH).unwrap()));
    });
    g.finish();
}

/// One log record's worth of encoding: every event as a JSON line into one reused buffer.
fn bench_encode(c: &mut Criterion) {
    let events = events(10_000);
    let mut out = Vec::with_capacity(events.len() * 384);
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("serde_json_to_writer", |b| {
        b.iter(|| {
            out.clear();
            for e in &events {
                serde_json::to_writer(&mut out, e).unwrap();
                out.push(b'\n');
            }
            black_box(out.len())
        });
    });
    g.bench_function("write_json", |b| {
        b.iter(|| {
            out.clear();
            for e in &events {
                write_json(&mut out, e);
                out.push(b'\n');
            }
            black_box(out.len())
        });
    });
    g.finish();
}

fn bench_core(c: &mut Criterion) {
    let events = events(100_000);
    let mut g = c.benchmark_group("core");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("windows_observe", |b| {
        let mut w = Windows::new(10_000);
        b.iter(|| {
            for e in &events {
                w.observe(e);
            }
        });
    });
    g.bench_function("engine_apply_batches_of_1000", |b| {
        let mut engine = Engine::new(&settings());
        b.iter(|| {
            for chunk in events.chunks(1000) {
                engine.apply(chunk, START_NS);
            }
        });
    });
    g.finish();
}

fn bench_log(c: &mut Criterion) {
    let events = events(1000);
    let mut g = c.benchmark_group("log_append");
    g.throughput(Throughput::Elements(events.len() as u64));
    for (name, fsync) in [
        ("fsync_never", FsyncPolicy::Never),
        ("fsync_batch", FsyncPolicy::Batch),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let opts = WalOptions {
            fsync,
            fsync_interval: Duration::from_millis(100),
            segment_size: 64 << 20,
        };
        let (mut wal, _) = Wal::open(dir.path(), opts, &mut |_| {}).unwrap();
        g.bench_function(name, |b| {
            b.iter_batched(
                || (),
                |()| {
                    wal.append(&events).unwrap();
                    wal.commit().unwrap();
                },
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();
}

/// Per-event core latency (windows + profiler bookkeeping), one event per `apply` call.
fn latency_report() {
    let events = events(1_000_000);
    let mut engine = Engine::new(&settings());
    let mut hist = Histogram::new();
    for e in &events {
        let started = Instant::now();
        engine.apply(std::slice::from_ref(e), START_NS);
        hist.record(started.elapsed().as_nanos() as u64);
    }
    let p = hist.percentiles();
    println!(
        "per-event core latency over {} events: p50 {} ns, p99 {} ns, max {} ns",
        p.count, p.p50, p.p99, p.max
    );
}

fn all(c: &mut Criterion) {
    latency_report();
    bench_decode(c);
    bench_encode(c);
    bench_core(c);
    bench_log(c);
}

/// Runs every benchmark with command-line settings (e.g. `--measurement-time 3`).
fn main() {
    let mut c = Criterion::default().configure_from_args();
    all(&mut c);
    c.final_summary();
}
