//! `vexfs-loadgen`: posts synthetic NDJSON batches to an engine over HTTP and reports
//! throughput, request latency percentiles and the engine's memory before and after.

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vexfs_engine::event::synth::Synthetic;

/// Load generator options.
#[derive(Debug, Parser)]
#[command(
    name = "vexfs-loadgen",
    about = "HTTP ingest load generator for vexfs-engine"
)]
struct Args {
    /// Engine base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Total events to send.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Events per request.
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Random seed of the synthetic workload.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Wait before each memory reading so the engine's profiler has sampled (> its interval).
    #[arg(long, default_value_t = 1500)]
    settle_ms: u64,
}

async fn rss(client: &reqwest::Client, url: &str, settle: Duration) -> anyhow::Result<u64> {
    tokio::time::sleep(settle).await;
    let profile: Value = client
        .get(format!("{url}/api/v1/profile"))
        .send()
        .await?
        .json()
        .await?;
    Ok(profile["process"]["rssBytes"].as_u64().unwrap_or(0))
}

async fn worker(
    client: reqwest::Client,
    url: String,
    bodies: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let mut latencies = Vec::new();
    let mut throttled = 0;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(body) = bodies.get(i) else {
            return Ok((latencies, throttled));
        };
        loop {
            let started = Instant::now();
            let resp = client
                .post(format!("{url}/api/v1/events"))
                .body(body.clone())
                .send()
                .await?;
            let status = resp.status();
            let _ = resp.bytes().await?;
            if status.as_u16() == 429 {
                throttled += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            if !status.is_success() {
                bail!("engine answered {status}");
            }
            latencies.push(started.elapsed());
            break;
        }
    }
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let start_ns = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) - 3_600_000_000_000;
    let mut synth = Synthetic::new(args.seed, start_ns, 1_000);
    let batches = args.events.div_ceil(args.batch);
    let bodies: Vec<String> = (0..batches)
        .map(|b| synth.ndjson(args.batch.min(args.events - b * args.batch)))
        .collect();
    let body_bytes: usize = bodies.iter().map(String::len).sum();
    let client = reqwest::Client::new();
    let settle = Duration::from_millis(args.settle_ms);
    let rss_before = rss(&client, &args.url, settle)
        .await
        .context("engine not reachable")?;
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            tokio::spawn(worker(
                client.clone(),
                args.url.clone(),
                bodies.clone(),
                next.clone(),
            ))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut throttled = 0;
    for w in workers {
        let (l, t) = w.await??;
        latencies.extend(l);
        throttled += t;
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort();
    let rss_after = rss(&client, &args.url, settle).await?;
    let report = json!({
        "events": args.events, "batch": args.batch, "concurrency": args.concurrency,
        "seconds": secs, "eventsPerSec": args.events as f64 / secs,
        "mbPerSec": body_bytes as f64 / secs / 1e6, "throttled": throttled,
        "requestLatencyMs": {"p50": percentile(&latencies, 0.5), "p99": percentile(&latencies, 0.99),
                              "max": percentile(&latencies, 1.0)},
        "engineRssBytes": {"before": rss_before, "after": rss_after},
    });
    println!("{report}");
    Ok(())
}
