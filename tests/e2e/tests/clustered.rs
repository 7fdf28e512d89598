//! Clustered mode on a real API server: the CRD admits several replicas only with
//! `spec.cluster.nats`, the operator renders `[cluster]` and the NATS Secrets into the engine's
//! configuration, and `spec.engine.autoscaling` gets a HorizontalPodAutoscaler whose scale the
//! configuration follows, without the operator resetting the StatefulSet's replica count.
//! (kwok's pods run no engine, so `status.cluster` is covered by
//! `operator/tests/reconcile_cluster.rs` against `/metrics` servers on loopback.) Backups and
//! restores in clustered mode are in `clustered_backup.rs`.

use std::time::Duration;

use serde_json::{Value, json};
use vexfs_e2e::{Result, Scenario, Stack, ensure, samples, wait};

const READY: Duration = Duration::from_secs(120);

/// `engine.toml` of `stack`, once its ConfigMap exists.
fn engine_toml(stack: &Stack) -> Result<String> {
    let maps = stack.children_of("configmaps")?;
    Ok(maps
        .iter()
        .find_map(|m| m.pointer("/data/engine.toml").and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned())
}

fn statefulset(stack: &Stack) -> Result<Value> {
    Ok(stack
        .children_of("statefulsets")?
        .into_iter()
        .next()
        .unwrap_or_default())
}

fn wait_for<T>(what: &str, probe: impl Fn() -> std::result::Result<T, String>) -> Result<T> {
    Ok(wait::until(what, READY, probe)?)
}

#[test]
fn several_replicas_need_nats_and_render_the_cluster_section() -> Result<()> {
    let s = Scenario::new("clustered")?;
    let _operator = s.start_operator("0")?;
    s.create_secret("nats-creds", &["engine.creds"])?;
    let stack = Stack::apply_sample(&s.cluster, s.ns(), "clustered.yaml")?;
    let ns = s.ns().to_owned();
    let toml = wait_for("engine.toml with [cluster] for 3 replicas", || {
        let toml = engine_toml(&stack).map_err(|e| e.to_string())?;
        let peer = format!("\"http://clustered-2.clustered-headless.{ns}.svc:8080\"");
        if toml.contains("[cluster]") && toml.contains("replicas = 3") && toml.contains(&peer) {
            return Ok(toml);
        }
        Err(format!("engine.toml:\n{toml}"))
    })?;
    ensure(
        toml.contains("mode = \"nats\"")
            && toml.contains("credentials_file = \"/etc/vexfs/nats/creds/nats.creds\""),
        || format!("NATS settings in:\n{toml}"),
    )?;
    let sts = statefulset(&stack)?;
    ensure(sts.pointer("/spec/replicas") == Some(&json!(3)), || {
        format!("StatefulSet replicas: {}", sts["spec"]["replicas"])
    })?;
    let projected = sts
        .pointer("/spec/template/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.pointer("/projected/sources").and_then(Value::as_array))
        .flatten()
        .find(|source| source.pointer("/secret/name") == Some(&json!("nats-creds")))
        .cloned()
        .unwrap_or_default();
    ensure(
        projected.pointer("/secret/items/0/mode") == Some(&json!(0o400)),
        || format!("the credentials are projected read-only by their owner: {projected}"),
    )?;

    // Back to standalone with three replicas is refused by the API server.
    let sample = s
        .cluster
        .repo_path("config/samples/invalid-engine-replicas.yaml");
    let expected = std::fs::read_to_string(&sample)
        .ok()
        .and_then(|text| samples::expected_message(&text))
        .ok_or_else(|| format!("{} has no `# expect:` line", sample.display()))
        .map_err(vexfs_e2e::Error::Expectation)?;
    let patch = json!([{"op": "remove", "path": "/spec/cluster"}]).to_string();
    let out = s.cluster.kubectl().try_run(
        &[
            "patch",
            &stack.target(),
            "-n",
            s.ns(),
            "--type=json",
            "-p",
            &patch,
        ],
        None,
    )?;
    ensure(!out.success && out.stderr.contains(&expected), || {
        format!(
            "removing spec.cluster: expected {expected:?}, got:\n{}",
            out.stderr
        )
    })
}

#[test]
fn an_autoscaled_engine_follows_the_statefulsets_scale() -> Result<()> {
    let s = Scenario::new("autoscaled")?;
    let _operator = s.start_operator("0")?;
    s.create_secret("nats-ca", &["ca.crt"])?;
    s.create_secret("nats-client", &["tls.crt", "tls.key"])?;
    let stack = Stack::apply_sample(&s.cluster, s.ns(), "autoscaled.yaml")?;
    let hpa = wait_for("the HorizontalPodAutoscaler", || {
        let list = stack
            .children_of("horizontalpodautoscalers")
            .map_err(|e| e.to_string())?;
        list.into_iter()
            .next()
            .ok_or_else(|| "no HorizontalPodAutoscaler yet".to_owned())
    })?;
    ensure(
        hpa.pointer("/spec/minReplicas") == Some(&json!(2))
            && hpa.pointer("/spec/maxReplicas") == Some(&json!(8))
            && hpa.pointer("/spec/scaleTargetRef/kind") == Some(&json!("StatefulSet")),
        || format!("HorizontalPodAutoscaler spec: {}", hpa["spec"]),
    )?;
    wait_for("engine.toml with TLS to NATS and https peers", || {
        let toml = engine_toml(&stack).map_err(|e| e.to_string())?;
        let wanted = [
            "ca_file = \"/etc/vexfs/nats/ca/ca.pem\"",
            "cert_file = \"/etc/vexfs/nats/client/tls.crt\"",
            "\"https://autoscaled-0.autoscaled-headless.",
        ];
        if wanted.iter().all(|w| toml.contains(w)) {
            return Ok(());
        }
        Err(format!("engine.toml:\n{toml}"))
    })?;

    // Scaled as the autoscaler would: the configuration follows, the count stays.
    s.cluster.kubectl().run(&[
        "scale",
        "statefulset/autoscaled",
        "-n",
        s.ns(),
        "--replicas=5",
    ])?;
    wait_for("engine.toml for 5 replicas", || {
        let toml = engine_toml(&stack).map_err(|e| e.to_string())?;
        if toml.contains("replicas = 5") && toml.contains("autoscaled-4.autoscaled-headless") {
            return Ok(());
        }
        Err(format!("engine.toml:\n{toml}"))
    })?;
    let sts = statefulset(&stack)?;
    ensure(sts.pointer("/spec/replicas") == Some(&json!(5)), || {
        format!("the operator reset the scale: {}", sts["spec"]["replicas"])
    })?;

    // Without autoscaling the operator owns the count again and prunes the autoscaler.
    stack.patch_spec(json!({"engine": {"autoscaling": null, "replicas": 3}}))?;
    wait_for("the HorizontalPodAutoscaler pruned, 3 replicas", || {
        let left = stack
            .children_of("horizontalpodautoscalers")
            .map_err(|e| e.to_string())?;
        let sts = statefulset(&stack).map_err(|e| e.to_string())?;
        if left.is_empty() && sts.pointer("/spec/replicas") == Some(&json!(3)) {
            return Ok(());
        }
        Err(format!(
            "{} autoscalers, StatefulSet replicas {}",
            left.len(),
            sts["spec"]["replicas"]
        ))
    })
}
