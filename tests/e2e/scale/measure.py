#!/usr/bin/env python3
"""Drives and measures one scale run of the operator against a running local control plane.

Creates N minimal VexfsSemantics across the given namespaces, then reports: time to 50/90/100%
Ready, the worst create-to-first-reconcile, convergence after a spec change on all N, steady-state
API requests per second by verb and resource (from the apiserver's apiserver_request_total), the
operator's RSS and CPU, and the time to delete everything. Prints a Markdown table and writes JSON.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime

GROUP = "vexfssemantics.vexfs.io"
TICK = 2.0
# Resources the operator reads or writes; other traffic (nodes, leases) belongs to kwok and the
# controllers of the local control plane.
OPERATOR_RESOURCES = {
    "vexfssemantics", "vexfsbackups", "statefulsets", "configmaps", "services",
    "serviceaccounts", "poddisruptionbudgets", "pods", "jobs", "secrets", "events",
}
WRITE_VERBS = {"POST", "PUT", "PATCH", "DELETE", "APPLY", "CREATE", "UPDATE", "DELETECOLLECTION"}
REQUESTS = re.compile(r'^apiserver_request_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$')


class Bench:
    """The kubectl, namespaces and operator process of one run."""

    def __init__(self, args):
        self.args = args
        self.kubectl = [args.kubectl, f"--kubeconfig={args.kubeconfig}"]
        self.namespaces = [f"bench-{i}" for i in range(args.namespaces)]

    def run(self, *argv, stdin=None):
        """Runs kubectl; returns stdout, raising with stderr on failure."""
        done = subprocess.run(self.kubectl + list(argv), input=stdin, capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(argv)}: {done.stderr.strip()}")
        return done.stdout

    def resources(self, spec):
        """A YAML stream of every resource with `spec`."""
        docs = []
        for i in range(self.args.count):
            ns = self.namespaces[i % len(self.namespaces)]
            docs.append(json.dumps({
                "apiVersion": "vexfs.io/v1alpha1", "kind": "VexfsSemantic",
                "metadata": {"name": f"vx-{i}", "namespace": ns}, "spec": spec,
            }))
        return "\n---\n".join(docs)

    def listed(self):
        """Every VexfsSemantic as parsed JSON."""
        return json.loads(self.run("get", GROUP, "-A", "-o", "json"))["items"]

    def operator_usage(self):
        """(RSS in MiB, CPU seconds so far) of the operator."""
        pid = self.args.operator_pid
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            rss_kib = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return rss_kib / 1024, (int(fields[11]) + int(fields[12])) / ticks

    def request_counts(self):
        """apiserver_request_total by (verb, resource)."""
        counts = {}
        for line in self.run("get", "--raw", "/metrics").splitlines():
            match = REQUESTS.match(line)
            if not match:
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
            key = (labels.get("verb", ""), labels.get("resource", ""))
            counts[key] = counts.get(key, 0.0) + float(match["value"])
        if not counts:
            raise RuntimeError("the API server's /metrics has no apiserver_request_total samples")
        return counts


def condition(obj, type_):
    """The condition `type_` of `obj`, or an empty dict."""
    for c in obj.get("status", {}).get("conditions", []):
        if c.get("type") == type_:
            return c
    return {}


def ready(obj):
    """Ready and reconciled at its current generation."""
    status = obj.get("status", {})
    return (condition(obj, "Ready").get("status") == "True"
            and status.get("observedGeneration") == obj["metadata"].get("generation"))


def timestamp(text):
    """Seconds since the epoch of an RFC 3339 time."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def wait_for_fraction(bench, start, fractions, timeout, done=ready):
    """Seconds from `start` until each fraction of all resources satisfied `done`."""
    reached = {}
    deadline = time.time() + timeout
    while len(reached) < len(fractions) and time.time() < deadline:
        items = bench.listed()
        count = sum(1 for obj in items if done(obj))
        for fraction in fractions:
            if fraction not in reached and count >= fraction * bench.args.count:
                reached[fraction] = round(time.time() - start, 1)
        time.sleep(TICK)
    return {f"{int(f * 100)}%": reached.get(f) for f in fractions}


