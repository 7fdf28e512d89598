//! The dashboard in a real headless Chromium against the real engine binary fed a known stream:
//! every view renders what the API holds, drill-downs open, exports carry the shown rows, an
//! alert is acknowledged, and the stale banner appears when the engine stops. Screenshots of each
//! view land in `target/dashboard-screenshots/`.
//!
//! A second test signs in with a token when the API requires one.
//!
//! Needs Chromium (`apt-get install -y chromium`); without it the test fails and says so.

mod alerts_common;
mod browser;
mod common;

use browser::{Browser, downloaded};
use common::Engine;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SEC: i64 = 1_000_000_000;
/// Transactions in the stream, one every two seconds.
const TRANSACTIONS: i64 = 600;
/// The transaction whose write is 1000 times slower than the others.
const SLOW: i64 = 450;

fn artifacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dashboard-screenshots")
}

/// Twenty minutes ending now: each transaction creates, writes and renames a file; every tenth
/// second an agent query and a vector write. One write is a latency outlier.
fn stream(now: i64) -> String {
    let start = now - TRANSACTIONS * 2 * SEC;
    let mut out = String::new();
    for n in 0..TRANSACTIONS {
        let ts = start + n * 2 * SEC;
        let slow = if n == SLOW { 1000 } else { 1 };
        for (i, (ty, latency)) in [
            ("FilesystemCreate", 15_000),
            ("FilesystemWrite", (20_000 + (n % 7) * 100) * slow),
            ("FilesystemRename", 12_000),
        ]
        .into_iter()
        .enumerate()
        {
            let e = json!({"type": ty, "timestamp": ts + i as i64 * SEC / 10, "source": "node-a",
                "latencyNs": latency, "sizeBytes": 4096,
                "context": {"transactionId": format!("tx-{n}"), "filesystem": {"path": format!("/data/f{n}.bin")}}});
            out.push_str(&e.to_string());
            out.push('\n');
        }
        if n % 5 == 0 {
            for ty in ["AgentQuery", "VectorCreate"] {
                let e = json!({"type": ty, "timestamp": ts + SEC, "source": "node-b", "latencyNs": 90_000});
                out.push_str(&e.to_string());
                out.push('\n');
            }
        }
    }
    out
}

/// A rule that fires once the stream is in (a rule firing before it would store an
/// `AlertTriggered` event newer than the whole stream, which then arrives late for the rates).
fn config(hook: &str) -> String {
    format!(
        "[profiler]\nprofiling_interval_ms = 200\n\n\
         [dashboard]\nupdate_interval_ms = 500\n\n\
         [[alerts.rules]]\nname = \"WriteRate\"\nseverity = \"warning\"\n\
         condition = \"type_rate(FilesystemWrite) > threshold\"\nthreshold = 0.2\nreceivers = [\"ops\"]\n\n\
         [[alerts.receivers]]\nname = \"ops\"\nwebhook = {{ url = \"{hook}/hook/ops\" }}\n"
    )
}

