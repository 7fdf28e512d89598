//! The PodDisruptionBudget protecting a multi-replica engine.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::spec::ValidatedSpec;
use crate::spec::names::{child_meta, selector_labels};

/// Allows at most one engine pod to be voluntarily evicted at a time.
pub fn pod_disruption_budget(spec: &ValidatedSpec) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: child_meta(spec, spec.name.clone(), "engine"),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(selector_labels(spec)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    }
}
