//! Query handlers: `GET /api/v1/events` (filters, cursor), `/api/v1/stats` and `/api/v1/profile`.

use super::error::ApiError;
use super::shared::now_ns;
use super::state::AppState;
use crate::core::profiler::{ProfileReport, Stage};
use crate::core::windows_report::StatsReport;
use crate::event::{Event, EventCategory, EventType, Priority, timestamp};
use crate::store::EventFilter;
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use std::time::Instant;
use utoipa::{IntoParams, ToSchema};

/// Default page size.
const DEFAULT_LIMIT: usize = 100;
/// Largest page size.
const MAX_LIMIT: usize = 10_000;

/// Query string of `GET /api/v1/events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Comma-separated type names or codes.
    #[serde(rename = "type")]
    pub types: Option<String>,
    /// Comma-separated category names.
    pub category: Option<String>,
    /// RFC 3339 or nanoseconds; inclusive.
    pub since: Option<String>,
    /// RFC 3339 or nanoseconds; exclusive.
    pub until: Option<String>,
    /// Path prefix.
    pub path_prefix: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Agent id.
    pub agent: Option<String>,
    /// Transaction id.
    pub transaction: Option<String>,
    /// Minimum priority (name or level).
    pub min_priority: Option<String>,
    /// Continue after this event id.
    pub cursor: Option<u64>,
    /// Page size (1..=10000).
    pub limit: Option<usize>,
}

pub(super) fn bad(param: &'static str, reason: impl Into<String>) -> ApiError {
    ApiError::BadQuery {
        param,
        reason: reason.into(),
    }
}

pub(super) fn parse_time(
    param: &'static str,
    text: &Option<String>,
) -> Result<Option<i64>, ApiError> {
    text.as_deref()
        .map(|t| {
            t.parse::<i64>()
                .ok()
                .or_else(|| timestamp::parse(t))
                .ok_or_else(|| bad(param, format!("is not RFC 3339 or nanoseconds: `{t}`")))
        })
        .transpose()
}

fn parse_list<T>(
    param: &'static str,
    text: &Option<String>,
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, ApiError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).ok_or_else(|| bad(param, format!("has an unknown value `{s}`"))))
        .collect()
}

impl EventsQuery {
    /// Converts the query string into a store filter.
    pub fn filter(&self) -> Result<EventFilter, ApiError> {
        Ok(EventFilter {
            types: parse_list("type", &self.types, EventType::parse)?,
            categories: parse_list("category", &self.category, EventCategory::from_name)?,
            since_ns: parse_time("since", &self.since)?,
            until_ns: parse_time("until", &self.until)?,
            path_prefix: self.path_prefix.clone(),
            source: self.source.clone(),
            agent: self.agent.clone(),
            transaction: self.transaction.clone(),
            min_priority: self
                .min_priority
                .as_deref()
                .map(|p| {
                    Priority::parse(p)
                        .ok_or_else(|| bad("minPriority", format!("is not a priority: `{p}`")))
                })
                .transpose()?,
        })
    }
}

/// One page of events.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    /// Matching events, oldest first.
    pub events: Vec<Event>,
    /// Pass as `cursor` for the next page; absent at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<u64>,
}

/// `GET /api/v1/events`: stored events, filtered, oldest first, one page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(EventsQuery),
    responses((status = 200, description = "One page of events", body = EventsPage))
)]
pub async fn get_events(
    State(state): State<AppState>,
    Query(q): Query<EventsQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let filter = q.filter()?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(bad("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    let started = Instant::now();
    let page = {
        let mut shared = state.shared.lock();
        let page = shared.retained.page(&filter, q.cursor, limit);
        let ns = started.elapsed().as_nanos() as u64;
        shared
            .engine
            .profiler
            .record(Stage::Query, ns, page.events.len() as u64);
        page
    };
    state
        .metrics
        .stage(Stage::Query, started.elapsed().as_nanos() as u64);
    Ok(Json(EventsPage {
        events: page.events,
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/v1/stats` body.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatsBody {
    /// Events retained (bounded by `max_event_history` and age).
    pub retained_events: usize,
    /// Oldest retained id.
    pub first_id: u64,
    /// Next id to assign.
    pub next_id: u64,
    /// Window statistics: the count window and the 1 m / 5 m / 1 h windows.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub windows: StatsReport,
}

/// `GET /api/v1/stats`: the count window and the 1 m / 5 m / 1 h windows.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    tag = "analytics",
    responses((status = 200, description = "Window statistics", body = StatsBody))
)]
pub async fn get_stats(State(state): State<AppState>) -> Json<StatsBody> {
    let shared = state.shared.lock();
    Json(StatsBody {
        retained_events: shared.retained.len(),
        first_id: shared.retained.first_id(),
        next_id: shared.retained.next_id(),
        windows: shared.engine.windows.stats(now_ns()),
    })
}

/// `GET /api/v1/profile` body.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileBody {
    /// The configured per-event latency target.
    pub processing_latency_target_ns: u64,
    /// Mean in-core time per event (windows + analytics + alerts), ns.
    pub core_ns_per_event: f64,
    /// Whether the mean in-core cost per event meets the target.
    pub within_target: bool,
    /// Acknowledged events not yet applied to the analytics (see `analytics_feed`), read with
    /// the report: the windows stage's events equal the analytics stage's events plus this.
    pub analytics_lag_events: i64,
    /// Profiler report: per-stage timings, resources, bottlenecks and history.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub report: ProfileReport,
}

/// `GET /api/v1/profile`: per-stage timings against the latency target, resources, bottlenecks.
#[utoipa::path(
    get,
    path = "/api/v1/profile",
    tag = "operations",
    responses((status = 200, description = "The profiler report", body = ProfileBody))
)]
pub async fn get_profile(State(state): State<AppState>) -> Json<ProfileBody> {
    let (report, analytics_lag_events) = {
        let shared = state.shared.lock();
        let lag = state.metrics.analytics_lag_events.get();
        (shared.engine.profiler.report(), lag)
    };
    let core_ns_per_event: f64 = report
        .stages
        .iter()
        .filter(|s| matches!(s.stage, Stage::Windows | Stage::Analytics | Stage::Alerts))
        .map(|s| s.mean_ns_per_event)
        .sum();
    let target = state.config.analytics.processing_latency_target_ns;
    Json(ProfileBody {
        processing_latency_target_ns: target,
        core_ns_per_event,
        within_target: core_ns_per_event <= target as f64,
        analytics_lag_events,
        report,
    })
}
