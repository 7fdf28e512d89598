//! The reconcile driver against an in-memory API: exact requests on the first pass, no writes when
//! nothing changed, a status-only write when the engine becomes ready, and a single Event on a stall.

mod support;

use serde_json::json;
use support::fake_api::FakeApi;
use support::reconcile::{CR_PATH, acknowledge, condition, context, pass, setup, writes};

#[tokio::test]
async fn first_pass_applies_children_and_second_pass_writes_nothing() {
    let (fake, ctx, path) = setup("minimal.yaml");
    acknowledge(&fake, &ctx, &path).await;
    let calls = pass(&fake, &ctx, &path).await;
    let apply = "?&force=true&fieldManager=vexfs-operator";
    let ns = "namespaces/vexfs";
    // Every read comes from the caches: discovery asked the API server once, in the
    // acknowledging pass.
    let expected = vec![
        // The generated backup and admin tokens, created once before the engine that mounts them.
        format!("POST /api/v1/{ns}/secrets?"),
        format!("POST /api/v1/{ns}/secrets?"),
        format!("PATCH /api/v1/{ns}/serviceaccounts/minimal{apply}"),
        format!("PATCH /api/v1/{ns}/configmaps/minimal-config{apply}"),
        format!("PATCH /api/v1/{ns}/services/minimal-headless{apply}"),
        format!("PATCH /api/v1/{ns}/services/minimal{apply}"),
        format!("PATCH /apis/apps/v1/{ns}/statefulsets/minimal{apply}"),
        format!("PATCH /apis/networking.k8s.io/v1/{ns}/networkpolicies/minimal{apply}"),
        format!("PATCH {CR_PATH}minimal/status{apply}"),
    ];
    let got: Vec<String> = calls
        .iter()
        .map(|c| format!("{} {}", c.method, c.uri))
        .collect();
    pretty_assertions::assert_eq!(expected, got);
    assert_eq!(condition(&fake, &path, "Ready").0, "False");
    assert_eq!(condition(&fake, &path, "Reconciling").0, "True");

    let second = pass(&fake, &ctx, &path).await;
    assert_eq!(second, Vec::new(), "nothing changed: no request at all");
}

#[tokio::test]
async fn a_new_generation_is_acknowledged_with_one_status_write_before_its_children() {
    let (fake, ctx, path) = setup("minimal.yaml");
    let mut cr = fake.get(&path).expect("stored");
    cr["metadata"]["generation"] = json!(1);
    fake.put(&path, cr);
    let apply = "?&force=true&fieldManager=vexfs-operator";
    let first = pass(&fake, &ctx, &path).await;
    pretty_assertions::assert_eq!(
        writes(&first),
        vec![format!("PATCH {CR_PATH}minimal/status{apply}")],
        "the first pass only acknowledges generation 1"
    );
    let stored = fake.get(&path).expect("stored");
    assert_eq!(stored["status"]["observedGeneration"], json!(1));
    assert_eq!(condition(&fake, &path, "Reconciling").0, "True");
    assert_eq!(
        condition(&fake, &path, "Ready").1,
        "EngineMissing",
        "no child exists yet"
    );
    let second = pass(&fake, &ctx, &path).await;
    assert_eq!(
        writes(&second).len(),
        9,
        "two token Secrets, six children and the status: {second:?}"
    );
    assert_eq!(pass(&fake, &ctx, &path).await, Vec::new());
    // A spec change is acknowledged the same way before the ConfigMap and StatefulSet change.
    let mut cr = fake.get(&path).expect("stored");
    cr["metadata"]["generation"] = json!(2);
    cr["spec"]["analytics"] = json!({"slidingWindowSize": 2000});
    fake.put(&path, cr);
    let acknowledged = pass(&fake, &ctx, &path).await;
    assert_eq!(writes(&acknowledged).len(), 1, "{acknowledged:?}");
    assert_eq!(
        condition(&fake, &path, "Ready").1,
        "EngineProgressing",
        "the engine exists but runs the previous generation"
    );
    let applied = pass(&fake, &ctx, &path).await;
    let changed: Vec<String> = writes(&applied);
    assert!(
        changed
            .iter()
            .any(|w| w.contains("configmaps/minimal-config")),
        "{changed:?}"
    );
}

