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

/// Opens a connection and sends the start of a request, never finishing its headers.
async fn half_sent_headers(url: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let addr = url.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    conn
}

#[tokio::test]
async fn half_sent_headers_are_cut_off_and_connections_are_capped() {
    use tokio::io::AsyncReadExt;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        tmp.path(),
        "[server]\nmax_connections = 1\nheader_read_timeout_ms = 1000\n",
    );
    let engine = Engine::start_with_config(&tmp.path().join("data"), &cfg).await;
    let mut slow = half_sent_headers(&engine.url).await;
    let client = reqwest::Client::new();
    let queued = tokio::spawn(
        client
            .get(format!("{}/healthz", engine.url))
            .timeout(Duration::from_secs(20))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !queued.is_finished(),
        "the only connection slot is held by the slow client"
    );
    let mut rest = Vec::new();
    let cut = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
    assert!(
        cut.is_ok(),
        "the server closes a connection whose headers stall"
    );
    let answered = queued.await.unwrap().expect("served once the slot is free");
    assert_eq!(answered.status(), 200);
    engine.stop();
}
