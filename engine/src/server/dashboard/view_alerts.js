// Alerts: open, acknowledged, escalated and resolved alerts with their rule, receivers and the
// receivers' delivery outcomes, and acknowledgement as the signed-in subject.
"use strict";

// Delivery outcomes per receiver from the Prometheus text of /metrics.
function deliveries(text) {
  const out = {};
  const re = /^vexfs_alert_deliveries_total\{([^}]*)\}\s+([0-9.e+]+)/gm;
  for (const m of (text || "").matchAll(re)) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    (out[labels.receiver] = out[labels.receiver] || {})[labels.outcome] = Number(m[2]);
  }
  return out;
}

function alertState(a) {
  if (a.status === "firing" && a.escalatedAtNs != null) return "escalated";
  return a.status;
}

Views.alerts = {
  status: "open",
  sort: { key: "firedAtNs", dir: "desc" },

  mount(main) {
    const opt = (v, l) => h("option", { value: v, selected: v === this.status }, l);
    main.append(
      h("div", { class: "kpis", id: "alert-kpis" }),
      h("section", { class: "card" }, h("div", { class: "head" }, h("h2", {}, "Alerts"), h("span", { class: "count", id: "alert-count" }),
        h("span", { class: "tools" }, h("label", {}, "show ", h("select", { id: "alert-status", onchange: (e) => { this.status = e.target.value; this.draw(); } },
          opt("open", "open (firing, escalated, acknowledged)"), opt("firing", "firing"), opt("escalated", "escalated"),
          opt("acknowledged", "acknowledged"), opt("resolved", "resolved"), opt("all", "all"))))),
        h("p", { class: "sub", id: "alert-sub" }),
        h("div", { class: "tablewrap", id: "alerts-table" })),
    );
  },

  async load() {
    const [list, metrics] = await Promise.all([
      App.optional("/api/v1/alerts?limit=1000"),
      fetch("/metrics", { cache: "no-store" }).then((r) => (r.ok ? r.text() : "")).catch(() => ""),
    ]);
    return { list, delivery: deliveries(metrics) };
  },

  update(data) {
    this.data = data;
    const s = data.list && data.list.summary;
    const kpi = (label, v, cls) => h("div", { class: "kpi " + (cls || "") }, h("div", { class: "v" }, v), h("div", { class: "l" }, label));
    const items = (data.list && data.list.alerts) || [];
    document.getElementById("alert-kpis").replaceChildren(
      kpi("firing", s ? Fmt.int(s.firing) : "n/a", s && s.firing ? "bad" : "good"),
      kpi("escalated", Fmt.int(items.filter((a) => alertState(a) === "escalated").length)),
      kpi("acknowledged", s ? Fmt.int(s.acknowledged) : "n/a"),
      kpi("resolved", s ? Fmt.int(s.resolved) : "n/a"),
      kpi("fired in the last hour", s ? Fmt.int(s.firedLastHour) : "n/a"));
    document.getElementById("alert-sub").textContent = !data.list || data.list.enabled === false
      ? App.missing("/api/v1/alerts", "alerting is disabled in this engine ([alerts] enabled = false)")
      : App.subject ? `acknowledging as ${App.subject}` : "acknowledgements are recorded without a name while the API is open";
    this.draw();
  },

  draw() {
    const items = ((this.data.list && this.data.list.alerts) || []).map((a) => Object.assign({ state: alertState(a) }, a));
    const want = this.status;
    const rows = items.filter((a) => want === "all" || (want === "open" ? a.state !== "resolved" : a.state === want));
    document.getElementById("alert-count").textContent = `${rows.length} shown`;
    const delivery = this.data.delivery;
    this.shown = Table.render(document.getElementById("alerts-table"), {
      id: "alerts", rows, state: this.sort, empty: "No alert in this state.",
      columns: [
        { key: "id", label: "#", num: true },
        { key: "state", label: "State", fmt: (v) => h("span", { class: "pill " + v }, v) },
        { key: "severity", label: "Severity", fmt: (v) => h("span", { class: "pill " + v }, v) },
        { key: "rule", label: "Rule", fmt: (v, r) => h("span", { title: r.condition }, h("b", {}, v), h("br"), h("span", { class: "mono" }, r.condition)) },
        { key: "value", label: "Value", num: true, fmt: (v, r) => (r.threshold != null ? `${Fmt.num(v)} / ${Fmt.num(r.threshold)}` : Fmt.num(v)) },
        { key: "receivers", label: "Receivers · delivery", sort: (r) => r.receivers.join(","), fmt: (v) => h("span", {}, v.length ? v.map((rc) => h("div", {}, rc, " ",
          ...Object.entries(delivery[rc] || {}).map(([o, n]) => h("span", { class: "pill " + (["success", "delivered", "ok", "sent"].includes(o) ? "ok" : "firing") }, `${o} ${n}`)),
          Object.keys(delivery[rc] || {}).length ? null : h("span", { class: "pill" }, "no attempt yet"))) : "–") },
        { key: "firedAtNs", label: "Fired", fmt: (v) => Fmt.time(v) },
        { key: "acknowledgedBy", label: "Acknowledged", fmt: (v, r) => (r.acknowledgedAtNs ? `${v || "—"} · ${Fmt.time(r.acknowledgedAtNs)}` : r.state === "resolved" ? "–"
          : h("button", { type: "button", class: "primary", "data-ack": r.id, onclick: (e) => { e.stopPropagation(); this.ack(r.id, e.target); } }, "Acknowledge")) },
      ],
    });
  },

  async ack(id, button) {
    button.disabled = true;
    try {
      const body = App.subject ? JSON.stringify({ by: App.subject }) : "";
      await App.api(`/api/v1/alerts/${id}/ack`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
      await App.refresh();
    } catch (e) {
      button.disabled = false;
      button.textContent = `failed: ${e.message}`;
    }
  },

  rows() {
    return { columns: ["id", "state", "severity", "rule", "condition", "value", "threshold", "receivers", "firedAt", "acknowledgedBy"],
      rows: (this.shown || []).map((a) => [a.id, a.state, a.severity, a.rule, a.condition, a.value, a.threshold, a.receivers.join(" "),
        new Date(a.firedAtNs / 1e6).toISOString(), a.acknowledgedBy]) };
  },
};
