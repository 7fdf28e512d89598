//! `vexfs-engine replay`: batching, idempotent re-runs, and refusals naming the file line.

mod common;

use common::{Engine, run_cli};
use serde_json::Value;
use vexfs_engine::event::synth::Synthetic;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_a_file_twice_stores_it_once() {
    let root = tempfile::tempdir().unwrap();
    let engine = Engine::start(&root.path().join("data")).await;
    let file = root.path().join("events.ndjson");
    std::fs::write(
        &file,
        Synthetic::new(3, 1_800_000_000_000_000_000, 1000).ndjson(2500),
    )
    .unwrap();
    let args = [
        "replay",
        file.to_str().unwrap(),
        "--to",
        &engine.url,
        "--batch",
        "1000",
        "--no-progress",
    ];
    let first = run_cli(&args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let report: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(
        (
            report["sent"].as_u64(),
            report["accepted"].as_u64(),
            report["batches"].as_u64()
        ),
        (Some(2500), Some(2500), Some(3))
    );
    let second: Value = serde_json::from_slice(&run_cli(&args).stdout).unwrap();
    assert_eq!(second["duplicates"], 2500);
    assert_eq!(engine.get("/api/v1/stats").await["retainedEvents"], 2500);

    let bad = root.path().join("bad.ndjson");
    let mut text = Synthetic::new(4, 1_800_000_000_000_000_000, 1000).ndjson(1500);
    text.push_str("{\"type\":\"SystemSync\"}\n");
    std::fs::write(&bad, text).unwrap();
    let out = run_cli(&[
        "replay",
        bad.to_str().unwrap(),
        "--to",
        &engine.url,
        "--batch",
        "1000",
        "--no-progress",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("file line 1501") && stderr.contains("source"),
        "{stderr}"
    );
    engine.stop();
}
