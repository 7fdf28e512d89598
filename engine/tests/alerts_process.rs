//! Alerting in the real `vexfs-engine` process: a rule from the config file fires on ingested
//! events, the webhook receives it, the API lists it, and an `AlertTriggered` event is stored.

mod alerts_common;
mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{BIN, Engine};

fn config(base: &str) -> String {
    format!(
        "[profiler]\nprofiling_interval_ms = 100\n\n\
         [[alerts.rules]]\nname = \"Busy\"\nseverity = \"critical\"\n\
         condition = \"type_rate(FilesystemWrite) > threshold\"\nthreshold = 1.0\n\n\
         [[alerts.receivers]]\nname = \"ops\"\nwebhook = {{ url = \"{base}/hook/ops\" }}\n"
    )
}

/// Kills the engine if the test panics before stopping it.
struct Running(Option<Engine>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut engine) = self.0.take() {
            let _ = engine.child.kill();
            let _ = engine.child.wait();
        }
    }
}

async fn start(dir: &std::path::Path, config_file: &std::path::Path) -> Running {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.join("engine.log")).unwrap();
    let child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.join("data"))
        .arg("--config")
        .arg(config_file)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("engine binary starts");
    let running = Running(Some(Engine {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }));
    let ready = format!("{}/readyz", running.0.as_ref().unwrap().url);
    for _ in 0..600 {
        if reqwest::get(&ready)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "engine never became ready; see {}",
        dir.join("engine.log").display()
    );
}

#[tokio::test]
async fn a_configured_rule_fires_delivers_and_is_stored() {
    let (base, rec) = alerts_common::start_http().await;
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("engine.toml");
    std::fs::write(&config_file, config(&base)).unwrap();
    let mut running = start(dir.path(), &config_file).await;
    let engine = running.0.as_ref().unwrap();

    let batch: String = (0..300)
        .map(|_| {
            concat!(
                r#"{"type":"FilesystemWrite","source":"node-a","#,
                r#""context":{"filesystem":{"path":"/a"}}}"#,
                "\n"
            )
        })
        .collect();
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/events", engine.url))
        .header("content-type", "application/x-ndjson")
        .body(batch)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap_or_default()
    );

    let delivered = async {
        while rec.bodies("/hook/ops").is_empty() {
            rec.arrived.notified().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), delivered)
        .await
        .expect("the webhook is called");
    let body = &rec.bodies("/hook/ops")[0];
    assert_eq!(
        (body["kind"].as_str(), body["alert"]["rule"].as_str()),
        (Some("fired"), Some("Busy"))
    );

    let alerts = engine.get("/api/v1/alerts?status=firing").await;
    assert_eq!(alerts["alerts"][0]["rule"], "Busy");
    let mut stored = Vec::new();
    for _ in 0..100 {
        stored = engine.all_events("&type=ObservabilityAlertTriggered").await;
        if !stored.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stored.len(), 1, "one AlertTriggered event in the log");
    assert_eq!(stored[0]["payload"]["rule"], "Busy");
    assert_eq!(stored[0]["source"], "vexfs-engine/alerts");
    let metrics = reqwest::get(format!("{}/metrics", engine.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("vexfs_alert_deliveries_total{outcome=\"success\",receiver=\"ops\"} 1"),
        "{metrics}"
    );
    running.0.take().unwrap().stop();
}
