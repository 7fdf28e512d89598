// Time charts on uPlot: units on axes, drag-to-zoom, wheel zoom, shift+wheel pan, double-click
// reset, and one shared x range per view. Also the number and time formatters the views use.
"use strict";

const Fmt = {
  num(v, digits = 2) {
    if (v == null || Number.isNaN(v)) return "–";
    const a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(1) + " G";
    if (a >= 1e6) return (v / 1e6).toFixed(1) + " M";
    if (a >= 1e4) return (v / 1e3).toFixed(1) + " k";
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return (+v.toFixed(digits)).toLocaleString("en-US", { maximumFractionDigits: digits });
  },
  int(v) { return v == null ? "–" : Math.round(v).toLocaleString("en-US"); },
  pct(v) { return v == null ? "–" : (v * 100).toFixed(1) + " %"; },
  ns(v) {
    if (v == null) return "–";
    const fixed = (x) => x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2);
    if (v >= 1e9) return fixed(v / 1e9) + " s";
    if (v >= 1e6) return fixed(v / 1e6) + " ms";
    if (v >= 1e3) return fixed(v / 1e3) + " µs";
    return Math.round(v) + " ns";
  },
  bytes(v) {
    if (v == null) return "–";
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i ? v.toFixed(1) : Math.round(v)) + " " + u[i];
  },
  rate(v) { return v == null ? "–" : Fmt.num(v) + "/s"; },
  // Event time (ns since the epoch) as local date and time.
  time(ns) {
    if (ns == null) return "–";
    const d = new Date(ns / 1e6);
    return d.toLocaleDateString("en-CA") + " " + d.toLocaleTimeString("en-GB");
  },
  clock(ms) { return new Date(ms).toLocaleTimeString("en-GB"); },
  // A time-axis label for `sec` on an axis spanning `span` seconds (24-hour, local time).
  tick(sec, span) {
    const d = new Date(sec * 1000);
    const p = (n) => String(n).padStart(2, "0");
    const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
    const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
    if (span > 60 * 86400) return day;
    if (span > 86400) return `${day.slice(5)} ${hm}`;
    if (span > 600) return hm;
    const hms = `${hm}:${p(d.getSeconds())}`;
    return span > 30 ? hms : `${hms}.${Math.floor(d.getMilliseconds() / 100)}`;
  },
  span(seconds) {
    if (seconds < 1) return (seconds * 1000).toFixed(0) + " ms";
    if (seconds < 120) return seconds.toFixed(0) + " s";
    if (seconds < 7200) return (seconds / 60).toFixed(0) + " min";
    return (seconds / 3600).toFixed(1) + " h";
  },
};

const PALETTE = ["#2f6fed", "#12b76a", "#f79009", "#7a5af8", "#ee46bc", "#06aed4", "#d92d20", "#667085",
  "#84cc16", "#0e9384"];

