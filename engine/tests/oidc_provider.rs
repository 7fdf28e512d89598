//! OIDC bearer tokens from a real OpenID provider on loopback: the zitadel/oidc example OP built
//! by `tests/oidc/build.sh` (`make test-oidc` builds it and runs this file). Tokens are ID tokens
//! obtained with the authorization-code flow, the login form posted as a browser would. Covers a
//! valid token and its mapped role, a wrong audience, a wrong issuer, a lifetime over the maximum,
//! and a key rotation (the provider restarted with a new key) picked up without an engine restart.

mod common;

use common::Engine;
use reqwest::redirect::Policy;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const REDIRECT: &str = "http://localhost:9999/auth/callback";

/// The provider process; killed on drop.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Starts the provider on `port` with one user (`ops-1`, login `ops`) and waits for discovery.
async fn provider(dir: &Path, port: u16) -> Provider {
    let bin = std::env::var("VEXFS_OIDC_OP")
        .expect("VEXFS_OIDC_OP names the provider binary (run `make test-oidc`)");
    let users = dir.join("users.json");
    std::fs::write(
        &users,
        r#"{"ops-1": {"ID": "ops-1", "Username": "ops", "Password": "pw-ops", "FirstName": "O",
            "LastName": "Ps", "Email": "ops@example.test", "EmailVerified": true,
            "PreferredLanguage": "en"}}"#,
    )
    .unwrap();
    let log = std::fs::File::create(dir.join(format!("op-{port}.log"))).unwrap();
    let child = Command::new(bin)
        .env("PORT", port.to_string())
        .env("USERS_FILE", &users)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("provider starts");
    let provider = Provider {
        child,
        issuer: format!("http://localhost:{port}/"),
    };
    let discovery = format!("{}.well-known/openid-configuration", provider.issuer);
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(&discovery).await
            && r.status().is_success()
        {
            return provider;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("provider at {} never answered discovery", provider.issuer);
}

