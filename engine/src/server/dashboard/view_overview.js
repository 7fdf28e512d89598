// Overview: headline numbers, ingest rate, events by category and type, latency percentiles per
// type (all in event time over the selected range), and the analytics backlog sampled live.
"use strict";

// Buckets per overview chart: readable at a chart's width, within [charts] max_data_points.
const CHART_POINTS = 360;

Views.overview = {
  sort: { key: "events", dir: "desc" },
  latencyType: null,
  backlog: [], // [{t: ms, lag, rate}] sampled by this page, at most settings.maxHistory

  mount(main) {
    main.append(
      h("div", { class: "kpis", id: "kpis" }),
      h("section", { class: "card" }, h("div", { class: "head" }, h("h2", {}, "Ingest rate"),
        h("span", { class: "sub", id: "rate-sub" })),
        h("div", { class: "chart", id: "chart-rate" }),
        h("p", { class: "legend-note" }, "Event time. Drag to zoom, wheel to zoom, shift+wheel to pan, double-click to reset.")),
      h("section", { class: "card half" }, h("h2", {}, "Events by category"), h("p", { class: "sub" }, "events/s per category"),
        h("div", { class: "chart", id: "chart-category" })),
      h("section", { class: "card half" }, h("h2", {}, "Events by type"), h("p", { class: "sub" }, "events/s, eight busiest types"),
        h("div", { class: "chart", id: "chart-type" })),
      h("section", { class: "card half" }, h("div", { class: "head" }, h("h2", {}, "Latency percentiles"),
        h("span", { class: "tools" }, h("label", {}, "type ", h("select", { id: "latency-type" })))),
        h("p", { class: "sub" }, "p50, p95 and p99 of reported latency per bucket"),
        h("div", { class: "chart", id: "chart-latency" })),
      h("section", { class: "card half" }, h("h2", {}, "Backlog and lag"),
        h("p", { class: "sub" }, "events acknowledged but not yet analysed, and the 1-minute ingest rate, sampled by this page (wall clock)"),
        h("div", { class: "chart", id: "chart-backlog" })),
      h("section", { class: "card" }, h("h2", {}, "Event types in range"), h("div", { class: "tablewrap", id: "types-table" })),
    );
    document.getElementById("latency-type").addEventListener("change", (e) => {
      this.latencyType = e.target.value;
      if (App.data) this.drawLatency(App.data.ts);
    });
  },

  async load() {
    // The series are the heavy part: reloaded when the range moves or every refreshIntervalMs.
    const query = App.rangeQuery({ points: Math.min(App.settings.maxPoints, CHART_POINTS) });
    const fresh = this.ts && this.tsQuery === query && Date.now() - this.tsAt < App.settings.refreshIntervalMs;
    const [ts, stats, profile, anomalies, alerts] = await Promise.all([
      fresh ? this.ts : App.api("/api/v1/timeseries?" + query),
      App.api("/api/v1/stats"),
      App.optional("/api/v1/profile"),
      App.optional("/api/v1/anomalies?limit=1"),
      App.optional("/api/v1/alerts?status=firing&limit=1000"),
    ]);
    const rate = stats.timeWindows && stats.timeWindows[0] ? stats.timeWindows[0].ratePerSec : 0;
    const lag = profile ? profile.analyticsLagEvents : null;
    if (!fresh) Object.assign(this, { ts, tsQuery: query, tsAt: Date.now() });
    this.backlog.push({ t: Date.now(), lag, rate });
    while (this.backlog.length > App.settings.maxHistory) this.backlog.shift();
    return { ts, stats, profile, anomalies, alerts };
  },

  zoomed() {},

  update({ ts, stats, profile, anomalies, alerts }) {
    if (!document.getElementById("chart-rate").firstChild) this.drawn = null;
    const secs = ts.bucketNs / 1e9;
    const xs = ts.timesNs.map((t) => t / 1e9);
    const perSec = (row) => row.map((n) => n / secs);
    const firing = alerts && alerts.alerts ? alerts.alerts.filter((a) => a.status === "firing").length : null;
    const kpi = (label, value, cls) => h("div", { class: "kpi " + (cls || "") }, h("div", { class: "v" }, value), h("div", { class: "l" }, label));
    document.getElementById("kpis").replaceChildren(
      kpi("events in range", Fmt.int(ts.events)),
      kpi("events stored (total)", Fmt.int(stats.totalEvents)),
      kpi("retained", Fmt.int(stats.retainedEvents)),
      kpi("ingest, last minute", Fmt.rate(stats.timeWindows && stats.timeWindows[0] ? stats.timeWindows[0].ratePerSec : null)),
      kpi("anomalies", anomalies ? Fmt.int(anomalies.total) : "n/a", anomalies && anomalies.total ? "bad" : ""),
      kpi("alerts firing", firing == null ? "n/a" : Fmt.int(firing), firing ? "bad" : "good"),
      kpi("analytics backlog", profile ? Fmt.int(profile.analyticsLagEvents) + " ev" : "n/a"),
    );
    const b = this.backlog;
    Charts.time("backlog", document.getElementById("chart-backlog"), {
      unit: "events", independent: true,
      data: [b.map((p) => p.t / 1000), b.map((p) => p.lag), b.map((p) => p.rate)],
      series: [{ label: "analytics backlog (events)", color: "#f79009" }, { label: "ingest rate, 1 min (events/s)", color: "#2f6fed" }],
    });
    if (ts === this.drawn) return; // the series did not change: keep the charts (and the cursor)
    this.drawn = ts;
    document.getElementById("rate-sub").textContent =
      `events/s in ${Fmt.span(secs)} buckets, ${Fmt.time(ts.sinceNs)} → ${Fmt.time(ts.untilNs)}`;
    Charts.time("rate", document.getElementById("chart-rate"), {
      unit: "events/s", height: 240, data: [xs, perSec(ts.total)],
      series: [{ label: "all events", fill: "rgba(47,111,237,.10)", width: 2 }],
    });
    const cats = Object.entries(ts.byCategory).sort((a, b) => sum(b[1]) - sum(a[1]));
    Charts.time("category", document.getElementById("chart-category"), {
      unit: "events/s", data: [xs, ...cats.map(([, r]) => perSec(r))],
      series: cats.map(([c]) => ({ label: c })),
    });
    const types = Object.entries(ts.byType).sort((a, b) => sum(b[1]) - sum(a[1]));
    Charts.time("type", document.getElementById("chart-type"), {
      unit: "events/s", data: [xs, ...types.slice(0, 8).map(([, r]) => perSec(r))],
      series: types.slice(0, 8).map(([t]) => ({ label: t })),
    });
    this.drawLatency(ts);
    const total = ts.events || 1;
    const rows = types.map(([t, r]) => {
      const lat = ts.latencyByType[t];
      const p95 = lat ? Math.max(...lat.p95.filter((v) => v != null)) : null;
      return { type: t, events: sum(r), share: sum(r) / total, peak: Math.max(...r) / secs, p95max: p95 };
    });
    this.typeRows = Table.render(document.getElementById("types-table"), {
      id: "overview-types", state: this.sort, rows,
      columns: [
        { key: "type", label: "Type", fmt: (v) => h("span", { class: "mono" }, v) },
        { key: "events", label: "Events", num: true, fmt: Fmt.int },
        { key: "share", label: "Share", num: true, fmt: Fmt.pct },
        { key: "peak", label: "Peak rate", num: true, fmt: Fmt.rate },
        { key: "p95max", label: "Worst bucket p95 latency", num: true, fmt: Fmt.ns },
      ],
    });
  },

  drawLatency(ts) {
    const select = document.getElementById("latency-type");
    const types = Object.entries(ts.latencyByType).sort((a, b) => b[1].samples - a[1].samples).map(([t]) => t);
    if (!types.includes(this.latencyType)) this.latencyType = types[0] || null;
    select.replaceChildren(...types.map((t) => h("option", { value: t, selected: t === this.latencyType }, t)));
    const el = document.getElementById("chart-latency");
    const l = this.latencyType && ts.latencyByType[this.latencyType];
    if (!l) { Charts.destroy("latency"); el.replaceChildren(h("div", { class: "empty" }, "No event in range reports a latency.")); return; }
    Charts.time("latency", el, {
      unit: "latency", fmt: Fmt.ns, data: [ts.timesNs.map((t) => t / 1e9), l.p50, l.p95, l.p99],
      series: [{ label: "p50", color: "#12b76a" }, { label: "p95", color: "#f79009" }, { label: "p99", color: "#d92d20" }],
    });
  },

  rows() {
    const r = this.typeRows || [];
    return { columns: ["type", "events", "share", "peakRatePerSec", "worstP95LatencyNs"],
      rows: r.map((x) => [x.type, x.events, x.share, x.peak, x.p95max]) };
  },
};

function sum(xs) { return xs.reduce((a, b) => a + (b || 0), 0); }
