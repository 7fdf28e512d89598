//! OAuth2/OIDC bearer tokens: the `[auth.oidc]` section and the pure verification of RS256,
//! ES256 and EdDSA JWTs against an issuer's key set (JWKS), with the time injected. Fetching the
//! discovery document and the key set is the server's job (`server::oidc_keys`).

mod verify;

pub use verify::{OidcError, OidcIdentity, verify};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest accepted `leeway_seconds`: clock difference beyond this is a broken clock, not skew.
pub const MAX_LEEWAY_SECONDS: u64 = 300;

/// `[auth.oidc]`, used when `[auth] method = "oidc"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcSection {
    /// The issuer URL, exactly as tokens carry it in `iss` (e.g. `https://dex.example/`). Its
    /// `/.well-known/openid-configuration` names the key set.
    pub issuer: String,
    /// The audience tokens must name in `aud` (usually the client id the tokens are issued to).
    pub audience: String,
    /// Claim holding the caller's groups or roles: a string or an array of strings; a dotted
    /// path (`realm_access.roles`) walks into objects.
    pub roles_claim: String,
    /// Claim value → role name of `[[auth.roles]]`. A value that is not mapped is used as a role
    /// name as it is; values naming no role grant nothing.
    pub role_map: BTreeMap<String, String>,
    /// Accepted clock difference for `exp`, `nbf` and `iat`, in seconds (at most 300).
    pub leeway_seconds: u64,
    /// Longest accepted token lifetime (`exp - iat`, or `exp - now` without `iat`), in seconds.
    pub max_lifetime_seconds: u64,
    /// Least time between two key-set fetches caused by tokens with an unknown key id.
    pub jwks_refresh_min_interval_seconds: u64,
}

impl Default for OidcSection {
    fn default() -> Self {
        OidcSection {
            issuer: String::new(),
            audience: String::new(),
            roles_claim: "groups".into(),
            role_map: BTreeMap::new(),
            leeway_seconds: 30,
            max_lifetime_seconds: 24 * 3600,
            jwks_refresh_min_interval_seconds: 30,
        }
    }
}

impl OidcSection {
    /// Names the first missing or out-of-range key.
    pub fn check(&self) -> Result<(), String> {
        if !(self.issuer.starts_with("https://") || self.issuer.starts_with("http://")) {
            return Err(format!(
                "auth.oidc.issuer must be an http(s) URL, got {:?}",
                self.issuer
            ));
        }
        if self.audience.trim().is_empty() {
            return Err("auth.oidc.audience is required".into());
        }
        if self.roles_claim.trim().is_empty() {
            return Err("auth.oidc.roles_claim must name a claim".into());
        }
        if self.leeway_seconds > MAX_LEEWAY_SECONDS {
            return Err(format!(
                "auth.oidc.leeway_seconds must be at most {MAX_LEEWAY_SECONDS}, got {}",
                self.leeway_seconds
            ));
        }
        if self.max_lifetime_seconds == 0 {
            return Err("auth.oidc.max_lifetime_seconds must be at least 1".into());
        }
        Ok(())
    }

    /// The role names a claim value grants (through `role_map`, else the value itself).
    pub fn role_of<'a>(&'a self, value: &'a str) -> &'a str {
        self.role_map.get(value).map_or(value, String::as_str)
    }
}

#[cfg(test)]
mod tests;
