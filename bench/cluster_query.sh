#!/usr/bin/env bash
# Query latency across replicas: the same events (EVENTS, sessions and planted anomalies from
# vexfs-loadgen) go into one standalone engine and into 3 clustered replicas on a 3-node NATS
# JetStream cluster on loopback; then each query endpoint is timed REQUESTS times on the standalone
# engine, on replica 0 answering for the cluster (fan-out to its two peers and merge), and on
# replica 0 answering its own share (`scope=local`, what each peer computes). Analytics are on.
#
# Prints one JSON line per endpoint and target: p50, p95 and mean latency in milliseconds.
#
# Environment: EVENTS (100000), BATCH (1000), CONCURRENCY (4), SEED (7), PARTITIONS (16),
#   REQUESTS (50), KEEP (set: keep the work directory with every server's log).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
EVENTS="${EVENTS:-100000}"
BATCH="${BATCH:-1000}"
CONCURRENCY="${CONCURRENCY:-4}"
SEED="${SEED:-7}"
PARTITIONS="${PARTITIONS:-16}"
REQUESTS="${REQUESTS:-50}"

log() { echo "cluster_query.sh: $*" >&2; }

cargo build --release --quiet -p vexfs-engine --bin vexfs-engine --bin vexfs-loadgen
nats_bin="$(tests/nats/build.sh | tail -n 1)"
work="$(mktemp -d "${TMPDIR:-/tmp}/vexfs-cluster-bench.XXXXXX")"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "${KEEP:-}" ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {
  for _ in $(seq 600); do
    curl -fs "$1" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "$1 never answered; the servers' logs end with:"
  tail -n 5 "$work"/*/log >&2
  return 1
}

# Starts three JetStream servers; sets nats_urls.
start_nats() {
  local i client route monitor routes="" urls=()
  local -a clients routes_p monitors
  for i in 0 1 2; do
    clients[i]="$(free_port)"; routes_p[i]="$(free_port)"; monitors[i]="$(free_port)"
    routes+="\"nats-route://127.0.0.1:${routes_p[i]}\","
  done
  for i in 0 1 2; do
    client="${clients[i]}"; route="${routes_p[i]}"; monitor="${monitors[i]}"
    mkdir -p "$work/nats-$i"
    cat > "$work/nats-$i/nats.conf" <<EOF
server_name: n$i
listen: "127.0.0.1:$client"
http: "127.0.0.1:$monitor"
jetstream { store_dir: "$work/nats-$i/js", max_memory_store: 256MB, max_file_store: 8GB }
cluster { name: bench, listen: "127.0.0.1:$route", routes: [${routes%,}] }
EOF
    "$nats_bin" -c "$work/nats-$i/nats.conf" > "$work/nats-$i/log" 2>&1 &
    pids+=($!)
    urls+=("nats://127.0.0.1:$client")
  done
  for i in 0 1 2; do wait_http "http://127.0.0.1:${monitors[i]}/healthz"; done
  nats_urls="$(IFS=,; echo "${urls[*]}")"
}

# Starts an engine (analytics on) on port $3 (default: a free one); $1 name, $2 TOML. Appends its
# URL to engine_urls.
start_engine() {
  local name="$1" toml="$2" port="${3:-$(free_port)}"
  mkdir -p "$work/$name"
  printf '%s\n' "$toml" > "$work/$name.toml"
  target/release/vexfs-engine serve --listen "127.0.0.1:$port" --data-dir "$work/$name/data" \
    --config "$work/$name.toml" > "$work/$name/log" 2>&1 &
  pids+=($!)
  engine_urls+=("http://127.0.0.1:$port")
}

# Waits until every engine of engine_urls is ready.
wait_engines() {
  local url
  for url in "${engine_urls[@]}"; do wait_http "$url/readyz"; done
}

# The [cluster] section of replica $2 of 3 on stream $1, with the peers' URLs $3 (a TOML array).
cluster_toml() {
  printf '[cluster]\nmode = "nats"\nnats_url = "%s"\nstream = "%s"\nsubject_prefix = "bench.%s"\npartitions = %s\nstream_replicas = 3\nreplicas = 3\nordinal = %s\npeers = %s\n' \
    "$nats_urls" "$1" "$1" "$PARTITIONS" "$2" "$3"
}

# Sends EVENTS events to $1.
load() {
  target/release/vexfs-loadgen --url "$1" --events "$EVENTS" --batch "$BATCH" \
    --concurrency "$CONCURRENCY" --seed "$SEED" > /dev/null
}

# Waits until the engines of engine_urls hold EVENTS events between them (their own shares).
settled() {
  local url sum
  for _ in $(seq 1200); do
    sum=0
    for url in "${engine_urls[@]}"; do
      sum=$((sum + $(curl -fs "$url/api/v1/stats?scope=local" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalEvents"])')))
    done
    ((sum >= EVENTS)) && return 0
    sleep 0.1
  done
  log "only $sum of $EVENTS events applied"
  return 1
}

start_nats
engine_urls=()
start_engine standalone ''
standalone="${engine_urls[0]}"
wait_engines
load "$standalone"
ports=("$(free_port)" "$(free_port)" "$(free_port)")
peers="[\"http://127.0.0.1:${ports[0]}\", \"http://127.0.0.1:${ports[1]}\", \"http://127.0.0.1:${ports[2]}\"]"
engine_urls=()
for o in 0 1 2; do start_engine "replica-$o" "$(cluster_toml QUERY "$o" "$peers")" "${ports[o]}"; done
wait_engines
load "${engine_urls[0]}"
settled
python3 bench/query_latency.py --requests "$REQUESTS" \
  --target standalone="$standalone" --target cluster="${engine_urls[0]}" \
  --target local="${engine_urls[0]}?scope=local"
