"""Times the query endpoints of one or more engines: each endpoint REQUESTS times per target, one
request at a time, and prints one JSON line per endpoint and target (p50, p95, mean in ms)."""

import argparse
import json
import statistics
import time
import urllib.parse
import urllib.request

# The endpoints a dashboard and `kubectl vexfs` read, with their query parameters.
ENDPOINTS = [
    ("stats", "/api/v1/stats", {}),
    ("events", "/api/v1/events", {"limit": "100"}),
    ("anomalies", "/api/v1/anomalies", {"limit": "100", "sort": "severity"}),
    ("patterns", "/api/v1/patterns", {}),
    ("timeseries", "/api/v1/timeseries", {}),
]


def target(text):
    """`name=url[?extra=params]` as (name, base URL, extra parameters)."""
    name, _, url = text.partition("=")
    parts = urllib.parse.urlsplit(url)
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return name, base, dict(urllib.parse.parse_qsl(parts.query))


def timed(url):
    """Milliseconds one GET of `url` took, body read; raises on a non-2xx answer."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as answer:
        answer.read()
    return (time.perf_counter() - start) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--target", action="append", type=target, required=True)
    args = parser.parse_args()
    for endpoint, path, params in ENDPOINTS:
        for name, base, extra in args.target:
            url = f"{base}{path}?{urllib.parse.urlencode({**params, **extra})}"
            timed(url)  # warm-up, not counted
            samples = sorted(timed(url) for _ in range(args.requests))
            print(json.dumps({
                "endpoint": endpoint, "target": name, "requests": args.requests,
                "p50_ms": round(statistics.median(samples), 2),
                "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
                "mean_ms": round(statistics.fmean(samples), 2),
            }))


if __name__ == "__main__":
    main()
