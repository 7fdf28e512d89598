//! Server limits against the real binary: the SSE client cap, and open streams not holding up
//! graceful shutdown.

mod common;

use common::Engine;
use std::process::Command;
use std::time::{Duration, Instant};

fn config(dir: &std::path::Path, toml: &str) -> std::path::PathBuf {
    let path = dir.join("engine.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

#[tokio::test]
async fn sse_clients_are_capped_with_429_and_retry_after() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "[server]\nmax_stream_clients = 1\n");
    let engine = Engine::start_with_config(&tmp.path().join("data"), &cfg).await;
    let first = reqwest::get(format!("{}/api/v1/stream", engine.url))
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let second = reqwest::get(format!("{}/api/v1/stream", engine.url))
        .await
        .unwrap();
    assert_eq!(second.status(), 429);
    assert!(second.headers().contains_key("retry-after"));
    let body: serde_json::Value = second.json().await.unwrap();
    assert_eq!(body["error"], "too_many_streams");
    drop(first);
    let mut reopened = None;
    for _ in 0..100 {
        let r = reqwest::get(format!("{}/api/v1/stream", engine.url))
            .await
            .unwrap();
        if r.status() == 200 {
            reopened = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reopened.is_some(), "a closed stream frees its place");
    engine.stop();
}

#[tokio::test]
async fn an_open_stream_does_not_block_shutdown_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let mut engine = Engine::start(&tmp.path().join("data")).await;
    let stream = reqwest::get(format!("{}/api/v1/stream", engine.url))
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    Command::new("kill")
        .arg(engine.child.id().to_string())
        .status()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = engine.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the engine did not exit while a stream was open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    let rest = tokio::time::timeout(Duration::from_secs(5), stream.bytes()).await;
    assert!(rest.is_ok(), "the client sees the stream end");
}
