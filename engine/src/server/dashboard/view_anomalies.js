// Anomalies: severity over time with one marker per anomaly, a sortable and filterable table, and
// drill-downs: a session's events with its least likely step, an event beside its type's baseline.
"use strict";

// Older engines report {kind: "Event"|"Latency"|"Size"|"Rate"|"Sequence", timestampNs, score,
// threshold} without a severity; map them onto the API contract's record.
const LEGACY_KIND = {
  Event: ["event", "forest"], Latency: ["event", "latency"], Size: ["event", "size"],
  Rate: ["series", "rate"], Sequence: ["session", "sequence"],
};

function normAnomaly(a, i) {
  const legacy = LEGACY_KIND[a.kind];
  const kind = legacy ? legacy[0] : a.kind;
  const detector = a.detector || (legacy ? legacy[1] : "");
  const timeNs = a.eventTimeNs != null ? a.eventTimeNs : a.timestampNs;
  let severity = a.severity;
  if (severity == null) {
    // Without the engine's severity, how far past its threshold the score is, in (0, 1).
    severity = a.score > 0 && a.threshold > 0 ? Math.max(0, Math.min(1, 1 - a.threshold / a.score)) : 0;
  }
  const subject = a.subject || (a.eventId != null ? `event ${a.eventId}` : "");
  return {
    id: a.id || `${kind}-${timeNs}-${i}`, kind, detector, subject, timeNs, severity,
    score: a.score, threshold: a.threshold, eventId: a.eventId, eventType: a.eventType,
    explanation: a.explanation || "", contributions: a.contributions || [], raw: a,
  };
}