fn admin_token(fake: &FakeApi) -> String {
    let secret = fake
        .get("/api/v1/namespaces/vexfs/secrets/minimal-admin-token")
        .expect("the admin token Secret exists");
    secret["stringData"]["token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

#[tokio::test]
async fn the_admin_token_is_generated_once_and_again_only_after_deletion() {
    let (fake, ctx, path) = setup("minimal.yaml");
    acknowledge(&fake, &ctx, &path).await;
    pass(&fake, &ctx, &path).await;
    let first = admin_token(&fake);
    assert_eq!(first.len(), 64, "32 random bytes, hex: {first}");
    assert!(first.chars().all(|c| c.is_ascii_hexdigit()), "{first}");
    let status = fake.get(&path).expect("resource");
    assert_eq!(
        status["status"]["auth"]["adminTokenSecret"],
        json!("minimal-admin-token")
    );
    pass(&fake, &ctx, &path).await;
    assert_eq!(admin_token(&fake), first, "a reconcile never rotates it");
    fake.take_calls();
    let secret_path = "/api/v1/namespaces/vexfs/secrets/minimal-admin-token";
    let deleted = fake.get(secret_path).expect("secret");
    fake.remove(secret_path);
    let calls = writes(&pass(&fake, &ctx, &path).await);
    assert_eq!(
        calls,
        ["POST /api/v1/namespaces/vexfs/secrets?"],
        "{calls:?}"
    );
    let second = admin_token(&fake);
    assert_ne!(
        second, first,
        "a deleted Secret is regenerated with a new token"
    );
    assert_eq!(
        fake.get(secret_path).expect("secret")["metadata"]["ownerReferences"],
        deleted["metadata"]["ownerReferences"]
    );
}

#[tokio::test]
async fn a_steady_reconcile_of_a_ready_resource_with_day_two_makes_no_request_at_all() {
    let (fake, ctx, path) = setup("minimal.yaml");
    let mut cr = fake.get(&path).expect("stored");
    cr["spec"]["recovery"] = json!({"enabled": true});
    fake.put(&path, cr);
    acknowledge(&fake, &ctx, &path).await;
    pass(&fake, &ctx, &path).await;
    let sts_path = "/apis/apps/v1/namespaces/vexfs/statefulsets/minimal";
    let mut sts = fake.get(sts_path).expect("applied");
    sts["status"] =
        json!({"observedGeneration": 1, "readyReplicas": 1, "updatedReplicas": 1, "replicas": 1});
    fake.put(sts_path, sts);
    fake.put(
        "/api/v1/namespaces/vexfs/pods/minimal-0",
        json!({"metadata": {"name": "minimal-0", "labels": {
            "app.kubernetes.io/name": "vexfs-engine", "app.kubernetes.io/instance": "minimal",
            "app.kubernetes.io/component": "engine"}},
          "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "engine", "ready": true, "restartCount": 0,
              "image": "engine", "imageID": "", "state": {"running": {}}}]}}),
    );
    let ready = pass(&fake, &ctx, &path).await;
    assert_eq!(
        writes(&ready).len(),
        1,
        "the status records Ready: {ready:?}"
    );
    assert_eq!(condition(&fake, &path, "Ready").0, "True");
    for _ in 0..3 {
        let steady = pass(&fake, &ctx, &path).await;
        assert_eq!(
            steady,
            Vec::new(),
            "a steady reconcile asks the API nothing"
        );
    }
}

#[tokio::test]
async fn engine_becoming_ready_writes_status_once_and_keeps_other_transition_times() {
    let (fake, ctx, path) = setup("minimal.yaml");
    acknowledge(&fake, &ctx, &path).await;
    pass(&fake, &ctx, &path).await;
    let stalled_before = condition(&fake, &path, "Stalled");
    let sts_path = "/apis/apps/v1/namespaces/vexfs/statefulsets/minimal";
    let mut sts = fake.get(sts_path).expect("applied");
    sts["status"] =
        json!({"observedGeneration": 1, "readyReplicas": 1, "updatedReplicas": 1, "replicas": 1});
    fake.put(sts_path, sts);

    let third = pass(&fake, &ctx, &path).await;
    assert_eq!(
        writes(&third),
        vec![format!(
            "PATCH {CR_PATH}minimal/status?&force=true&fieldManager=vexfs-operator"
        )]
    );
    assert_eq!(condition(&fake, &path, "Ready").0, "True");
    assert_eq!(condition(&fake, &path, "Ready").1, "Available");
    assert_eq!(
        condition(&fake, &path, "Stalled"),
        stalled_before,
        "Stalled did not transition"
    );
    let status = fake.get(&path).expect("stored")["status"].clone();
    assert_eq!(status["engine"]["summary"], "1/1");
    assert_eq!(status["observedGeneration"], 1);

    let fourth = pass(&fake, &ctx, &path).await;
    assert!(writes(&fourth).is_empty());
}

#[tokio::test]
async fn missing_secret_stalls_with_one_event_and_no_children() {
    let (fake, ctx, path) = setup("full.yaml");
    acknowledge(&fake, &ctx, &path).await;
    let first = pass(&fake, &ctx, &path).await;
    let first_writes = writes(&first);
    assert_eq!(
        first_writes.len(),
        2,
        "one Event and one status patch: {first_writes:?}"
    );
    assert!(first_writes[0].starts_with("POST /apis/events.k8s.io/v1/namespaces/vexfs/events"));
    assert!(first_writes[1].contains("/status"));
    let (status, reason, _) = condition(&fake, &path, "Stalled");
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "SecretNotFound")
    );
    assert_eq!(condition(&fake, &path, "Ready").1, "SecretNotFound");

    let second = pass(&fake, &ctx, &path).await;
    assert!(
        writes(&second).is_empty(),
        "no repeated Event, no status rewrite"
    );
}

