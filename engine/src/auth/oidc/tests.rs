//! Every acceptance and refusal of [`verify`], with keys made by rcgen and a fixed clock.

use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ED25519, PKCS_RSA_SHA256};
use serde_json::{Value, json};

const NOW: i64 = 1_800_000_000;
const ISSUER: &str = "https://idp.example/";

/// A signing key and its public JWK.
struct Key {
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads one DER INTEGER (or SEQUENCE header when `seq`) at `at`; returns its content and end.
fn der_item(der: &[u8], at: usize) -> (&[u8], usize) {
    let mut len = usize::from(der[at + 1]);
    let mut start = at + 2;
    if len & 0x80 != 0 {
        let n = len & 0x7f;
        len = der[start..start + n]
            .iter()
            .fold(0, |acc, b| (acc << 8) | usize::from(*b));
        start += n;
    }
    (&der[start..start + len], start + len)
}

fn key(alg: Algorithm, kid: &str) -> Key {
    let (pair, jwk) = match alg {
        Algorithm::ES256 => {
            let pair = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
            let raw = pair.public_key_raw().to_vec();
            let jwk =
                json!({"kty": "EC", "crv": "P-256", "x": b64(&raw[1..33]), "y": b64(&raw[33..])});
            (pair, jwk)
        }
        Algorithm::EdDSA => {
            let pair = KeyPair::generate_for(&PKCS_ED25519).unwrap();
            let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key_raw())});
            (pair, jwk)
        }
        _ => {
            let pair = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
            let raw = pair.public_key_raw().to_vec();
            let (seq, _) = der_item(&raw, 0);
            let (n, next) = der_item(seq, 0);
            let (e, _) = der_item(seq, next);
            let n = n.strip_prefix(&[0]).unwrap_or(n);
            (pair, json!({"kty": "RSA", "n": b64(n), "e": b64(e)}))
        }
    };
    let der = pair.serialize_der();
    let encoding = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_der(&der),
        Algorithm::EdDSA => EncodingKey::from_ed_der(&der),
        _ => EncodingKey::from_rsa_der(&rsa_pkcs1(&der)),
    };
    let mut jwk = jwk;
    jwk["kid"] = json!(kid);
    jwk["use"] = json!("sig");
    jwk["alg"] = json!(format!("{alg:?}"));
    Key { alg, encoding, jwk }
}

/// The PKCS#1 RSAPrivateKey inside a PKCS#8 document (the OCTET STRING after the algorithm).
fn rsa_pkcs1(pkcs8: &[u8]) -> Vec<u8> {
    let (info, _) = der_item(pkcs8, 0);
    let (_, after_version) = der_item(info, 0);
    let (_, after_algorithm) = der_item(info, after_version);
    der_item(info, after_algorithm).0.to_vec()
}

fn keys(list: &[&Key]) -> JwkSet {
    serde_json::from_value(json!({"keys": list.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()}))
        .unwrap()
}

fn section() -> OidcSection {
    OidcSection {
        issuer: ISSUER.into(),
        audience: "vexfs".into(),
        role_map: [("ops-team".to_string(), "operator".to_string())].into(),
        leeway_seconds: 30,
        max_lifetime_seconds: 3600,
        ..OidcSection::default()
    }
}

fn claims() -> Value {
    json!({"iss": ISSUER, "aud": ["other", "vexfs"], "sub": "alice", "iat": NOW - 60,
           "nbf": NOW - 60, "exp": NOW + 600, "groups": ["ops-team", "viewer"]})
}