/// Polls the engine until `ready` holds for a GET of `path` (60 s).
async fn until(engine: &Engine, path: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let v = engine.get(path).await;
        if ready(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the engine never had {what}");
}

fn count(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

/// Rows of the table with `id` in the page.
async fn table_rows(b: &Browser, id: &str) -> usize {
    b.eval(&format!(
        "document.querySelectorAll('#{id} tbody tr').length"
    ))
    .await
    .as_u64()
    .unwrap_or(0) as usize
}

async fn open_view(b: &Browser, base: &str, view: &str, ready: &str) {
    b.goto(&format!("{base}/dashboard#{view}")).await;
    b.wait_for(ready, &format!("the {view} view renders")).await;
}

async fn shoot(b: &Browser, name: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.screenshot(&artifacts().join(format!("{name}.png"))).await;
}

/// The page's current range as a query string.
async fn page_range(b: &Browser) -> String {
    b.eval("App.rangeQuery()")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_renders_the_engine_data_in_chromium() {
    let (hook, _rec) = alerts_common::start_http().await;
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("engine.toml");
    std::fs::write(&config_file, config(&hook)).unwrap();
    let engine = Engine::start_with_config(&dir.path().join("data"), &config_file).await;
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/events", engine.url))
        .header("content-type", "application/x-ndjson")
        .body(stream(now))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    until(&engine, "/api/v1/profile", "its analytics caught up", |p| {
        p["analyticsLagEvents"] == 0
    })
    .await;
    until(
        &engine,
        "/api/v1/anomalies",
        "the latency outlier flagged",
        |a| a["total"].as_u64().is_some_and(|n| n > 0),
    )
    .await;
    until(&engine, "/api/v1/patterns", "patterns mined", |p| {
        count(&p["patterns"]) > 0
    })
    .await;
    until(&engine, "/api/v1/alerts", "an alert firing", |a| {
        count(&a["alerts"]) > 0
    })
    .await;
    until(&engine, "/api/v1/predictions", "a rate forecast", |p| {
        count(&p["forecasts"]) > 0 || p["rateForecast"].is_object()
    })
    .await;

    let downloads = tempfile::tempdir().unwrap();
    let b = Browser::launch(1400, 900).await;
    b.downloads_to(downloads.path()).await;
    let base = engine.url.clone();

    // Overview: the charts have points; the type table matches the series API for its range.
    open_view(
        &b,
        &base,
        "overview",
        "Charts.points('rate') > 0 && document.querySelector('#overview-types')",
    )
    .await;
    let range = page_range(&b).await;
    let api = engine.get(&format!("/api/v1/timeseries?{range}")).await;
    let types: BTreeSet<String> = api["byType"].as_object().unwrap().keys().cloned().collect();
    let shown = b.eval("Views.overview.typeRows.map((r) => r.type)").await;
    assert_eq!(
        table_rows(&b, "overview-types").await,
        types.len(),
        "{shown} vs {types:?} for {range}"
    );
    assert!(
        types.contains("AgentQuery") && types.contains("FilesystemWrite"),
        "{types:?}"
    );
    for chart in ["category", "type", "latency"] {
        let points = b.eval(&format!("Charts.points('{chart}')")).await;
        assert!(
            points.as_u64().is_some_and(|n| n > 0),
            "{chart} chart has points"
        );
    }
    shoot(&b, "overview").await;
    b.click("#export button[data-format=csv]").await;
    let csv = downloaded(downloads.path(), ".csv").await;
    let exported: BTreeSet<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    assert_eq!(exported, types, "the CSV holds the table's rows");

    // Zoom: a drag across the rate chart narrows every chart and reloads finer buckets.
    let wide = b.eval("Views.overview.ts.bucketNs").await.as_f64().unwrap();
    b.drag("#chart-rate .u-over", 0.7, 0.9).await;
    b.wait_for(
        &format!("App.zoom && Views.overview.ts.bucketNs < {wide}"),
        "the zoom reloads finer buckets",
    )
    .await;
    let same = b
        .eval("Charts.all.rate.scales.x.min === Charts.all.category.scales.x.min")
        .await;
    assert_eq!(same, json!(true), "the charts share the zoom");
    b.click("#reset-zoom").await;
    b.wait_for("App.zoom === null", "the zoom resets").await;

    // Anomalies: one marker and one row per anomaly in range; JSON export has the same rows.
    open_view(
        &b,
        &base,
        "anomalies",
        "document.querySelector('#anomalies-table tbody tr')",
    )
    .await;
    let range = page_range(&b).await;
    let listed = engine
        .get(&format!("/api/v1/anomalies?{range}&limit=1000"))
        .await;
    let in_range = count(&listed["anomalies"]);
    let rows = table_rows(&b, "anomalies-table").await;
    assert_eq!(rows, in_range, "one row per anomaly in range");
    assert!(rows > 0);
    assert_eq!(b.eval("Charts.points('severity')").await, json!(rows));
    shoot(&b, "anomalies").await;
    b.click("#export button[data-format=json]").await;
    let exported: Vec<Value> =
        serde_json::from_str(&downloaded(downloads.path(), ".json").await).unwrap();
    let ids = |records: &[Value]| -> BTreeSet<String> {
        records
            .iter()
            .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(exported.len(), rows, "the JSON export holds the shown rows");
    assert_eq!(
        ids(&exported),
        ids(listed["anomalies"].as_array().unwrap()),
        "the exported records are the API's"
    );

    // Drill-down: the slow write beside its type's baseline, then its session.
    let slow_row = b
        .eval(
            "Views.anomalies.shown.findIndex((a) => a.eventId != null && a.detector === 'latency')",
        )
        .await
        .as_i64()
        .unwrap();
    assert!(slow_row >= 0, "the latency outlier is in the table");
    b.click(&format!(
        "#anomalies-table tbody tr:nth-child({})",
        slow_row + 1
    ))
    .await;
    b.wait_for(
        "document.querySelector('#baseline-table')",
        "the event drill-down opens",
    )
    .await;
    let text = b
        .eval("document.querySelector('#baseline-table').innerText")
        .await;
    let slow_ms = format!("{:.1} ms", (20_000 + (SLOW % 7) * 100) as f64 / 1_000.0);
    assert!(
        text.as_str().unwrap().contains(&slow_ms),
        "the slow write's {slow_ms}: {text}"
    );
    b.click("#open-session").await;
    b.wait_for(
        "document.querySelector('#session-table tbody tr')",
        "the session drill-down opens",
    )
    .await;
    let session = engine
        .get(&format!("/api/v1/events?transaction=tx-{SLOW}"))
        .await;
    assert_eq!(
        table_rows(&b, "session-table").await,
        count(&session["events"])
    );
    assert_eq!(count(&session["events"]), 3);
    shoot(&b, "anomaly-session").await;

    // Patterns: every mined pattern listed; rules and correlations rendered.
    open_view(
        &b,
        &base,
        "patterns",
        "document.querySelector('#patterns tbody tr')",
    )
    .await;
    let patterns = engine.get("/api/v1/patterns").await;
    assert_eq!(
        table_rows(&b, "patterns").await,
        count(&patterns["patterns"])
    );
    assert_eq!(table_rows(&b, "rules").await, count(&patterns["rules"]));
    shoot(&b, "patterns").await;

    // Predictions: the next-event candidates, and the forecast chart once a forecast exists.
    open_view(
        &b,
        &base,
        "predictions",
        "document.querySelector('#backtest .kpi')",
    )
    .await;
    let predictions = engine.get("/api/v1/predictions").await;
    assert_eq!(
        table_rows(&b, "next-events").await,
        count(&predictions["nextEvents"])
    );
    b.wait_for("Charts.points('forecast') > 0", "the forecast is drawn")
        .await;
    shoot(&b, "predictions").await;

    // Alerts: the open alerts, then acknowledged from the page.
    open_view(
        &b,
        &base,
        "alerts",
        "document.querySelector('#alerts tbody tr')",
    )
    .await;
    let alerts = engine.get("/api/v1/alerts").await;
    let open = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] != "resolved")
        .count();
    assert_eq!(table_rows(&b, "alerts").await, open);
    shoot(&b, "alerts").await;
    b.click("#alerts button[data-ack]").await;
    until(&engine, "/api/v1/alerts", "the alert acknowledged", |a| {
        a["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["status"] == "acknowledged")
    })
    .await;

    // Profiler: one row per stage and the resource charts over the sampled history.
    open_view(
        &b,
        &base,
        "profiler",
        "Charts.points('cpu') > 1 && document.querySelector('#stages tbody tr')",
    )
    .await;
    let profile = engine.get("/api/v1/profile").await;
    assert_eq!(table_rows(&b, "stages").await, count(&profile["stages"]));
    for chart in ["mem", "io", "stage"] {
        let points = b.eval(&format!("Charts.points('{chart}')")).await;
        assert!(
            points.as_u64().is_some_and(|n| n > 1),
            "{chart} chart has points"
        );
    }
    shoot(&b, "profiler").await;

    // The engine goes away: the page says so and keeps the last data.
    open_view(&b, &base, "overview", "Charts.points('rate') > 0").await;
    engine.kill();
    let banner = b
        .wait_for(
            "!document.getElementById('banner').hidden && document.getElementById('banner').textContent",
            "the stale banner appears",
        )
        .await;
    let banner = banner.as_str().unwrap();
    assert!(
        banner.contains("Engine unreachable") && banner.contains("data as of"),
        "{banner}"
    );
    assert!(
        b.eval("Charts.points('rate')").await.as_u64().unwrap() > 0,
        "the last data stays"
    );
    shoot(&b, "stale").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_asks_for_a_token_and_shows_who_is_signed_in() {
    // The role reads analytics and dashboards but not the profiler.
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("tokens");
    std::fs::write(&secret, "ops-viewer:tok-view\n").unwrap();
    let roles: &[common::auth::Role] = &[("viewer", &["dashboard:read", "analytics:read"])];
    let toml = common::auth::auth_toml(
        "token",
        true,
        &secret,
        roles,
        &[("user", "ops-viewer", "viewer")],
    );
    let config_file = dir.path().join("engine.toml");
    std::fs::write(&config_file, toml).unwrap();
    let engine = Engine::start_with_config(&dir.path().join("data"), &config_file).await;
    let b = Browser::launch(1200, 800).await;
    b.goto(&format!("{}/dashboard", engine.url)).await;
    b.wait_for(
        "document.getElementById('token-dialog').open",
        "the token prompt",
    )
    .await;
    let sign_in = |token: &str| {
        format!(
            "document.getElementById('token').value = {}; document.getElementById('token-form').requestSubmit(); true",
            json!(token)
        )
    };
    b.eval(&sign_in("tok-wrong")).await;
    let error = b
        .wait_for("document.getElementById('token-dialog').open && document.getElementById('token-error').textContent", "the refusal")
        .await;
    assert!(error.as_str().unwrap().contains("refused"), "{error}");
    b.eval(&sign_in("tok-view")).await;
    let who = b
        .wait_for(
            "document.getElementById('who').textContent",
            "the signed-in subject",
        )
        .await;
    assert_eq!(who, json!("signed in as ops-viewer"));
    b.wait_for(
        "document.querySelector('#status.ok')",
        "data loads with the token",
    )
    .await;
    shoot(&b, "signed-in").await;
    b.goto(&format!("{}/dashboard#profiler", engine.url)).await;
    let refused = b
        .wait_for(
            "document.getElementById('prof-kpis').textContent",
            "the profiler's refusal",
        )
        .await;
    assert_eq!(refused, json!("ops-viewer may not read /api/v1/profile"));
}