#[tokio::test]
async fn suspend_freezes_children_but_status_stays_current() {
    let (fake, ctx, path) = setup("minimal.yaml");
    let mut cr = fake.get(&path).expect("stored");
    cr["spec"]["suspend"] = json!(true);
    fake.put(&path, cr);
    let calls = pass(&fake, &ctx, &path).await;
    let w = writes(&calls);
    assert_eq!(w.len(), 1, "only the status: {w:?}");
    assert_eq!(condition(&fake, &path, "Reconciling").1, "Suspended");
}

#[tokio::test]
async fn invalid_spec_stalls_without_touching_children() {
    let (fake, ctx, path) = setup("invalid-schedule.yaml");
    let calls = pass(&fake, &ctx, &path).await;
    assert!(
        calls.iter().all(|c| !c.uri.contains("statefulsets")),
        "no child writes, and reads come from the caches"
    );
    let (status, reason, _) = condition(&fake, &path, "Stalled");
    assert_eq!((status.as_str(), reason.as_str()), ("True", "InvalidSpec"));
}

#[tokio::test]
async fn the_network_policy_follows_the_spec_and_is_deleted_when_disabled() {
    let (fake, ctx, path) = setup("minimal.yaml");
    acknowledge(&fake, &ctx, &path).await;
    pass(&fake, &ctx, &path).await;
    let policy = "/apis/networking.k8s.io/v1/namespaces/vexfs/networkpolicies/minimal";
    assert!(fake.get(policy).is_some(), "created by default");
    let peer = json!({"namespaceSelector": {"kubernetes.io/metadata.name": "monitoring"}});
    let mut cr = fake.get(&path).expect("stored");
    cr["spec"]["networkPolicy"] = json!({"metricsFrom": [peer]});
    fake.put(&path, cr.clone());
    let changed = writes(&pass(&fake, &ctx, &path).await);
    assert!(
        changed
            .iter()
            .any(|w| w.starts_with(&format!("PATCH {policy}"))),
        "re-applied with the new peer: {changed:?}"
    );
    let rules = fake.get(policy).expect("kept")["spec"]["ingress"].clone();
    assert_eq!(
        rules[1]["from"][0]["namespaceSelector"]["matchLabels"],
        peer["namespaceSelector"]
    );
    let steady = writes(&pass(&fake, &ctx, &path).await);
    assert!(
        !steady.iter().any(|w| w.contains("networkpolicies")),
        "{steady:?}"
    );

    cr["spec"]["networkPolicy"] = json!({"enabled": false});
    fake.put(&path, cr);
    let disabled = writes(&pass(&fake, &ctx, &path).await);
    assert!(
        disabled.contains(&format!("DELETE {policy}?")),
        "deleted when disabled: {disabled:?}"
    );
    assert!(fake.get(policy).is_none());
}

#[tokio::test]
async fn enabled_monitoring_without_the_api_stalls_once_secrets_exist() {
    let (fake, ctx, path) = setup("full.yaml");
    let secrets = "/api/v1/namespaces/vexfs/secrets";
    let secret = |keys: &[&str]| {
        let data: serde_json::Map<String, serde_json::Value> = keys
            .iter()
            .map(|k| ((*k).to_owned(), json!("eA==")))
            .collect();
        json!({"apiVersion": "v1", "kind": "Secret", "data": data})
    };
    fake.put(
        &format!("{secrets}/vexfs-alerts"),
        secret(&["webhook-url", "slack-url"]),
    );
    fake.put(&format!("{secrets}/vexfs-smtp"), secret(&["password"]));
    fake.put(&format!("{secrets}/vexfs-auth"), secret(&["jwt-secret"]));
    fake.put(
        &format!("{secrets}/vexfs-tls"),
        secret(&["tls.crt", "tls.key", "ca.crt"]),
    );
    acknowledge(&fake, &ctx, &path).await;
    let calls = pass(&fake, &ctx, &path).await;
    let (status, reason, _) = condition(&fake, &path, "Stalled");
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "MonitoringApiMissing")
    );
    assert!(
        writes(&calls).iter().all(|w| !w.contains("statefulsets")),
        "children untouched while stalled"
    );
}

