//! ServiceMonitor and PrometheusRule (`monitoring.coreos.com/v1`) as dynamic objects.

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::json;
use thiserror::Error;

use crate::spec::ValidatedSpec;
use crate::spec::names::child_meta;

/// API group of the Prometheus Operator.
pub const MONITORING_GROUP: &str = "monitoring.coreos.com";
/// API version of the Prometheus Operator objects.
pub const MONITORING_API_VERSION: &str = "monitoring.coreos.com/v1";

/// API resource of a Prometheus Operator kind (`ServiceMonitor`, `PrometheusRule`).
pub fn monitoring_resource(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(MONITORING_GROUP, "v1", kind))
}

fn dynamic(spec: &ValidatedSpec, kind: &str, data: serde_json::Value) -> DynamicObject {
    let mut object = DynamicObject::new(&spec.name, &monitoring_resource(kind)).data(data);
    object.metadata = child_meta(spec, spec.name.clone(), "monitoring");
    object
}

/// Scrapes the client Service's `/metrics` every 30 seconds; over HTTPS with `spec.tls`, trusting
/// the `ca.crt` of the TLS Secret and checking the client Service's name.
pub fn service_monitor(spec: &ValidatedSpec) -> DynamicObject {
    let mut endpoint = json!({"port": "http", "path": "/metrics", "interval": "30s"});
    if let Some(tls) = &spec.tls {
        endpoint["scheme"] = json!("https");
        endpoint["tlsConfig"] = json!({
            "ca": {"secret": {"name": tls.secret, "key": crate::spec::tls::CA_KEY}},
            "serverName": format!("{}.{}.svc", spec.name, spec.namespace),
        });
    }
    let data = json!({"spec": {
        "selector": {"matchLabels": {
            "app.kubernetes.io/name": crate::spec::names::APP_NAME,
            "app.kubernetes.io/instance": spec.name,
            "app.kubernetes.io/component": "api",
        }},
        "endpoints": [endpoint],
    }});
    dynamic(spec, "ServiceMonitor", data)
}

/// The alert rules file, the single source of the alerts (`monitoring/rules/vexfs.rules.yaml`).
pub const RULES_FILE: &str = include_str!("../../../../monitoring/rules/vexfs.rules.yaml");
/// The group of [`RULES_FILE`] whose alerts concern one engine; the operator's and backups'
/// groups are the operator's own and ship once, with the chart.
pub const ENGINE_GROUP: &str = "vexfs-engine";

/// The embedded rules file cannot be used.
#[derive(Debug, Error)]
pub enum RulesError {
    /// It is not a rule file.
    #[error("monitoring/rules/vexfs.rules.yaml does not parse: {0}")]
    Parse(#[from] serde_yaml::Error),
    /// It lacks the engine group.
    #[error("monitoring/rules/vexfs.rules.yaml has no group {ENGINE_GROUP:?} with rules")]
    NoEngineGroup,
    /// A rule has no string `expr`.
    #[error("rule {0} of group {ENGINE_GROUP:?} has no expr")]
    NoExpr(usize),
}

/// The rules of [`ENGINE_GROUP`] in [`RULES_FILE`], as written there.
pub fn engine_rules() -> Result<Vec<serde_json::Value>, RulesError> {
    let file: serde_json::Value = serde_yaml::from_str(RULES_FILE)?;
    file["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|group| group["name"] == ENGINE_GROUP)
        .and_then(|group| group["rules"].as_array().cloned())
        .ok_or(RulesError::NoEngineGroup)
}

/// `expr` limited to the series of one engine: the client Service `service` in `namespace`
/// (every engine alert keeps those target labels).
pub fn scoped(expr: &str, namespace: &str, service: &str) -> String {
    format!(
        "({})\nand on (namespace, service) up{{namespace=\"{namespace}\",service=\"{service}\"}}",
        expr.trim()
    )
}

/// The engine alerts of [`RULES_FILE`] (latency against the target, memory against the cgroup
/// limit, target down, not ready, anomaly bursts, failing alert deliveries), each limited to
/// this resource's engine, so one object per `VexfsSemantic` never duplicates another's.
pub fn prometheus_rule(spec: &ValidatedSpec) -> Result<DynamicObject, RulesError> {
    let mut rules = engine_rules()?;
    for (index, rule) in rules.iter_mut().enumerate() {
        let expr = rule["expr"].as_str().ok_or(RulesError::NoExpr(index))?;
        rule["expr"] = json!(scoped(expr, &spec.namespace, &spec.name));
    }
    let data = json!({"spec": {"groups": [{"name": ENGINE_GROUP, "rules": rules}]}});
    Ok(dynamic(spec, "PrometheusRule", data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_group_of_the_rules_file_is_embedded_whole() {
        let file: serde_json::Value = serde_yaml::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../monitoring/rules/vexfs.rules.yaml"
            ))
            .expect("rules file"),
        )
        .expect("parses");
        let group = file["groups"]
            .as_array()
            .and_then(|groups| groups.iter().find(|g| g["name"] == ENGINE_GROUP))
            .expect("engine group");
        assert_eq!(
            Some(&engine_rules().expect("embedded rules")),
            group["rules"].as_array(),
            "the operator's alerts differ from monitoring/rules/vexfs.rules.yaml"
        );
        let names: Vec<&str> = group["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["alert"].as_str())
            .collect();
        for brief in [
            "VexfsHighEventProcessingLatency",
            "VexfsHighMemoryUsage",
            "VexfsTargetDown",
        ] {
            assert!(names.contains(&brief), "{brief} missing from {names:?}");
        }
    }

    #[test]
    fn scoping_keeps_the_expression_and_limits_it_to_one_service() {
        assert_eq!(
            scoped("vexfs_ready == 0\n", "analytics", "vx"),
            "(vexfs_ready == 0)\nand on (namespace, service) up{namespace=\"analytics\",service=\"vx\"}"
        );
    }
}
