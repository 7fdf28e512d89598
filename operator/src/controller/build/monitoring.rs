//! ServiceMonitor and PrometheusRule (`monitoring.coreos.com/v1`) as dynamic objects.

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::json;

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

/// Scrapes the client Service's `/metrics` every 30 seconds.
pub fn service_monitor(spec: &ValidatedSpec) -> DynamicObject {
    let data = json!({"spec": {
        "selector": {"matchLabels": {
            "app.kubernetes.io/name": crate::spec::names::APP_NAME,
            "app.kubernetes.io/instance": spec.name,
            "app.kubernetes.io/component": "api",
        }},
        "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
    }});
    dynamic(spec, "ServiceMonitor", data)
}

/// Bytes in a Kubernetes quantity such as `1Gi`, `512Mi`, `1.5G` or `1000` (`None` when unparsable).
pub fn quantity_bytes(quantity: &str) -> Option<f64> {
    const SUFFIXES: [(&str, f64); 12] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let (number, factor) = SUFFIXES
        .iter()
        .find_map(|(suffix, factor)| quantity.strip_suffix(suffix).map(|n| (n, *factor)))
        .unwrap_or((quantity, 1.0));
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| n * factor)
}

fn alert(
    name: &str,
    expr: String,
    for_: &str,
    severity: &str,
    summary: &str,
    description: &str,
) -> serde_json::Value {
    json!({
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    })
}

/// The product's three alerts (high processing latency, high memory, component down) on the engine's
/// real metrics, scoped to this instance. The memory alert needs a memory limit and is left out without one.
pub fn prometheus_rule(spec: &ValidatedSpec) -> DynamicObject {
    let scope = format!(r#"namespace="{}",service="{}""#, spec.namespace, spec.name);
    let target_seconds = spec.analytics.processing_latency_target_ns as f64 / 1e9;
    let mut rules = vec![alert(
        "HighEventProcessingLatency",
        format!(
            "histogram_quantile(0.99, sum by (le) (rate(vexfs_stage_duration_seconds_bucket{{{scope}}}[5m]))) > {target_seconds}"
        ),
        "1m",
        "warning",
        "High event processing latency detected",
        "Analytics engine p99 stage latency is {{ $value }}s",
    )];
    let limit = spec
        .engine
        .resources
        .as_ref()
        .and_then(|r| r.limits.as_ref()?.get("memory"));
    let limit_bytes = limit.map_or(Some(super::statefulset::DEFAULT_MEMORY_LIMIT_BYTES), |q| {
        quantity_bytes(&q.0)
    });
    if let Some(limit_bytes) = limit_bytes {
        rules.push(alert(
            "HighMemoryUsage",
            format!(r#"100 * vexfs_process{{{scope},counter="rss_bytes"}} / {limit_bytes} > 80"#),
            "5m",
            "warning",
            "High memory usage detected",
            "Memory usage is {{ $value }}% of the limit",
        ));
    }
    rules.push(alert(
        "ComponentDown",
        format!("up{{{scope}}} == 0"),
        "1m",
        "critical",
        "VexFS component is down",
        "{{ $labels.job }} has been down for more than 1 minute",
    ));
    let data = json!({"spec": {"groups": [{"name": "vexfs-semantic-alerts", "rules": rules}]}});
    dynamic(spec, "PrometheusRule", data)
}

#[cfg(test)]
mod tests {
    use super::quantity_bytes;

    #[test]
    fn quantities_convert_to_bytes() {
        assert_eq!(quantity_bytes("1Gi"), Some(1_073_741_824.0));
        assert_eq!(quantity_bytes("1.5G"), Some(1.5e9));
        assert_eq!(quantity_bytes("512"), Some(512.0));
        assert_eq!(quantity_bytes("lots"), None);
        assert_eq!(quantity_bytes("-1Mi"), None);
    }
}
