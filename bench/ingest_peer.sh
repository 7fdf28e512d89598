#!/usr/bin/env bash
# Durable NDJSON ingest side by side: the engine with analytics off, the engine with every analytic
# on, and VictoriaLogs (fsync on), each RUNS times, alternating, driven by the same load generator
# with the same synthetic events. Every run starts its server on a fresh data directory.
#
# Prints one JSON line per run (the loadgen's report plus variant, round and load average), then a
# table: median, min-max spread and load average per variant, and the two ratios to the peer.
#
# Environment: EVENTS (1000000), BATCH (5000), CONCURRENCY (4), SEED (7), RUNS (3),
#   PORT (18181), VEXFS_BENCH_CACHE (peer cache root, see bench/peers/build.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
EVENTS="${EVENTS:-1000000}"
BATCH="${BATCH:-5000}"
CONCURRENCY="${CONCURRENCY:-4}"
SEED="${SEED:-7}"
RUNS="${RUNS:-3}"
PORT="${PORT:-18181}"
url="http://127.0.0.1:$PORT"

log() { echo "ingest_peer.sh: $*" >&2; }

cargo build --release --quiet -p vexfs-engine --bin vexfs-engine --bin vexfs-loadgen
peer_bin="$(bench/peers/build.sh | tail -n 1)"
work="$(mktemp -d "${TMPDIR:-/tmp}/vexfs-ingest-peer.XXXXXX")"
results="$work/results.jsonl"
server=""

cleanup() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Starts the server of variant $1 on data directory $2; sets $server to its pid.
start() {
  local variant="$1" data="$2"
  case "$variant" in
    off)
      ANALYTICS_ENABLE_PATTERN_DISCOVERY=false ANALYTICS_ENABLE_ANOMALY_DETECTION=false \
        ANALYTICS_ENABLE_PREDICTIVE_ANALYTICS=false \
        target/release/vexfs-engine serve --listen "127.0.0.1:$PORT" --data-dir "$data" \
        >"$work/server.log" 2>&1 &
      ;;
    on)
      target/release/vexfs-engine serve --listen "127.0.0.1:$PORT" --data-dir "$data" \
        >"$work/server.log" 2>&1 &
      ;;
    victorialogs)
      # fsync stays on (VictoriaLogs' default); in-memory data reaches disk at least every second,
      # the shortest interval it accepts.
      "$peer_bin/victoria-logs" -httpListenAddr="127.0.0.1:$PORT" -storageDataPath="$data" \
        -inmemoryDataFlushInterval=1s -loggerLevel=WARN \
        >"$work/server.log" 2>&1 &
      ;;
  esac
  server=$!
  local ready=/readyz
  [[ "$variant" == victorialogs ]] && ready=/health
  for _ in $(seq 1 200); do
    if curl -fsS -o /dev/null "$url$ready" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  log "$variant did not become ready; its log:"
  cat "$work/server.log" >&2
  return 1
}

stop() {
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""
}

for round in $(seq 1 "$RUNS"); do
  for variant in off on victorialogs; do
    data="$work/data-$variant-$round"
    start "$variant" "$data"
    target=engine
    [[ "$variant" == victorialogs ]] && target=victorialogs
    load="$(cut -d' ' -f1 /proc/loadavg)"
    report="$(target/release/vexfs-loadgen --url "$url" --target "$target" --events "$EVENTS" \
      --batch "$BATCH" --concurrency "$CONCURRENCY" --seed "$SEED")"
    stop
    rm -rf "$data"
    line="$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.update(variant=sys.argv[2], round=int(sys.argv[3]), load1=float(sys.argv[4])); print(json.dumps(r))' \
      "$report" "$variant" "$round" "$load")"
    echo "$line" | tee -a "$results"
  done
done

python3 - "$results" <<'EOF'
import json, statistics, sys

runs = [json.loads(l) for l in open(sys.argv[1])]
print()
print("| variant | runs | median events/s | spread (min-max) | request p99 (median) | load avg (1 min) |")
print("|---|---|---|---|---|---|")
median = {}
for variant in ("off", "on", "victorialogs"):
    rs = [r for r in runs if r["variant"] == variant]
    rates = [r["eventsPerSec"] for r in rs]
    median[variant] = statistics.median(rates)
    p99 = statistics.median(r["requestLatencyMs"]["p99"] for r in rs)
    loads = [r["load1"] for r in rs]
    name = {"off": "engine, analytics off", "on": "engine, analytics on",
            "victorialogs": "VictoriaLogs"}[variant]
    print(f"| {name} | {len(rs)} | {median[variant]:,.0f} | {min(rates):,.0f}-{max(rates):,.0f} "
          f"| {p99:.0f} ms | {min(loads):.1f}-{max(loads):.1f} |")
print()
print(f"ratio engine analytics off / VictoriaLogs: {median['off'] / median['victorialogs']:.2f}")
print(f"ratio engine analytics on / VictoriaLogs: {median['on'] / median['victorialogs']:.2f}")
EOF
