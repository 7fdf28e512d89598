//! Clustered mode through the reconcile driver: `status.cluster` from the replicas' `/metrics`,
//! served by real HTTP servers on loopback (one per replica, as the engine exports the figures),
//! and `Ready=False/Rebalancing` until every replica holds its share for the configured count.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};
use support::fake_api::FakeApi;
use support::reconcile::{acknowledge, context_with_memory, pass, status_and_reason, writes};
use vexfs_operator::controller::cluster_probe::ClusterProbes;
use vexfs_operator::controller::memory::Memory;

const PARTITIONS: i32 = 16;

/// What one replica's `/metrics` serves: the pending gauge of each owned partition.
fn metrics(owned: impl Iterator<Item = i32>, pending: i64) -> String {
    let mut text = String::from("# TYPE vexfs_cluster_consumer_pending gauge\n");
    for p in owned {
        text.push_str(&format!(
            "vexfs_cluster_consumer_pending{{partition=\"{p}\"}} {pending}\n"
        ));
    }
    text + "vexfs_events_ingested_total 12\n"
}

fn share(replicas: i32, ordinal: i32, pending: i64) -> String {
    metrics((0..PARTITIONS).filter(|p| p % replicas == ordinal), pending)
}

/// A `/metrics` server on loopback whose body the test changes; returns its base URL.
async fn replica(body: Arc<Mutex<String>>) -> String {
    let app =
        Router::new()
            .route(
                "/metrics",
                get(|State(body): State<Arc<Mutex<String>>>| async move {
                    body.lock().unwrap().clone()
                }),
            )
            .with_state(body);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn pod(ordinal: i32, ready: bool) -> Value {
    let ready = if ready { "True" } else { "False" };
    json!({"metadata": {"name": format!("clustered-{ordinal}"), "labels": {
        "app.kubernetes.io/name": "vexfs-engine", "app.kubernetes.io/instance": "clustered",
        "app.kubernetes.io/component": "engine"}},
      "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": ready}],
        "containerStatuses": [{"name": "engine", "ready": ready == "True", "restartCount": 0,
          "image": "engine", "imageID": "", "state": {"running": {}}}]}})
}

fn put_pods(fake: &FakeApi, ready: [bool; 3]) {
    for (ordinal, ready) in (0..).zip(ready) {
        fake.put(
            &format!("/api/v1/namespaces/vexfs/pods/clustered-{ordinal}"),
            pod(ordinal, ready),
        );
    }
}

