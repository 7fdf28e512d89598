//! The OIDC key-set refresh is rate-limited: tokens naming made-up key ids make the engine fetch
//! the issuer's key set once per `jwks_refresh_min_interval_seconds`, not once per request.
//! The issuer is a loopback server in the test that counts key-set fetches.

mod common;

use axum::Json;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::Engine;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A token whose header names `kid`; the signature is never reached.
fn token_with_kid(kid: &str) -> String {
    let header = json!({"alg": "RS256", "kid": kid}).to_string();
    let claims = json!({"sub": "x", "exp": 4_000_000_000_i64}).to_string();
    format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_key_ids_refresh_the_key_set_at_most_once_per_interval() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/", listener.local_addr().unwrap());
    let fetches = Arc::new(AtomicUsize::new(0));
    let discovery = json!({"issuer": issuer, "jwks_uri": format!("{issuer}keys")});
    let counter = fetches.clone();
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(discovery) }),
        )
        .route(
            "/keys",
            get(move || async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Json(json!({"keys": []}))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("engine.toml");
    std::fs::write(
        &config,
        format!(
            "[auth]\nmethod = \"oidc\"\n[auth.oidc]\nissuer = {issuer:?}\naudience = \"vexfs\"\n\
             jwks_refresh_min_interval_seconds = 3\n"
        ),
    )
    .unwrap();
    let engine = Engine::start_with_config(&tmp.path().join("data"), &config).await;
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "the key set is fetched at start"
    );
    let burst = |round: usize| {
        let url = format!("{}/api/v1/stats", engine.url);
        async move {
            let http = reqwest::Client::new();
            for i in 0..10 {
                let response = http
                    .get(&url)
                    .bearer_auth(token_with_kid(&format!("made-up-{round}-{i}")))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 401);
                let body: serde_json::Value = response.json().await.unwrap();
                let message = body["message"].as_str().unwrap().to_string();
                assert!(message.contains("no issuer key"), "{body}");
            }
        }
    };
    burst(0).await;
    // The start-up fetch opened the interval: none of the 10 unknown key ids fetched again.
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    burst(1).await;
    // After the interval, the first unknown key id fetched once; the other nine did not.
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    engine.stop();
}
