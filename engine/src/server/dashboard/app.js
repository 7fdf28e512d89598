// The page's core: settings, API calls with the bearer token, the time range, live updates,
// the stale banner, export, the drawer and sortable tables. Views register in `Views`.
"use strict";

const Views = {};

const App = {
  settings: JSON.parse(document.getElementById("settings").textContent),
  token: sessionStorage.getItem("vexfs-token") || "",
  subject: null,
  view: null,
  data: null,
  lastOk: null,
  stale: false,
  zoom: null, // [minSec, maxSec] while a chart is zoomed or panned
  extent: { first: null, last: null }, // retained event times, ns
  busy: false,
  denied: new Set(), // routes the signed-in subject may not read
  timer: null,

  async api(path, init = {}) {
    const headers = Object.assign({}, init.headers || {});
    if (this.token) headers.Authorization = "Bearer " + this.token;
    let resp;
    try {
      resp = await fetch(path, Object.assign({}, init, { headers, cache: "no-store" }));
    } catch (e) {
      throw Object.assign(new Error("engine unreachable"), { unreachable: true });
    }
    if (resp.status === 401) {
      this.askToken("The engine refused the token; enter a valid one.");
      throw Object.assign(new Error("sign-in required"), { status: 401 });
    }
    if (resp.status >= 500) {
      throw Object.assign(new Error(`engine answered ${resp.status}`), { unreachable: true });
    }
    const body = await resp.json().catch(() => null);
    if (!resp.ok) {
      const msg = (body && body.message) || `HTTP ${resp.status}`;
      throw Object.assign(new Error(msg), { status: resp.status });
    }
    return body;
  },

  // Like `api`, but a missing endpoint (404) or a forbidden one yields `null`, so a view can
  // show what the engine has and say what it lacks.
  async optional(path) {
    const route = path.split("?")[0];
    try {
      const body = await this.api(path);
      this.denied.delete(route);
      return body;
    } catch (e) {
      if (e.status === 403) this.denied.add(route);
      if (e.status === 404 || e.status === 403 || e.status === 400) return null;
      throw e;
    }
  },

  // Why `route` gave nothing: refused to the signed-in subject, or `off` (what the engine lacks).
  missing(route, off) {
    return this.denied.has(route) ? `${this.subject || "this subject"} may not read ${route}` : off;
  },

  // The selected range in event time as {since, until} ns, or {} for all data.
  range() {
    const sel = document.getElementById("range").value;
    if (sel === "all") return {};
    if (sel === "custom") {
      const from = Date.parse(document.getElementById("from").value);
      const to = Date.parse(document.getElementById("to").value);
      if (Number.isNaN(from) || Number.isNaN(to) || to <= from) return {};
      return { since: from * 1e6, until: to * 1e6 };
    }
    const newest = document.getElementById("anchor").checked && this.extent.last != null;
    // A millisecond past the newest event, so it stays inside the range after rounding to a double.
    const until = newest ? this.extent.last + 1e6 : Date.now() * 1e6;
    return { since: until - Number(sel) * 60e9, until };
  },

  // The range narrowed by the charts' zoom, as query parameters.
  rangeQuery(extra = {}) {
    const r = Object.assign({}, this.range());
    if (this.zoom) { r.since = Math.floor(this.zoom[0] * 1e9); r.until = Math.ceil(this.zoom[1] * 1e9); }
    const q = new URLSearchParams();
    if (r.since != null) q.set("since", String(Math.floor(r.since)));
    if (r.until != null) q.set("until", String(Math.ceil(r.until)));
    for (const [k, v] of Object.entries(extra)) if (v != null && v !== "") q.set(k, v);
    return q.toString();
  },

  // Whether event time `ns` is inside the charts' zoom (everything is, unzoomed). The range
  // itself is applied by the API: event times are integers beyond a double's precision, so the
  // page never compares them against the range edges itself.
  inRange(ns) {
    return !this.zoom || (ns >= this.zoom[0] * 1e9 && ns <= this.zoom[1] * 1e9);
  },

  async refresh() {
    if (this.busy || !this.view) return;
    this.busy = true;
    const view = this.view;
    try {
      const ext = await this.api("/api/v1/timeseries?points=1");
      this.extent = { first: ext.firstEventNs, last: ext.lastEventNs };
      const data = await Views[view].load();
      // Unchanged data leaves the view alone (tables keep their scroll, charts their cursor).
      const sig = JSON.stringify(data);
      if (view === this.view && sig !== this.sig) { this.sig = sig; this.data = data; Views[view].update(data); }
      this.markOk();
    } catch (e) {
      if (e.unreachable) this.markStale();
      else if (e.status !== 401) this.status(`error: ${e.message}`, "stale");
      console.warn("refresh failed", e);
    } finally {
      this.busy = false;
    }
  },

  markOk() {
    this.lastOk = Date.now();
    this.stale = false;
    document.getElementById("banner").hidden = true;
    document.body.classList.remove("is-stale");
    this.status(`updated ${Fmt.clock(this.lastOk)}`, "ok");
  },

  markStale() {
    this.stale = true;
    const banner = document.getElementById("banner");
    const asOf = this.lastOk ? Fmt.clock(this.lastOk) : "never";
    banner.textContent = `Engine unreachable — data as of ${asOf}. Retrying every ${Fmt.span(this.settings.updateIntervalMs / 1000)}.`;
    banner.hidden = false;
    document.body.classList.add("is-stale");
    this.status(`unreachable since ${Fmt.clock(Date.now())}`, "stale");
  },

  status(text, cls) {
    const el = document.getElementById("status");
    el.textContent = text;
    el.className = "status " + (cls || "");
  },

  schedule() {
    clearInterval(this.timer);
    if (document.getElementById("live").checked) {
      this.timer = setInterval(() => this.refresh(), this.settings.updateIntervalMs);
    }
  },

  show(view) {
    if (!Views[view]) view = "overview";
    this.view = view;
    this.data = null;
    this.sig = null;
    Charts.destroyAll();
    document.getElementById("drawer").hidden = true;
    document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("active", a.dataset.view === view));
    const main = document.getElementById("main");
    main.replaceChildren();
    main.dataset.view = view;
    Views[view].mount(main);
    if (this.zoom) this.zoom = null;
    this.refresh();
  },

  // Export what the current view shows: its main table, as filtered and sorted.
  exportView(format) {
    const view = Views[this.view];
    if (!view || !view.rows) return;
    const { columns, rows } = view.rows();
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
    let text, type;
    if (format === "json") {
      text = JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))), null, 2);
      type = "application/json";
    } else {
      const cell = (v) => {
        const s = v == null ? "" : String(v);
        return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      };
      text = [columns, ...rows].map((r) => r.map(cell).join(",")).join("\n") + "\n";
      type = "text/csv";
    }
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = `vexfs-${this.view}-${stamp}.${format}`;
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  },

  askToken(message) {
    const dialog = document.getElementById("token-dialog");
    document.getElementById("token-error").textContent = message || "";
    if (!dialog.open) dialog.showModal();
  },

  async whoami() {
    const who = document.getElementById("who");
    const signin = document.getElementById("signin");
    signin.hidden = !this.settings.auth;
    if (this.settings.auth && !this.token) { this.askToken(); return; }
    try {
      const me = await this.api("/api/v1/whoami");
      this.subject = me.subject;
      who.textContent = me.subject ? `signed in as ${me.subject}` : "";
      signin.textContent = me.subject ? "Switch token" : "Sign in";
    } catch (e) {
      who.textContent = "";
    }
  },

  drawer(title, body) {
    document.getElementById("drawer-title").textContent = title;
    document.getElementById("drawer-body").replaceChildren(...[].concat(body).flat().filter((n) => n != null));
    document.getElementById("drawer").hidden = false;
  },
};

