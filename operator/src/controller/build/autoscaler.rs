//! The HorizontalPodAutoscaler of a clustered engine (`spec.engine.autoscaling`): it scales the
//! StatefulSet on CPU use, and the operator leaves the StatefulSet's replica count to it.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};

use crate::spec::ValidatedSpec;
use crate::spec::names::child_meta;

/// The autoscaler of the engine StatefulSet; `None` without `spec.engine.autoscaling`, outside
/// clustered mode, or while `spec.stopped` holds the engine at zero.
pub fn autoscaler(spec: &ValidatedSpec) -> Option<HorizontalPodAutoscaler> {
    let scaling = spec.engine.autoscaling.as_ref()?;
    if spec.stopped || spec.cluster.is_none() {
        return None;
    }
    Some(HorizontalPodAutoscaler {
        metadata: child_meta(spec, spec.name.clone(), "engine"),
        spec: HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_owned()),
                kind: "StatefulSet".to_owned(),
                name: spec.name.clone(),
            },
            min_replicas: Some(scaling.min_replicas),
            max_replicas: scaling.max_replicas,
            metrics: Some(vec![MetricSpec {
                type_: "Resource".to_owned(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".to_owned(),
                    target: MetricTarget {
                        type_: "Utilization".to_owned(),
                        average_utilization: Some(scaling.target_cpu_utilization_percentage),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            behavior: None,
        },
        ..HorizontalPodAutoscaler::default()
    })
}

/// Whether an autoscaler owns the StatefulSet's replica count (the operator then omits it).
pub fn autoscaled(spec: &ValidatedSpec) -> bool {
    autoscaler(spec).is_some()
}
