//! `GET /api/v1/audit`: audit records newest first, filtered by `since`/`until` (RFC 3339 or
//! nanoseconds), `subject` and `route` (the matched path), at most `limit` (default 100, up to
//! 1,000). It needs the admin permission `production:write` (see `crate::auth::routes`).

use super::endpoints::Endpoint;
use super::error::ApiError;
use super::query::bad;
use super::state::AppState;
use crate::audit::{AuditQuery, Record, query_dir};
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Default and largest page.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1_000;

/// The audit endpoint.
pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::get("/api/v1/audit", list)]
}

/// Query parameters of `GET /api/v1/audit`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// RFC 3339 or nanoseconds; inclusive.
    since: Option<String>,
    /// RFC 3339 or nanoseconds; exclusive.
    until: Option<String>,
    /// Authenticated or refused subject.
    subject: Option<String>,
    /// Matched route, e.g. `/api/v1/alerts/{id}/ack`.
    route: Option<String>,
    /// Page size (1..=1000, default 100).
    limit: Option<String>,
}

/// `GET /api/v1/audit` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Whether the audit log is on (`[audit] enabled`); when off, `records` is empty.
    pub enabled: bool,
    /// Matching records, newest first.
    pub records: Vec<Record>,
}

fn time(param: &'static str, text: &str) -> Result<i64, ApiError> {
    if let Ok(ns) = text.parse::<i64>() {
        return Ok(ns);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
        .ok_or_else(|| bad(param, "must be RFC 3339 or nanoseconds since the epoch"))
}

/// The query the parameters describe.
pub fn parse(params: &ListParams) -> Result<AuditQuery, ApiError> {
    let limit = match params.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad("limit", format!("must be an integer in 1..={MAX_LIMIT}")))?,
    };
    Ok(AuditQuery {
        since_ns: params
            .since
            .as_deref()
            .map(|t| time("since", t))
            .transpose()?,
        until_ns: params
            .until
            .as_deref()
            .map(|t| time("until", t))
            .transpose()?,
        subject: params.subject.clone(),
        route: params.route.clone(),
        limit,
    })
}

/// `GET /api/v1/audit`: audit records, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "list_audit_records",
    tag = "audit",
    params(ListParams),
    responses((status = 200, description = "Matching audit records", body = AuditPage))
)]
async fn list(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let query = parse(&params)?;
    let Some(sink) = &state.audit else {
        return Ok(Json(AuditPage {
            enabled: false,
            records: Vec::new(),
        }));
    };
    let dir = sink.dir.clone();
    let records = tokio::task::spawn_blocking(move || query_dir(&dir, &query))
        .await
        .map_err(|e| ApiError::Storage(e.to_string()))?
        .map_err(|e| ApiError::Storage(e.to_string()))?;
    Ok(Json(AuditPage {
        enabled: true,
        records,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked_by_name() {
        let ok = ListParams {
            since: Some("2026-11-29T00:00:00Z".into()),
            until: Some("1795996800000000000".into()),
            subject: Some("alice".into()),
            limit: Some("5".into()),
            ..ListParams::default()
        };
        let q = parse(&ok).unwrap();
        assert_eq!(q.since_ns, Some(1_795_910_400_000_000_000));
        assert_eq!(q.until_ns, Some(1_795_996_800_000_000_000));
        assert_eq!(q.limit, 5);
        for (params, field) in [
            (
                ListParams {
                    since: Some("yesterday".into()),
                    ..ListParams::default()
                },
                "since",
            ),
            (
                ListParams {
                    limit: Some("0".into()),
                    ..ListParams::default()
                },
                "limit",
            ),
        ] {
            let err = parse(&params).unwrap_err();
            assert!(
                matches!(err, ApiError::BadQuery { param, .. } if param == field),
                "{err}"
            );
        }
    }
}
