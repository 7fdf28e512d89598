//! The OpenAPI document against the router: the same methods on the same paths, checked
//! against the endpoint table the router is built from and against the real router's answers
//! (a documented path must be routed, answering `405` with its `Allow` methods to another
//! method), and the main request and response schemas derived from the Rust types.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tower::ServiceExt;
use utoipa::OpenApi;
use vexfs_engine::config::Config;
use vexfs_engine::server::metrics::Metrics;
use vexfs_engine::server::openapi::ApiDoc;
use vexfs_engine::server::runtime::{open_store, stop_writer};
use vexfs_engine::server::{AppState, endpoints, router};

/// Methods an OpenAPI path item can hold, as the document spells them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

type Routes = BTreeMap<String, BTreeSet<String>>;

fn document() -> Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap()
}

/// Path → upper-case methods of the document.
fn documented(doc: &Value) -> Routes {
    let mut routes = Routes::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let methods = METHODS
            .iter()
            .filter(|m| item.get(**m).is_some())
            .map(|m| m.to_uppercase());
        routes.insert(path.clone(), methods.collect());
    }
    routes
}

/// Path → methods of the endpoint table the router is built from.
fn routed() -> Routes {
    let mut routes = Routes::new();
    for e in endpoints(&Config::default().server) {
        routes
            .entry(e.path.to_string())
            .or_default()
            .insert(e.method.to_string());
    }
    routes
}

/// `left`'s entries `right` lacks, as `METHOD path` lines.
fn missing(left: &Routes, right: &Routes) -> Vec<String> {
    let mut out = Vec::new();
    for (path, methods) in left {
        for method in methods {
            if !right.get(path).is_some_and(|m| m.contains(method)) {
                out.push(format!("{method} {path}"));
            }
        }
    }
    out
}

#[test]
fn the_document_and_the_endpoint_table_list_the_same_routes() {
    let (doc, table) = (documented(&document()), routed());
    let undocumented = missing(&table, &doc);
    let unrouted = missing(&doc, &table);
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routed but not in the OpenAPI document: {undocumented:?}\n\
         in the OpenAPI document but not routed: {unrouted:?}"
    );
}

/// A concrete URI for a route path (`{id}` → `1`).
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "1" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_real_router_serves_exactly_the_documented_methods() {
    let dir = tempfile::tempdir().unwrap();
    let (state, rx) = AppState::new(Config::default(), Arc::new(Metrics::new().unwrap()));
    let writer = open_store(&state, dir.path(), rx).unwrap();
    let app = router(state.clone());
    let mut wrong = Vec::new();
    for (path, methods) in documented(&document()) {
        let uri = concrete(&path);
        let probe = Request::patch(&uri).body(Body::empty()).unwrap();
        let resp = app.clone().oneshot(probe).await.unwrap();
        if resp.status() != StatusCode::METHOD_NOT_ALLOWED {
            wrong.push(format!("{path}: PATCH answers {}, not 405", resp.status()));
            continue;
        }
        let allow = resp.headers()[header::ALLOW].to_str().unwrap().to_string();
        let allowed: BTreeSet<String> = allow
            .split(',')
            .map(|m| m.trim().to_string())
            .filter(|m| m != "HEAD")
            .collect();
        if allowed != methods {
            wrong.push(format!(
                "{path}: router allows {allowed:?}, document {methods:?}"
            ));
        }
        for method in &methods {
            let req = Request::builder()
                .method(method.as_str())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let status = app.clone().oneshot(req).await.unwrap().status();
            if status == StatusCode::METHOD_NOT_ALLOWED {
                wrong.push(format!("{method} {path}: 405"));
            }
        }
    }
    stop_writer(&state, writer).await.unwrap();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn main_schemas_come_from_the_rust_types() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Event",
        "Receipt",
        "EventsPage",
        "StatsBody",
        "ProfileBody",
        "SeriesBody",
        "Series",
        "AuditPage",
        "Record",
        "AlertsPage",
        "SessionDetail",
        "ProbeStatus",
        "WhoAmI",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    let event = &schemas["Event"]["properties"];
    for field in ["type", "timestamp", "source", "latencyNs", "idempotencyKey"] {
        assert!(event.get(field).is_some(), "Event.{field} missing: {event}");
    }
    let ingest = &doc["paths"]["/api/v1/events"]["post"];
    let body = ingest["requestBody"]["content"]["application/json"]["schema"].to_string();
    assert!(body.contains("#/components/schemas/Event"), "{body}");
    let ok = ingest["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].clone();
    assert_eq!(ok, "#/components/schemas/Receipt");
    let events = &doc["paths"]["/api/v1/events"]["get"]["parameters"];
    let names: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in [
        "type",
        "since",
        "pathPrefix",
        "minPriority",
        "cursor",
        "limit",
    ] {
        assert!(
            names.contains(&name),
            "parameter {name} of GET /api/v1/events: {names:?}"
        );
    }
}

#[test]
fn errors_and_credentials_follow_the_api_conventions() {
    let doc = document();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            assert!(
                operation_ids.insert(id.clone()),
                "operationId `{id}` of {method} {path} is not unique"
            );
            for range in ["4XX", "5XX"] {
                assert_eq!(
                    op["responses"][range]["$ref"], "#/components/responses/Error",
                    "{method} {path} {range}"
                );
            }
            let open = ["/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"]
                .contains(&path.as_str())
                || path.starts_with("/dashboard");
            assert_eq!(op.get("security").is_none(), open, "{method} {path}");
        }
    }
}

#[tokio::test]
async fn the_served_document_is_the_generated_one() {
    let (state, _rx) = AppState::new(Config::default(), Arc::new(Metrics::new().unwrap()));
    let req = Request::get("/api/v1/openapi.json")
        .body(Body::empty())
        .unwrap();
    let resp = router(state).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/json");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let served: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(served, document());
    assert!(served["openapi"].as_str().unwrap().starts_with("3."));
}

/// Run by `make test-openapi`, which puts `openapi-spec-validator` (PyPI, pinned in
/// `tests/openapi/requirements.txt`) on `PATH`.
#[test]
#[ignore = "needs openapi-spec-validator on PATH; run by `make test-openapi`"]
fn the_document_passes_an_openapi_validator() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, ApiDoc::openapi().to_pretty_json().unwrap()).unwrap();
    let out = std::process::Command::new("openapi-spec-validator")
        .arg(&file)
        .output()
        .expect("openapi-spec-validator on PATH (make test-openapi installs it)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
