// Predictions: the rate forecast drawn after the observed series, with its interval band and
// backtest error, and next-event candidates (the engine's for the open sessions, and per type
// from the mined rules).
"use strict";

// The observed series of a forecast as [[xSec...], [value...]]: the API contract's `observed`
// (numbers from `observedStartNs` every `stepSeconds`, or points with `timeNs`), else the
// event-time rate of the last `fallback` seconds from the series API.
function observedSeries(f, fallback) {
  const obs = f && f.observed;
  if (Array.isArray(obs) && obs.length) {
    if (typeof obs[0] === "number") {
      const step = f.stepSeconds || 1;
      const start = (f.observedStartNs != null ? f.observedStartNs : f.startNs) / 1e9;
      return [obs.map((_, i) => start + i * step), obs];
    }
    return [obs.map((p) => (p.timeNs != null ? p.timeNs : p.tNs) / 1e9), obs.map((p) => p.value)];
  }
  if (obs && Array.isArray(obs.values)) {
    const step = obs.stepSeconds || 1;
    return [obs.values.map((_, i) => obs.startNs / 1e9 + i * step), obs.values];
  }
  if (!fallback) return [[], []];
  const secs = fallback.bucketNs / 1e9;
  return [fallback.timesNs.map((t) => t / 1e9), fallback.total.map((n) => n / secs)];
}

// A forecast point's time, s: from `forecastStartNs` (one point a second), else `step` seconds
// after the last observed point.
function forecastTime(f, p, i, lastObserved) {
  if (p.timeNs != null) return p.timeNs / 1e9;
  if (f.forecastStartNs != null) return f.forecastStartNs / 1e9 + i * (f.stepSeconds || 1);
  return lastObserved + p.step * (f.stepSeconds || 1);
}

