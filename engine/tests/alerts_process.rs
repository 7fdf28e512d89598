//! Alerting in the real `vexfs-engine` process: a rule from the config file fires on ingested
//! events, the webhook receives it, the API lists it, and an `AlertTriggered` event is stored.

mod alerts_common;
mod common;

use std::time::Duration;

use common::Engine;

fn config(base: &str) -> String {
    format!(
        "[profiler]\nprofiling_interval_ms = 100\n\n\
         [[alerts.rules]]\nname = \"Busy\"\nseverity = \"critical\"\n\
         condition = \"type_rate(FilesystemWrite) > threshold\"\nthreshold = 1.0\n\n\
         [[alerts.receivers]]\nname = \"ops\"\nwebhook = {{ url = \"{base}/hook/ops\" }}\n"
    )
}

#[tokio::test]
async fn a_configured_rule_fires_delivers_and_is_stored() {
    let (base, rec) = alerts_common::start_http().await;
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("engine.toml");
    std::fs::write(&config_file, config(&base)).unwrap();
    let engine = Engine::start_with_config(&dir.path().join("data"), &config_file).await;

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
    engine.stop();
}
