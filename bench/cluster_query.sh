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

ENGINE_ENV=()  # analytics on: the queries read them
# shellcheck source=bench/cluster_lib.sh
. bench/cluster_lib.sh

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