// DOM helper: h("td", {class: "n"}, "text", child...).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

// A sortable table. `columns`: [{key, label, num, fmt(value, row) -> text|Node, sort}];
// `state` keeps {key, dir} across updates.
const Table = {
  render(el, { id, columns, rows, state, onClick, rowClass, empty = "Nothing in this range." }) {
    const sorted = rows.slice();
    if (state && state.key) {
      const col = columns.find((c) => c.key === state.key);
      const get = (r) => (col && col.sort ? col.sort(r) : r[state.key]);
      sorted.sort((a, b) => {
        const x = get(a), y = get(b);
        const c = x == null ? 1 : y == null ? -1 : x < y ? -1 : x > y ? 1 : 0;
        return state.dir === "asc" ? c : -c;
      });
    }
    const head = h("tr", {}, columns.map((c) => {
      const cls = [c.num ? "n" : "", state && state.key === c.key ? state.dir : ""].join(" ");
      return h("th", { class: cls, "data-sort": state ? c.key : null, onclick: state ? () => {
        state.dir = state.key === c.key && state.dir === "desc" ? "asc" : "desc";
        state.key = c.key;
        Table.render(el, { id, columns, rows, state, onClick, rowClass, empty });
      } : null }, c.label);
    }));
    const body = sorted.map((r) => h("tr", {
      class: [onClick ? "click" : "", rowClass ? rowClass(r) : ""].join(" "),
      onclick: onClick ? () => onClick(r) : null,
    }, columns.map((c) => h("td", { class: c.num ? "n" : "" }, c.fmt ? c.fmt(r[c.key], r) : r[c.key] ?? "–"))));
    const table = h("table", { id }, h("thead", {}, head), h("tbody", {}, body));
    el.replaceChildren(sorted.length ? table : h("div", { class: "empty" }, empty));
    el.sortedRows = sorted;
    return sorted;
  },
};