Views.anomalies = {
  sort: { key: "timeNs", dir: "desc" },
  filter: { kind: "", detector: "", subject: "", minSeverity: 0 },

  mount(main) {
    const f = this.filter;
    const sel = (id, label) => h("label", {}, label, h("select", { id, onchange: (e) => { f[id] = e.target.value; this.redraw(); } }));
    main.append(
      h("section", { class: "card" }, h("div", { class: "head" }, h("h2", {}, "Severity over time"),
        h("span", { class: "sub", id: "anomaly-sub" })),
        h("div", { class: "chart", id: "chart-severity" }),
        h("p", { class: "legend-note" }, "One marker per anomaly, by detector. Severity is comparable across detectors (0–1). Zooming narrows the table.")),
      h("section", { class: "card" }, h("div", { class: "head" }, h("h2", {}, "Anomalies"), h("span", { class: "count", id: "anomaly-count" })),
        h("div", { class: "filters" }, sel("kind", "kind"), sel("detector", "detector"),
          h("label", {}, "subject", h("input", { type: "text", id: "f-subject", placeholder: "contains…", oninput: (e) => { f.subject = e.target.value; this.redraw(); } })),
          h("label", {}, "min severity", h("input", { type: "number", id: "f-sev", min: 0, max: 1, step: 0.05, value: f.minSeverity, style: "width:70px",
            oninput: (e) => { f.minSeverity = Number(e.target.value) || 0; this.redraw(); } }))),
        h("div", { class: "tablewrap", id: "anomaly-table" })),
    );
  },

  async load() {
    // Newest first, page by page, up to [dashboard] max_dashboard_history records.
    const query = App.rangeQuery({ limit: 1000, sort: "time" });
    let body = await App.optional("/api/v1/anomalies?" + query);
    if (!body) return { missing: true, items: [] };
    const first = body;
    const list = (body.anomalies || body.recent || []).slice();
    while (body.nextCursor && list.length < App.settings.maxHistory) {
      body = await App.api(`/api/v1/anomalies?${query}&cursor=${encodeURIComponent(body.nextCursor)}`);
      list.push(...body.anomalies);
    }
    const items = list.slice(0, App.settings.maxHistory).map(normAnomaly);
    return { total: first.total, ranged: !!first.totals, forest: first.forest, items, more: first.total > items.length };
  },

  update(data) {
    this.data = data;
    const options = (id, values) => {
      const el = document.getElementById(id);
      const cur = this.filter[id];
      el.replaceChildren(h("option", { value: "" }, "all"), ...[...new Set(values)].sort().map((v) => h("option", { value: v, selected: v === cur }, v)));
    };
    options("kind", data.items.map((a) => a.kind));
    options("detector", data.items.map((a) => a.detector));
    document.getElementById("anomaly-sub").textContent = data.missing
      ? App.missing("/api/v1/anomalies", "anomaly detection is disabled in this engine")
      : `${Fmt.int(data.total)} ${data.ranged ? "in range" : "detected in total"}${data.forest ? `; isolation forest ${data.forest.trained ? "trained" : "training"}` : ""}`;
    this.redraw();
  },

  zoomed() { if (this.data) this.drawTable(); },

  visible() {
    const f = this.filter;
    return this.data.items.filter((a) => App.inRange(a.timeNs)
      && (!f.kind || a.kind === f.kind) && (!f.detector || a.detector === f.detector)
      && (!f.subject || a.subject.toLowerCase().includes(f.subject.toLowerCase()))
      && a.severity >= f.minSeverity);
  },

  redraw() {
    if (!this.data) return;
    const shown = this.visible().slice().sort((a, b) => a.timeNs - b.timeNs);
    const detectors = [...new Set(shown.map((a) => a.detector))].sort();
    const xs = shown.map((a) => a.timeNs / 1e9);
    const el = document.getElementById("chart-severity");
    if (!shown.length) {
      Charts.destroy("severity");
      el.replaceChildren(h("div", { class: "empty" }, "No anomaly in this range."));
    } else {
      const r = App.range();
      const lo = r.since != null ? r.since / 1e9 : xs[0] - 60, hi = r.until != null ? r.until / 1e9 : xs[xs.length - 1] + 60;
      Charts.time("severity", el, {
        unit: "severity", scatter: true, yRange: [0, 1], fmt: (v) => v.toFixed(2), height: 200, xRange: [lo, hi],
        data: [xs, ...detectors.map((d) => shown.map((a) => (a.detector === d ? a.severity : null)))],
        series: detectors.map((d) => ({ label: d })),
      });
    }
    this.drawTable();
  },

  drawTable() {
    const rows = this.visible();
    const cap = this.data.more ? ` (the newest ${this.data.items.length} of ${Fmt.int(this.data.total)} loaded)` : "";
    document.getElementById("anomaly-count").textContent = `${rows.length} shown${cap}`;
    this.shown = Table.render(document.getElementById("anomaly-table"), {
      id: "anomalies-table", rows, state: this.sort, onClick: (a) => this.open(a),
      columns: [
        { key: "timeNs", label: "Event time", fmt: (v) => Fmt.time(v) },
        { key: "kind", label: "Kind", fmt: (v) => h("span", { class: "pill" }, v) },
        { key: "detector", label: "Detector" },
        { key: "subject", label: "Subject", fmt: (v) => h("span", { class: "mono" }, v || "–") },
        { key: "severity", label: "Severity", num: true, fmt: (v) => h("span", { class: "sev" }, h("i", { style: `width:${Math.round(v * 60) + 2}px` }), v.toFixed(2)) },
        { key: "explanation", label: "Why" },
      ],
    });
  },

  rows() {
    return { columns: ["id", "eventTime", "eventTimeNs", "kind", "detector", "subject", "severity", "score", "threshold", "explanation"],
      rows: (this.shown || []).map((a) => [a.id, new Date(a.timeNs / 1e6).toISOString(), a.timeNs, a.kind, a.detector, a.subject, a.severity, a.score, a.threshold, a.explanation]) };
  },

  open(a) {
    if (a.kind === "session") return openSession(a.subject, a);
    if (a.eventId != null) return openEvent(a.eventId, a);
    App.drawer(`${a.detector} anomaly`, [anomalyFacts(a), contributions(a)]);
  },
};

function anomalyFacts(a) {
  return h("dl", {}, h("dt", {}, "kind"), h("dd", {}, `${a.kind} (${a.detector})`),
    h("dt", {}, "subject"), h("dd", { class: "mono" }, a.subject || "–"),
    h("dt", {}, "event time"), h("dd", {}, Fmt.time(a.timeNs)),
    h("dt", {}, "severity"), h("dd", {}, a.severity.toFixed(3)),
    h("dt", {}, "score / threshold"), h("dd", {}, `${Fmt.num(a.score, 3)} / ${Fmt.num(a.threshold, 3)}`),
    h("dt", {}, "explanation"), h("dd", {}, a.explanation || "–"));
}