#[tokio::test]
async fn the_operator_issues_a_serving_certificate_once_and_renews_it_when_due() {
    let (fake, ctx, path) = setup("tls.yaml");
    acknowledge(&fake, &ctx, &path).await;
    let first = writes(&pass(&fake, &ctx, &path).await);
    let secrets = "/api/v1/namespaces/vexfs/secrets";
    let serving_path = format!("{secrets}/secure-tls");
    assert!(
        first
            .iter()
            .any(|w| w.starts_with(&format!("PATCH {serving_path}?"))),
        "{first:?}"
    );
    let ca_path = format!("{secrets}/secure-tls-ca");
    let ca = fake.get(&ca_path).expect("the CA Secret");
    let serving = fake.get(&serving_path).expect("the serving Secret");
    assert_eq!(serving["type"], "kubernetes.io/tls");
    assert_eq!(serving["stringData"]["ca.crt"], ca["stringData"]["ca.crt"]);
    let renew_after = serving["metadata"]["annotations"]["vexfs.io/renew-after"]
        .as_str()
        .expect("renewal time");
    assert!(
        renew_after > chrono::Utc::now().to_rfc3339().as_str(),
        "{renew_after}"
    );
    assert_eq!(
        writes(&pass(&fake, &ctx, &path).await),
        Vec::<String>::new()
    );

    // As the API server does, keep the CA's values under `data` (base64).
    let mut stored = ca.clone();
    let data: serde_json::Map<String, serde_json::Value> = ca["stringData"]
        .as_object()
        .expect("string data")
        .iter()
        .map(|(k, v)| {
            let text = v.as_str().unwrap_or_default();
            (
                k.clone(),
                serde_json::to_value(k8s_openapi::ByteString(text.into())).unwrap(),
            )
        })
        .collect();
    stored["data"] = serde_json::Value::Object(data);
    stored.as_object_mut().unwrap().remove("stringData");
    fake.put(&ca_path, stored);
    let mut due = serving.clone();
    due["metadata"]["annotations"]["vexfs.io/renew-after"] = json!("2020-01-01T00:00:00+00:00");
    fake.put(&serving_path, due);
    let renewal = pass(&fake, &ctx, &path).await;
    let calls: Vec<String> = renewal
        .iter()
        .map(|c| format!("{} {}", c.method, c.uri))
        .collect();
    assert!(calls.contains(&format!("GET {ca_path}")), "{calls:?}");
    let renewed = fake.get(&serving_path).expect("renewed");
    assert_ne!(
        renewed["stringData"]["tls.crt"],
        serving["stringData"]["tls.crt"]
    );
    assert_eq!(
        renewed["stringData"]["ca.crt"], ca["stringData"]["ca.crt"],
        "same CA"
    );
}

#[tokio::test]
async fn an_issuer_ref_needs_cert_manager_and_then_gets_a_certificate() {
    let fake = FakeApi::default();
    let mut cr = support::load_sample("tls.yaml");
    cr.spec.tls = Some(vexfs_operator::crd::TlsSpec {
        secret_name: None,
        issuer_ref: Some(vexfs_operator::crd::IssuerRef {
            name: "corp-ca".to_owned(),
            kind: Some("ClusterIssuer".to_owned()),
            group: None,
        }),
    });
    let path = format!("{CR_PATH}secure");
    fake.put(&path, serde_json::to_value(&cr).expect("json"));
    let ctx = context(&fake);
    acknowledge(&fake, &ctx, &path).await;
    pass(&fake, &ctx, &path).await;
    let (status, reason, _) = condition(&fake, &path, "Stalled");
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "CertManagerApiMissing")
    );
    let stored = fake.get(&path).expect("resource");
    let stalled = stored["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Stalled"))
        .cloned()
        .unwrap_or_default();
    assert!(
        stalled["message"]
            .as_str()
            .is_some_and(|m| m.contains("cert-manager.io/v1")),
        "{stalled}"
    );

    // With the API served (a fresh operator: discovery answers are cached), the Certificate
    // is applied and the engine serves the Secret cert-manager writes.
    fake.put(
        "/apis/cert-manager.io/v1",
        json!({"kind": "APIResourceList", "groupVersion": "cert-manager.io/v1", "resources": []}),
    );
    let ctx = context(&fake);
    let calls = writes(&pass(&fake, &ctx, &path).await);
    let certificate = "/apis/cert-manager.io/v1/namespaces/vexfs/certificates/secure";
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with(&format!("PATCH {certificate}?"))),
        "{calls:?}"
    );
    let applied = fake.get(certificate).expect("the Certificate");
    assert_eq!(applied["spec"]["secretName"], "secure-tls");
    assert_eq!(applied["spec"]["issuerRef"]["kind"], "ClusterIssuer");
    assert!(
        fake.get("/api/v1/namespaces/vexfs/secrets/secure-tls-ca")
            .is_none(),
        "no operator CA with cert-manager"
    );
    assert_eq!(condition(&fake, &path, "Stalled").0, "False");
}
