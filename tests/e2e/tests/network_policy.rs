//! The engine's NetworkPolicy on a real API server: created by default admitting the operator and
//! the backup Jobs on the engine port, following peers added to the spec, and deleted when
//! disabled. kwok does not enforce NetworkPolicies (there is no network plugin), so this proves the
//! object the operator writes and that the API server accepts it, not the packet filtering.

use std::time::Duration;

use serde_json::{Value, json};
use vexfs_e2e::{Error, Result, Scenario, Stack, ensure, object, wait};

const READY: Duration = Duration::from_secs(120);

fn policy(stack: &Stack) -> Result<Option<Value>> {
    Ok(stack.children_of("networkpolicies")?.into_iter().next())
}

/// The peers of every ingress rule, and the ports each rule opens.
fn rules(policy: &Value) -> Vec<(Vec<Value>, Value)> {
    policy
        .pointer("/spec/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|rule| {
            let from = rule["from"].as_array().cloned().unwrap_or_default();
            (from, rule["ports"].clone())
        })
        .collect()
}

#[test]
fn the_network_policy_admits_the_named_peers_and_follows_the_spec() -> Result<()> {
    let s = Scenario::new("netpol")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    let created = policy(&stack)?.ok_or_else(|| {
        Error::Expectation("no NetworkPolicy for a resource with the default spec".into())
    })?;
    ensure(
        created.pointer("/spec/podSelector/matchLabels/app.kubernetes.io~1component")
            == Some(&json!("engine")),
        || format!("the policy does not select the engine pods: {created:#}"),
    )?;
    let default_rules = rules(&created);
    ensure(default_rules.len() == 1, || {
        format!("one rule by default: {default_rules:?}")
    })?;
    let (from, ports) = &default_rules[0];
    ensure(*ports == json!([{"port": 8080, "protocol": "TCP"}]), || {
        format!("engine port only: {ports}")
    })?;
    let operator_pods = json!({"app.kubernetes.io/name": "vexfs-operator"});
    let backup_pods = json!({
        "app.kubernetes.io/component": "backup",
        "app.kubernetes.io/managed-by": "vexfs-operator",
        "vexfs.io/semantic": stack.name(),
    });
    for wanted in [&operator_pods, &backup_pods] {
        ensure(
            from.iter()
                .any(|peer| peer.pointer("/podSelector/matchLabels") == Some(wanted)),
            || format!("no peer selects {wanted}: {from:?}"),
        )?;
    }

    let monitoring = json!({"kubernetes.io/metadata.name": "monitoring"});
    stack.patch_spec(json!({"networkPolicy": {
        "ingestFrom": [{"ipBlock": {"cidr": "10.20.0.0/16", "except": ["10.20.5.0/24"]}}],
        "queryFrom": [{"podSelector": {"app": "grafana"}}],
        "metricsFrom": [{"namespaceSelector": monitoring}],
    }}))?;
    wait::until("the policy follows the new peers", READY, || {
        let live = policy(&stack).map_err(|e| e.to_string())?;
        let rules = live.as_ref().map(rules).unwrap_or_default();
        let metrics = rules
            .get(1)
            .and_then(|(from, _)| from.first())
            .and_then(|peer| peer.pointer("/namespaceSelector/matchLabels"));
        let clients = rules.first().map(|(from, _)| from.len());
        if metrics == Some(&monitoring) && clients == Some(4) {
            Ok(())
        } else {
            Err(format!("rules {rules:?}"))
        }
    })?;
    stack.wait_ready(READY)?;

    stack.patch_spec(json!({"networkPolicy": {"enabled": false}}))?;
    wait::until("the policy deleted", READY, || {
        match policy(&stack).map_err(|e| e.to_string())? {
            None => Ok(()),
            Some(live) => Err(format!("still there: {live}")),
        }
    })?;
    stack.wait_ready(READY)?;
    Ok(())
}

#[test]
fn an_invalid_peer_range_stalls_with_the_field_named() -> Result<()> {
    let s = Scenario::new("netpol-invalid")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    stack.patch_spec(json!({"networkPolicy": {
        "ingestFrom": [{"ipBlock": {"cidr": "10.20.0.0/33"}}],
    }}))?;
    wait::until("Stalled with InvalidSpec", READY, || {
        let current = stack.get().map_err(|e| e.to_string())?;
        let stalled = object::condition(&current, "Stalled");
        match stalled {
            Some(c)
                if c.status == "True"
                    && c.reason == "InvalidSpec"
                    && c.message
                        .contains("spec.networkPolicy.ingestFrom[0].ipBlock.cidr") =>
            {
                Ok(())
            }
            other => Err(format!("Stalled is {other:?}")),
        }
    })?;
    ensure(policy(&stack)?.is_some(), || {
        "the last good policy stays while the spec is invalid".into()
    })
}