function contributions(a) {
  if (!a.contributions.length) return null;
  const box = h("div", {});
  Table.render(box, { rows: a.contributions, columns: [
    { key: "feature", label: "Feature" }, { key: "value", label: "Value", num: true, fmt: (v) => Fmt.num(v) },
    { key: "baseline", label: "Baseline", num: true, fmt: (v) => Fmt.num(v) },
    { key: "deviation", label: "Deviation", num: true, fmt: (v, r) => `${Fmt.num(v)} ${r.unit || ""}` }] });
  return [h("h3", {}, "What stood out"), box];
}

async function openSession(key, a) {
  App.drawer(`Session ${key}`, h("p", { class: "empty" }, "loading…"));
  let session = await App.optional(`/api/v1/sessions/${encodeURIComponent(key)}`);
  if (!session) {
    // Without the sessions API, the session's events by transaction id.
    const page = await App.api(`/api/v1/events?transaction=${encodeURIComponent(key)}&limit=1000`);
    session = { key, events: page.events, steps: [], leastLikelyStep: null };
  }
  const step = session.leastLikelyStep || (session.verdict && session.verdict.leastLikelyStep) || null;
  const probs = Object.fromEntries((session.steps || []).map((s) => [s.index, s.probability]));
  const rows = (session.events || []).map((e, i) => ({ index: i, id: e.id, t: e.timestampNs ?? Date.parse(e.timestamp) * 1e6,
    type: e.type, source: e.source, p: probs[i] }));
  const box = h("div", { class: "tablewrap", id: "session-events" });
  Table.render(box, { id: "session-table", rows, rowClass: (r) => (step && r.index === step.index ? "hot" : ""), columns: [
    { key: "index", label: "#", num: true }, { key: "id", label: "Event", num: true },
    { key: "t", label: "Event time", fmt: (v) => Fmt.time(v) }, { key: "type", label: "Type", fmt: (v) => h("span", { class: "mono" }, v) },
    { key: "source", label: "Source" }, { key: "p", label: "P(step)", num: true, fmt: (v) => (v == null ? "–" : v.toFixed(3)) }] });
  const verdict = session.verdict && session.verdict.verdict;
  App.drawer(`Session ${key}`, [
    a ? anomalyFacts(a) : null,
    h("dl", {}, h("dt", {}, "events"), h("dd", {}, String(rows.length)),
      verdict ? [h("dt", {}, "verdict"), h("dd", {}, h("span", { class: "pill " + verdict }, verdict))] : null,
      h("dt", {}, "least likely step"), h("dd", {}, step ? `${step.from} → ${step.to} (p = ${Number(step.probability).toFixed(3)}, step ${step.index})` : "not reported by this engine")),
    h("h3", {}, "Events in the session"), box]);
}

async function openEvent(id, a) {
  App.drawer(`Event ${id}`, h("p", { class: "empty" }, "loading…"));
  const [page, base] = await Promise.all([
    App.api(`/api/v1/events?cursor=${id - 1}&limit=1`),
    App.api("/api/v1/timeseries?points=1"),
  ]);
  const e = (page.events || []).find((x) => x.id === id);
  if (!e) { App.drawer(`Event ${id}`, [anomalyFacts(a), h("p", { class: "empty" }, "The event is no longer retained.")]); return; }
  const lat = base.latencyByType[e.type];
  const pick = (s, k) => (s && s[k][0] != null ? s[k][0] : null);
  const cmp = h("table", { class: "compare", id: "baseline-table" }, h("thead", {}, h("tr", {}, ["", "This event", "Type p50", "Type p95", "Type p99"].map((t, i) => h("th", { class: i ? "n" : "" }, t)))),
    h("tbody", {}, h("tr", {}, h("td", {}, "latency"), h("td", { class: "n" }, h("b", {}, Fmt.ns(e.latencyNs))),
      ...["p50", "p95", "p99"].map((k) => h("td", { class: "n" }, Fmt.ns(pick(lat, k)))))));
  const tx = e.context && (e.context.transactionId || e.context.sessionId);
  const session = tx ? h("p", {}, h("button", { type: "button", id: "open-session", onclick: () => openSession(tx, null) }, `Open its session ${tx}`)) : null;
  App.drawer(`Event ${id} · ${e.type}`, [anomalyFacts(a), session, contributions(a),
    h("h3", {}, `Beside the ${e.type} baseline (all retained events of the type, ${lat ? Fmt.int(lat.samples) : 0} with latency)`), cmp,
    h("h3", {}, "The event"), h("pre", { class: "mono" }, JSON.stringify(e, null, 2))]);
}
