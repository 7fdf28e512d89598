//! Issuing the operator's certificates with rcgen: one CA per resource and serving certificates
//! it signs. Keys are ECDSA P-256, fresh for every certificate. The CA's subject is derived from
//! the resource's namespace and name only, so the CA can sign again from its stored key alone
//! (rcgen is built without a certificate parser).

use chrono::{DateTime, Datelike, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

use crate::spec::tls::{CA_LIFETIME_DAYS, SERVING_LIFETIME_DAYS};

/// A certificate and its key, PEM, with its validity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// The certificate.
    pub cert_pem: String,
    /// Its PKCS#8 private key.
    pub key_pem: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
}

/// Midnight UTC of `now`'s day (certificates start there, which also tolerates clients whose
/// clocks run a little behind), and that plus `days`.
fn validity(now: DateTime<Utc>, days: i64) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(now, |midnight| midnight.and_utc());
    (start, start + Duration::days(days))
}

/// Sets `params`' validity to the days of `not_before` and `not_after` (both midnights).
fn set_validity(
    params: &mut CertificateParams,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) {
    let day = |at: DateTime<Utc>| {
        let month = u8::try_from(at.month()).unwrap_or(1);
        let day = u8::try_from(at.day()).unwrap_or(1);
        rcgen::date_time_ymd(at.year(), month, day)
    };
    params.not_before = day(not_before);
    params.not_after = day(not_after);
}

/// The CA's parameters: the same for one resource whenever they are built.
fn ca_params(namespace: &str, name: &str) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "vexfs-operator");
    dn.push(DnType::CommonName, format!("vexfs {namespace}/{name} CA"));
    params.distinguished_name = dn;
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

/// A new CA for the resource `name` in `namespace`, valid from today for ten years.
pub fn issue_ca(namespace: &str, name: &str, now: DateTime<Utc>) -> Result<Issued, rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut params = ca_params(namespace, name)?;
    let (not_before, not_after) = validity(now, CA_LIFETIME_DAYS);
    set_validity(&mut params, not_before, not_after);
    let cert = params.self_signed(&key)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        not_before,
        not_after,
    })
}

/// A serving certificate for `dns_names`, signed by the CA of `name` in `namespace` whose key is
/// `ca_key_pem`, valid from today for [`SERVING_LIFETIME_DAYS`].
pub fn issue_serving(
    namespace: &str,
    name: &str,
    ca_key_pem: &str,
    dns_names: Vec<String>,
    now: DateTime<Utc>,
) -> Result<Issued, rcgen::Error> {
    let issuer = Issuer::new(ca_params(namespace, name)?, KeyPair::from_pem(ca_key_pem)?);
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(dns_names)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{name}.{namespace}.svc"));
    params.distinguished_name = dn;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let (not_before, not_after) = validity(now, SERVING_LIFETIME_DAYS);
    set_validity(&mut params, not_before, not_after);
    let cert = params.signed_by(&key, &issuer)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        not_before,
        not_after,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    use super::*;
    use crate::spec::tls::dns_names;

    fn verify(ca: &Issued, leaf: &Issued, host: &str, at: DateTime<Utc>) -> Result<(), String> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(ca.cert_pem.as_bytes()).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
        let end = CertificateDer::from_pem_slice(leaf.cert_pem.as_bytes()).unwrap();
        let seconds = u64::try_from(at.timestamp()).unwrap();
        let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds));
        let host = ServerName::try_from(host.to_owned()).unwrap();
        verifier
            .verify_server_cert(&end, &[], &host, &[], now)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn serving_certificates_chain_to_the_ca_for_the_services_names_only() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 1, 30, 0).unwrap();
        let ca = issue_ca("ns", "vx", now).unwrap();
        let names = dns_names("vx", "ns", "vx-headless");
        let leaf = issue_serving("ns", "vx", &ca.key_pem, names, now).unwrap();
        assert_eq!(
            leaf.not_before,
            Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap()
        );
        assert_eq!(leaf.not_after - leaf.not_before, Duration::days(90));
        for host in [
            "vx.ns.svc",
            "vx.ns.svc.cluster.local",
            "vx-0.vx-headless.ns.svc",
        ] {
            assert_eq!(verify(&ca, &leaf, host, now), Ok(()), "{host}");
        }
        assert!(verify(&ca, &leaf, "other.ns.svc", now).is_err());
        let expired = leaf.not_after + Duration::days(1);
        assert!(verify(&ca, &leaf, "vx.ns.svc", expired).is_err());
    }

    #[test]
    fn a_renewal_signed_from_the_stored_key_chains_to_the_same_ca() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 1, 30, 0).unwrap();
        let ca = issue_ca("ns", "vx", now).unwrap();
        let later = now + Duration::days(61);
        let names = dns_names("vx", "ns", "vx-headless");
        let renewed = issue_serving("ns", "vx", &ca.key_pem, names, later).unwrap();
        assert_eq!(verify(&ca, &renewed, "vx.ns.svc", later), Ok(()));
        let other_ca = issue_ca("ns", "vx", now).unwrap();
        assert!(
            verify(&other_ca, &renewed, "vx.ns.svc", later).is_err(),
            "another key, another CA"
        );
    }
}