fn sign(key: &Key, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(key.alg);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

#[test]
fn rs256_es256_and_eddsa_tokens_are_accepted_with_mapped_roles() {
    let all = [
        key(Algorithm::RS256, "r"),
        key(Algorithm::ES256, "e"),
        key(Algorithm::EdDSA, "d"),
    ];
    let set = keys(&all.iter().collect::<Vec<_>>());
    for (k, kid) in all.iter().zip(["r", "e", "d"]) {
        let id = verify(&sign(k, Some(kid), &claims()), &set, &section(), NOW).unwrap();
        assert_eq!(id.subject, "alice");
        assert_eq!(id.roles, ["operator", "viewer"]);
        assert_eq!(id.expires_at, NOW + 600);
    }
}

#[test]
fn roles_come_from_a_string_or_a_dotted_path() {
    let k = key(Algorithm::ES256, "e");
    let set = keys(&[&k]);
    let mut c = claims();
    c["realm_access"] = json!({"roles": "admin"});
    let s = OidcSection {
        roles_claim: "realm_access.roles".into(),
        ..section()
    };
    let id = verify(&sign(&k, Some("e"), &c), &set, &s, NOW).unwrap();
    assert_eq!(id.roles, ["admin"]);
    c.as_object_mut().unwrap().remove("groups");
    let id = verify(&sign(&k, Some("e"), &c), &set, &section(), NOW).unwrap();
    assert!(id.roles.is_empty());
}

#[test]
fn header_and_key_refusals() {
    let k = key(Algorithm::ES256, "e");
    let d = key(Algorithm::EdDSA, "d");
    let set = keys(&[&k, &d]);
    let s = section();
    assert_eq!(verify("a.b", &set, &s, NOW), Err(OidcError::Malformed));
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(&[7; 32]),
    )
    .unwrap();
    assert_eq!(
        verify(&hs, &set, &s, NOW),
        Err(OidcError::Algorithm("HS256".into()))
    );
    assert_eq!(
        verify(&sign(&k, None, &claims()), &set, &s, NOW),
        Err(OidcError::NoKeyId)
    );
    assert_eq!(
        verify(&sign(&k, Some("new"), &claims()), &set, &s, NOW),
        Err(OidcError::UnknownKeyId("new".into()))
    );
    assert_eq!(
        verify(&sign(&k, Some("d"), &claims()), &set, &s, NOW),
        Err(OidcError::KeyMismatch {
            kid: "d".into(),
            alg: "ES256".into()
        })
    );
    let impostor = key(Algorithm::ES256, "e");
    assert_eq!(
        verify(&sign(&impostor, Some("e"), &claims()), &set, &s, NOW),
        Err(OidcError::Signature)
    );
}

#[test]
fn claim_refusals() {
    let k = key(Algorithm::EdDSA, "d");
    let set = keys(&[&k]);
    let s = section();
    let refused = |edit: &dyn Fn(&mut Value), now: i64| {
        let mut c = claims();
        edit(&mut c);
        verify(&sign(&k, Some("d"), &c), &set, &s, now).unwrap_err()
    };
    assert_eq!(
        refused(&|c| c["iss"] = json!("https://evil.example/"), NOW),
        OidcError::Issuer("https://evil.example/".into())
    );
    assert_eq!(
        refused(&|c| c["aud"] = json!("other"), NOW),
        OidcError::Audience("vexfs".into())
    );
    assert_eq!(
        refused(&|c| drop(c.as_object_mut().unwrap().remove("exp")), NOW),
        OidcError::NoExpiry
    );
    assert_eq!(refused(&|_| {}, NOW + 631), OidcError::Expired);
    assert_eq!(
        refused(&|c| c["nbf"] = json!(NOW + 31), NOW),
        OidcError::NotYetValid
    );
    assert_eq!(
        refused(&|c| c["iat"] = json!(NOW + 31), NOW),
        OidcError::IssuedInFuture
    );
    assert_eq!(
        refused(&|c| c["exp"] = json!(NOW - 60 + 3601), NOW),
        OidcError::TooLong {
            lifetime: 3601,
            max: 3600
        }
    );
    assert_eq!(
        refused(
            &|c| {
                c.as_object_mut().unwrap().remove("iat");
                c["exp"] = json!(NOW + 3601);
            },
            NOW
        ),
        OidcError::TooLong {
            lifetime: 3601,
            max: 3600
        }
    );
    assert_eq!(
        refused(&|c| c["sub"] = json!(""), NOW),
        OidcError::NoSubject
    );
}

#[test]
fn leeway_is_applied_at_its_edges() {
    let k = key(Algorithm::ES256, "e");
    let set = keys(&[&k]);
    let token = sign(&k, Some("e"), &claims());
    assert!(verify(&token, &set, &section(), NOW + 630).is_ok());
    assert_eq!(
        verify(&token, &set, &section(), NOW + 631),
        Err(OidcError::Expired)
    );
    let mut c = claims();
    c["nbf"] = json!(NOW + 30);
    assert!(verify(&sign(&k, Some("e"), &c), &set, &section(), NOW).is_ok());
}

#[test]
fn the_section_is_checked() {
    assert!(section().check().is_ok());
    let bad = |s: OidcSection| s.check().unwrap_err();
    assert!(bad(OidcSection::default()).contains("auth.oidc.issuer"));
    assert!(
        bad(OidcSection {
            audience: " ".into(),
            ..section()
        })
        .contains("auth.oidc.audience")
    );
    assert!(
        bad(OidcSection {
            leeway_seconds: 301,
            ..section()
        })
        .contains("at most 300")
    );
}
