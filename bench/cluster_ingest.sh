#!/usr/bin/env bash
# Ingest throughput and acknowledgement latency: one standalone engine (its own write-ahead log)
# against clustered engines on a 3-node NATS JetStream cluster on loopback (stream replicas 3),
# with 1, 2 and 3 engine replicas. Analytics are off in every variant, so the figures are the
# log path's: a clustered batch is acknowledged once JetStream stored it (the owning replica applies
# it afterwards). With 3 replicas the load generator sends through replica 0 (any replica publishes
# the same way) while all three consume: the synthetic events' idempotency keys do not depend on the
# seed, so load generators in parallel would send each other's duplicates.
#
# Prints one JSON line per loadgen run (its report plus variant and load average), and for the
# clustered variants one with the seconds until every event was applied by the replicas.
#
# Environment: EVENTS (300000), BATCH (1000), CONCURRENCY (4), SEED (7), PARTITIONS (16),
#   KEEP (set: keep the work directory with every server's log).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
EVENTS="${EVENTS:-300000}"
BATCH="${BATCH:-1000}"
CONCURRENCY="${CONCURRENCY:-4}"
SEED="${SEED:-7}"
PARTITIONS="${PARTITIONS:-16}"

log() { echo "cluster_ingest.sh: $*" >&2; }

# Analytics off in every variant: the figures are the log path's.
ENGINE_ENV=(ANALYTICS_ENABLE_PATTERN_DISCOVERY=false ANALYTICS_ENABLE_ANOMALY_DETECTION=false
  ANALYTICS_ENABLE_PREDICTIVE_ANALYTICS=false)
# shellcheck source=bench/cluster_lib.sh
. bench/cluster_lib.sh

# The [cluster] section of replica $3 of $2 on stream $1 (each stream its own subjects: JetStream
# refuses streams with overlapping subjects).
cluster_toml() {
  printf '[cluster]\nmode = "nats"\nnats_url = "%s"\nstream = "%s"\nsubject_prefix = "bench.%s"\npartitions = %s\nstream_replicas = 3\nreplicas = %s\nordinal = %s\n' \
    "$nats_urls" "$1" "$1" "$PARTITIONS" "$2" "$3"
}

# Runs one loadgen per URL at once, each with EVENTS / (number of URLs) events.
run() {
  local variant="$1"; shift
  local n=$# share=$((EVENTS / $#)) i=0 url
  local -a lg
  for url in "$@"; do
    target/release/vexfs-loadgen --url "$url" --events "$share" --batch "$BATCH" \
      --concurrency "$CONCURRENCY" --seed $((SEED + i)) > "$work/lg-$variant-$i.json" &
    lg+=($!)
    i=$((i + 1))
  done
  for pid in "${lg[@]}"; do wait "$pid"; done
  for i in $(seq 0 $((n - 1))); do
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["variant"]=sys.argv[2]; r["load"]=open("/proc/loadavg").read().split()[0]; print(json.dumps(r))' \
      "$work/lg-$variant-$i.json" "$variant"
  done
}

# Prints how long after $2 (epoch seconds) every event was applied by the engines of engine_urls
# (their /api/v1/stats totalEvents add up to EVENTS), as JSON for variant $1.
applied() {
  local variant="$1" started="$2" url sum
  for _ in $(seq 1200); do
    sum=0
    for url in "${engine_urls[@]}"; do
      sum=$((sum + $(curl -fs "$url/api/v1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalEvents"])')))
    done
    if ((sum >= EVENTS)); then
      python3 -c 'import json,sys,time; print(json.dumps({"variant": sys.argv[1], "appliedSeconds": round(time.time() - float(sys.argv[2]), 2), "applied": int(sys.argv[3])}))' \
        "$variant" "$started" "$sum"
      return 0
    fi
    sleep 0.1
  done
  log "$variant: only $sum of $EVENTS events applied"
  return 1
}

start_nats
engine_urls=()
start_engine standalone ''
wait_engines
run standalone "${engine_urls[@]}"
engine_urls=()
start_engine one "$(cluster_toml ONE 1 0)"
wait_engines
started="$(date +%s.%N)"
run clustered-1 "${engine_urls[@]}"
applied clustered-1 "$started"
engine_urls=()
for o in 0 1; do start_engine "two-$o" "$(cluster_toml TWO 2 "$o")"; done
wait_engines
started="$(date +%s.%N)"
run clustered-2 "${engine_urls[0]}"
applied clustered-2 "$started"
engine_urls=()
for o in 0 1 2; do start_engine "three-$o" "$(cluster_toml THREE 3 "$o")"; done
wait_engines
started="$(date +%s.%N)"
run clustered-3 "${engine_urls[0]}"
applied clustered-3 "$started"
