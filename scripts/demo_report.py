#!/usr/bin/env python3
"""Prints what a running vexfs-engine found, from its JSON API (used by `make demo`)."""
import json
import sys
import urllib.request


def get(base, path):
    with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:
        return json.load(response)


def top(mapping, n=6):
    return ", ".join(f"{k} {v}" for k, v in sorted(mapping.items(), key=lambda kv: -kv[1])[:n])


def stats(base):
    s = get(base, "/api/v1/stats")
    window = s.get("countWindow", {})
    print(f"events stored: {s.get('totalEvents')}   count window: {window.get('events')} of {window.get('capacity')}")
    print(f"  by category: {top(window.get('byCategory', {}))}")
    print(f"  by type:     {top(window.get('byType', {}))}")
    sources = ", ".join(f"{e['key']} {e['count']}" for e in window.get("topSources", [])[:4])
    print(f"  top sources: {sources}")
    sizes = window.get("sizeBytes", {})
    if sizes:
        print(f"  sizes (bytes): {json.dumps(sizes)}")


def patterns(base):
    p = get(base, "/api/v1/patterns")
    print(f"sessions mined: {p.get('sessions')} (min support {p.get('minSupport')} sessions)")
    for pattern in p.get("patterns", [])[:8]:
        print(f"  {pattern['support']:>5}  {' -> '.join(pattern['types'])}")
    print("rules (highest confidence first):")
    for rule in p.get("rules", [])[:6]:
        print(f"  {rule['confidence']:.2f}  {' -> '.join(rule['antecedent'])} => {rule['consequent']}")


def anomalies(base):
    a = get(base, "/api/v1/anomalies?sort=severity&limit=8")
    totals = a.get("totals", {})
    print(f"anomaly records: {a.get('total')}  by kind: {top(totals.get('byKind', {}))}  "
          f"by detector: {top(totals.get('byDetector', {}))}")
    print("most severe first:")
    for item in a.get("anomalies", []):
        print(f"  {item['severity']:.2f}  {item['detector']:<8} {item['kind']:<7} {item['subject']:<14} "
              f"{item['explanation'][:110]}")
    s = get(base, "/api/v1/sessions?limit=1")
    t = s.get("totals", {})
    print(f"session verdicts: {s.get('total')} closed  (normal {t.get('normal')}, "
          f"anomalous {t.get('anomalous')}, unscored {t.get('unscored')})")


def predictions(base):
    p = get(base, "/api/v1/predictions")
    print(f"next-event accuracy (backtested, top-1): {p.get('nextEventAccuracy', 0):.3f}")
    nxt = ", ".join(f"{n['type']} {n['probability']:.2f}" for n in p.get("nextEvents", [])[:4])
    print(f"  likely next events: {nxt or '-'}")
    for f in p.get("forecasts", [])[:3]:
        points = f.get("forecast", [])
        head = ", ".join(f"{pt['value']:.1f}" for pt in points[:5])
        b = f.get("backtest") or {}
        mase = b.get("mase")
        mase_text = f"{mase:.2f}" if isinstance(mase, (int, float)) else "-"
        print(f"  {f['series']}: next seconds {head} events/s (period {f.get('period')}); "
              f"backtest MAE {b.get('mae', 0):.2f}, seasonal-naive MAE {b.get('seasonalNaiveMae', 0):.2f}, "
              f"MASE {mase_text}")
    if not p.get("forecasts"):
        print("  rate forecast: not enough history yet")


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
    for title, show in [("statistics", stats), ("sequential patterns", patterns),
                        ("anomalies", anomalies), ("predictions", predictions)]:
        print(f"\n-- {title}")
        try:
            show(base)
        except Exception as error:  # report and go on: one missing area must not hide the others
            print(f"  unavailable: {error}")


if __name__ == "__main__":
    main()
