//! Alerting in the server: startup from `[alerts]`, periodic evaluation (fired alerts become
//! `AlertTriggered` events through the log writer), and the API
//! `GET /api/v1/alerts`, `GET /api/v1/alerts/{id}`, `POST /api/v1/alerts/{id}/ack`.

use std::sync::Arc;
use std::sync::mpsc::TrySendError;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::oneshot;
use utoipa::{IntoParams, ToSchema};

use super::auth_layer::{self, AuthenticatedSubject};
use super::endpoints::Endpoint;
use super::pipeline::{Command, IngestRequest};
use super::shared::now_ns;
use super::state::AppState;
use crate::core::alerts::{
    Alert, AlertError, AlertFilter, AlertId, AlertInputs, AlertStatus, AlertSummary, Severity,
};
use crate::core::analytics::Analytics;
use crate::core::profiler::Stage;
use crate::notify::setup::{self, SetupError};
use crate::notify::{AlertRuntime, NotifierOptions};

/// Default and largest page of `GET /api/v1/alerts`.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1_000;

/// Errors of the alerts API.
#[derive(Debug, thiserror::Error)]
pub enum AlertsApiError {
    /// A query parameter is malformed.
    #[error("query parameter `{param}` {reason}")]
    BadQuery {
        /// Parameter name.
        param: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Alerting is disabled in the configuration.
    #[error("alerting is disabled ([alerts] enabled = false)")]
    Disabled,
    /// Acknowledgement failed.
    #[error(transparent)]
    Alert(#[from] AlertError),
}

impl IntoResponse for AlertsApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::BadQuery { .. } => (StatusCode::BAD_REQUEST, "invalid_query"),
            Self::Disabled => (StatusCode::NOT_FOUND, "alerting_disabled"),
            Self::Alert(AlertError::NotFound(_)) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Alert(AlertError::Resolved(_)) => (StatusCode::CONFLICT, "alert_resolved"),
        };
        let mut body = json!({"error": code, "message": self.to_string()});
        if let Self::BadQuery { param, .. } = &self {
            body["field"] = json!(param);
        }
        (status, Json(body)).into_response()
    }
}

/// Starts alerting when `[alerts] enabled`, registering its metrics in the server's registry.
pub fn start(state: &AppState) -> Result<Option<Arc<AlertRuntime>>, SetupError> {
    let section = &state.config.alerts;
    if !section.enabled {
        return Ok(None);
    }
    let registry = &state.metrics.registry;
    let (runtime, _workers) = setup::start(section, registry, NotifierOptions::default())?;
    tracing::info!(
        rules = section.rules.len(),
        receivers = section.receivers.len(),
        "alerting started"
    );
    Ok(Some(runtime))
}

/// Evaluates the rules at `now` and queues fired alerts as `AlertTriggered` events; the time
/// taken is profiled as the `alerts` stage.
pub fn evaluate(state: &AppState, now: i64) {
    let Some(alerts) = &state.alerts else { return };
    let started = Instant::now();
    let inputs = {
        let shared = state.shared.lock();
        let engine = &shared.engine;
        let inputs = AlertInputs::default()
            .with_stats(&engine.windows.stats(now))
            .with_profile(&engine.profiler.report());
        match engine.hook::<Analytics>() {
            Some(analytics) => inputs.with_analytics(&analytics, alerts.needs(), now),
            None => inputs,
        }
    };
    let events = alerts.evaluate(&inputs, now);
    let elapsed_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    state
        .shared
        .lock()
        .engine
        .profiler
        .record(Stage::Alerts, elapsed_ns, 0);
    state.metrics.stage(Stage::Alerts, elapsed_ns);
    if events.is_empty() {
        return;
    }
    let count = events.len();
    let (reply, _receipt) = oneshot::channel();
    match state.queue.try_send(Command::Ingest(IngestRequest {
        events,
        position: None,
        reply,
    })) {
        Ok(()) => tracing::debug!(count, "queued AlertTriggered events"),
        Err(TrySendError::Full(_)) => {
            tracing::warn!(count, "ingest queue full; AlertTriggered events not stored");
        }
        Err(TrySendError::Disconnected(_)) => tracing::warn!(
            count,
            "log writer stopped; AlertTriggered events not stored"
        ),
    }
}

/// The alert endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/api/v1/alerts", list),
        Endpoint::get("/api/v1/alerts/{id}", one),
        Endpoint::post("/api/v1/alerts/{id}/ack", acknowledge),
    ]
}

/// Query parameters of `GET /api/v1/alerts`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `firing`, `acknowledged` or `resolved`.
    status: Option<String>,
    /// Least severity: `info`, `warning` or `critical`.
    severity: Option<String>,
    /// Rule name.
    rule: Option<String>,
    /// RFC 3339 or nanoseconds.
    since: Option<String>,
    /// Page size (1..=1000, default 100).
    limit: Option<String>,
}