#[tokio::test]
async fn status_reports_each_replicas_share_and_ready_waits_for_the_rebalance() {
    // Scaled from 2 to 3 replicas: replica 0 still runs with the old count, 1 rebuilds its new
    // share, 2 has not started serving.
    let bodies: Vec<Arc<Mutex<String>>> = vec![
        Arc::new(Mutex::new(share(2, 0, 0))),
        Arc::new(Mutex::new(share(3, 1, 250))),
        Arc::new(Mutex::new(String::new())),
    ];
    let mut urls = Vec::new();
    for body in &bodies {
        urls.push(replica(body.clone()).await);
    }
    let endpoints =
        move |_: &vexfs_operator::spec::ValidatedSpec, ordinal: i32| urls[ordinal as usize].clone();
    let memory = Arc::new(Memory {
        cluster: ClusterProbes::with_endpoints(Arc::new(endpoints), Duration::ZERO),
        ..Memory::default()
    });
    let fake = FakeApi::default();
    let cr = support::load_sample("clustered.yaml");
    let path = format!("{}clustered", support::reconcile::CR_PATH);
    fake.put(&path, serde_json::to_value(&cr).unwrap());
    fake.put(
        "/api/v1/namespaces/vexfs/secrets/nats-creds",
        json!({"metadata": {"name": "nats-creds"}, "data": {"engine.creds": ""}}),
    );
    let harness = context_with_memory(&fake, memory);
    acknowledge(&fake, &harness, &path).await;
    put_pods(&fake, [true, false, true]);
    pass(&fake, &harness, &path).await;
    let sts_path = "/apis/apps/v1/namespaces/vexfs/statefulsets/clustered";
    let mut sts = fake.get(sts_path).expect("applied");
    assert_eq!(sts["spec"]["replicas"], 3);
    sts["status"] =
        json!({"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 3, "replicas": 3});
    fake.put(sts_path, sts);
    pass(&fake, &harness, &path).await;

    let stored = fake.get(&path).unwrap();
    let cluster = &stored["status"]["cluster"];
    assert_eq!(cluster["configuredReplicas"], 3);
    assert_eq!(cluster["partitions"], PARTITIONS);
    let replicas = cluster["replicas"]
        .as_array()
        .expect("one entry per replica");
    assert_eq!(replicas.len(), 3);
    assert_eq!(replicas[0]["owned"], json!([0, 2, 4, 6, 8, 10, 12, 14]));
    assert_eq!(replicas[0]["caughtUp"], false, "the old share");
    assert_eq!(replicas[1]["owned"], json!([1, 4, 7, 10, 13]));
    assert_eq!(replicas[1]["pending"], 5 * 250);
    assert_eq!(replicas[1]["caughtUp"], false, "not ready yet");
    assert_eq!(replicas[2]["caughtUp"], false);
    assert!(
        replicas[2]["message"]
            .as_str()
            .unwrap()
            .contains("clustered mode"),
        "{}",
        replicas[2]
    );
    assert_eq!(
        status_and_reason(&fake, &path, "Ready"),
        ("False".to_owned(), "Rebalancing".to_owned())
    );

    // Every replica restarted with the new count and caught up.
    for (ordinal, body) in (0..).zip(&bodies) {
        *body.lock().unwrap() = share(3, ordinal, 0);
    }
    put_pods(&fake, [true, true, true]);
    let mut sts = fake.get(sts_path).expect("applied");
    sts["status"]["readyReplicas"] = json!(3);
    fake.put(sts_path, sts);
    let caught_up = pass(&fake, &harness, &path).await;
    assert_eq!(
        writes(&caught_up).len(),
        1,
        "one status write: {caught_up:?}"
    );
    assert_eq!(
        status_and_reason(&fake, &path, "Ready"),
        ("True".to_owned(), "Available".to_owned())
    );
    let stored = fake.get(&path).unwrap();
    let replicas = stored["status"]["cluster"]["replicas"].as_array().unwrap();
    assert!(
        replicas.iter().all(|r| r["caughtUp"] == true),
        "{replicas:?}"
    );

    // Asking the replicas again is no Kubernetes API request, and an unchanged answer no write.
    let steady = pass(&fake, &harness, &path).await;
    assert_eq!(
        steady,
        Vec::new(),
        "a steady reconcile asks the API nothing"
    );
}

/// `engine.toml`'s text in the fake's ConfigMap of `name`.
fn engine_toml(fake: &FakeApi, name: &str) -> String {
    let map = fake
        .get(&format!(
            "/api/v1/namespaces/vexfs/configmaps/{name}-config"
        ))
        .expect("ConfigMap applied");
    map["data"]["engine.toml"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_autoscaled_engine_follows_the_statefulsets_scale_until_autoscaling_is_removed() {
    // The engines are not reachable here: no probes (the CA and pod names lead nowhere).
    let memory = Arc::new(Memory {
        cluster: ClusterProbes::enabled(false),
        ..Memory::default()
    });
    let fake = FakeApi::default();
    let cr = support::load_sample("autoscaled.yaml");
    let path = format!("{}autoscaled", support::reconcile::CR_PATH);
    fake.put(&path, serde_json::to_value(&cr).unwrap());
    for (name, keys) in [
        ("nats-ca", json!({"ca.crt": ""})),
        ("nats-client", json!({"tls.crt": "", "tls.key": ""})),
    ] {
        fake.put(
            &format!("/api/v1/namespaces/vexfs/secrets/{name}"),
            json!({"metadata": {"name": name}, "data": keys}),
        );
    }
    let harness = context_with_memory(&fake, memory);
    acknowledge(&fake, &harness, &path).await;
    let first = writes(&pass(&fake, &harness, &path).await);
    let hpa = "/apis/autoscaling/v2/namespaces/vexfs/horizontalpodautoscalers/autoscaled";
    assert!(
        first
            .iter()
            .any(|w| w.starts_with(&format!("PATCH {hpa}?"))),
        "{first:?}"
    );
    let sts_path = "/apis/apps/v1/namespaces/vexfs/statefulsets/autoscaled";
    let mut sts = fake.get(sts_path).expect("applied");
    assert_eq!(
        sts["spec"].get("replicas"),
        None,
        "the autoscaler owns the count"
    );
    assert!(engine_toml(&fake, "autoscaled").contains("replicas = 2\n"));

    // The autoscaler scaled to 5: the configuration follows, the count is left alone.
    sts["spec"]["replicas"] = json!(5);
    fake.put(sts_path, sts);
    let scaled = writes(&pass(&fake, &harness, &path).await);
    let toml = engine_toml(&fake, "autoscaled");
    assert!(toml.contains("replicas = 5\n"), "{toml}");
    assert!(
        toml.contains("autoscaled-4.autoscaled-headless.vexfs.svc"),
        "{toml}"
    );
    // Re-applied for the new configuration, still without a count: a real API server keeps the
    // autoscaler's 5 (tests/e2e/tests/clustered.rs checks that); this fake replaces the object.
    assert_eq!(fake.get(sts_path).unwrap()["spec"].get("replicas"), None);
    assert!(
        scaled
            .iter()
            .all(|w| !w.contains("horizontalpodautoscalers")),
        "{scaled:?}"
    );
    let stored = fake.get(&path).unwrap();
    assert_eq!(stored["status"]["engine"]["replicas"], 5);

    // Without autoscaling the operator sets the count again and prunes the autoscaler.
    let mut cr = fake.get(&path).unwrap();
    cr["spec"]["engine"]["autoscaling"] = Value::Null;
    cr["spec"]["engine"]["replicas"] = json!(3);
    fake.put(&path, cr);
    let manual = writes(&pass(&fake, &harness, &path).await);
    assert!(
        manual
            .iter()
            .any(|w| w.starts_with(&format!("DELETE {hpa}"))),
        "{manual:?}"
    );
    assert_eq!(fake.get(sts_path).unwrap()["spec"]["replicas"], 3);
    assert!(engine_toml(&fake, "autoscaled").contains("replicas = 3\n"));
}
