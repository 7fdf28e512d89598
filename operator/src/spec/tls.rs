//! HTTPS for the engine (`spec.tls`): which Secret the engine serves from, the DNS names its
//! certificate must carry, and when the operator's own serving certificate is due for renewal.
//!
//! With `spec.tls.secretName` the user's `kubernetes.io/tls` Secret is served as is. With
//! `spec.tls.issuerRef` a cert-manager `Certificate` child writes `<name>-tls`. With
//! `spec.tls: {}` the operator keeps a CA in `<name>-tls-ca` (created once) and a serving
//! certificate in `<name>-tls`, re-issued once two thirds of its life have passed (see
//! `controller::tls`).

use chrono::{DateTime, Duration, Utc};

use crate::crd::{IssuerRef, TlsSpec};

/// Key of the serving certificate chain in a `kubernetes.io/tls` Secret.
pub const CERT_KEY: &str = "tls.crt";
/// Key of the serving key.
pub const KEY_KEY: &str = "tls.key";
/// Key of the CA certificate clients trust.
pub const CA_KEY: &str = "ca.crt";
/// Key of the CA's private key in the operator's CA Secret.
pub const CA_PRIVATE_KEY: &str = "ca.key";
/// Annotation on the operator's serving Secret: when it is due for renewal (RFC 3339).
pub const RENEW_AFTER_ANNOTATION: &str = "vexfs.io/renew-after";
/// Life of the operator's serving certificates.
pub const SERVING_LIFETIME_DAYS: i64 = 90;
/// Life of the operator's CA.
pub const CA_LIFETIME_DAYS: i64 = 3650;

/// Who writes the engine's `kubernetes.io/tls` Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSource {
    /// The operator, from its own CA for the resource.
    Operator,
    /// The user (`spec.tls.secretName`).
    Secret,
    /// cert-manager, from a `Certificate` child naming this issuer.
    CertManager(IssuerRef),
}

/// Where the engine's certificate comes from, resolved from `spec.tls`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsPlan {
    /// The `kubernetes.io/tls` Secret the engine serves from (`tls.crt`, `tls.key`, `ca.crt`).
    pub secret: String,
    /// Who writes that Secret.
    pub source: TlsSource,
}

impl TlsPlan {
    /// The plan of resource `name` for `spec.tls` (`None`: plain HTTP).
    pub fn resolve(name: &str, tls: Option<&TlsSpec>) -> Option<Self> {
        let tls = tls?;
        Some(match (&tls.secret_name, &tls.issuer_ref) {
            (Some(secret), _) => Self {
                secret: secret.clone(),
                source: TlsSource::Secret,
            },
            (None, Some(issuer)) => Self {
                secret: serving_secret_name(name),
                source: TlsSource::CertManager(issuer.clone()),
            },
            (None, None) => Self {
                secret: serving_secret_name(name),
                source: TlsSource::Operator,
            },
        })
    }

    /// The operator issues the Secret from its own CA.
    pub fn operator_issued(&self) -> bool {
        self.source == TlsSource::Operator
    }

    /// The cert-manager issuer, when cert-manager writes the Secret.
    pub fn issuer(&self) -> Option<&IssuerRef> {
        match &self.source {
            TlsSource::CertManager(issuer) => Some(issuer),
            TlsSource::Operator | TlsSource::Secret => None,
        }
    }
}

/// `<name>-tls`: the operator's serving certificate.
pub fn serving_secret_name(name: &str) -> String {
    format!("{name}-tls")
}

/// `<name>-tls-ca`: the operator's CA of one resource.
pub fn ca_secret_name(name: &str) -> String {
    format!("{name}-tls-ca")
}

/// The DNS names clients use for the engine of `name` in `namespace`: the client Service, and
/// every pod of the headless Service, short and fully qualified.
pub fn dns_names(name: &str, namespace: &str, headless: &str) -> Vec<String> {
    let mut names = Vec::new();
    for service in [name, headless] {
        names.push(service.to_owned());
        names.push(format!("{service}.{namespace}"));
        names.push(format!("{service}.{namespace}.svc"));
        names.push(format!("{service}.{namespace}.svc.cluster.local"));
    }
    names.push(format!("*.{headless}.{namespace}.svc"));
    names.push(format!("*.{headless}.{namespace}.svc.cluster.local"));
    names
}

/// When a certificate valid from `not_before` to `not_after` is due for renewal: after two thirds
/// of its life, leaving a third for retries and for the engine's reload.
pub fn renew_at(not_before: DateTime<Utc>, not_after: DateTime<Utc>) -> DateTime<Utc> {
    let life = (not_after - not_before).max(Duration::zero());
    not_before + life * 2 / 3
}

/// Whether a serving Secret annotated with `renew_after` (RFC 3339, as written by the operator)
/// must be re-issued at `now`. A missing or unreadable annotation counts as due.
pub fn renewal_due(renew_after: Option<&str>, now: DateTime<Utc>) -> bool {
    renew_after
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .is_none_or(|at| now >= at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn without_spec_tls_the_engine_serves_plain_http() {
        assert_eq!(TlsPlan::resolve("vx", None), None);
        let managed = TlsPlan::resolve("vx", Some(&TlsSpec::default())).unwrap();
        assert_eq!(managed.secret, "vx-tls");
        assert!(managed.operator_issued());
        let own = TlsSpec {
            secret_name: Some("mine".into()),
            issuer_ref: None,
        };
        let user = TlsPlan::resolve("vx", Some(&own)).unwrap();
        assert_eq!(
            (user.secret.as_str(), &user.source),
            ("mine", &TlsSource::Secret)
        );
        let issuer = IssuerRef {
            name: "ca".into(),
            kind: Some("ClusterIssuer".into()),
            group: None,
        };
        let with_issuer = TlsSpec {
            secret_name: None,
            issuer_ref: Some(issuer.clone()),
        };
        let cert_manager = TlsPlan::resolve("vx", Some(&with_issuer)).unwrap();
        assert_eq!(cert_manager.secret, "vx-tls");
        assert_eq!(cert_manager.issuer(), Some(&issuer));
        assert!(!cert_manager.operator_issued());
    }

    #[test]
    fn renewal_is_due_after_two_thirds_of_the_life() {
        let (start, end) = (at(1, 0), at(4, 0)); // 72 hours
        assert_eq!(renew_at(start, end), at(3, 0));
        assert_eq!(
            renew_at(end, start),
            end,
            "an inverted range renews at once"
        );
        let renew = renew_at(start, end).to_rfc3339();
        assert!(!renewal_due(Some(&renew), at(2, 23)));
        assert!(renewal_due(Some(&renew), at(3, 0)));
        assert!(renewal_due(Some(&renew), at(3, 1)));
        assert!(renewal_due(None, at(1, 0)), "no annotation: issue one");
        assert!(renewal_due(Some("next tuesday"), at(1, 0)));
    }

    #[test]
    fn dns_names_cover_both_services_and_every_pod() {
        let names = dns_names("vx", "ns", "vx-headless");
        for wanted in [
            "vx",
            "vx.ns",
            "vx.ns.svc",
            "vx.ns.svc.cluster.local",
            "vx-headless.ns.svc",
            "*.vx-headless.ns.svc",
            "*.vx-headless.ns.svc.cluster.local",
        ] {
            assert!(names.iter().any(|n| n == wanted), "{wanted} in {names:?}");
        }
    }
}
