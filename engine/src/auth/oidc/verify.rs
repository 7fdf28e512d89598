//! Verification of one OIDC bearer token: header, key, signature, then every claim check, each
//! refusal with its own error. Pure: the key set and the time are arguments.

use super::OidcSection;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::collections::HashSet;
use thiserror::Error;

/// The signature algorithms accepted from an issuer.
const ALGORITHMS: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// Why an OIDC token was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OidcError {
    /// Not a JWT with a readable header and JSON claims.
    #[error("malformed token")]
    Malformed,
    /// The header names an algorithm other than RS256, ES256 and EdDSA.
    #[error("algorithm `{0}` is not accepted; only RS256, ES256 and EdDSA")]
    Algorithm(String),
    /// The header has no `kid`.
    #[error("token header has no key id (kid)")]
    NoKeyId,
    /// No key of the issuer's key set has this id (the key set may be stale).
    #[error("no issuer key has id `{0}`")]
    UnknownKeyId(String),
    /// The key with this id is for another algorithm or cannot be used.
    #[error("issuer key `{kid}` cannot verify {alg} tokens")]
    KeyMismatch {
        /// The key id.
        kid: String,
        /// The token's algorithm.
        alg: String,
    },
    /// The signature does not verify.
    #[error("bad signature")]
    Signature,
    /// `iss` is not the configured issuer.
    #[error("issuer `{0}` is not the configured issuer")]
    Issuer(String),
    /// `aud` does not name the configured audience.
    #[error("audience does not include `{0}`")]
    Audience(String),
    /// `exp` is missing.
    #[error("token has no expiry (exp)")]
    NoExpiry,
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not valid yet")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future")]
    IssuedInFuture,
    /// The token is valid for longer than `max_lifetime_seconds`.
    #[error("token lifetime {lifetime} s exceeds the maximum {max} s")]
    TooLong {
        /// Its lifetime in seconds.
        lifetime: i64,
        /// The configured maximum.
        max: i64,
    },
    /// `sub` is missing or empty.
    #[error("token has no subject (sub)")]
    NoSubject,
}

/// Who an accepted token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIdentity {
    /// `sub`.
    pub subject: String,
    /// Role names from the roles claim, after `role_map`.
    pub roles: Vec<String>,
    /// `exp`, seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Verifies `token` against `keys` for `section` at `now` (Unix seconds).
pub fn verify(
    token: &str,
    keys: &JwkSet,
    section: &OidcSection,
    now: i64,
) -> Result<OidcIdentity, OidcError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| OidcError::Malformed)?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(OidcError::Algorithm(format!("{:?}", header.alg)));
    }
    let kid = header.kid.ok_or(OidcError::NoKeyId)?;
    let jwk = keys
        .find(&kid)
        .ok_or_else(|| OidcError::UnknownKeyId(kid.clone()))?;
    let mismatch = || OidcError::KeyMismatch {
        kid: kid.clone(),
        alg: format!("{:?}", header.alg),
    };
    if let Some(key_alg) = jwk.common.key_algorithm
        && format!("{key_alg:?}") != format!("{:?}", header.alg)
    {
        return Err(mismatch());
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| mismatch())?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => OidcError::Signature,
            jsonwebtoken::errors::ErrorKind::InvalidEcdsaKey
            | jsonwebtoken::errors::ErrorKind::InvalidRsaKey(_)
            | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => mismatch(),
            _ => OidcError::Malformed,
        })?
        .claims;
    check_claims(&claims, section, now)
}

/// The claim checks, in the order a reader expects the refusals: who issued it, for whom, when.
fn check_claims(
    claims: &Value,
    section: &OidcSection,
    now: i64,
) -> Result<OidcIdentity, OidcError> {
    let iss = claims["iss"].as_str().unwrap_or_default();
    if iss != section.issuer {
        return Err(OidcError::Issuer(iss.to_string()));
    }
    let audience_ok = match &claims["aud"] {
        Value::String(aud) => *aud == section.audience,
        Value::Array(auds) => auds.iter().any(|a| a.as_str() == Some(&section.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(OidcError::Audience(section.audience.clone()));
    }
    let leeway = i64::try_from(section.leeway_seconds).unwrap_or(i64::MAX);
    let max = i64::try_from(section.max_lifetime_seconds).unwrap_or(i64::MAX);
    let exp = claims["exp"].as_i64().ok_or(OidcError::NoExpiry)?;
    if now > exp.saturating_add(leeway) {
        return Err(OidcError::Expired);
    }
    if let Some(nbf) = claims["nbf"].as_i64()
        && now.saturating_add(leeway) < nbf
    {
        return Err(OidcError::NotYetValid);
    }
    let iat = claims["iat"].as_i64();
    if let Some(iat) = iat
        && now.saturating_add(leeway) < iat
    {
        return Err(OidcError::IssuedInFuture);
    }
    let lifetime = exp.saturating_sub(iat.unwrap_or(now));
    if lifetime > max {
        return Err(OidcError::TooLong { lifetime, max });
    }
    let subject = claims["sub"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or(OidcError::NoSubject)?;
    Ok(OidcIdentity {
        subject: subject.to_string(),
        roles: roles(claims, section),
        expires_at: exp,
    })
}

/// The role names of the roles claim (string or array of strings, at a dotted path).
fn roles(claims: &Value, section: &OidcSection) -> Vec<String> {
    let claim = section
        .roles_claim
        .split('.')
        .try_fold(claims, |value, key| value.get(key));
    let values: Vec<&str> = match claim {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    values
        .into_iter()
        .map(|v| section.role_of(v).to_string())
        .collect()
}