const Charts = {
  // Every live uPlot instance by name, for the view's shared range and for tests.
  all: {},
  // Called with [minSec, maxSec] or null when a chart is zoomed, panned or reset.
  onRange: null,

  // A time chart in `el`. `series`: [{label, color, unit, fmt, fill, dash, points, band}] and
  // `data`: [xsSeconds, ys...]. `unit` labels the y axis; `fmt` formats its values.
  time(name, el, { series, data, unit, fmt = Fmt.num, height = 220, bands, scatter = false, yRange, xRange, independent = false }) {
    this.destroy(name);
    el.replaceChildren();
    const width = Math.max(320, el.clientWidth || el.parentElement.clientWidth - 32);
    const opts = {
      width, height,
      cursor: { drag: { x: App.settings.zoom, y: false, setScale: false }, points: { size: 6 } },
      scales: { x: { time: true }, y: yRange ? { range: yRange } : { auto: true } },
      legend: { live: true },
      axes: [
        { stroke: "#667085", grid: { stroke: "#eef1f6" }, ticks: { stroke: "#e3e7ee" }, space: 70,
          values: (u, vals) => vals.map((v) => Fmt.tick(v, u.scales.x.max - u.scales.x.min)) },
        {
          label: unit, labelSize: 18, stroke: "#667085",
          // Wide enough for the longest tick label, so the unit never overlaps it.
          size: (u, vals) => 16 + 7 * Math.max(3, ...(vals || []).map((v) => String(v).length)),
          grid: { stroke: "#eef1f6" }, ticks: { stroke: "#e3e7ee" },
          values: (u, vals) => vals.map((v) => fmt(v)),
        },
      ],
      series: [{ label: "time", value: (u, v) => (v == null ? "–" : Fmt.time(v * 1e9)) }].concat(
        series.map((s, i) => {
          const color = s.color || PALETTE[i % PALETTE.length];
          const out = {
            label: s.label, stroke: color, width: s.width || 1.6, fill: s.fill,
            dash: s.dash, spanGaps: false, value: (u, v) => (v == null ? "–" : fmt(v)),
            points: { show: scatter || s.points || undefined, size: scatter ? 8 : 4, fill: color },
          };
          if (scatter) out.paths = () => null;
          if (s.band) { out.stroke = "transparent"; out.width = 0; out.points = { show: false }; }
          return out;
        })),
      bands,
      // Zoom only on what the user does (a drag here, the wheel below), never on uPlot's own scaling.
      hooks: { setSelect: [(u) => {
        if (u.select.width < 2) return;
        const min = u.posToVal(u.select.left, "x"), max = u.posToVal(u.select.left + u.select.width, "x");
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        this.zoomTo(u, min, max);
      }] },
    };
    if (xRange && data[0].length) {
      // Pad the series to the range, so a few points in a long range stay in place.
      const [lo, hi] = xRange;
      if (lo < data[0][0]) data = data.map((ys, i) => [i ? null : lo].concat(ys));
      if (hi > data[0][data[0].length - 1]) data = data.map((ys, i) => ys.concat([i ? null : hi]));
    }
    const plot = new uPlot(opts, data, el);
    plot.vexIndependent = independent;
    if (!independent && App.zoom && data[0].length) plot.setScale("x", { min: App.zoom[0], max: App.zoom[1] });
    plot.vexName = name;
    this.all[name] = plot;
    el.addEventListener("wheel", (e) => this.wheel(plot, e), { passive: false });
    el.addEventListener("dblclick", () => this.reset());
    return plot;
  },

  destroy(name) {
    if (this.all[name]) { this.all[name].destroy(); delete this.all[name]; }
  },
  destroyAll() { Object.keys(this.all).forEach((n) => this.destroy(n)); },

  // Number of non-null points a chart draws, over every series.
  points(name) {
    const p = this.all[name];
    if (!p) return 0;
    return p.data.slice(1).reduce((n, ys) => n + ys.filter((v) => v != null).length, 0);
  },

  // Shows [min, max] (seconds) on `plot` and, unless it keeps its own clock, on every chart of
  // the view, and tells the view.
  zoomTo(plot, min, max) {
    if (!(max > min)) return;
    if (plot.vexIndependent) { plot.setScale("x", { min, max }); return; }
    for (const p of Object.values(this.all)) {
      if (!p.vexIndependent) p.setScale("x", { min, max });
    }
    if (this.onRange) this.onRange([min, max]);
  },

  // Wheel zooms around the cursor; shift+wheel (or a horizontal wheel) pans.
  wheel(plot, e) {
    if (!App.settings.zoom) return;
    e.preventDefault();
    const { min, max } = plot.scales.x;
    if (min == null) return;
    const span = max - min;
    const rect = plot.over.getBoundingClientRect();
    const at = min + span * Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      const d = (e.deltaX || e.deltaY) > 0 ? span * 0.1 : -span * 0.1;
      this.zoomTo(plot, min + d, max + d);
    } else {
      const f = e.deltaY < 0 ? 0.8 : 1.25;
      this.zoomTo(plot, at - (at - min) * f, at + (max - at) * f);
    }
  },

  pan(fraction) {
    const first = Object.values(this.all).find((p) => !p.vexIndependent);
    if (!first) return;
    const { min, max } = first.scales.x;
    const d = (max - min) * fraction;
    this.zoomTo(first, min + d, max + d);
  },

  reset() {
    for (const p of Object.values(this.all)) {
      const xs = p.data[0];
      if (xs.length) p.setScale("x", { min: xs[0], max: xs[xs.length - 1] });
    }
    if (this.onRange) this.onRange(null);
  },

  resize() {
    for (const p of Object.values(this.all)) {
      const w = p.root.parentElement.clientWidth;
      if (w > 0) p.setSize({ width: w, height: p.height });
    }
  },
};

window.addEventListener("resize", () => Charts.resize());
