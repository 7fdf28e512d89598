#!/usr/bin/env bash
# The README's main job: a local control plane, the operator, a sample VexfsSemantic reconciled to Ready,
# then a local engine (embedded default configuration) fed real HDFS events, and what it found.
#
#   scripts/demo.sh        run the demo; everything it starts is stopped when it exits
#   scripts/demo.sh --keep run the demo, then keep it up (dashboard included) until Ctrl-C
#   scripts/demo.sh down   stop what an interrupted demo left running
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cluster="$root/tests/e2e/cluster"
export VEXFS_E2E_STATE="${VEXFS_DEMO_STATE:-/dev/shm/vexfs-demo}"
work="$root/.demo"
data="${VEXFS_DATA:-$root/../shared/data}"
port="${VEXFS_DEMO_PORT:-18080}"
engine_url="http://127.0.0.1:$port"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

stop_all() {
  if [[ -f "$work/pids" ]]; then
    while read -r pid; do kill "$pid" 2> /dev/null || true; done < "$work/pids"
    rm -f "$work/pids"
  fi
  "$cluster/down.sh" > /dev/null 2>&1 || true
}

if [[ "${1:-}" == "down" ]]; then
  stop_all
  exit 0
fi
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

trap stop_all EXIT
stop_all
mkdir -p "$work"
rm -rf "$work/engine-data"

say "Building the operator and the engine"
cargo build -q -p vexfs-operator -p vexfs-engine --bins
bin="$root/target/debug"

say "Building (or reusing) the control-plane tools and starting the control plane"
VEXFS_E2E_BIN="$("$cluster/build.sh" | tail -n 1)"
export VEXFS_E2E_BIN
eval "$("$cluster/up.sh")"
export PATH="$VEXFS_E2E_BIN:$PATH"

say "Installing the CRDs and starting the operator"
kubectl apply --server-side -f crds/ > /dev/null
kubectl wait --for=condition=Established crd --all --timeout=60s > /dev/null
"$bin/vexfs-operator" --log-format text --metrics-addr "127.0.0.1:$((port + 1))" > "$work/operator.log" 2>&1 &
echo $! >> "$work/pids"

say "Applying config/samples/minimal.yaml"
kubectl create namespace vexfs-demo --dry-run=client -o yaml | kubectl apply -f - > /dev/null
kubectl -n vexfs-demo apply --server-side -f config/samples/minimal.yaml
name="$(kubectl -n vexfs-demo get vxs -o jsonpath='{.items[0].metadata.name}')"
kubectl -n vexfs-demo wait --for=condition=Ready "vxs/$name" --timeout=180s
kubectl -n vexfs-demo get vxs -o wide
echo
kubectl -n vexfs-demo get "vxs/$name" \
  -o jsonpath='{range .status.conditions[*]}{.type}{"\t"}{.status}{"\t"}{.reason}{"\t"}{.message}{"\n"}{end}' \
  | column -t -s $'\t'
kubectl -n vexfs-demo get statefulset,service,configmap,serviceaccount,secret -l "app.kubernetes.io/instance=$name"
secret="$(kubectl -n vexfs-demo get "vxs/$name" -o jsonpath='{.status.auth.adminTokenSecret}')"
echo
echo "Its engine requires the admin token the operator generated into Secret $secret:"
echo "  kubectl -n vexfs-demo get secret $secret -o jsonpath='{.data.token}' | base64 -d"

say "Starting a local engine on $engine_url (embedded default configuration)"
"$bin/vexfs-engine" serve --listen "127.0.0.1:$port" --data-dir "$work/engine-data" > "$work/engine.log" 2>&1 &
echo $! >> "$work/pids"
for _ in $(seq 1 100); do
  curl -fsS "$engine_url/readyz" > /dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$engine_url/readyz" > /dev/null

say "Converting real HDFS logs into semantic events and sending them"
"$bin/vexfs-engine" convert hdfs-csv "$data/hdfs-sample/HDFS_2k.log_structured.csv" > "$work/hdfs-2k.ndjson"
"$bin/vexfs-engine" convert hdfs-sessions "$data/hdfs-sessions/normal_sessions.txt" --max-sessions 2000 \
  > "$work/hdfs-sessions.ndjson"
"$bin/vexfs-engine" replay "$work/hdfs-2k.ndjson" --to "$engine_url"
"$bin/vexfs-engine" replay "$work/hdfs-sessions.ndjson" --to "$engine_url"

say "What the engine found"
# Acknowledged events are stored at once; the analytics catch up behind their own queue. Wait for them.
for _ in $(seq 1 300); do
  lag="$(curl -fsS "$engine_url/api/v1/profile" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("analyticsLagEvents", 0))')"
  [[ "$lag" == "0" ]] && break
  sleep 0.1
done
sleep 11 # the forecast refit (every 10 s) and the idle session flush (10 s) see everything
python3 "$root/scripts/demo_report.py" "$engine_url"

say "Dashboard: $engine_url/dashboard"
echo "Overview, Anomalies, Patterns, Predictions, Alerts and Profiler; pick \"All data\" for the replayed history."
if ((keep)); then
  echo "The engine, the operator and the control plane stay up. Press Ctrl-C to stop them all."
  trap 'exit 0' INT TERM
  sleep infinity &
  echo $! >> "$work/pids"
  wait $!
else
  echo "The demo stops everything now. Run 'scripts/demo.sh --keep' (what 'make demo' does) to keep it up until Ctrl-C."
fi
