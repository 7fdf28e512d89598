//! JSON Web Tokens signed with HMAC-SHA256 (HS256 only; `none` and every other algorithm are
//! refused). Claims: `sub` (required), `exp` (required), `nbf` (optional); time is injected.
//! Each key has a key id derived from it (`kid` in the header of the tokens it signs), so two
//! keys can be in force while the signing key is rotated ([`JwtKeys`]).

mod keys;

pub use keys::JwtKeys;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thiserror::Error;

type HmacSha256 = Hmac<Sha256>;

/// Shortest accepted signing secret (256 bits, as RFC 7518 requires for HS256).
pub const MIN_SECRET_BYTES: usize = 32;

/// Why a JWT was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwtError {
    /// The signing secret is too short.
    #[error("JWT secret must be at least {MIN_SECRET_BYTES} bytes, got {0}")]
    WeakSecret(usize),
    /// Not three base64url parts with JSON header and claims.
    #[error("malformed token")]
    Malformed,
    /// The header names another algorithm (including `none`).
    #[error("algorithm `{0}` is not accepted; only HS256")]
    Algorithm(String),
    /// The signature does not match.
    #[error("bad signature")]
    Signature,
    /// The header's `kid` names none of the keys in force.
    #[error("no signing key has id `{0}`")]
    UnknownKeyId(String),
    /// `exp` is in the past.
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("token not valid yet")]
    NotYetValid,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// The claims the engine reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The subject (matched against `[[auth.subjects]] name`).
    pub sub: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Not before, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

/// Verifies (and, for clients and tests, issues) HS256 tokens with one secret.
#[derive(Clone)]
pub struct JwtVerifier {
    secret: Vec<u8>,
    kid: String,
    leeway: i64,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("kid", &self.kid)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier for `secret` (trailing whitespace, such as a file's final newline, is
    /// dropped) accepting `leeway_seconds` of clock difference.
    pub fn new(secret: &[u8], leeway_seconds: u64) -> Result<JwtVerifier, JwtError> {
        let end = secret
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        if end < MIN_SECRET_BYTES {
            return Err(JwtError::WeakSecret(end));
        }
        let secret = &secret[..end];
        Ok(JwtVerifier {
            kid: key_id(secret),
            secret: secret.to_vec(),
            leeway: i64::try_from(leeway_seconds).unwrap_or(i64::MAX),
        })
    }

    fn mac(&self, signing_input: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(signing_input.as_bytes());
        mac
    }

    /// Checks algorithm, signature, `exp` and `nbf` at `now` (Unix seconds); returns the claims.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, JwtError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let header: Header = decode_json(header)?;
        if header.alg != "HS256" {
            return Err(JwtError::Algorithm(header.alg));
        }
        if let Some(kid) = header.kid
            && kid != self.kid
        {
            return Err(JwtError::UnknownKeyId(kid));
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| JwtError::Malformed)?;
        let signing_input = &token[..header_and_payload_len(token)];
        self.mac(signing_input)
            .verify_slice(&signature)
            .map_err(|_| JwtError::Signature)?;
        let claims: Claims = decode_json(payload)?;
        if now > claims.exp.saturating_add(self.leeway) {
            return Err(JwtError::Expired);
        }
        if claims
            .nbf
            .is_some_and(|nbf| now < nbf.saturating_sub(self.leeway))
        {
            return Err(JwtError::NotYetValid);
        }
        Ok(claims)
    }

    /// The key id: the first 16 hex digits of the key's SHA-256 (it reveals nothing usable about
    /// the key, and both sides compute it without configuration).
    pub fn key_id(&self) -> &str {
        &self.kid
    }

    /// Issues an HS256 token carrying `claims`, with this key's id in the header.
    pub fn sign(&self, claims: &Claims) -> String {
        let header = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": self.kid});
        let header = URL_SAFE_NO_PAD.encode(header.to_string());
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let input = format!("{header}.{payload}");
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&input).finalize().into_bytes());
        format!("{input}.{signature}")
    }

    /// Issues a token for `subject` valid from `now` (Unix seconds) for `ttl_seconds`: what a
    /// client holding the signing secret, such as a backup Job, presents.
    pub fn mint(&self, subject: &str, now: i64, ttl_seconds: u64) -> String {
        let ttl = i64::try_from(ttl_seconds).unwrap_or(i64::MAX);
        self.sign(&Claims {
            sub: subject.to_string(),
            exp: now.saturating_add(ttl),
            nbf: None,
        })
    }
}

/// The key id of `secret` (see [`JwtVerifier::key_id`]).
fn key_id(secret: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(&Sha256::digest(secret)[..8])
}

/// The `kid` of a token's header, if it has one.
fn header_key_id(token: &str) -> Result<Option<String>, JwtError> {
    let header = token.split('.').next().ok_or(JwtError::Malformed)?;
    Ok(decode_json::<Header>(header)?.kid)
}

/// Length of `header.payload` in a token already known to have three parts.
fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests;
