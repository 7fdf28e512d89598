//! `vexfs-loadgen`: posts synthetic NDJSON batches over HTTP and reports throughput, request
//! latency percentiles and the server's memory before and after.
//!
//! The target is the engine (`POST /api/v1/events`) or, for a side-by-side run, VictoriaLogs
//! (`POST /insert/jsonline`), which receives the very same NDJSON bodies.

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::{Parser, ValueEnum};
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
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// What listens at `--url`.
    #[arg(long, value_enum, default_value_t = Target::Engine)]
    target: Target,
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

/// The server under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// vexfs-engine: `POST /api/v1/events`, memory from `GET /api/v1/profile`.
    Engine,
    /// VictoriaLogs: `POST /insert/jsonline` (time from `timestamp`, message from `type`, one
    /// stream per `source`), memory from `GET /metrics`.
    Victorialogs,
}

impl Target {
    fn ingest_url(self, base: &str) -> String {
        match self {
            Target::Engine => format!("{base}/api/v1/events"),
            Target::Victorialogs => format!(
                "{base}/insert/jsonline?_time_field=timestamp&_msg_field=type&_stream_fields=source"
            ),
        }
    }

    /// The server's resident memory, read after `settle` (so the engine's profiler has sampled).
    async fn rss(
        self,
        client: &reqwest::Client,
        base: &str,
        settle: Duration,
    ) -> anyhow::Result<u64> {
        tokio::time::sleep(settle).await;
        match self {
            Target::Engine => {
                let profile: Value = client
                    .get(format!("{base}/api/v1/profile"))
                    .send()
                    .await?
                    .json()
                    .await?;
                Ok(profile["process"]["rssBytes"].as_u64().unwrap_or(0))
            }
            Target::Victorialogs => {
                let text = client
                    .get(format!("{base}/metrics"))
                    .send()
                    .await?
                    .text()
                    .await?;
                Ok(text
                    .lines()
                    .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .map_or(0, |v| v as u64))
            }
        }
    }
}

async fn worker(
    client: reqwest::Client,
    url: String,
    bodies: Arc<Vec<Bytes>>,
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
                .post(url.as_str())
                .header("content-type", "application/x-ndjson")
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
                bail!("server answered {status}");
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
    let bodies: Vec<Bytes> = (0..batches)
        .map(|b| Bytes::from(synth.ndjson(args.batch.min(args.events - b * args.batch))))
        .collect();
    let body_bytes: usize = bodies.iter().map(Bytes::len).sum();
    let client = reqwest::Client::new();
    let settle = Duration::from_millis(args.settle_ms);
    let rss_before = args
        .target
        .rss(&client, &args.url, settle)
        .await
        .context("server not reachable")?;
    let ingest_url = args.target.ingest_url(&args.url);
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            tokio::spawn(worker(
                client.clone(),
                ingest_url.clone(),
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
    let rss_after = args.target.rss(&client, &args.url, settle).await?;
    let report = json!({
        "target": format!("{:?}", args.target).to_lowercase(),
        "events": args.events, "batch": args.batch, "concurrency": args.concurrency,
        "seconds": secs, "eventsPerSec": args.events as f64 / secs,
        "mbPerSec": body_bytes as f64 / secs / 1e6, "throttled": throttled,
        "requestLatencyMs": {"p50": percentile(&latencies, 0.5), "p99": percentile(&latencies, 0.99),
                              "max": percentile(&latencies, 1.0)},
        "serverRssBytes": {"before": rss_before, "after": rss_after},
    });
    println!("{report}");
    Ok(())
}
