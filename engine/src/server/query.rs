//! Query handlers: `GET /api/v1/events` (filters, cursor) and `/api/v1/stats`, both answered for
//! the whole cluster in clustered mode (`fanout`), and `/api/v1/profile`.

use super::error::ApiError;
use super::fanout::events::LocalPage;
use super::fanout::stats::LocalStats;
use super::fanout::{self, Coverage, Listing, Scope};
use super::shared::now_ns;
use super::state::AppState;
use crate::core::profiler::{ProfileReport, Stage};
use crate::core::windows_report::StatsReport;
use crate::event::{Event, EventCategory, EventType, Priority, timestamp};
use crate::store::EventFilter;
use axum::Json;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
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
    /// The `nextCursor` of the previous page (standalone: an event id; clustered: opaque).
    pub cursor: Option<String>,
    /// Page size (1..=10000).
    pub limit: Option<usize>,
    /// `cluster` (default: every replica, merged) or `local` (this replica's share only).
    pub scope: Option<String>,
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

/// Where the next page starts: an event id (one engine, or `scope=local`), or the opaque
/// composite cursor of a page merged across replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum PageCursor {
    /// The last event id scanned.
    Id(u64),
    /// Every replica's position (see `fanout::lanes`).
    Merged(String),
}

/// One page of events.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    /// Matching events, oldest first (merged across replicas: by event time).
    pub events: Vec<Event>,
    /// Pass as `cursor` for the next page; absent at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<PageCursor>,
    /// Clustered mode: `partial` and `missingReplicas`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

fn id_cursor(text: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| {
        bad(
            "cursor",
            format!("`{text}` is not an event id returned by this endpoint"),
        )
    })
}

/// One page of this replica's events after `cursor` (an id).
fn local_page(
    state: &AppState,
    filter: &EventFilter,
    cursor: Option<u64>,
    limit: usize,
) -> LocalPage {
    let started = Instant::now();
    let page = {
        let mut shared = state.shared.lock();
        let page = shared.retained.page(filter, cursor, limit);
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
    LocalPage {
        events: page.events,
        next_cursor: page.next_cursor,
    }
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
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(q): Query<EventsQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let scope = Scope::parse(q.scope.as_deref())?;
    let filter = q.filter()?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(bad("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    if let (Scope::Cluster, Some(peers)) = (scope, state.fanout()) {
        let pairs = fanout::query_pairs(raw.as_deref());
        let listing = Listing {
            query: &pairs,
            cursor: q.cursor.as_deref(),
            limit,
            auth: fanout::authorization(&headers),
        };
        let page = fanout::events::page(peers, listing, |own| {
            local_page(&state, &filter, own, limit)
        })
        .await?;
        return Ok(Json(EventsPage {
            events: page.events,
            next_cursor: page.next_cursor.map(PageCursor::Merged),
            coverage: Some(page.coverage),
        }));
    }
    let cursor = q.cursor.as_deref().map(id_cursor).transpose()?;
    let page = local_page(&state, &filter, cursor, limit);
    Ok(Json(EventsPage {
        events: page.events,
        next_cursor: page.next_cursor.map(PageCursor::Id),
        coverage: None,
    }))
}

/// Query string of `GET /api/v1/stats`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// `cluster` (default: every replica, merged) or `local` (this replica's share only, as
    /// mergeable parts: what a replica asks its peers for).
    pub scope: Option<String>,
    /// With `scope=local`: the time (ns) the time windows end at (default: now).
    pub at: Option<i64>,
}

/// `GET /api/v1/stats` body.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatsBody {
    /// Events retained (bounded by `max_event_history` and age); clustered: summed.
    pub retained_events: usize,
    /// Oldest retained id (one engine only: ids are per replica).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_id: Option<u64>,
    /// Next id to assign (one engine only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_id: Option<u64>,
    /// Window statistics: the count window and the 1 m / 5 m / 1 h windows.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub windows: StatsReport,
    /// Clustered mode: `partial` and `missingReplicas`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

/// `GET /api/v1/stats`: the count window and the 1 m / 5 m / 1 h windows.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    tag = "analytics",
    params(StatsQuery),
    responses((status = 200, description = "Window statistics (`scope=local`: this replica's \
        windows as mergeable parts)", body = StatsBody))
)]
pub async fn get_stats(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StatsQuery>,
) -> Result<Response, ApiError> {
    let scope = Scope::parse(q.scope.as_deref())?;
    let now = q.at.unwrap_or_else(now_ns);
    if scope == Scope::Local {
        let shared = state.shared.lock();
        return Ok(Json(LocalStats {
            retained_events: shared.retained.len(),
            parts: shared.engine.windows.parts(now),
        })
        .into_response());
    }
    if let Some(peers) = state.fanout() {
        let mine = {
            let shared = state.shared.lock();
            LocalStats {
                retained_events: shared.retained.len(),
                parts: shared.engine.windows.parts(now),
            }
        };
        let merged =
            fanout::stats::merged(peers, now, fanout::authorization(&headers), mine).await?;
        return Ok(Json(StatsBody {
            retained_events: merged.retained_events,
            first_id: None,
            next_id: None,
            windows: merged.report,
            coverage: Some(merged.coverage),
        })
        .into_response());
    }
    let shared = state.shared.lock();
    Ok(Json(StatsBody {
        retained_events: shared.retained.len(),
        first_id: Some(shared.retained.first_id()),
        next_id: Some(shared.retained.next_id()),
        windows: shared.engine.windows.stats(now),
        coverage: None,
    })
    .into_response())
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
