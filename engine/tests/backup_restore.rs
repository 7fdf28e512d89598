//! Backup from a running engine, verify, restore into a new data dir: same query answers.

mod common;

use common::{Engine, run_cli};
use serde_json::{Value, json};

const TYPES: [&str; 5] = [
    "FilesystemRead",
    "FilesystemWrite",
    "VectorSearch",
    "AgentDecision",
    "GraphQuery",
];

fn events(n: usize) -> String {
    (0..n)
        .map(|i| {
            let t = TYPES[i % TYPES.len()];
            let mut e = json!({"type": t, "source": format!("node-{}", i % 3),
                "timestamp": 1_800_000_000_000_000_000i64 + i as i64 * 1_000_000,
                "latencyNs": 500 + (i * 37) % 10_000, "sizeBytes": i * 10, "priority": 1 + i % 5,
                "context": {"agentId": format!("agent-{}", i % 4)}});
            if t.starts_with("Filesystem") {
                e["context"]["filesystem"] = json!({"path": format!("/data/{}/{}", i % 7, i)});
            }
            e.to_string() + "\n"
        })
        .collect()
}

const QUERIES: [&str; 4] = [
    "&type=FilesystemWrite,VectorSearch",
    "&pathPrefix=/data/3/&minPriority=High",
    "&agent=agent-2&source=node-1",
    "&category=Agent&since=2027-01-15T08:00:00.5Z",
];

async fn answers(engine: &Engine) -> (Vec<Vec<Value>>, Value) {
    let mut pages = Vec::new();
    for q in QUERIES {
        pages.push(engine.all_events(q).await);
    }
    let stats = engine.get("/api/v1/stats").await;
    (pages, stats)
}

fn summary(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON summary line")
}

/// Restores `archive` into `dir`, then checks a second restore without `--force` is refused.
fn restore_refusing_a_second_time(archive: &str, dir: &std::path::Path) {
    let args = ["restore", archive, "--data-dir", dir.to_str().unwrap()];
    summary(&run_cli(&args));
    let refused = run_cli(&args);
    assert!(
        !refused.status.success(),
        "a non-empty data dir is refused without --force"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
}

/// An offline backup of the stopped original (data dir `a`) holds the same events.
fn assert_offline_backup(root: &std::path::Path) {
    let offline = root.join("offline.tar.gz");
    let from_dir = root.join("a");
    let out = run_cli(&[
        "backup",
        "--data-dir",
        from_dir.to_str().unwrap(),
        "--to",
        offline.to_str().unwrap(),
    ]);
    assert_eq!(summary(&out)["eventCount"], 3000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_engine_answers_the_same_queries() {
    let root = tempfile::tempdir().unwrap();
    let original = Engine::start(&root.path().join("a")).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/events", original.url))
        .body(events(3000))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let (pages, stats) = answers(&original).await;
    assert!(
        pages.iter().all(|p| !p.is_empty()),
        "every query matches something"
    );

    let backups = root.path().join("backups");
    let out = run_cli(&[
        "backup",
        "--from",
        &original.url,
        "--to",
        backups.to_str().unwrap(),
    ]);
    let taken = summary(&out);
    assert_eq!(taken["eventCount"], 3000);
    assert_eq!(taken["sha256"].as_str().unwrap().len(), 64);
    let archive = taken["location"].as_str().unwrap().to_string();
    assert_eq!(summary(&run_cli(&["verify", &archive])), taken);

    let restored_dir = root.path().join("b");
    restore_refusing_a_second_time(&archive, &restored_dir);

    let restored = Engine::start(&restored_dir).await;
    let (pages2, stats2) = answers(&restored).await;
    assert_eq!(pages, pages2);
    assert_eq!(stats["countWindow"], stats2["countWindow"]);
    assert_eq!(stats["nextId"], stats2["nextId"]);
    restored.stop();
    original.stop();

    assert_offline_backup(root.path());
}

#[tokio::test]
async fn verify_rejects_a_damaged_archive() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("broken.tar.gz");
    std::fs::write(&path, b"not a backup").unwrap();
    let out = run_cli(&["verify", path.to_str().unwrap()]);
    assert!(!out.status.success());
}
