//! HS256 verification: signatures, algorithms, expiry and not-before with an injected clock.

use super::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef\n";
const NOW: i64 = 1_800_000_000;

fn verifier() -> JwtVerifier {
    JwtVerifier::new(SECRET, 30).unwrap()
}

fn claims(sub: &str, exp: i64, nbf: Option<i64>) -> Claims {
    Claims {
        sub: sub.into(),
        exp,
        nbf,
    }
}

fn forge(header: &str, payload: &str, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    )
}

#[test]
fn a_signed_token_verifies_and_yields_its_claims() {
    let v = verifier();
    let c = claims("alice", NOW + 60, Some(NOW - 60));
    assert_eq!(v.verify(&v.sign(&c), NOW), Ok(c));
}

#[test]
fn an_independently_signed_token_verifies() {
    // Produced with Python's hmac/hashlib: HS256 over `header.payload`, the secret below.
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJib2IiLCJleHAiOjE4MDAwMDAwMDB9.LRwmNVTp41zHstjaq0lwdSPflQsinrQ8IXhVHlTpmlM";
    let v = JwtVerifier::new(b"your-256-bit-secret-your-256-bit", 0).unwrap();
    assert_eq!(v.verify(TOKEN, NOW), Ok(claims("bob", NOW, None)));
    assert_eq!(v.verify(TOKEN, NOW + 1), Err(JwtError::Expired));
    // Tokens this side signs name the key: the first 16 hex digits of its SHA-256.
    let signed = v.sign(&claims("bob", NOW, None));
    let header = URL_SAFE_NO_PAD
        .decode(signed.split('.').next().unwrap())
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    assert_eq!(header["kid"], v.key_id());
    assert_eq!(v.key_id().len(), 16);
}

#[test]
fn expiry_and_not_before_respect_the_leeway() {
    let v = verifier();
    let expired = v.sign(&claims("alice", NOW - 31, None));
    assert_eq!(v.verify(&expired, NOW), Err(JwtError::Expired));
    let within_leeway = v.sign(&claims("alice", NOW - 30, None));
    assert!(v.verify(&within_leeway, NOW).is_ok());
    let early = v.sign(&claims("alice", NOW + 600, Some(NOW + 31)));
    assert_eq!(v.verify(&early, NOW), Err(JwtError::NotYetValid));
    assert!(v.verify(&early, NOW + 1).is_ok());
}

#[test]
fn a_token_signed_with_another_secret_is_refused() {
    let other = JwtVerifier::new(b"another-secret-another-secret-xx", 30).unwrap();
    let token = other.sign(&claims("alice", NOW + 60, None));
    assert_eq!(
        verifier().verify(&token, NOW),
        Err(JwtError::UnknownKeyId(other.key_id().to_string()))
    );
    // The same token with its kid claiming the verifier's key: the signature decides.
    let payload_and_sig = token.split_once('.').unwrap().1;
    let header = serde_json::json!({"alg": "HS256", "kid": verifier().key_id()}).to_string();
    let forged = format!("{}.{payload_and_sig}", URL_SAFE_NO_PAD.encode(header));
    assert_eq!(verifier().verify(&forged, NOW), Err(JwtError::Signature));
}

#[test]
fn tampered_claims_break_the_signature() {
    let v = verifier();
    let token = v.sign(&claims("viewer", NOW + 60, None));
    let parts: Vec<&str> = token.split('.').collect();
    let admin = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"admin","exp":{}}}"#, NOW + 60));
    let tampered = format!("{}.{admin}.{}", parts[0], parts[2]);
    assert_eq!(v.verify(&tampered, NOW), Err(JwtError::Signature));
}

#[test]
fn alg_none_and_other_algorithms_are_refused() {
    let v = verifier();
    let payload = format!(r#"{{"sub":"alice","exp":{}}}"#, NOW + 60);
    for alg in ["none", "None", "HS384", "RS256", "hs256"] {
        let token = forge(&format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#), &payload, "");
        assert_eq!(v.verify(&token, NOW), Err(JwtError::Algorithm(alg.into())));
    }
}

#[test]
fn malformed_tokens_are_refused() {
    let v = verifier();
    let good = v.sign(&claims("alice", NOW + 60, None));
    let no_exp = {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"alice"}"#)
        );
        let sig = URL_SAFE_NO_PAD.encode(v.mac(&input).finalize().into_bytes());
        format!("{input}.{sig}")
    };
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        "!!!.e30.e30",
        &format!("{good}.extra"),
        &good.replace('.', ".."),
        &no_exp,
    ] {
        assert_eq!(v.verify(bad, NOW), Err(JwtError::Malformed), "{bad}");
    }
}

#[test]
fn short_secrets_are_refused() {
    assert_eq!(
        JwtVerifier::new(b"short-secret\n", 0).unwrap_err(),
        JwtError::WeakSecret(12)
    );
    assert!(!format!("{:?}", verifier()).contains("0123456789"));
}

#[test]
fn a_minted_token_names_the_subject_and_expires_after_its_lifetime() {
    let minter = JwtVerifier::new(SECRET, 0).unwrap();
    let token = minter.mint("vexfs-operator-backup", NOW, 300);
    let strict = JwtVerifier::new(SECRET, 0).unwrap();
    assert_eq!(
        strict.verify(&token, NOW + 300),
        Ok(claims("vexfs-operator-backup", NOW + 300, None))
    );
    assert_eq!(strict.verify(&token, NOW + 301), Err(JwtError::Expired));
    let other = JwtVerifier::new(b"another-secret-another-secret-xx", 0).unwrap();
    assert_eq!(
        other.verify(&token, NOW),
        Err(JwtError::UnknownKeyId(minter.key_id().to_string()))
    );
}
