//! The engine's client Service and the StatefulSet's headless Service.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::ENGINE_PORT;
use crate::spec::ValidatedSpec;
use crate::spec::names::{child_meta, selector_labels};

/// Name of the headless Service.
pub fn headless_service_name(spec: &ValidatedSpec) -> String {
    format!("{}-headless", spec.name)
}

fn http_port() -> ServicePort {
    ServicePort {
        name: Some("http".to_owned()),
        port: ENGINE_PORT,
        target_port: Some(IntOrString::String("http".to_owned())),
        protocol: Some("TCP".to_owned()),
        ..ServicePort::default()
    }
}

/// ClusterIP Service named after the resource: `http://NAME.NAMESPACE.svc:8080`.
pub fn client_service(spec: &ValidatedSpec) -> Service {
    Service {
        metadata: child_meta(spec, spec.name.clone(), "api"),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(selector_labels(spec)),
            ports: Some(vec![http_port()]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// Headless Service giving each engine pod a stable DNS name.
pub fn headless_service(spec: &ValidatedSpec) -> Service {
    Service {
        metadata: child_meta(spec, headless_service_name(spec), "peers"),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_owned()),
            publish_not_ready_addresses: Some(true),
            selector: Some(selector_labels(spec)),
            ports: Some(vec![http_port()]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}
