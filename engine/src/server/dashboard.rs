//! The dashboard: one page and its assets, embedded in the binary (no CDN), plus
//! `GET /api/v1/whoami` for the page's sign-in state.
//!
//! `/dashboard` serves `index.html` with the `[dashboard]` and `[charts]` settings the page needs
//! written into it; `/dashboard/assets/{name}` serves the script, the stylesheet and the vendored
//! chart library (uPlot, MIT). The page shell holds no data, so with authentication on it loads
//! without credentials and asks for a token before it calls the API.

use super::auth_layer::{AuthenticatedSubject, active};
use super::endpoints::Endpoint;
use super::state::AppState;
use crate::config::Config;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::{Extension, Json};
use serde::Serialize;
use serde_json::json;

const INDEX: &str = include_str!("dashboard/index.html");

/// The embedded assets: name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("dashboard/app.js"),
    ),
    (
        "charts.js",
        "text/javascript; charset=utf-8",
        include_bytes!("dashboard/charts.js"),
    ),
    (
        "view_overview.js",
        "text/javascript; charset=utf-8",
        include_bytes!("dashboard/view_overview.js"),
    ),
    (
        "view_anomalies.js",
        "text/javascript; charset=utf-8",
        include_bytes!("dashboard/view_anomalies.js"),
    ),
    (
        "view_patterns.js",
        "text/javascript; charset=utf-8",
        include_bytes!("dashboard/view_patterns.js"),
    ),
    (
        "view_predictions.js",
        "text/javascript; charset=utf-8",
        include_bytes!("dashboard/view_predictions.js"),
    ),
    (
        "view_alerts.js",
        "text/javascript; charset=utf-8",
        include_bytes!("dashboard/view_alerts.js"),
    ),
    (
        "view_profiler.js",
        "text/javascript; charset=utf-8",
        include_bytes!("dashboard/view_profiler.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("dashboard/style.css"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("dashboard/vendor/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_bytes!("dashboard/vendor/uPlot.min.css"),
    ),
    (
        "uPlot.LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("dashboard/vendor/uPlot.LICENSE"),
    ),
];

/// The page's settings, from `[dashboard]`, `[charts]` and `[auth]`.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PageSettings {
    /// Live updates start on: the page polls the engine every `update_interval_ms`.
    pub live: bool,
    /// Polling interval, ms.
    pub update_interval_ms: u64,
    /// How often the overview reloads its time series, ms.
    pub refresh_interval_ms: u64,
    /// Samples kept per live chart and rows per table.
    pub max_history: usize,
    /// The range the page opens with, minutes.
    pub default_range_minutes: u64,
    /// Most points per chart series.
    pub max_points: usize,
    /// Drag-to-zoom and pan.
    pub zoom: bool,
    /// CSV and JSON export buttons.
    pub export: bool,
    /// The API needs a bearer token.
    pub auth: bool,
}

impl PageSettings {
    /// The settings `config` gives the page.
    pub fn from_config(config: &Config) -> PageSettings {
        let (d, c) = (&config.dashboard, &config.charts);
        PageSettings {
            live: d.enable_real_time_updates && c.enable_real_time_streaming,
            update_interval_ms: d.update_interval_ms.max(250),
            refresh_interval_ms: c.refresh_interval_ms.max(250),
            max_history: d.max_dashboard_history,
            default_range_minutes: c.default_time_range_minutes,
            max_points: c.max_data_points,
            zoom: c.enable_zoom_and_pan,
            export: c.enable_data_export,
            auth: active(config).is_some(),
        }
    }
}

/// The dashboard endpoints: the page and its assets (with the page's security headers) and
/// `whoami`.
pub fn endpoints() -> Vec<Endpoint> {
    let page = |route: MethodRouter<AppState>| {
        route.layer(axum::middleware::map_response(page_security_headers))
    };
    vec![
        Endpoint::get("/dashboard", index).layered(page),
        Endpoint::get("/dashboard/assets/{name}", asset).layered(page),
        Endpoint::get("/api/v1/whoami", whoami),
    ]
}

/// The page loads scripts, styles and data only from the engine itself (no inline script,
/// no framing, no other origin).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the CSP, anti-framing and no-sniff headers to every dashboard response.
async fn page_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The page, with its settings as JSON in `<script id="settings">`.
fn render(settings: &PageSettings) -> String {
    let json = serde_json::to_string(settings).unwrap_or_else(|_| "{}".into());
    INDEX.replace("__SETTINGS__", &json.replace('<', "\\u003c"))
}

/// `GET /dashboard`: the dashboard page.
#[utoipa::path(
    get,
    path = "/dashboard",
    tag = "dashboard",
    responses((status = 200, description = "The page", content_type = "text/html", body = String))
)]
async fn index(State(state): State<AppState>) -> Response {
    let page = render(&PageSettings::from_config(&state.config));
    ([(header::CACHE_CONTROL, "no-cache")], Html(page)).into_response()
}

/// `GET /dashboard/assets/{name}`: a script, style or image of the page.
#[utoipa::path(
    get,
    path = "/dashboard/assets/{name}",
    tag = "dashboard",
    params(("name" = String, Path, description = "The asset's file name")),
    responses((status = 200, description = "The asset", content_type = "application/octet-stream", body = String))
)]
async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *bytes,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_found", "message": format!("no dashboard asset `{name}`")})),
        )
            .into_response(),
    }
}

/// `GET /api/v1/whoami`: whether the API needs credentials and, if so, whom the request's
/// credentials name.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "dashboard",
    responses((status = 200, description = "Authentication state and subject", body = WhoAmI))
)]
async fn whoami(
    State(state): State<AppState>,
    subject: Option<Extension<AuthenticatedSubject>>,
) -> Json<WhoAmI> {
    Json(WhoAmI {
        auth_enabled: active(&state.config).is_some(),
        subject: subject.map(|Extension(AuthenticatedSubject(s))| s),
    })
}

/// `GET /api/v1/whoami` body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    /// Whether the API needs credentials.
    pub auth_enabled: bool,
    /// The subject the request's credentials name (absent without authentication).
    pub subject: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_follow_the_configuration() {
        let mut config = Config::default();
        config.dashboard.update_interval_ms = 10;
        config.charts.default_time_range_minutes = 15;
        let s = PageSettings::from_config(&config);
        assert_eq!(s.update_interval_ms, 250, "clamped to the floor");
        assert!(s.live);
        config.charts.enable_real_time_streaming = false;
        assert!(!PageSettings::from_config(&config).live);
        assert_eq!(s.default_range_minutes, 15);
        assert!(!s.auth);
    }

    #[test]
    fn the_page_carries_its_settings_and_every_script_it_loads_is_embedded() {
        let page = render(&PageSettings::from_config(&Config::default()));
        assert!(!page.contains("__SETTINGS__"));
        assert!(page.contains("\"defaultRangeMinutes\":60"), "{page}");
        for src in page.split("assets/").skip(1) {
            let name = src.split('"').next().unwrap_or_default();
            assert!(
                ASSETS.iter().any(|(n, _, _)| *n == name),
                "`{name}` is referenced but not embedded"
            );
        }
    }
}