fn location(response: &reqwest::Response, base: &str) -> String {
    let loc = response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect, got {}", response.status()))
        .to_str()
        .unwrap();
    if loc.starts_with("http") {
        loc.to_string()
    } else {
        format!("{}{}", base.trim_end_matches('/'), loc)
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

/// `pairs` encoded as an HTML form body.
fn form(pairs: &[(&str, &str)]) -> String {
    let url = reqwest::Url::parse_with_params("http://form.invalid/", pairs).unwrap();
    url.query().unwrap_or_default().to_string()
}

fn query_param(url: &str, name: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map_or_else(|| panic!("{name} in {url}"), |(_, v)| v.into_owned())
}

/// An ID token for `ops` issued to `client` (secret `secret`), by the authorization-code flow.
async fn id_token(issuer: &str, client: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let discovery: Value = reqwest::get(format!("{issuer}.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = |name: &str| discovery[name].as_str().unwrap().to_string();
    let authorize_url = reqwest::Url::parse_with_params(
        &endpoint("authorization_endpoint"),
        [
            ("client_id", client),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "st"),
        ],
    )
    .unwrap();
    let authorize = http.get(authorize_url).send().await.unwrap();
    let request_id = query_param(&location(&authorize, issuer), "authRequestID");
    let login = http
        .post(format!("{issuer}login/username"))
        .header("content-type", FORM)
        .body(form(&[
            ("username", "ops"),
            ("password", "pw-ops"),
            ("id", &request_id),
        ]))
        .send()
        .await
        .unwrap();
    let callback = http.get(location(&login, issuer)).send().await.unwrap();
    let code = query_param(&location(&callback, issuer), "code");
    let token: Value = http
        .post(endpoint("token_endpoint"))
        .basic_auth(client, Some("secret"))
        .header("content-type", FORM)
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["id_token"]
        .as_str()
        .unwrap_or_else(|| panic!("an id_token in {token}"))
        .to_string()
}

/// An engine whose `[auth.oidc]` trusts `issuer` for audience `web`; `ops-1` (the `sub` claim,
/// the only claim the example OP lets us choose) maps to the `operator` role.
async fn start_engine(dir: &Path, issuer: &str, max_lifetime: u64) -> Engine {
    let config = dir.join(format!("engine-{max_lifetime}.toml"));
    std::fs::write(
        &config,
        format!(
            "[auth]\nmethod = \"oidc\"\n\
             [[auth.roles]]\nname = \"operator\"\npermissions = [\"analytics:read\", \"dashboard:read\"]\n\
             [auth.oidc]\nissuer = {issuer:?}\naudience = \"web\"\nroles_claim = \"sub\"\n\
             role_map = {{ \"ops-1\" = \"operator\" }}\nmax_lifetime_seconds = {max_lifetime}\n\
             jwks_refresh_min_interval_seconds = 1\n"
        ),
    )
    .unwrap();
    Engine::start_with_config(&dir.join(format!("data-{max_lifetime}")), &config).await
}

async fn call(engine: &Engine, method: &str, path: &str, token: &str) -> (u16, Value) {
    let http = reqwest::Client::new();
    let request = match method {
        "POST" => http
            .post(format!("{}{path}", engine.url))
            .header("content-type", "application/json")
            .body("[]"),
        _ => http.get(format!("{}{path}", engine.url)),
    };
    let response = request.bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
#[ignore = "needs the OpenID provider binary in VEXFS_OIDC_OP; run by `make test-oidc`"]
async fn tokens_from_a_real_provider() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let op = provider(tmp.path(), port).await;
    let engine = start_engine(tmp.path(), &op.issuer, 7200).await;

    let token = id_token(&op.issuer, "web").await;
    let (status, body) = call(&engine, "GET", "/api/v1/stats", &token).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&engine, "GET", "/api/v1/whoami", &token).await;
    assert_eq!(
        (status, &body["subject"]),
        (200, &Value::from("ops-1")),
        "{body}"
    );
    let (status, body) = call(&engine, "POST", "/api/v1/events", &token).await;
    assert_eq!(
        status, 403,
        "the operator role lacks analytics:write: {body}"
    );

    let other_audience = id_token(&op.issuer, "api").await;
    let (status, body) = call(&engine, "GET", "/api/v1/stats", &other_audience).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("audience"),
        "{body}"
    );

    // The example OP issues ID tokens valid for one hour.
    let strict = start_engine(tmp.path(), &op.issuer, 1800).await;
    let (status, body) = call(&strict, "GET", "/api/v1/stats", &token).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("lifetime 3600 s"),
        "{body}"
    );
    strict.stop();

    // Rotation: the provider restarts with a new signing key under the same issuer. The engine
    // has the old key cached; the new token's unknown kid makes it fetch the key set again.
    drop(op);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let op = provider(tmp.path(), port).await;
    let rotated = id_token(&op.issuer, "web").await;
    let (status, body) = call(&engine, "GET", "/api/v1/stats", &rotated).await;
    assert_eq!(status, 200, "a token signed with the rotated key: {body}");
    let (status, body) = call(&engine, "GET", "/api/v1/stats", &token).await;
    assert_eq!(
        status, 401,
        "the retired key is gone from the key set: {body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("no issuer key"),
        "{body}"
    );
    engine.stop();

    // Wrong issuer: the same provider, named by another URL. Its discovery document names
    // http://localhost:PORT/, so the engine refuses to take keys from it and its tokens fail.
    let wrong = format!("http://127.0.0.1:{port}/");
    let wrong_engine = start_engine(tmp.path(), &wrong, 7201).await;
    let (status, body) = call(&wrong_engine, "GET", "/api/v1/stats", &rotated).await;
    assert_eq!(status, 401, "{body}");
    let log = std::fs::read_to_string(
        tmp.path()
            .join("data-7201")
            .with_extension(wrong_engine.url.rsplit(':').next().unwrap().to_string() + ".log"),
    )
    .unwrap();
    assert!(
        log.contains("names issuer"),
        "the engine logs the issuer mismatch:\n{log}"
    );
    wrong_engine.stop();
}
