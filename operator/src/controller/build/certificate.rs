//! The cert-manager `Certificate` (`cert-manager.io/v1`) of `spec.tls.issuerRef`, as a dynamic
//! object: cert-manager writes the serving Secret `<name>-tls` from it, with the DNS names of
//! the client and headless Services, and renews it before it expires.

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::json;

use super::headless_service_name;
use crate::spec::ValidatedSpec;
use crate::spec::names::child_meta;
use crate::spec::tls::dns_names;

/// API group of cert-manager.
pub const CERT_MANAGER_GROUP: &str = "cert-manager.io";
/// API version of cert-manager's `Certificate`.
pub const CERT_MANAGER_API_VERSION: &str = "cert-manager.io/v1";

/// API resource of `Certificate`.
pub fn certificate_resource() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(
        CERT_MANAGER_GROUP,
        "v1",
        "Certificate",
    ))
}

/// The `Certificate` when `spec.tls.issuerRef` is set.
pub fn certificate(spec: &ValidatedSpec) -> Option<DynamicObject> {
    let tls = spec.tls.as_ref()?;
    let issuer = tls.issuer()?;
    let mut issuer_ref = json!({
        "name": issuer.name,
        "kind": issuer.kind.as_deref().unwrap_or("Issuer"),
    });
    if let Some(group) = &issuer.group {
        issuer_ref["group"] = json!(group);
    }
    let names = dns_names(&spec.name, &spec.namespace, &headless_service_name(spec));
    let data = json!({"spec": {
        "secretName": tls.secret,
        "commonName": format!("{}.{}.svc", spec.name, spec.namespace),
        "dnsNames": names,
        "issuerRef": issuer_ref,
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": ["server auth", "digital signature"],
    }});
    let mut object = DynamicObject::new(&spec.name, &certificate_resource()).data(data);
    object.metadata = child_meta(spec, spec.name.clone(), "tls");
    Some(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{IssuerRef, TlsSpec};
    use crate::spec::tls::TlsPlan;

    fn spec(tls: Option<TlsSpec>) -> ValidatedSpec {
        let mut cr = crate::crd::VexfsSemantic::new("vx", crate::crd::VexfsSemanticSpec::default());
        cr.metadata.namespace = Some("ns".into());
        cr.metadata.uid = Some("uid".into());
        let mut spec =
            crate::spec::validate(&cr, &crate::spec::images::Images::default()).expect("valid");
        spec.tls = TlsPlan::resolve("vx", tls.as_ref());
        spec
    }

    #[test]
    fn only_an_issuer_ref_makes_a_certificate() {
        assert!(certificate(&spec(None)).is_none());
        assert!(certificate(&spec(Some(TlsSpec::default()))).is_none());
        let issuer = TlsSpec {
            secret_name: None,
            issuer_ref: Some(IssuerRef {
                name: "corp-ca".into(),
                kind: None,
                group: None,
            }),
        };
        let cert = certificate(&spec(Some(issuer))).expect("a Certificate");
        let data = &cert.data["spec"];
        assert_eq!(data["secretName"], "vx-tls");
        assert_eq!(
            data["issuerRef"],
            json!({"name": "corp-ca", "kind": "Issuer"})
        );
        let names = data["dnsNames"].as_array().expect("names");
        assert!(names.contains(&json!("vx.ns.svc")));
        assert!(names.contains(&json!("*.vx-headless.ns.svc")));
        assert_eq!(cert.metadata.owner_references.map(|o| o.len()), Some(1));
    }
}