function card(title, sub, ...body) {
  return h("section", { class: "card" }, h("div", { class: "head" }, h("h2", {}, title)),
    sub ? h("p", { class: "sub" }, sub) : null, ...body);
}

function startApp() {
  const s = App.settings;
  const range = document.getElementById("range");
  const preset = [...range.options].find((o) => o.value === String(s.defaultRangeMinutes));
  if (!preset) range.prepend(h("option", { value: String(s.defaultRangeMinutes) }, `Last ${s.defaultRangeMinutes} min`));
  range.value = String(s.defaultRangeMinutes);
  range.addEventListener("change", () => {
    document.getElementById("custom").hidden = range.value !== "custom";
    if (range.value !== "custom") { App.zoom = null; App.sig = null; App.refresh(); }
  });
  document.getElementById("apply-custom").addEventListener("click", () => { App.zoom = null; App.sig = null; App.refresh(); });
  document.getElementById("anchor").addEventListener("change", () => { App.sig = null; App.refresh(); });
  document.getElementById("reset-zoom").addEventListener("click", () => Charts.reset());
  document.getElementById("reset-zoom").hidden = !s.zoom;
  const live = document.getElementById("live");
  live.checked = s.live;
  live.addEventListener("change", () => App.schedule());
  document.getElementById("export").hidden = !s.export;
  document.querySelectorAll("#export button").forEach((b) =>
    b.addEventListener("click", () => App.exportView(b.dataset.format)));
  document.getElementById("drawer-close").addEventListener("click", () => { document.getElementById("drawer").hidden = true; });
  document.getElementById("signin").addEventListener("click", () => App.askToken());
  document.getElementById("token-form").addEventListener("submit", () => {
    App.token = document.getElementById("token").value.trim();
    sessionStorage.setItem("vexfs-token", App.token);
    App.whoami().then(() => App.refresh());
  });
  // A zoom narrows what the view loads (finer buckets, fewer rows), so reload at once.
  Charts.onRange = (r) => { App.zoom = r; if (Views[App.view].zoomed) Views[App.view].zoomed(); App.refresh(); };
  window.addEventListener("hashchange", () => App.show(location.hash.slice(1)));
  App.whoami();
  App.show(location.hash.slice(1) || "overview");
  App.schedule();
}

document.addEventListener("DOMContentLoaded", startApp);