/// `GET /api/v1/alerts` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertsPage {
    /// Whether alerting is on (`[alerts] enabled`); when off, the list is empty.
    pub enabled: bool,
    /// Matching alerts, as in `GET /api/v1/alerts/{id}`.
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<Alert>,
    /// Counts per status and severity; absent when alerting is off.
    #[schema(value_type = Option<Object>)]
    pub summary: Option<AlertSummary>,
}

fn bad(param: &'static str, reason: impl Into<String>) -> AlertsApiError {
    AlertsApiError::BadQuery {
        param,
        reason: reason.into(),
    }
}

fn parse_since(text: &str) -> Result<i64, AlertsApiError> {
    if let Ok(ns) = text.parse::<i64>() {
        return Ok(ns);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
        .ok_or_else(|| bad("since", "must be RFC 3339 or nanoseconds since the epoch"))
}

fn filter(q: &ListQuery) -> Result<AlertFilter, AlertsApiError> {
    let status = q.status.as_deref().map(|s| {
        AlertStatus::parse(s)
            .ok_or_else(|| bad("status", "must be firing, acknowledged or resolved"))
    });
    let severity = q.severity.as_deref().map(|s| {
        Severity::parse(s).ok_or_else(|| bad("severity", "must be info, warning or critical"))
    });
    let limit = match q.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad("limit", format!("must be an integer in 1..={MAX_LIMIT}")))?,
    };
    Ok(AlertFilter {
        status: status.transpose()?,
        min_severity: severity.transpose()?,
        rule: q.rule.clone(),
        since_ns: q.since.as_deref().map(parse_since).transpose()?,
        limit: Some(limit),
    })
}

/// `GET /api/v1/alerts`: alerts, newest first, with counts per status and severity.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    operation_id = "list_alerts",
    tag = "alerts",
    params(ListQuery),
    responses((status = 200, description = "Matching alerts", body = AlertsPage))
)]
async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<AlertsPage>, AlertsApiError> {
    let filter = filter(&q)?;
    let Some(alerts) = &state.alerts else {
        return Ok(Json(AlertsPage {
            enabled: false,
            alerts: Vec::new(),
            summary: None,
        }));
    };
    Ok(Json(AlertsPage {
        enabled: true,
        alerts: alerts.list(&filter),
        summary: Some(alerts.summary(now_ns())),
    }))
}

/// `GET /api/v1/alerts/{id}`: one alert.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}",
    operation_id = "get_alert",
    tag = "alerts",
    params(("id" = u64, Path, description = "The alert's id")),
    responses((status = 200, description = "The alert", body = Object))
)]
async fn one(
    State(state): State<AppState>,
    Path(id): Path<AlertId>,
) -> Result<Response, AlertsApiError> {
    let alerts = state.alerts.as_ref().ok_or(AlertsApiError::Disabled)?;
    let alert = alerts.get(id).ok_or(AlertError::NotFound(id))?;
    Ok(Json(alert).into_response())
}

/// Body of `POST /api/v1/alerts/{id}/ack` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    /// Who acknowledges (used only when authentication is off).
    by: Option<String>,
}

/// Acknowledges an alert. With authentication on, `by` is the authenticated subject and the
/// body's `by` is ignored; with it off, the body names who acknowledges.
#[utoipa::path(
    post,
    path = "/api/v1/alerts/{id}/ack",
    operation_id = "acknowledge_alert",
    tag = "alerts",
    params(("id" = u64, Path, description = "The alert's id")),
    request_body(content = Option<AckBody>, description = "Optional; empty acknowledges anonymously"),
    responses(
        (status = 200, description = "The acknowledged alert", body = Object),
        (status = 409, description = "The alert is already resolved", body = super::error_shape::ErrorBody)
    )
)]
async fn acknowledge(
    State(state): State<AppState>,
    Path(id): Path<AlertId>,
    subject: Option<Extension<AuthenticatedSubject>>,
    body: Bytes,
) -> Result<Response, AlertsApiError> {
    let alerts = state.alerts.as_ref().ok_or(AlertsApiError::Disabled)?;
    let claimed = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let body: AckBody = serde_json::from_slice(&body)
            .map_err(|e| bad("by", format!("body must be {{\"by\": \"name\"}}: {e}")))?;
        body.by
    };
    let by = if auth_layer::active(&state.config).is_some() {
        subject.map(|Extension(s)| s.0)
    } else {
        claimed
    };
    let alert = alerts.acknowledge(id, by, now_ns())?;
    Ok(Json(alert).into_response())
}