def create(bench):
    """Creates the namespaces and resources; returns (first, last) create wall times."""
    for ns in bench.namespaces:
        bench.run("create", "namespace", ns)
    first = time.time()
    bench.run("create", "-f", "-", stdin=bench.resources({}))
    return first, time.time()


def first_reconcile_lag(items):
    """Worst seconds from creation to the first reconcile (the first `Stalled` condition)."""
    lags = []
    for obj in items:
        stalled = condition(obj, "Stalled").get("lastTransitionTime")
        if stalled:
            lags.append(timestamp(stalled) - timestamp(obj["metadata"]["creationTimestamp"]))
    return max(lags) if lags else None


def steady_rates(bench, seconds):
    """Requests per second over `seconds` by verb and resource, and the operator's CPU share."""
    before, (_, cpu_before), t0 = bench.request_counts(), bench.operator_usage(), time.time()
    time.sleep(seconds)
    after, (rss, cpu_after) = bench.request_counts(), bench.operator_usage()
    elapsed = time.time() - t0
    rates = {}
    for key, value in after.items():
        delta = value - before.get(key, 0.0)
        if delta > 0 and key[1] in OPERATOR_RESOURCES:
            rates[f"{key[0]} {key[1]}"] = round(delta / elapsed, 3)
    writes = sum(r for k, r in rates.items() if k.split()[0] in WRITE_VERBS)
    return {
        "by_verb_and_resource": dict(sorted(rates.items(), key=lambda kv: -kv[1])),
        "total_per_second": round(sum(rates.values()), 3),
        "writes_per_second": round(writes, 3),
        "operator_cpu_percent": round(100 * (cpu_after - cpu_before) / elapsed, 1),
        "operator_rss_mib": round(rss, 1),
    }


def delete_all(bench, timeout):
    """Seconds until every resource, and every engine StatefulSet, is gone."""
    start = time.time()
    bench.run("delete", GROUP, "--all", "-A", "--wait=false")
    gone = {}
    while len(gone) < 2 and time.time() - start < timeout:
        if "resources" not in gone and not bench.listed():
            gone["resources"] = round(time.time() - start, 1)
        if "resources" in gone:
            sts = json.loads(bench.run("get", "statefulsets", "-A", "-o", "json"))["items"]
            if not sts:
                gone["statefulsets"] = round(time.time() - start, 1)
        time.sleep(TICK)
    return gone


class Result(dict):
    """The run's figures, each printed as soon as it is known (a cut-short run keeps what it had)."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        print(f"{key}: {json.dumps(value)}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--namespaces", type=int, default=10)
    parser.add_argument("--operator-pid", type=int, required=True)
    parser.add_argument("--kubectl", required=True)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--steady-seconds", type=float, default=120)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    bench = Bench(args)
    result = Result()
    result["count"] = args.count
    result["load_average_start"] = os.getloadavg()
    rss_idle, _ = bench.operator_usage()
    result["operator_rss_idle_mib"] = round(rss_idle, 1)

    first, last = create(bench)
    result["create_seconds"] = round(last - first, 1)
    result["ready_after_last_create"] = wait_for_fraction(bench, last, [0.5, 0.9, 1.0],
                                                          args.timeout)
    result["worst_create_to_first_reconcile_seconds"] = first_reconcile_lag(bench.listed())
    result["steady_state"] = steady_rates(bench, args.steady_seconds)

    change_start = time.time()
    bench.run("apply", "--server-side", "--field-manager=bench", "-f", "-",
              stdin=bench.resources({"analytics": {"slidingWindowSize": 20000}}))
    result["spec_change_apply_seconds"] = round(time.time() - change_start, 1)
    result["spec_change_converged_seconds"] = wait_for_fraction(
        bench, change_start, [1.0], args.timeout)["100%"]
    result["operator_rss_at_count_mib"] = round(bench.operator_usage()[0], 1)
    result["operator_cpu_seconds_total"] = round(bench.operator_usage()[1], 1)

    result["delete_all_seconds"] = delete_all(bench, args.timeout)
    result["load_average_end"] = os.getloadavg()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
