//! ServiceMonitor and PrometheusRule (`monitoring.coreos.com/v1`) as dynamic objects.

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::json;

use super::child_meta;
use crate::controller::validate::ValidatedSpec;

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
            "app.kubernetes.io/name": super::APP_NAME,
            "app.kubernetes.io/instance": spec.name,
            "app.kubernetes.io/component": "api",
        }},
        "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
    }});
    dynamic(spec, "ServiceMonitor", data)
}

/// The product's three alerts (high processing latency, high memory, component down), scoped to this instance.
pub fn prometheus_rule(spec: &ValidatedSpec) -> DynamicObject {
    let scope = format!(r#"namespace="{}",service="{}""#, spec.namespace, spec.name);
    let latency_ms = spec.analytics.processing_latency_target_ns as f64 / 1_000_000.0;
    let data = json!({"spec": {"groups": [{
        "name": "vexfs-semantic-alerts",
        "rules": [
            {
                "alert": "HighEventProcessingLatency",
                "expr": format!("vexfs_analytics_processing_latency_ms{{{scope}}} > {latency_ms}"),
                "for": "1m",
                "labels": {"severity": "warning"},
                "annotations": {
                    "summary": "High event processing latency detected",
                    "description": "Analytics engine processing latency is {{ $value }}ms",
                },
            },
            {
                "alert": "HighMemoryUsage",
                "expr": format!("vexfs_memory_usage_percent{{{scope}}} > 80"),
                "for": "5m",
                "labels": {"severity": "warning"},
                "annotations": {
                    "summary": "High memory usage detected",
                    "description": "Memory usage is {{ $value }}%",
                },
            },
            {
                "alert": "ComponentDown",
                "expr": format!("up{{{scope}}} == 0"),
                "for": "1m",
                "labels": {"severity": "critical"},
                "annotations": {
                    "summary": "VexFS component is down",
                    "description": "{{ $labels.job }} has been down for more than 1 minute",
                },
            },
        ],
    }]}});
    dynamic(spec, "PrometheusRule", data)
}
