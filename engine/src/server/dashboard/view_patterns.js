// Patterns: top sequential patterns and rules with support and confidence, filterable by event
// type, and correlated event-type pairs ranked by strength with their lag.
"use strict";

Views.patterns = {
  type: "",
  sortP: { key: "support", dir: "desc" },
  sortR: { key: "confidence", dir: "desc" },
  sortC: { key: "strength", dir: "desc" },

  mount(main) {
    main.append(
      h("section", { class: "card" }, h("div", { class: "head" }, h("h2", {}, "Sequential patterns"),
        h("span", { class: "sub", id: "patterns-sub" }),
        h("span", { class: "tools" }, h("label", {}, "event type ", h("select", { id: "pattern-type", onchange: (e) => { this.type = e.target.value; this.draw(); } })))),
        h("div", { class: "tablewrap", id: "patterns-table" })),
      h("section", { class: "card half" }, h("h2", {}, "Rules"), h("p", { class: "sub" }, "antecedent ⇒ next event, with the share of sessions that follow it"),
        h("div", { class: "tablewrap", id: "rules-table" })),
      h("section", { class: "card half" }, h("h2", {}, "Correlations"), h("p", { class: "sub", id: "corr-sub" }, "event-type rate pairs, strongest first; lag is how far b trails a"),
        h("div", { class: "tablewrap", id: "corr-table" })),
    );
  },

  async load() {
    const [patterns, correlations] = await Promise.all([App.optional("/api/v1/patterns"), App.optional("/api/v1/correlations")]);
    return { patterns, correlations };
  },

  update(data) {
    this.data = data;
    const p = data.patterns;
    const types = new Set();
    if (p) {
      p.patterns.forEach((x) => x.types.forEach((t) => types.add(t)));
      p.rules.forEach((r) => { r.antecedent.forEach((t) => types.add(t)); types.add(r.consequent); });
    }
    const sel = document.getElementById("pattern-type");
    sel.replaceChildren(h("option", { value: "" }, "any"), ...[...types].sort().map((t) => h("option", { value: t, selected: t === this.type }, t)));
    document.getElementById("patterns-sub").textContent = p
      ? `${Fmt.int(p.sessions)} sessions mined, ${Fmt.int(p.openSessions)} open; minimum support ${p.minSupport} sessions${p.truncated ? `; complete up to length ${p.completeUpToLength}` : ""}`
      : App.missing("/api/v1/patterns", "pattern discovery is disabled in this engine");
    this.draw();
  },

  draw() {
    const { patterns: p, correlations: c } = this.data;
    const t = this.type;
    const seq = (types) => h("span", { class: "mono seq" }, types.flatMap((x, i) => (i ? [" ", h("span", { class: "arrow" }, "→"), " ", x] : [x])));
    const pats = p ? p.patterns.filter((x) => !t || x.types.includes(t)).map((x) => ({ seq: x.types, len: x.types.length, support: x.support, ratio: x.supportRatio })) : [];
    this.shownPatterns = Table.render(document.getElementById("patterns-table"), {
      id: "patterns", rows: pats, state: this.sortP, empty: p ? "No pattern with this type." : "Not available.",
      columns: [
        { key: "seq", label: "Sequence", fmt: seq, sort: (r) => r.seq.join(" ") },
        { key: "len", label: "Length", num: true },
        { key: "support", label: "Support (sessions)", num: true, fmt: Fmt.int },
        { key: "ratio", label: "Support", num: true, fmt: (v) => h("span", {}, h("span", { class: "bar", style: `width:${Math.round(v * 80)}px` }), " ", Fmt.pct(v)) },
      ],
    });
    const rules = p ? p.rules.filter((r) => !t || r.consequent === t || r.antecedent.includes(t)).map((r) => ({ ante: r.antecedent, then: r.consequent, support: r.support, confidence: r.confidence })) : [];
    Table.render(document.getElementById("rules-table"), {
      id: "rules", rows: rules, state: this.sortR, empty: p ? "No rule with this type." : "Not available.",
      columns: [
        { key: "ante", label: "If", fmt: seq, sort: (r) => r.ante.join(" ") },
        { key: "then", label: "Then", fmt: (v) => h("span", { class: "mono" }, v) },
        { key: "support", label: "Support", num: true, fmt: Fmt.int },
        { key: "confidence", label: "Confidence", num: true, fmt: Fmt.pct },
      ],
    });
    const pairs = c ? c.pairs.filter((x) => !t || x.a === t || x.b === t).map((x) => ({ a: x.a, b: x.b, coefficient: x.coefficient, strength: Math.abs(x.coefficient), lag: x.lagSeconds })) : [];
    if (c) document.getElementById("corr-sub").textContent = `over the last ${Fmt.int(c.seconds)} s of per-second rates; lag is how far b trails a`;
    Table.render(document.getElementById("corr-table"), {
      id: "correlations", rows: pairs, state: this.sortC, empty: c ? "No correlated pair." : "Not available.",
      columns: [
        { key: "a", label: "a", fmt: (v) => h("span", { class: "mono" }, v) },
        { key: "b", label: "b", fmt: (v) => h("span", { class: "mono" }, v) },
        { key: "strength", label: "Coefficient", num: true, fmt: (v, r) => h("span", {}, h("span", { class: "bar" + (r.coefficient < 0 ? " neg" : ""), style: `width:${Math.round(v * 60)}px` }), " ", r.coefficient.toFixed(2)) },
        { key: "lag", label: "Lag", num: true, fmt: (v) => `${v} s` },
      ],
    });
  },

  rows() {
    return { columns: ["sequence", "length", "supportSessions", "supportRatio"],
      rows: (this.shownPatterns || []).map((r) => [r.seq.join(" > "), r.len, r.support, r.ratio]) };
  },
};
