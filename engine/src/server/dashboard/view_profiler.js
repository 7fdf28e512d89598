// Profiler: per-stage timings (bottlenecks highlighted), and CPU, memory, I/O and stage p95 over
// the profiler's sampled history (wall clock).
"use strict";

Views.profiler = {
  sort: { key: "p95", dir: "desc" },

  mount(main) {
    const chart = (id, title, sub) => h("section", { class: "card half" }, h("h2", {}, title), h("p", { class: "sub" }, sub), h("div", { class: "chart", id }));
    main.append(
      h("div", { class: "kpis", id: "prof-kpis" }),
      h("section", { class: "card" }, h("div", { class: "head" }, h("h2", {}, "Pipeline stages"), h("span", { class: "sub", id: "prof-sub" })),
        h("div", { class: "tablewrap", id: "stages-table" })),
      chart("chart-stage", "Stage p95 over time", "per sample interval"),
      chart("chart-cpu", "CPU", "process CPU, % of one core"),
      chart("chart-mem", "Memory", "resident set size"),
      chart("chart-io", "I/O", "disk and network throughput"),
    );
  },

  async load() {
    const profile = await App.optional("/api/v1/profile");
    return { profile };
  },

  update({ profile: p }) {
    if (!p) {
      document.getElementById("prof-kpis").replaceChildren(h("div", { class: "empty" }, App.missing("/api/v1/profile", "The profiler is not available.")));
      return;
    }
    const kpi = (label, v, cls) => h("div", { class: "kpi " + (cls || "") }, h("div", { class: "v" }, v), h("div", { class: "l" }, label));
    const c = p.process;
    document.getElementById("prof-kpis").replaceChildren(
      kpi("core time per event", Fmt.ns(p.coreNsPerEvent), p.withinTarget ? "good" : "bad"),
      kpi("target per event", Fmt.ns(p.processingLatencyTargetNs)),
      kpi("bottlenecks", String(p.bottlenecks.length), p.bottlenecks.length ? "bad" : "good"),
      kpi("CPU time", `${Fmt.num(c.cpuSeconds)} s`),
      kpi("resident memory", Fmt.bytes(c.rssBytes)),
      kpi("threads", Fmt.int(c.threads)),
      kpi("analytics backlog", `${Fmt.int(p.analyticsLagEvents)} ev`));
    const slow = new Map(p.bottlenecks.map((b) => [b.stage, b]));
    document.getElementById("prof-sub").textContent = slow.size
      ? `bottleneck: ${[...slow.values()].map((b) => `${b.stage} p95 ${Fmt.num(b.p95Ms)} ms > ${Fmt.num(b.thresholdMs)} ms`).join("; ")}`
      : "no stage over the bottleneck threshold";
    const rows = p.stages.map((s) => ({ stage: s.stage, calls: s.durationNs.count, events: s.events, p50: s.durationNs.p50,
      p95: s.durationNs.p95, p99: s.durationNs.p99, perEvent: s.meanNsPerEvent, slow: slow.has(s.stage) }));
    this.shown = Table.render(document.getElementById("stages-table"), {
      id: "stages", rows, state: this.sort, rowClass: (r) => (r.slow ? "hot" : ""),
      columns: [
        { key: "stage", label: "Stage", fmt: (v, r) => h("span", {}, h("b", {}, v), r.slow ? h("span", { class: "pill firing", style: "margin-left:6px" }, "bottleneck") : null) },
        { key: "calls", label: "Calls", num: true, fmt: Fmt.int }, { key: "events", label: "Events", num: true, fmt: Fmt.int },
        { key: "p50", label: "p50 / call", num: true, fmt: Fmt.ns }, { key: "p95", label: "p95 / call", num: true, fmt: Fmt.ns },
        { key: "p99", label: "p99 / call", num: true, fmt: Fmt.ns }, { key: "perEvent", label: "Mean / event", num: true, fmt: Fmt.ns },
      ],
    });
    const hist = p.history || [];
    const xs = hist.map((s) => s.atNs / 1e9);
    const empty = (id, name) => { Charts.destroy(name); document.getElementById(id).replaceChildren(h("div", { class: "empty" }, "Collecting samples…")); };
    if (hist.length < 2) { ["stage", "cpu", "mem", "io"].forEach((n) => empty("chart-" + n, n)); return; }
    const stageP95 = (s) => Object.fromEntries((s.stageP95Ns || []).map((x) => (Array.isArray(x) ? x : [x.stage, x.p95Ns])));
    const stages = [...new Set(hist.flatMap((s) => Object.keys(stageP95(s))))];
    Charts.time("stage", document.getElementById("chart-stage"), { unit: "p95 per call", fmt: Fmt.ns,
      data: [xs, ...stages.map((st) => hist.map((s) => stageP95(s)[st] ?? null))], series: stages.map((st) => ({ label: st, width: slow.has(st) ? 3 : 1.5 })) });
    Charts.time("cpu", document.getElementById("chart-cpu"), { unit: "CPU %", fmt: (v) => `${Fmt.num(v, 1)} %`,
      data: [xs, hist.map((s) => s.cpuPercent)], series: [{ label: "CPU", fill: "rgba(47,111,237,.10)" }] });
    Charts.time("mem", document.getElementById("chart-mem"), { unit: "memory", fmt: Fmt.bytes,
      data: [xs, hist.map((s) => s.rssBytes)], series: [{ label: "RSS", color: "#12b76a", fill: "rgba(18,183,106,.10)" }] });
    Charts.time("io", document.getElementById("chart-io"), { unit: "bytes/s", fmt: (v) => Fmt.bytes(v) + "/s",
      data: [xs, hist.map((s) => s.readBytesPerSec), hist.map((s) => s.writeBytesPerSec), hist.map((s) => s.netRxBytesPerSec), hist.map((s) => s.netTxBytesPerSec)],
      series: [{ label: "disk read" }, { label: "disk write" }, { label: "net in" }, { label: "net out" }] });
  },

  rows() {
    return { columns: ["stage", "calls", "events", "p50Ns", "p95Ns", "p99Ns", "meanNsPerEvent", "bottleneck"],
      rows: (this.shown || []).map((r) => [r.stage, r.calls, r.events, r.p50, r.p95, r.p99, r.perEvent, r.slow]) };
  },
};
