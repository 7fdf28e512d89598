//! Which permission each API route needs. Probes and metrics stay open; unknown routes need the
//! strongest permission (`production:write`), so a new route is never accidentally public. The
//! admin routes (`/api/v1/admin/*`, `/api/v1/audit`) need it by that rule; taking a backup
//! (`GET /api/v1/admin/backup`) also accepts the backup token.

use super::permission::{Area, Permission, Verb};

/// What a request needs before it reaches its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials needed (`/healthz`, `/readyz`, `/metrics`).
    Open,
    /// An authenticated subject holding this permission.
    Requires(Permission),
    /// `GET /api/v1/admin/backup`: a subject holding `production:write`, or the backup token
    /// (`[auth] backup_token_file`), which is good for this route only.
    Backup,
}

impl Access {
    /// The permission a subject needs (`None` for open routes).
    pub fn permission(self) -> Option<Permission> {
        match self {
            Access::Open => None,
            Access::Requires(permission) => Some(permission),
            Access::Backup => Some(Permission::new(Area::Production, Verb::Write)),
        }
    }
}

/// The route of online backups.
pub const BACKUP_ROUTE: &str = "/api/v1/admin/backup";

/// Probes, metrics, the dashboard's page shell and assets, and the API's OpenAPI document (they
/// hold no data; the page asks for a token before it calls the API).
const OPEN: [&str; 6] = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/dashboard",
    "/dashboard/assets/{name}",
    "/api/v1/openapi.json",
];
const ANALYTICS_QUERIES: [&str; 12] = [
    "/api/v1/cluster",
    "/api/v1/events",
    "/api/v1/stats",
    "/api/v1/patterns",
    "/api/v1/correlations",
    "/api/v1/anomalies",
    "/api/v1/anomalies/stream",
    "/api/v1/sessions",
    "/api/v1/sessions/{key}",
    "/api/v1/predictions",
    "/api/v1/stream",
    "/api/v1/timeseries",
];

/// Queries that take their arguments as a JSON body (POST) but read, like the GET queries: the
/// second phase of a pattern query across replicas sends the candidate patterns to count.
const ANALYTICS_BODY_QUERIES: [&str; 1] = ["/api/v1/patterns/support"];

/// The access `method` (upper case, e.g. `GET`) on `path` (a route path, without query) needs.
pub fn required(method: &str, path: &str) -> Access {
    if OPEN.contains(&path) {
        return Access::Open;
    }
    if method == "GET" && path == BACKUP_ROUTE {
        return Access::Backup;
    }
    let reading = matches!(method, "GET" | "HEAD");
    let needs = |area, verb| Access::Requires(Permission::new(area, verb));
    let by_method = |area| needs(area, if reading { Verb::Read } else { Verb::Write });
    if under(path, "/dashboard") || path == "/api/v1/whoami" {
        return needs(Area::Dashboard, Verb::Read);
    }
    if under(path, "/api/v1/alerts") {
        return by_method(Area::Dashboard);
    }
    if under(path, "/api/v1/profile") {
        return by_method(Area::Profiler);
    }
    if ANALYTICS_BODY_QUERIES.contains(&path) {
        return needs(Area::Analytics, Verb::Read);
    }
    if ANALYTICS_QUERIES.contains(&path) {
        return by_method(Area::Analytics);
    }
    needs(Area::Production, Verb::Write)
}

/// `path` is `prefix` or below it (`/api/v1/alerts/7/ack` is under `/api/v1/alerts`).
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm(text: &str) -> Access {
        Access::Requires(text.parse().unwrap())
    }

    #[test]
    fn the_route_table_matches_the_api() {
        let cases = [
            ("POST", "/api/v1/events", perm("analytics:write")),
            ("GET", "/api/v1/events", perm("analytics:read")),
            ("GET", "/api/v1/stats", perm("analytics:read")),
            ("GET", "/api/v1/patterns", perm("analytics:read")),
            ("POST", "/api/v1/patterns/support", perm("analytics:read")),
            ("GET", "/api/v1/correlations", perm("analytics:read")),
            ("GET", "/api/v1/anomalies", perm("analytics:read")),
            ("GET", "/api/v1/anomalies/stream", perm("analytics:read")),
            ("GET", "/api/v1/sessions", perm("analytics:read")),
            ("GET", "/api/v1/sessions/{key}", perm("analytics:read")),
            ("GET", "/api/v1/predictions", perm("analytics:read")),
            ("GET", "/api/v1/stream", perm("analytics:read")),
            ("GET", "/api/v1/alerts", perm("dashboard:read")),
            ("GET", "/api/v1/alerts/{id}", perm("dashboard:read")),
            ("POST", "/api/v1/alerts/{id}/ack", perm("dashboard:write")),
            ("GET", "/api/v1/profile", perm("profiler:read")),
            ("GET", "/api/v1/admin/backup", Access::Backup),
            ("HEAD", "/api/v1/admin/backup", perm("production:write")),
            ("POST", "/api/v1/admin/restore", perm("production:write")),
            ("GET", "/api/v1/audit", perm("production:write")),
            ("GET", "/dashboard", Access::Open),
            ("GET", "/dashboard/assets/{name}", Access::Open),
            ("GET", "/api/v1/whoami", perm("dashboard:read")),
            ("GET", "/api/v1/timeseries", perm("analytics:read")),
            ("GET", "/healthz", Access::Open),
            ("GET", "/readyz", Access::Open),
            ("GET", "/metrics", Access::Open),
            ("GET", "/api/v1/openapi.json", Access::Open),
        ];
        for (method, path, want) in cases {
            assert_eq!(required(method, path), want, "{method} {path}");
        }
    }

    #[test]
    fn the_backup_route_needs_production_write_unless_the_backup_token_is_used() {
        assert_eq!(
            Access::Backup.permission(),
            Some("production:write".parse().unwrap())
        );
        assert_eq!(Access::Open.permission(), None);
    }

    #[test]
    fn head_reads_and_other_methods_write() {
        assert_eq!(required("HEAD", "/api/v1/stats"), perm("analytics:read"));
        assert_eq!(
            required("DELETE", "/api/v1/events"),
            perm("analytics:write")
        );
        assert_eq!(required("PUT", "/api/v1/profile"), perm("profiler:write"));
    }

    #[test]
    fn unknown_routes_need_the_strongest_permission() {
        for path in [
            "/api/v1/unknown",
            "/api/v2/events",
            "/",
            "/alertsx",
            "/metricsx",
        ] {
            assert_eq!(required("GET", path), perm("production:write"), "{path}");
        }
    }

    #[test]
    fn prefixes_match_whole_segments_only() {
        assert!(under("/api/v1/alerts", "/api/v1/alerts"));
        assert!(under("/api/v1/alerts/3", "/api/v1/alerts"));
        assert!(!under("/api/v1/alertsx", "/api/v1/alerts"));
        assert_eq!(required("GET", "/dashboardx"), perm("production:write"));
    }
}