Views.predictions = {
  type: "",
  series: "rate:total",

  mount(main) {
    main.append(
      h("section", { class: "card" }, h("div", { class: "head" }, h("h2", {}, "Event-rate forecast"), h("span", { class: "sub", id: "forecast-sub" }),
        h("span", { class: "tools" }, h("label", {}, "series ", h("select", { id: "forecast-series", onchange: (e) => { this.series = e.target.value; App.refresh(); } })))),
        h("div", { class: "kpis", id: "backtest", style: "margin-bottom:10px" }),
        h("div", { class: "chart", id: "chart-forecast" }),
        h("p", { class: "legend-note" }, "Observed rate, then the forecast with its prediction interval (shaded).")),
      h("section", { class: "card half" }, h("h2", {}, "Next event, open sessions"), h("p", { class: "sub", id: "next-sub" }),
        h("div", { class: "tablewrap", id: "next-table" })),
      h("section", { class: "card half" }, h("div", { class: "head" }, h("h2", {}, "Next event after a type"),
        h("span", { class: "tools" }, h("label", {}, "after ", h("select", { id: "next-type", onchange: (e) => { this.type = e.target.value; this.drawAfter(); } })))),
        h("p", { class: "sub" }, "candidates from the mined rules, by confidence"),
        h("div", { class: "tablewrap", id: "after-table" })),
    );
  },

  async load() {
    const [pred, patterns] = await Promise.all([App.optional("/api/v1/predictions"), App.optional("/api/v1/patterns")]);
    const all = pred && pred.forecasts && pred.forecasts.length ? pred.forecasts : pred && pred.rateForecast ? [pred.rateForecast] : [];
    if (!all.some((x) => x.series === this.series)) this.series = all.length ? all[0].series || "" : "";
    const f = all.find((x) => (x.series || "") === this.series) || null;
    let fallback = null;
    if (!f || !f.observed) {
      const until = Date.now() * 1e6;
      const span = Math.min(App.settings.maxPoints, 900);
      fallback = await App.api(`/api/v1/timeseries?since=${until - span * 1e9}&until=${until}&points=${span}`);
    }
    return { pred, patterns, forecast: f, fallback, series: all.map((x) => x.series).filter(Boolean) };
  },

  update(data) {
    this.data = data;
    const { pred, forecast: f } = data;
    const sub = document.getElementById("forecast-sub");
    const el = document.getElementById("chart-forecast");
    const bt = (f && f.backtest) || {};
    const kpi = (label, v) => h("div", { class: "kpi" }, h("div", { class: "v" }, v), h("div", { class: "l" }, label));
    document.getElementById("backtest").replaceChildren(
      kpi("horizon", pred ? Fmt.span(bt.horizonSeconds || pred.horizonSeconds) : "n/a"),
      kpi("backtest MAE (events/s)", f ? Fmt.num(bt.mae != null ? bt.mae : f.mae, 3) : "n/a"),
      kpi("MASE (vs seasonal naive)", bt.mase != null ? Fmt.num(bt.mase, 3) : "n/a"),
      kpi("seasonal-naive MAE", bt.seasonalNaiveMae != null ? Fmt.num(bt.seasonalNaiveMae, 3) : "n/a"),
      kpi("seasonal period", f && f.period ? Fmt.span(f.period) : "n/a"),
      kpi("next-event accuracy (top 1)", pred ? Fmt.pct(pred.nextEventAccuracy) : "n/a"));
    document.getElementById("forecast-series").replaceChildren(...data.series.map((x) => h("option", { value: x, selected: x === this.series }, x)));
    const [ox, oy] = observedSeries(f, data.fallback);
    if (!f || !f.forecast || !f.forecast.length) {
      sub.textContent = pred ? "no forecast yet: the engine needs at least two seasons of per-second rates" : App.missing("/api/v1/predictions", "predictive analytics are disabled in this engine");
      Charts.destroy("forecast");
      el.replaceChildren(h("div", { class: "empty" }, sub.textContent));
    } else {
      const last = ox.length ? ox[ox.length - 1] : Date.now() / 1000;
      const step = f.stepSeconds || 1;
      const fx = f.forecast.map((p, i) => forecastTime(f, p, i, last));
      const n = ox.length, m = fx.length;
      const pad = (xs, before, after) => Array(before).fill(null).concat(xs, Array(after).fill(null));
      const upper = f.forecast.map((p) => p.upper), lower = f.forecast.map((p) => p.lower);
      sub.textContent = `${f.series || "rate:total"}, ${Fmt.span(m * (f.stepSeconds || 1))} ahead of ${Fmt.span(n)} observed (event time)`;
      Charts.time("forecast", el, {
        unit: "events/s", height: 260,
        data: [ox.concat(fx), pad(oy, 0, m), pad(f.forecast.map((p) => p.value), n, 0), pad(upper, n, 0), pad(lower, n, 0)],
        series: [{ label: "observed", color: "#2f6fed", width: 1.8 }, { label: "forecast", color: "#7a5af8", width: 2, dash: [6, 4] },
          { label: "upper", band: true }, { label: "lower", band: true }],
        bands: [{ series: [3, 4], fill: "rgba(122,90,248,.15)" }],
      });
    }
    const next = pred ? pred.nextEvents.map((x) => ({ type: x.type, p: x.probability })) : [];
    const bk = pred && pred.nextEventBacktest;
    document.getElementById("next-sub").textContent = bk ? `backtested on ${Fmt.int(bk.predictions)} predictions, ${Fmt.int(bk.hits)} hits` : "";
    this.shown = Table.render(document.getElementById("next-table"), {
      id: "next-events", rows: next, empty: pred ? "No open session to predict." : "Not available.",
      columns: [{ key: "type", label: "Type", fmt: (v) => h("span", { class: "mono" }, v) },
        { key: "p", label: "Probability", num: true, fmt: (v) => h("span", {}, h("span", { class: "bar", style: `width:${Math.round(v * 80)}px` }), " ", Fmt.pct(v)) }],
    });
    const types = data.patterns ? [...new Set(data.patterns.rules.filter((r) => r.antecedent.length === 1).map((r) => r.antecedent[0]))].sort() : [];
    if (!types.includes(this.type)) this.type = types[0] || "";
    document.getElementById("next-type").replaceChildren(...types.map((t) => h("option", { value: t, selected: t === this.type }, t)));
    this.drawAfter();
  },

  drawAfter() {
    const rules = this.data.patterns ? this.data.patterns.rules : [];
    const rows = rules.filter((r) => r.antecedent.length === 1 && r.antecedent[0] === this.type)
      .map((r) => ({ type: r.consequent, confidence: r.confidence, support: r.support }));
    Table.render(document.getElementById("after-table"), {
      id: "after-type", rows, state: { key: "confidence", dir: "desc" }, empty: "No rule starts with this type.",
      columns: [{ key: "type", label: "Next", fmt: (v) => h("span", { class: "mono" }, v) },
        { key: "confidence", label: "Confidence", num: true, fmt: Fmt.pct }, { key: "support", label: "Support", num: true, fmt: Fmt.int }],
    });
  },

  rows() {
    const f = this.data && this.data.forecast;
    const [ox, oy] = observedSeries(f, this.data && this.data.fallback);
    const rows = ox.map((x, i) => ["observed", new Date(x * 1000).toISOString(), oy[i], null, null]);
    if (f && f.forecast) {
      const last = ox.length ? ox[ox.length - 1] : 0;
      f.forecast.forEach((p, i) => rows.push(["forecast", new Date(forecastTime(f, p, i, last) * 1000).toISOString(), p.value, p.lower, p.upper]));
    }
    return { columns: ["series", "time", "eventsPerSec", "lower", "upper"], rows };
  },
};
