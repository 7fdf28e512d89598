//! How `analytics` reaches the engine API (pure parts): the token it sends when no `--token-file`
//! is given (the admin token the operator generated, from the Secret that
//! `status.auth.adminTokenSecret` names), and the service-proxy path, over HTTPS when the
//! resource sets `spec.tls`.

use k8s_openapi::api::core::v1::Secret;
use serde_json::Value;

/// Key of the generated Secret holding the bare admin token.
pub const TOKEN_KEY: &str = "token";

/// The Secret named by a `VexfsSemantic`'s `status.auth.adminTokenSecret`, if any (none when the
/// resource sets `spec.rbac.auth`: the user's own credentials apply, pass `--token-file`).
pub fn admin_token_secret(semantic: &Value) -> Option<&str> {
    semantic
        .pointer("/status/auth/adminTokenSecret")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
}

/// The token in `secret`'s [`TOKEN_KEY`], trimmed; an error naming the Secret and key otherwise.
pub fn token_of(secret: &Secret) -> Result<String, String> {
    let name = secret.metadata.name.as_deref().unwrap_or_default();
    let bytes = secret
        .data
        .as_ref()
        .and_then(|data| data.get(TOKEN_KEY))
        .ok_or_else(|| format!("Secret {name} has no key `{TOKEN_KEY}`"))?;
    let token = std::str::from_utf8(&bytes.0)
        .map_err(|_| format!("Secret {name} key `{TOKEN_KEY}` is not UTF-8"))?
        .trim();
    if token.is_empty() {
        return Err(format!("Secret {name} key `{TOKEN_KEY}` is empty"));
    }
    Ok(token.to_owned())
}

/// The API server's service-proxy path to `path` on the engine of `semantic` (named `name` in
/// `namespace`): `https:NAME:http` when `spec.tls` is set, since the engine then serves HTTPS only.
pub fn proxy_path(semantic: &Value, namespace: &str, name: &str, path: &str) -> String {
    let scheme = if semantic.pointer("/spec/tls").is_some_and(|t| !t.is_null()) {
        "https:"
    } else {
        ""
    };
    format!("/api/v1/namespaces/{namespace}/services/{scheme}{name}:http/proxy{path}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_proxy_speaks_https_to_an_https_engine() {
        let plain = json!({"spec": {}});
        assert_eq!(
            proxy_path(&plain, "ns", "vx", "/api/v1/stats"),
            "/api/v1/namespaces/ns/services/vx:http/proxy/api/v1/stats"
        );
        let tls = json!({"spec": {"tls": {}}});
        assert_eq!(
            proxy_path(&tls, "ns", "vx", "/api/v1/stats"),
            "/api/v1/namespaces/ns/services/https:vx:http/proxy/api/v1/stats"
        );
    }

    #[test]
    fn the_secret_comes_from_the_status() {
        let semantic = json!({"status": {"auth": {"adminTokenSecret": "demo-admin-token"}}});
        assert_eq!(admin_token_secret(&semantic), Some("demo-admin-token"));
        assert_eq!(admin_token_secret(&json!({"status": {}})), None);
        let empty = json!({"status": {"auth": {"adminTokenSecret": ""}}});
        assert_eq!(admin_token_secret(&empty), None);
    }

    fn secret(data: &[(&str, &[u8])]) -> Secret {
        let mut secret = Secret {
            data: Some(
                data.iter()
                    .map(|(k, v)| ((*k).to_owned(), ByteString(v.to_vec())))
                    .collect::<BTreeMap<_, _>>(),
            ),
            ..Secret::default()
        };
        secret.metadata.name = Some("demo-admin-token".to_owned());
        secret
    }

    #[test]
    fn the_token_is_read_and_trimmed_or_the_problem_named() {
        assert_eq!(token_of(&secret(&[("token", b"abc\n")])), Ok("abc".into()));
        let missing = token_of(&secret(&[("other", b"x")])).unwrap_err();
        assert!(
            missing.contains("demo-admin-token") && missing.contains("token"),
            "{missing}"
        );
        let blank = token_of(&secret(&[("token", b" \n")])).unwrap_err();
        assert!(blank.contains("empty"), "{blank}");
    }
}
